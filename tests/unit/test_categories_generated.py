"""Categories on a generated source (clientseg generate, 300 clients, every entity type, requests
in every status): every open client gets exactly one category per regime, a basis consistent with
it, non-empty reasons, and the change list holds each first categorisation and each change."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import PipelineRunner

from clientseg.generate import generate_source

D = date(2026, 6, 30)
EARLIER = date(2026, 5, 31)  # a run of a past date reads the same (today's) source
CLIENTS = 300

# the categories a basis can lead to (RULES.md)
MIFID_BASIS_CATEGORIES = {
    "per_se_ecp": {"eligible_counterparty"}, "per_se_professional": {"professional"},
    "default": {"retail"}, "opt_down": {"professional", "retail"},
    "elective_ecp": {"eligible_counterparty"}, "elective_professional": {"professional"},
    "opt_up_refused": {"retail"},
}  # fmt: skip
FINSA_BASIS_CATEGORIES = {
    "per_se_institutional": {"institutional"}, "per_se_professional": {"professional"},
    "default": {"retail"}, "opting_out": {"professional", "institutional"},
    "opting_out_refused": {"retail"}, "opting_in": {"retail", "professional"},
}  # fmt: skip

Runs = tuple[PipelineRunner, dict[date, dict[str, dict[str, Any]]]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("generated")
    source = root / "source"
    generate_source(source, CLIENTS, seed=7, as_of=D)
    runner = PipelineRunner(root)
    return runner, {day: runner(day, source=source) for day in (EARLIER, D)}


@pytest.mark.parametrize("day", [EARLIER, D], ids=str)
def test_one_category_per_regime_with_basis_and_reasons(runs: Runs, day: date) -> None:
    runner, rows = runs
    counts = runner.query("select count(*) as n, count(distinct client_id) as clients "
                          "from mart.client_segments_history where as_of_date = :d", d=day)
    assert counts == [{"n": len(rows[day]), "clients": len(rows[day])}]
    assert len(rows[day]) > CLIENTS * 0.8
    for row in rows[day].values():
        who = f"{row['client_id']}: {row['mifid_reasons']} | {row['finsa_reasons']}"
        assert row["mifid_category"] in MIFID_BASIS_CATEGORIES[row["mifid_basis"]], who
        assert row["finsa_category"] in FINSA_BASIS_CATEGORIES[row["finsa_basis"]], who
        assert row["mifid_reasons"].startswith(f"{row['mifid_basis']}: "), who
        assert row["finsa_reasons"].startswith(f"{row['finsa_basis']}: "), who
        if row["mifid_basis"] == "opt_up_refused":
            assert row["mifid_review_required"] is True, who
        elif row["mifid_basis"] != "elective_professional":
            assert row["mifid_review_required"] is False, who


def test_generated_source_reaches_the_main_bases(runs: Runs) -> None:
    """Not a rule: a guard that the checks above run over varied clients, not only retail."""
    rows = runs[1][D].values()
    mifid = {r["mifid_basis"] for r in rows}
    finsa = {r["finsa_basis"] for r in rows}
    assert {"per_se_ecp", "per_se_professional", "default"} <= mifid
    assert {"per_se_institutional", "per_se_professional", "default"} <= finsa
    assert mifid & {"opt_down", "elective_ecp", "elective_professional", "opt_up_refused"}
    assert finsa & {"opting_out", "opting_out_refused", "opting_in"}


@pytest.mark.parametrize("attribute", ["mifid_category", "finsa_category"])
def test_change_list_is_first_categorisation_then_changes(runs: Runs, attribute: str) -> None:
    runner, rows = runs
    expected = set()
    for client_id, row in rows[EARLIER].items():
        expected.add((EARLIER, None, client_id, None, row[attribute]))
    for client_id, row in rows[D].items():
        before = rows[EARLIER].get(client_id)
        if before is None:
            expected.add((D, None, client_id, None, row[attribute]))
        elif before[attribute] != row[attribute]:
            expected.add((D, EARLIER, client_id, before[attribute], row[attribute]))
    got = runner.query("select as_of_date, previous_as_of_date, client_id, old_value, new_value "
                       "from mart.client_category_changes where attribute = :a", a=attribute)
    assert len(got) == len(expected)
    assert {tuple(r.values()) for r in got} == expected


def test_published_count_is_recorded(runs: Runs) -> None:
    runner, rows = runs
    recorded = runner.query("select as_of_date, rows_published from ops.pipeline_runs "
                            "where status = 'published'")
    assert {(r["as_of_date"], r["rows_published"]) for r in recorded} == {
        (day, len(by_client)) for day, by_client in rows.items()}

