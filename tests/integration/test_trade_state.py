"""A run starts from the trade state kept by an earlier run (trade_state.py) only when nothing
the state was built from changed, and then publishes exactly what a run over every trade does.

Each case runs night 1 (for P) and night 2 (for D) on one warehouse, and compares every
published column of night 2 with a run of night 2's delivery on an empty warehouse. The trades
sit on and next to every window edge of P and of D, with distinct fees (powers of two) and
notionals on both sides of the significant size, so a trade counted in the wrong window, or
twice, or converted at a stale rate, changes a published figure.
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

from clientseg import trade_state

Rows = list[dict[str, Any]]
CLIENTS = [{"client_id": f"K{i}"} for i in range(4)] + [
    {"client_id": "OPT_OLD"}, {"client_id": "OPT_NEW"}]
FX = [{"rate_date": "2020-01-01", "currency": "USD", "eur_per_unit": "0.5"},
      {"rate_date": "2025-01-15", "currency": "USD", "eur_per_unit": "0.8"}]


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


def opt_up(client_id: str, received: date) -> tuple[Rows, Rows]:
    """A MiFID opt-up request received on `received`, and 41 significant trades, the first of
    which is dated on the day its window starts (so not counted) and the last on `received`."""
    start = received - relativedelta(months=12)
    trades = [{"transaction_id": f"{client_id}-{k}", "client_id": client_id,
               "trade_date": (start + timedelta(days=9 * k)).isoformat(), "notional": "60000"}
              for k in range(40)]
    trades.append({"transaction_id": f"{client_id}-last", "client_id": client_id,
                   "trade_date": received.isoformat(), "notional": "60000"})
    request = {"request_id": f"R-{client_id}", "client_id": client_id,
               "requested_category": "professional", "received_date": received.isoformat()}
    return trades, [request]


def delivery(root: Path, files: dict[str, Rows], requests: Rows = (), fx: Rows = FX) -> Path:
    """A landing directory whose transactions are a folder: one CSV per name of `files`."""
    write_source(root, clients=CLIENTS, fx_rates=fx, categorisation_requests=list(requests))
    (root / "transactions.csv").unlink()
    folder = root / "transactions"
    folder.mkdir()
    for name, rows in files.items():
        write_table(folder, "transactions", rows).rename(folder / name)
    return root


def nights(p: date, d: date, trades: Rows) -> tuple[dict, dict]:
    """Night 1's files (the trades on or before P) and night 2's (plus the later ones)."""
    old = [t for t in trades if date.fromisoformat(t["trade_date"]) <= p]
    new = [t for t in trades if date.fromisoformat(t["trade_date"]) > p]
    night1 = {"history.csv": old}
    return night1, {**night1, **({"new.csv": new} if new else {})}


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
                   policy2: Any = None, compare: bool = True) -> str:
    """Night 1 then night 2 on one warehouse; unless not `compare`, assert night 2 published
    what a run on an empty warehouse does; return how night 2 computed its trading measures
    (its log)."""
    runner = PipelineRunner(tmp_path / "nightly")
    runner.root.mkdir()
    runner(p, source=night1)
    logger, handler = logging.getLogger("clientseg.transform"), Messages()
    logger.addHandler(handler)
    try:
        runner(d, policy2, source=night2)
    finally:
        logger.removeHandler(handler)
    started = [m for m in handler.messages if m.startswith("trading measures")][-1]
    if not compare:
        return started
    fresh = PipelineRunner(tmp_path / "fresh")
    fresh.root.mkdir()
    fresh(d, policy2, source=night2)
    assert published(runner, d) == published(fresh, d)
    assert len(published(fresh, d)) == len(CLIENTS)
    return started


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
    old_trades, old_request = opt_up("OPT_OLD", p - timedelta(days=3))
    new_trades, new_request = opt_up("OPT_NEW", d)
    night1, night2 = nights(p, d, edge_trades(p, d) + old_trades + new_trades)
    started = run_two_nights(
        tmp_path, p, d, delivery(tmp_path / "n1", night1, old_request),
        delivery(tmp_path / "n2", night2, old_request + new_request))
    assert started == f"trading measures from the state kept for {p}"


def test_a_window_or_more_later_aggregates_every_trade(
        tmp_path: Path) -> None:
    p, d = date(2026, 6, 30), date(2027, 7, 1)
    night1, night2 = nights(p, d, edge_trades(p, d))
    started = run_two_nights(tmp_path, p, d, delivery(tmp_path / "n1", night1),
                             delivery(tmp_path / "n2", night2), compare=False)
    assert started.startswith("trading measures from all trades: the kept state (2026-06-30)")


P, D = date(2026, 6, 30), date(2026, 7, 1)


def test_a_changed_rate_on_or_before_the_state_aggregates_every_trade(
        tmp_path: Path) -> None:
    night1, night2 = nights(P, D, edge_trades(P, D))
    corrected = [FX[0], {**FX[1], "eur_per_unit": "0.75"}]
    started = run_two_nights(tmp_path, P, D, delivery(tmp_path / "n1", night1),
                             delivery(tmp_path / "n2", night2, fx=corrected), compare=False)
    assert started == ("trading measures from all trades: FX rates dated on or before "
                       "2026-06-30 changed")


def test_a_rate_after_the_state_is_used_from_the_state(
        tmp_path: Path) -> None:
    night1, night2 = nights(P, D, edge_trades(P, D))
    later = [*FX, {"rate_date": "2026-07-01", "currency": "USD", "eur_per_unit": "0.25"}]
    started = run_two_nights(tmp_path, P, D, delivery(tmp_path / "n1", night1),
                             delivery(tmp_path / "n2", night2, fx=later))
    assert started == "trading measures from the state kept for 2026-06-30"


@pytest.mark.parametrize("change, reason", [
    ("corrected", "transaction file transactions/history.csv changed, vanished or holds"),
    ("vanished", "transaction file transactions/more.csv changed, vanished or holds"),
    ("late", "transaction file transactions/late.csv changed, vanished or holds"),
])
def test_a_changed_vanished_or_late_file_aggregates_every_trade(
        tmp_path: Path, change: str, reason: str) -> None:
    trades = edge_trades(P, D)
    night1, night2 = nights(P, D, trades)
    if change == "corrected":
        first, *rest = night2["history.csv"]
        night2["history.csv"] = [{**first, "fee": "1000"}, *rest]
    elif change == "vanished":
        half = len(trades) // 4
        night1 = {"history.csv": night1["history.csv"][:half],
                  "more.csv": night1["history.csv"][half:]}
        night2 = {"history.csv": night1["history.csv"], "new.csv": night2["new.csv"]}
    else:
        night2["late.csv"] = [{"transaction_id": "LATE", "client_id": "K1",
                               "trade_date": "2026-06-30", "fee": "1000"}]
    started = run_two_nights(tmp_path, P, D, delivery(tmp_path / "n1", night1),
                             delivery(tmp_path / "n2", night2), compare=False)
    assert started.startswith(f"trading measures from all trades: {reason}")


def test_a_changed_significant_size_aggregates_every_trade(
        tmp_path: Path) -> None:
    night1, night2 = nights(P, D, edge_trades(P, D))
    policy = lenient_policy()
    policy.settings["measures"]["significant_notional_eur"] = 49999.99
    started = run_two_nights(tmp_path, P, D, delivery(tmp_path / "n1", night1),
                             delivery(tmp_path / "n2", night2), policy, compare=False)
    assert started == ("trading measures from all trades: the policy's window or significant "
                       "size changed")


def test_a_backfill_aggregates_every_trade_and_keeps_the_nightly_state(
        tmp_path: Path) -> None:
    night1, night2 = nights(P, D, edge_trades(P, D))
    source = delivery(tmp_path / "n2", night2)
    earlier = P - timedelta(days=40)
    started = run_two_nights(tmp_path, D, earlier, source, source, compare=False)
    assert started == "trading measures from all trades: the kept state is for a later date " \
                      "(2026-07-01)"
    kept = PipelineRunner(tmp_path / "nightly").query(f"select as_of from {trade_state.META}")
    assert kept == [{"as_of": D}]


def test_transactions_read_in_full_keep_no_state(tmp_path: Path) -> None:
    trades = edge_trades(P, D)
    one_file = write_source(tmp_path / "src", clients=CLIENTS, fx_rates=FX, transactions=trades)
    started = run_two_nights(tmp_path, P, D, one_file, one_file, compare=False)
    assert started == ("trading measures from all trades: transactions are not a folder "
                       "delivery (read in full every run)")
    assert PipelineRunner(tmp_path / "nightly").query(
        "select count(*) as n from information_schema.tables "
        "where table_name like 'trade_state%'") == [{"n": 0}]
