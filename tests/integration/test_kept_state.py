"""A run starts from the state kept by an earlier run (kept_state.py) only when nothing the
state was built from changed, and then publishes exactly what a run over every row does.

Each case runs night 1 (for P) and night 2 (for D) on one warehouse, and compares every
published column of night 2 with a run of night 2's delivery on an empty warehouse. Trades sit
on and next to every window edge of P and of D, with distinct fees (powers of two) and
notionals on both sides of the significant size; holdings snapshots sit on and next to P and D.
A trade counted in the wrong window or twice, a stale snapshot, or an amount converted at a
stale rate changes a published figure.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner, lenient_policy
from dateutil.relativedelta import relativedelta
from marts import table_rows
from sources import write_source, write_table

from clientseg import kept_state

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


class Messages(logging.Handler):
    """The messages of one logger (Airflow's logging set-up bypasses pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_two_nights(tmp_path: Path, p: date, d: date, night1: Path, night2: Path,
                   policy2: Any = None, compare: bool = True) -> dict[str, str]:
    """Night 1 then night 2 on one warehouse; unless not `compare`, assert night 2 published
    what a run on an empty warehouse does. Returns how night 2 built each table's models, from
    its log: {"transactions": "from the state kept for ...", "holdings": ...}."""
    runner = PipelineRunner(tmp_path / "nightly")
    runner.root.mkdir()
    runner(p, source=night1)
    logger, handler = logging.getLogger("clientseg.transform"), Messages()
    logger.addHandler(handler)
    try:
        runner(d, policy2, source=night2)
    finally:
        logger.removeHandler(handler)
    how = dict(m.split(": ", 1) for m in handler.messages
               if m.split(":")[0] in FOLDERS)
    if compare:
        fresh = PipelineRunner(tmp_path / "fresh")
        fresh.root.mkdir()
        fresh(d, policy2, source=night2)
        assert published(runner, d) == published(fresh, d)
        assert len(published(fresh, d)) == len(CLIENTS)
    return how


def from_state(p: date) -> dict[str, str]:
    return dict.fromkeys(FOLDERS, f"from the state kept for {p}")


def from_every_row(why: str) -> dict[str, str]:
    return dict.fromkeys(FOLDERS, f"from every row: {why}")


@pytest.mark.parametrize("p, d", [
    (date(2026, 6, 30), date(2026, 7, 1)),  # the next night
    (date(2026, 6, 30), date(2026, 6, 30)),  # the same night again
    (date(2026, 2, 28), date(2026, 3, 31)),  # a month later, month ends
    (date(2024, 2, 28), date(2024, 2, 29)),  # leap day: D - 12 months is P - 12 months
    (date(2024, 2, 29), date(2024, 3, 1)),
    (date(2026, 6, 30), date(2027, 6, 30)),  # the longest gap: D - 12 months is P
])
def test_a_run_from_the_kept_state_publishes_what_a_full_run_does(
        tmp_path: Path, p: date, d: date) -> None:
    day = timedelta(days=1)
    # received before P: kept after night 1; received on D: counted or read on night 2, from
    # a snapshot dated after P (OPT_NEW) or the one kept for P (OPT_MID)
    old_trades, old_request, old_holdings = opt_up("OPT_OLD", p - 3 * day,
                                                   [p - 43 * day, p - 2 * day])
    new_trades, new_request, new_holdings = opt_up("OPT_NEW", d, [p - day, d])
    mid_trades, mid_request, mid_holdings = opt_up("OPT_MID", d, [p - 5 * day])
    night1, night2 = nights(p, d, edge_trades(p, d) + old_trades + new_trades + mid_trades,
                            edge_snapshots(p, d) + old_holdings + new_holdings + mid_holdings)
    how = run_two_nights(tmp_path, p, d, delivery(tmp_path / "n1", night1, old_request),
                         delivery(tmp_path / "n2", night2,
                                  old_request + new_request + mid_request))
    assert how == from_state(p)


P, D = date(2026, 6, 30), date(2026, 7, 1)


def both_nights(tmp_path: Path, p: date = P, d: date = D, fx2: Rows = FX
                ) -> tuple[Files, Files, Path]:
    """Night 1's files, night 2's files, and night 1's delivery."""
    night1, night2 = nights(p, d, edge_trades(p, d), edge_snapshots(p, d))
    return night1, night2, delivery(tmp_path / "n1", night1)


