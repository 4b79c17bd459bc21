"""Tiny literal sources for tests: give only the columns that matter, the rest is filled in."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from clientseg.contract import BY_NAME

DEFAULTS: dict[str, dict[str, Any]] = {
    "clients": {
        "client_type": "individual", "country": "CH", "onboarding_date": "2020-01-01",
        "updated_at": "2020-01-01T00:00:00",
    },
    "holdings": {"asset_class": "security", "currency": "EUR", "as_of_date": "2026-03-31"},
    "transactions": {
        "instrument_class": "equity", "market": "XSWX", "side": "buy", "notional": "1000",
        "currency": "EUR", "fee": "10", "status": "executed",
    },
    "fx_rates": {},
    "categorisation_requests": {"regime": "mifid", "status": "accepted"},
}  # fmt: skip


def write_table(root: Path, table: str, rows: list[dict[str, Any]]) -> Path:
    """Write `table`.csv with every contract column; missing values take the defaults."""
    columns = BY_NAME[table].column_names
    path = root / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow(row_as_written(table, i, row))
    return path


def row_as_written(table: str, i: int, row: dict[str, Any]) -> dict[str, str]:
    """Row `i` of `table` as write_table writes it: every column as text, defaults filled in."""
    full = {**DEFAULTS[table], **row}
    if table == "transactions":
        full.setdefault("transaction_id", f"T{i:06d}")
    if table == "categorisation_requests":
        full.setdefault("request_id", f"R{i:06d}")
    return {c: _text(full.get(c)) for c in BY_NAME[table].column_names}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_source(root: Path, **tables: list[dict[str, Any]]) -> Path:
    """A landing directory with all five tables (empty ones get only a header row)."""
    root.mkdir(parents=True, exist_ok=True)
    for table in BY_NAME:
        write_table(root, table, tables.get(table, []))
    return root
