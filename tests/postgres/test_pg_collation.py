"""The ties of RULES.md break in code-point order on a PostgreSQL warehouse of any collation.

A database created with an en-US collation sorts `a1` before `B1` (and `RC` after `Rb`); DuckDB
and the C collation sort by code point. Both warehouses must publish the same classes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner
from pgdb import Databases

D = date(2026, 6, 30)
EN_US = "template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'"
# T = 100: Z is ranked first (S = 0, A); of the tied B1 and a1, the first has S = 75 (A), the
# second S = 85 (B); W has S = 95 (C). Code-point order: B1 before a1.
SOURCE: dict[str, list[dict[str, Any]]] = {
    "clients": [{"client_id": c} for c in ("Z", "B1", "a1", "W")],
    "transactions": [{"client_id": c, "trade_date": "2026-06-01", "fee": fee}
                     for c, fee in (("Z", "75"), ("B1", "10"), ("a1", "10"), ("W", "5"))],
    # two requests of Z received the same day: the greatest request_id (Rb > RC) is in force
    "categorisation_requests": [
        {"request_id": "Rb", "client_id": "Z", "requested_category": "professional",
         "received_date": "2026-03-01", "status": "accepted"},
        {"request_id": "RC", "client_id": "Z", "requested_category": "professional",
         "received_date": "2026-03-01", "status": "withdrawn"},
    ],
}
EXPECTED = {"Z": ("A", "opt_up_refused"), "B1": ("A", "default"), "a1": ("B", "default"),
            "W": ("C", "default")}


@pytest.mark.parametrize("warehouse", ["duckdb", "postgresql_en_us"])
def test_ties_break_in_code_point_order(pg_databases: Databases, tmp_path: Path,
                                        warehouse: str) -> None:
    url = pg_databases.new(EN_US) if warehouse != "duckdb" else None
    rows = PipelineRunner(tmp_path, url)(D, **SOURCE)
    assert {c: (r["abc_class"], r["mifid_basis"]) for c, r in rows.items()} == EXPECTED