def test_a_rate_after_the_state_is_used_with_the_state(tmp_path: Path) -> None:
    later = [*FX, {"rate_date": "2026-07-01", "currency": "USD", "eur_per_unit": "0.25"}]
    _, night2, night1 = both_nights(tmp_path)
    how = run_two_nights(tmp_path, P, D, night1, delivery(tmp_path / "n2", night2, fx=later))
    assert how == from_state(P)


def test_a_changed_rate_on_or_before_the_state_reads_every_row(tmp_path: Path) -> None:
    corrected = [FX[0], {**FX[1], "eur_per_unit": "0.75"}]
    _, night2, night1 = both_nights(tmp_path)
    how = run_two_nights(tmp_path, P, D, night1,
                         delivery(tmp_path / "n2", night2, fx=corrected), compare=False)
    assert how == from_every_row("FX rates dated on or before 2026-06-30 changed")


def test_more_than_a_window_later_reads_every_row(tmp_path: Path) -> None:
    d = date(2027, 7, 1)
    _, night2, night1 = both_nights(tmp_path, d=d)
    how = run_two_nights(tmp_path, P, d, night1, delivery(tmp_path / "n2", night2),
                         compare=False)
    assert how == from_every_row("the kept state (2026-06-30) is more than a window before "
                                 "2027-07-01")


@pytest.mark.parametrize("setting, value", [("significant_notional_eur", 49999.99),
                                            ("excluded_from_investable", ["pension"])])
def test_a_changed_measure_setting_reads_every_row(tmp_path: Path, setting: str,
                                                   value: Any) -> None:
    policy = lenient_policy()
    policy.settings["measures"][setting] = value
    _, night2, night1 = both_nights(tmp_path)
    how = run_two_nights(tmp_path, P, D, night1, delivery(tmp_path / "n2", night2), policy,
                         compare=False)
    assert how == from_every_row("the policy's measure settings changed")


@pytest.mark.parametrize("table", FOLDERS)
@pytest.mark.parametrize("change", ["corrected", "vanished", "late"])
def test_a_changed_vanished_or_late_file_reads_every_row_of_its_table(
        tmp_path: Path, table: str, change: str) -> None:
    night1, night2 = nights(P, D, edge_trades(P, D), edge_snapshots(P, D))
    rows = night1[table]["history.csv"]
    if change == "corrected":
        night2[table]["history.csv"] = [{**rows[0], "client_id": "K3"}, *rows[1:]]
    elif change == "vanished":
        night1[table] = {"history.csv": rows[:2], "more.csv": rows[2:]}
        night2[table]["history.csv"] = rows[:2]
    else:
        night2[table]["late.csv"] = [{**rows[-1], "client_id": "K3", "transaction_id": "LATE"}]
    how = run_two_nights(tmp_path, P, D, delivery(tmp_path / "n1", night1),
                         delivery(tmp_path / "n2", night2), compare=change == "late")
    file = {"corrected": "history", "vanished": "more", "late": "late"}[change]
    other = next(t for t in FOLDERS if t != table)
    assert how == {table: f"from every row: file {table}/{file}.csv changed, vanished or "
                          f"holds rows dated on or before 2026-06-30",
                   other: f"from the state kept for {P}"}


def test_a_backfill_reads_every_row_and_keeps_the_nightly_state(tmp_path: Path) -> None:
    _, night2, _ = both_nights(tmp_path)
    source = delivery(tmp_path / "n2", night2)
    how = run_two_nights(tmp_path, D, P - timedelta(days=40), source, source, compare=False)
    assert how == from_every_row("the kept state is for a later date (2026-07-01)")
    kept = PipelineRunner(tmp_path / "nightly").query(f"select as_of from {kept_state.META}")
    assert kept == [{"as_of": D}]


def test_tables_read_in_full_keep_no_state(tmp_path: Path) -> None:
    one_file = write_source(tmp_path / "src", clients=CLIENTS, fx_rates=FX,
                            transactions=edge_trades(P, D), holdings=edge_snapshots(P, D))
    how = run_two_nights(tmp_path, P, D, one_file, one_file, compare=False)
    assert how == from_every_row("not a folder delivery (read in full every run)")
    assert PipelineRunner(tmp_path / "nightly").query(
        "select count(*) as n from information_schema.tables "
        "where table_name like 'kept_%'") == [{"n": 0}]
