"""A task that fails without its step recording why (killed, out of memory, lost heartbeat):
the failure callback still leaves the run's row in ops.pipeline_runs failed, with a reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from clientseg import alerts, config
from clientseg.dag_tasks import on_task_failure
from clientseg.policy import load_policy
from clientseg.runlog import mark_failed, mark_published, start_run
from clientseg.runs import RunContext
from clientseg.schema import ensure_schema
from clientseg.warehouse import Warehouse

RUN_ID = "scheduled__2026-07-01T02:00:00+00:00"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv(config.WAREHOUSE_ENV, url)
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    monkeypatch.delenv(alerts.EMAIL_ENV, raising=False)
    wh = Warehouse(url)
    ensure_schema(wh)
    start_run(wh, RunContext(RUN_ID, date(2026, 6, 30), "source", url), load_policy())
    return wh


def fail_task(exc: BaseException | None) -> None:
    """Airflow's on_failure_callback for the transform task's last try."""
    ti = SimpleNamespace(dag_id="client_segmentation", task_id="transform", try_number=3,
                         run_id=RUN_ID)
    on_task_failure({"ti": ti, "task_instance": ti, "run_id": RUN_ID, "exception": exc,
                     "params": {"as_of": "2026-06-30"}})


def status_and_error(wh: Warehouse) -> tuple[str, str | None]:
    with wh.begin() as conn:
        row = conn.exec_driver_sql(
            "select status, error from ops.pipeline_runs where run_id = ?", (RUN_ID,)).one()
    return row[0], row[1]


def test_a_killed_task_leaves_its_run_failed(warehouse: Warehouse) -> None:
    fail_task(None)  # a killed process: Airflow passes no exception
    assert status_and_error(warehouse) == (
        "failed", "task transform failed (try 3): unknown (no exception in the callback context)")


def test_a_timed_out_task_gives_its_exception_as_the_reason(warehouse: Warehouse) -> None:
    fail_task(TimeoutError("task exceeded its execution_timeout\ntraceback"))
    assert status_and_error(warehouse) == ("failed", "task transform failed (try 3): "
                                           "TimeoutError: task exceeded its execution_timeout")


def test_the_reason_its_step_recorded_is_kept(warehouse: Warehouse) -> None:
    run = RunContext(RUN_ID, date(2026, 6, 30), "source", warehouse.url)
    mark_failed(warehouse, run, "output check failed, nothing published: ...")
    fail_task(RuntimeError("output check failed"))
    assert status_and_error(warehouse) == (
        "failed", "output check failed, nothing published: ...")


def test_a_published_run_stays_published(warehouse: Warehouse) -> None:
    run = RunContext(RUN_ID, date(2026, 6, 30), "source", warehouse.url)
    with warehouse.begin() as conn:
        mark_published(conn, run, 10, {})
    fail_task(RuntimeError("the report could not be written"))  # a task after publish
    assert status_and_error(warehouse) == ("published", None)


def test_the_reason_is_kept_in_process_when_the_warehouse_cannot_record_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse locked or gone: `clientseg run` (the tasks run in its process) still says
    why (dag_tasks.FAILURES)."""
    from clientseg.dag_tasks import FAILURES

    monkeypatch.setenv(config.WAREHOUSE_ENV, f"duckdb:///{tmp_path / 'no-such-dir' / 'w.duckdb'}")
    monkeypatch.delenv(alerts.WEBHOOK_ENV, raising=False)
    monkeypatch.delenv(alerts.EMAIL_ENV, raising=False)
    fail_task(OSError("Could not set lock on file"))
    assert FAILURES[RUN_ID] == "task transform failed (try 3): OSError: Could not set lock on file"
