"""The kept state (kept_state.py) on the PostgreSQL warehouse: a night that starts from it
publishes what a run on an empty warehouse does (cases in tests/kept_state_cases.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from kept_state_cases import equivalent_nights, from_state
from pgdb import Databases


@pytest.mark.parametrize("p, d", [
    (date(2026, 6, 30), date(2026, 7, 1)),  # the next night
    (date(2026, 2, 28), date(2026, 3, 31)),  # a month later, month ends
])
def test_a_run_from_the_kept_state_publishes_what_a_full_run_does_on_postgres(
        tmp_path: Path, pg_databases: Databases, p: date, d: date) -> None:
    urls = (pg_databases.new(), pg_databases.new())
    assert equivalent_nights(tmp_path, p, d, urls) == from_state(p)
