"""Alerts on the real DAG: the deadline it carries, and a real failed run (`dag.test()`) whose
task callback sends DAG, task, as-of date, try number and reason to a webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from airflow.models.dagbag import DagBag
from airflow.sdk import DeadlineReference
from webhook import WebhookReceiver

from clientseg import alerts, config
from clientseg.dag_tasks import on_task_failure
from clientseg.warehouse import Warehouse

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "client_segmentation.py"


def parse_dag():
    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.get_dag("client_segmentation")


@pytest.mark.parametrize(("setting", "interval"), [
    pytest.param(None, timedelta(hours=4), id="default-06:00-UTC"),
    pytest.param("07:30", timedelta(hours=5, minutes=30), id="configured-07:30-UTC"),
])
def test_dag_has_a_publish_deadline_after_it_is_queued(monkeypatch, setting, interval):
    if setting:
        monkeypatch.setenv(alerts.DEADLINE_ENV, setting)
    else:
        monkeypatch.delenv(alerts.DEADLINE_ENV, raising=False)

    (deadline,) = parse_dag().deadline

    assert deadline.interval == interval
    assert deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert deadline.callback.path == "clientseg.alerts.deadline_missed"


def test_deadline_can_be_switched_off(monkeypatch):
    """What `clientseg run` does: dag.test() cannot run a DAG with a deadline (Airflow 3.3.2)."""
    monkeypatch.setenv(alerts.DEADLINE_ENV, "off")
    assert not parse_dag().deadline


def test_every_task_alerts_on_failure():
    assert {t.task_id: t.on_failure_callback for t in parse_dag().tasks} == {
        t.task_id: [on_task_failure] for t in parse_dag().tasks}


@pytest.mark.e2e
def test_failed_run_sends_the_task_alert_with_its_reason(monkeypatch, tmp_path):
    """A source without its tables: extract fails at once (bad input is not retried although the
    task has retries), the callback posts the alert, ops.pipeline_runs holds the same reason."""
    empty_source = tmp_path / "landing"
    empty_source.mkdir()
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    dag = parse_dag()
    assert dag.get_task("extract").retries >= 2

    with WebhookReceiver() as hook:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, hook.url)
        monkeypatch.setenv(config.SOURCE_ENV, str(empty_source))
        monkeypatch.setenv(config.WAREHOUSE_ENV, url)
        dag_run = dag.test(logical_date=datetime.now(UTC), run_conf={"as_of": "2026-06-30"})

    assert dag_run.state == "failed"
    (alert,) = hook.received
    with Warehouse(url).begin() as conn:
        error = conn.execute(sa.text("select error from ops.pipeline_runs where run_id = :r"),
                             {"r": dag_run.run_id}).scalar_one()
    assert {k: alert[k] for k in ("event", "dag_id", "task_id", "as_of", "try_number", "run_id",
                                  "reason")} == {
        "event": "task_failed", "dag_id": "client_segmentation", "task_id": "extract",
        "as_of": "2026-06-30", "try_number": "1", "run_id": dag_run.run_id, "reason": error}
    assert "source table 'fx_rates' is missing" in error
