"""Cases for the kept state (kept_state.py), shared by the DuckDB and PostgreSQL tests: two
nights of folder deliveries whose rows sit on and next to every edge that moves between P and D.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from conftest import PipelineRunner
from dateutil.relativedelta import relativedelta
from marts import table_rows
from sources import write_source, write_table

Rows = list[dict[str, Any]]
Files = dict[str, dict[str, Rows]]  # table -> file name -> rows
CLIENTS = [{"client_id": f"K{i}"} for i in range(4)] + [
    {"client_id": "OPT_OLD"}, {"client_id": "OPT_NEW"}, {"client_id": "OPT_MID"}]
FX = [{"rate_date": "2020-01-01", "currency": "USD", "eur_per_unit": "0.5"},
      {"rate_date": "2025-01-15", "currency": "USD", "eur_per_unit": "0.8"}]
FOLDERS = {"transactions": "trade_date", "holdings": "as_of_date"}


def edge_dates(*days: date) -> list[date]:
    """Each day, and 12 and 24 months before it, and the days either side of those."""
    return sorted({edge + timedelta(days=shift) for day in days for months in (0, 12, 24)
                   for edge in [day - relativedelta(months=months)] for shift in (-1, 0, 1)})


def edge_trades(p: date, d: date) -> Rows:
    """Trades on every edge, spread over four clients; a fee of 2^i cents makes every sum
    tell which trades it holds. Notionals straddle 50,000 EUR, in EUR and in USD."""
    notionals = [("50000", "EUR"), ("49999.99", "EUR"), ("62500", "USD"), ("62499.99", "USD")]
    rows = []
    for i, day in enumerate(edge_dates(p, d)):
        notional, currency = notionals[i % 4]
        rows.append({"transaction_id": f"E{i:03d}", "client_id": f"K{i % 4}",
                     "trade_date": day.isoformat(), "fee": str(Decimal(2) ** i / 100),
                     "notional": notional, "currency": currency,
                     "status": "cancelled" if i % 7 == 6 else "executed"})
    return rows


def opt_up(client_id: str, received: date, snapshots: list[date]) -> tuple[Rows, Rows, Rows]:
    """A MiFID opt-up request received on `received`; 41 significant trades, the first dated on
    the day its window starts (so not counted) and the last on `received`; and a snapshot of a
    different value on each of `snapshots` (the opt-up criteria use the latest on or before R).
    """
    start = received - relativedelta(months=12)
    trades = [{"transaction_id": f"{client_id}-{k}", "client_id": client_id,
               "trade_date": (start + timedelta(days=9 * k)).isoformat(), "notional": "60000"}
              for k in range(40)]
    trades.append({"transaction_id": f"{client_id}-last", "client_id": client_id,
                   "trade_date": received.isoformat(), "notional": "60000"})
    request = {"request_id": f"R-{client_id}", "client_id": client_id,
               "requested_category": "professional", "received_date": received.isoformat()}
    holdings = [{"client_id": client_id, "as_of_date": day.isoformat(),
                 "market_value": str(490_000 + 7_000 * k)} for k, day in enumerate(snapshots)]
    return trades, [request], holdings


def edge_snapshots(p: date, d: date) -> Rows:
    """Holdings snapshots dated on and next to P and D, spread over the four clients; each
    snapshot has a portfolio row and a row counted in investable assets only, in EUR or USD."""
    rows = []
    days = sorted({day + timedelta(days=shift) for day in (p, d) for shift in (-1, 0, 1)})
    for i, day in enumerate(days):
        for asset_class, value in (("security", 2 ** i), ("precious_metal", 2 ** (i + 10))):
            rows.append({"client_id": f"K{(i * 3) % 4}", "as_of_date": day.isoformat(),
                         "asset_class": asset_class, "market_value": str(value),
                         "currency": "USD" if i % 2 else "EUR"})
    return rows


def delivery(root: Path, files: Files, requests: Rows = (), fx: Rows = FX) -> Path:
    """A landing directory whose transactions and holdings are folders of CSV files."""
    write_source(root, clients=CLIENTS, fx_rates=fx, categorisation_requests=list(requests))
    for table, table_files in files.items():
        (root / f"{table}.csv").unlink()
        folder = root / table
        folder.mkdir()
        for name, rows in table_files.items():
            write_table(folder, table, rows).rename(folder / name)
    return root


def nights(p: date, d: date, trades: Rows, holdings: Rows = ()) -> tuple[Files, Files]:
    """Night 1's files (the rows dated on or before P) and night 2's (plus the later ones)."""
    night1: Files = {}
    night2: Files = {}
    for table, rows in (("transactions", trades), ("holdings", list(holdings))):
        column = FOLDERS[table]
        old = [r for r in rows if date.fromisoformat(r[column]) <= p]
        new = [r for r in rows if date.fromisoformat(r[column]) > p]
        night1[table] = {"history.csv": old}
        night2[table] = {**night1[table], **({"new.csv": new} if new else {})}
    return night1, night2


def published(runner: PipelineRunner, as_of: date) -> list[tuple]:
    return table_rows(runner.url, "mart.client_segments_history",
                      f"where as_of_date = '{as_of}'", drop=("run_id",))


def run_two_nights(tmp_path: Path, p: date, d: date, night1: Path, night2: Path,
                   policy2: Any = None, compare: bool = True,
                   urls: tuple[str, str] | None = None) -> dict[str, str]:
    """Night 1 then night 2 on one warehouse; unless not `compare`, assert night 2 published
    what a run on an empty warehouse does (`urls`: the two warehouses, else DuckDB files).
    Returns how night 2 built each table's models, as its summary in ops.pipeline_runs says:
    {"transactions": "from the state kept for ...", "holdings": ...}."""
    runner = PipelineRunner(tmp_path / "nightly", urls[0] if urls else None)
    runner.root.mkdir()
    runner(p, source=night1)
    runner(d, policy2, source=night2)
    summary = runner.query("select summary from ops.pipeline_runs where run_id = :r",
                           r=f"test__{runner.runs}")[0]["summary"]
    if compare:
        fresh = PipelineRunner(tmp_path / "fresh", urls[1] if urls else None)
        fresh.root.mkdir()
        fresh(d, policy2, source=night2)
        assert published(runner, d) == published(fresh, d)
        assert len(published(fresh, d)) == len(CLIENTS)
    return json.loads(summary)["built_from"]


def from_state(p: date) -> dict[str, str]:
    return dict.fromkeys(FOLDERS, f"from the state kept for {p}")


def from_every_row(why: str) -> dict[str, str]:
    return dict.fromkeys(FOLDERS, f"from every row: {why}")


def equivalent_nights(tmp_path: Path, p: date, d: date,
                      urls: tuple[str, str] | None = None) -> dict[str, str]:
    """Every edge case of both tables, with MiFID opt-up requests received before P (kept after
    night 1) and on D (counted and read on night 2, from a snapshot dated after P, OPT_NEW, or
    the one kept for P, OPT_MID): night 2 publishes what a fresh run does (run_two_nights)."""
    day = timedelta(days=1)
    old_trades, old_request, old_holdings = opt_up("OPT_OLD", p - 3 * day,
                                                   [p - 43 * day, p - 2 * day])
    new_trades, new_request, new_holdings = opt_up("OPT_NEW", d, [p - day, d])
    mid_trades, mid_request, mid_holdings = opt_up("OPT_MID", d, [p - 5 * day])
    night1, night2 = nights(p, d, edge_trades(p, d) + old_trades + new_trades + mid_trades,
                            edge_snapshots(p, d) + old_holdings + new_holdings + mid_holdings)
    return run_two_nights(tmp_path, p, d, delivery(tmp_path / "n1", night1, old_request),
                          delivery(tmp_path / "n2", night2,
                                   old_request + new_request + mid_request), urls=urls)
