"""How models are materialised, and the literal dates a DuckDB view is built with."""

from __future__ import annotations

import re
from datetime import date

import pendulum
import pytest

from clientseg.paths import SQL_DIR
from clientseg.transform import KEPT_MODELS, MODELS, _inline, materialisation
from clientseg.warehouse import Warehouse


@pytest.mark.parametrize("as_of", [date(2026, 5, 31), pendulum.Date(2026, 5, 31)],
                         ids=["date", "airflow-pendulum-date"])
def test_a_view_gets_the_run_parameters_as_typed_literals(tmp_path, as_of):
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with wh.begin() as conn:
        statement = _inline(conn, "select cast(:as_of as date) - 1 as day, :run_id as run",
                            {"as_of": as_of, "run_id": "it's", "unused": date(2000, 1, 1)})
        assert conn.execute(statement).one() == (date(2026, 5, 30), "it's")


def test_materialisation_per_dialect():
    assert {materialisation(m, "duckdb") for m in KEPT_MODELS} == {"table"}
    assert {materialisation(m, "postgresql") for m in MODELS if m not in KEPT_MODELS} == {
        "temporary table"}
    assert materialisation("value_segments", "duckdb") == "temporary view"
    assert materialisation("trade_measures", "duckdb") == "table"  # kept as the state
    assert materialisation("fx_daily", "duckdb") == "temporary table"  # read by four models


IMPORT_CTE = re.compile(r"^(?:with )?(\w+) as (not materialized )?\(\n\s*select \* from \{\{",
                        re.MULTILINE)


def test_every_import_cte_of_a_model_is_an_alias_not_a_copy():
    """DuckDB materialises a CTE read twice, with every column: an import CTE
    (`x as (select * from {{ ref(...) }})`) must say `not materialized` (README, Performance)."""
    found = {}
    for model in MODELS:
        text = (SQL_DIR / "transform" / f"{model}.sql").read_text()
        found |= {f"{model}.{name}": bool(hint) for name, hint in IMPORT_CTE.findall(text)}
    assert len(found) > 20  # the pattern still finds them
    assert [cte for cte, aliased in found.items() if not aliased] == []
