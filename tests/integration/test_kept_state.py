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

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner, lenient_policy
from kept_state_cases import (
    CLIENTS,
    FOLDERS,
    FX,
    Files,
    Rows,
    delivery,
    edge_snapshots,
    edge_trades,
    equivalent_nights,
    from_every_row,
    from_state,
    nights,
    run_two_nights,
)
from sources import write_source

from clientseg import kept_state


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
    assert equivalent_nights(tmp_path, p, d) == from_state(p)


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
    assert how == {table: f"from every row: file {table}/{file}.csv changed, vanished, was "
                          f"read again or holds rows dated on or before 2026-06-30",
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
