"""Amounts in the reasons are truncated to the cent exactly, on both warehouses alike.

A figure under its threshold by less than a millionth is shown a cent under it, never rounded up
to it: an exact decimal (EUR) and a quotient (CHF = EUR / rate, which DuckDB divides in floating
point, PostgreSQL in numeric). A quotient landing exactly on a threshold shows the threshold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner
from pgdb import Databases

D = date(2026, 6, 30)
CHF = {"rate_date": "2026-06-30", "currency": "CHF", "eur_per_unit": "1.0712"}


def corporate(client_id: str, **figures: str) -> dict[str, Any]:
    return {"client_id": client_id, "client_type": "legal_entity", "entity_type": "corporate",
            "financials_currency": "EUR", "balance_sheet_total": "30000000",
            "net_turnover": "100", "own_funds": "4100000", **figures}


SOURCE: dict[str, list[dict[str, Any]]] = {
    "clients": [
        corporate("EUR_UNDER", balance_sheet_total="19999999.9999999998"),
        corporate("CHF_UNDER", own_funds="2142399.9999999"),  # CHF 1,999,999.99999990...
        corporate("CHF_EXACT", own_funds="2142400"),  # CHF 2,000,000 exactly
        {"client_id": "OPT_OUT"},
    ],
    "holdings": [{"client_id": "OPT_OUT", "market_value": "2142399.9999999"}],
    "fx_rates": [CHF],
    "categorisation_requests": [
        {"client_id": "OPT_OUT", "regime": "finsa", "requested_category": "professional",
         "received_date": "2026-03-01"}],
}
EXPECTED = {
    ("EUR_UNDER", "mifid_reasons"): "balance_sheet_total 19,999,999.99 < 20,000,000",
    ("CHF_UNDER", "finsa_reasons"): "own_funds 1,999,999.99 <= 2,000,000",
    ("CHF_EXACT", "finsa_reasons"): "own_funds 2,000,000 <= 2,000,000",
    ("OPT_OUT", "finsa_reasons"): "investable assets CHF 1,999,999.99 < 2,000,000",
}


@pytest.mark.parametrize("warehouse", ["duckdb", "postgresql"])
def test_amounts_a_fraction_under_a_threshold_are_shown_under_it(
        pg_databases: Databases, tmp_path: Path, warehouse: str) -> None:
    url = pg_databases.new() if warehouse == "postgresql" else None
    rows = PipelineRunner(tmp_path, url)(D, **SOURCE)
    shown = {(c, column): text for (c, column), text in EXPECTED.items()
             if text in rows[c][column]}
    assert shown == EXPECTED, {key: rows[key[0]][key[1]] for key in EXPECTED}
