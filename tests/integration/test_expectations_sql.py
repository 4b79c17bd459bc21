"""GX runs in the warehouse: each expectation type on its boundaries, on DuckDB and PostgreSQL,
and the SQL that finds the failing rows agrees with what GX counted."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from throwaway_pg import throwaway_postgres_url

from clientseg import expectations
from clientseg.expectations import failing_condition, failing_rows, validate_table
from clientseg.warehouse import Warehouse

SUITE = "_test_boundaries"
EXPECTATIONS = [
    ("expect_column_values_to_not_be_null", {"column": "code"}, "code: not null"),
    ("expect_column_values_to_be_null", {"column": "code__unparsed"}, "code: parsed"),
    ("expect_column_values_to_be_in_set", {"column": "code", "value_set": ["EUR", "O'K"]},
     "code: in set"),
    ("expect_column_values_to_be_in_set", {"column": "level", "value_set": [1, 2, 3]},
     "level: in set"),
    ("expect_column_values_to_match_regex", {"column": "code", "regex": "^[A-Z]{3}$"},
     "code: regex"),
    ("expect_column_values_to_be_between", {"column": "amount", "min_value": 0},
     "amount: >= 0"),
    ("expect_column_values_to_be_between",
     {"column": "rate", "min_value": 0, "strict_min": True}, "rate: > 0"),
    ("expect_column_values_to_be_between", {"column": "level", "min_value": 1, "max_value": 2},
     "level: 1..2"),
]
# _row_id, code, code__unparsed, level, amount, rate
ROWS = [
    (1, "EUR", None, 1, "0.00", "0.000001"),  # every boundary met
    (2, None, None, 2, "-0.01", "0"),         # null code; amount just below 0; rate at 0
    (3, "O'K", "x", 3, None, None),           # in the set, not the regex; unparsed; level 3
    (4, "usd", None, 4, "1", "1"),            # outside set and regex; level outside both
    (5, "EURO", None, None, "1", "-1"),       # regex is a search anchored by ^ and $
]
EXPECTED = {
    "code: not null": [2], "code: parsed": [3], "code: in set": [4, 5], "level: in set": [4],
    "code: regex": [3, 4, 5], "amount: >= 0": [2], "rate: > 0": [2, 5],
    "level: 1..2": [3, 4],
}


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def wh(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[Warehouse]:
    monkeypatch.setattr(expectations, "EXPECTATIONS_DIR", tmp_path)
    (tmp_path / f"{SUITE}.json").write_text(json.dumps({"name": SUITE, "expectations": [
        {"type": t, "kwargs": k, "meta": {"rule": r}} for t, k, r in EXPECTATIONS]}))
    with contextlib.ExitStack() as stack:
        stack.callback(expectations.load_suite.cache_clear)
        url = (f"duckdb:///{tmp_path / 'w.duckdb'}" if request.param == "duckdb"
               else stack.enter_context(throwaway_postgres_url()))
        warehouse = Warehouse(url)
        with warehouse.begin() as conn:
            conn.execute(sa.text("create schema if not exists staging"))
            conn.execute(sa.text(
                "create table staging.checked (_row_id bigint, code text, code__unparsed text, "
                "level integer, amount decimal(18, 2), rate decimal(18, 6))"))
            conn.execute(sa.text("insert into staging.checked values (:i, :c, :u, :l, "
                                 "cast(:a as decimal(18, 2)), cast(:r as decimal(18, 6)))"),
                         [dict(zip("icular", row, strict=True)) for row in ROWS])
        yield warehouse


def test_gx_counts_and_sql_finds_the_same_rows(wh: Warehouse):
    result = validate_table(wh, SUITE, "staging.checked", len(ROWS))
    assert {r: o.unexpected_count for r, o in result.outcomes.items()} == {
        r: len(ids) for r, ids in EXPECTED.items()}
    assert all(o.rows_checked == len(ROWS) for o in result.outcomes.values())
    assert result.outcomes["code: not null"].samples == []
    assert sorted(result.outcomes["code: in set"].samples) == ["EURO", "usd"]
    assert sorted(result.outcomes["rate: > 0"].samples) == ["-1.0", "0.0"]
    with wh.begin() as conn:
        failing_rows(conn, "staging.checked", result, "staging.broken")
        found = conn.execute(sa.text("select rule, _row_id from staging.broken "
                                     "order by rule_order, _row_id")).all()
    by_rule: dict[str, list[int]] = {}
    for rule, row_id in found:
        by_rule.setdefault(rule, []).append(row_id)
    assert by_rule == EXPECTED


def test_a_count_that_disagrees_with_gx_fails_loudly(wh: Warehouse):
    result = validate_table(wh, SUITE, "staging.checked", len(ROWS))
    result.outcomes["rate: > 0"].unexpected_count = 1
    with wh.begin() as conn, pytest.raises(RuntimeError, match="GX counted 1 rows breaking "
                                                             "'rate: > 0', the quarantine query "
                                                             "found 2"):
        failing_rows(conn, "staging.checked", result, "staging.broken")


def test_an_expectation_that_cannot_run_never_passes(wh: Warehouse):
    with wh.begin() as conn:
        conn.execute(sa.text("alter table staging.checked drop column rate"))
    with pytest.raises(RuntimeError, match="did not run"):
        validate_table(wh, SUITE, "staging.checked", len(ROWS))


def test_a_row_count_gx_did_not_see_fails_loudly(wh: Warehouse):
    with pytest.raises(RuntimeError, match=f"saw {len(ROWS)} of 99 rows"):
        validate_table(wh, SUITE, "staging.checked", 99)


def test_unsupported_expectations_have_no_silent_condition():
    with pytest.raises(ValueError, match="no SQL condition"):
        failing_condition({"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}})
    with pytest.raises(ValueError, match="unsupported arguments"):
        failing_condition({"type": "expect_column_values_to_not_be_null",
                           "kwargs": {"column": "a", "mostly": 0.9}})
