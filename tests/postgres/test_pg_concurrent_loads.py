"""Two runs at once on one PostgreSQL warehouse: a run's load waits for another run's
uncommitted writes to the client versions and the stores, instead of adding the same rows
beside them (READ COMMITTED hides uncommitted rows: both runs would insert a new file's rows).

The other run is stood for by a transaction holding the lock its inserts take (row exclusive).
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import lenient_policy
from pgdb import Databases
from sources import write_source

from clientseg.runs import RunContext
from clientseg.steps import run_step, step_extract, step_load, step_validate
from clientseg.warehouse import Warehouse

AS_OF = date(2026, 6, 30)


def folder_source(root: Path) -> Path:
    source = write_source(root, clients=[{"client_id": "C1"}],
                          transactions=[{"client_id": "C1", "trade_date": "2026-06-01"}])
    (source / "transactions").mkdir()
    (source / "transactions.csv").rename(source / "transactions" / "2026-06-01.csv")
    return source


@pytest.mark.parametrize("table", ["staging.client_versions", "staging.source_files",
                                   "staging.store_transactions"])
def test_a_load_waits_for_another_runs_uncommitted_writes(
        pg_databases: Databases, tmp_path: Path, table: str) -> None:
    url = pg_databases.new()
    run = RunContext("test__waits", AS_OF, str(folder_source(tmp_path / "src")), url)
    policy = lenient_policy()
    validated = run_step(step_validate, run, policy, run_step(step_extract, run, policy))
    outcome: dict[str, Any] = {}

    def load() -> None:
        try:
            outcome["loaded"] = run_step(step_load, run, policy, validated)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    other = Warehouse(url).engine.connect()
    try:
        other.execute(sa.text(f"lock table {table} in row exclusive mode"))  # its inserts' lock
        loading = threading.Thread(target=load)
        loading.start()
        loading.join(timeout=5)
        assert loading.is_alive(), f"the load did not wait for the other run's {table}"
    finally:
        other.rollback()
        other.close()
    loading.join(timeout=120)
    assert not loading.is_alive() and "error" not in outcome, outcome
