"""Alerts: what a failure and a missed deadline report, through which notifier, and when the
deadline falls."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from airflow.sdk.exceptions import AirflowFailException
from webhook import WebhookReceiver

from clientseg import alerts, config
from clientseg.dag_tasks import on_task_failure
from clientseg.errors import SourceError

REASON = "clients: source table 'clients' is missing"


def failed_context(exc: BaseException, **extra: object) -> dict[str, object]:
    """An on_failure_callback context as Airflow passes it (only the keys the alert reads)."""
    ti = SimpleNamespace(dag_id="client_segmentation", task_id="extract", try_number=2,
                         run_id="manual__1")
    return {"ti": ti, "task_instance": ti, "run_id": "manual__1", "exception": exc,
            "params": {"as_of": "2026-06-30"}, **extra}


def pipeline_failure() -> AirflowFailException:
    """How dag_tasks.execute fails a task on a PipelineError."""
    try:
        try:
            raise SourceError(REASON)
        except SourceError as exc:
            raise AirflowFailException(str(exc)) from exc
    except AirflowFailException as failed:
        return failed


@pytest.fixture(autouse=True)
def no_configured_notifiers(monkeypatch, tmp_path):
    for env in (alerts.WEBHOOK_ENV, alerts.EMAIL_ENV, alerts.DEADLINE_ENV):
        monkeypatch.delenv(env, raising=False)
    # the callback also records the failure in the warehouse: never the developer's own
    monkeypatch.setenv(config.WAREHOUSE_ENV, f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


def test_failure_alert_names_dag_task_date_try_and_reason():
    alert = alerts.task_failure_alert(failed_context(pipeline_failure()))

    assert alert == alerts.Alert("task_failed", dag_id="client_segmentation", run_id="manual__1",
                                 as_of="2026-06-30", reason=REASON, task_id="extract",
                                 try_number="2")
    assert alert.text() == ("clientseg alert: task_failed dag=client_segmentation task=extract "
                            f"as_of=2026-06-30 try=2 run=manual__1 reason={REASON}")


def test_unexpected_error_is_reported_by_type_and_first_line():
    alert = alerts.task_failure_alert(failed_context(RuntimeError("disk full\ntraceback...")))
    assert alert.reason == "RuntimeError: disk full"


def test_scheduled_run_reports_the_day_before_its_logical_date():
    context = failed_context(RuntimeError("x"), params={},
                             logical_date=datetime(2026, 7, 1, 2, 0),
                             dag_run=SimpleNamespace(logical_date=None, run_after=None))
    assert alerts.task_failure_alert(context).as_of == "2026-06-30"


def test_by_default_the_alert_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="clientseg.alerts"):
        on_task_failure(failed_context(pipeline_failure()))
    assert [r.getMessage() for r in caplog.records] == [
        alerts.task_failure_alert(failed_context(pipeline_failure())).text()]


def test_webhook_receives_the_alert_as_json(monkeypatch):
    with WebhookReceiver() as hook:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, hook.url)
        on_task_failure(failed_context(pipeline_failure()))

    assert len(hook.received) == 1
    body = hook.received[0]
    assert body["content_type"] == "application/json"
    assert {k: body[k] for k in ("event", "dag_id", "task_id", "as_of", "try_number", "reason")
            } == {"event": "task_failed", "dag_id": "client_segmentation", "task_id": "extract",
                  "as_of": "2026-06-30", "try_number": "2", "reason": REASON}
    assert body["text"].startswith("clientseg alert: task_failed")


def test_unreachable_webhook_never_fails_the_callback_and_the_log_still_has_it(monkeypatch,
                                                                               caplog):
    with WebhookReceiver() as hook:
        url = hook.url
    monkeypatch.setenv(alerts.WEBHOOK_ENV, url)  # the server is gone: connection refused

    with caplog.at_level(logging.WARNING, logger="clientseg.alerts"):
        on_task_failure(failed_context(pipeline_failure()))

    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("clientseg alert: task_failed")
    assert messages[1].startswith("clientseg alert via WebhookNotifier failed:")


def test_configuration_chooses_the_notifiers(monkeypatch):
    alert = alerts.task_failure_alert(failed_context(pipeline_failure()))
    assert [type(n).__name__ for n in alerts.notifiers(alert)] == ["LogNotifier"]

    monkeypatch.setenv(alerts.WEBHOOK_ENV, "http://127.0.0.1:9/hook")
    monkeypatch.setenv(alerts.EMAIL_ENV, "ops@example.com")
    chosen = alerts.notifiers(alert)

    assert [type(n).__name__ for n in chosen] == ["LogNotifier", "WebhookNotifier",
                                                  "SmtpNotifier"]
    smtp = chosen[2]
    assert (smtp.to, smtp.smtp_conn_id) == ("ops@example.com", "smtp_default")
    assert smtp.subject == "[clientseg] task_failed: client_segmentation.extract as-of 2026-06-30"


@pytest.mark.parametrize(("deadline", "interval"), [
    pytest.param(None, timedelta(hours=4), id="default-06:00"),
    pytest.param("02:01", timedelta(minutes=1), id="one-minute-after-the-schedule"),
    pytest.param("02:00", timedelta(days=1), id="at-the-schedule-means-next-day"),
    pytest.param("01:59", timedelta(hours=23, minutes=59), id="before-the-schedule-next-day"),
    pytest.param("23:59", timedelta(hours=21, minutes=59), id="late-evening"),
])
def test_deadline_interval_runs_from_the_schedule_to_the_configured_time(monkeypatch, deadline,
                                                                        interval):
    if deadline:
        monkeypatch.setenv(alerts.DEADLINE_ENV, deadline)
    assert alerts.deadline_interval("0 2 * * *") == interval


@pytest.mark.parametrize("deadline", ["24:00", "6am", "06:60", "-1:00"])
def test_a_bad_deadline_setting_is_refused_with_its_name(monkeypatch, deadline):
    monkeypatch.setenv(alerts.DEADLINE_ENV, deadline)
    with pytest.raises(ValueError, match=f"{alerts.DEADLINE_ENV}='{deadline}': expected HH:MM"):
        alerts.deadline_interval("0 2 * * *")


def test_missed_deadline_callback_sends_the_alert(monkeypatch):
    """The context the scheduler gives a deadline callback: the DAG run as the REST API's
    fields, and the deadline."""
    context = {"dag_run": {"dag_id": "client_segmentation", "dag_run_id": "scheduled__x",
                           "logical_date": "2026-07-01T02:00:00Z", "conf": {}},
               "deadline": {"id": "d1", "deadline_time": "2026-07-01T06:00:00+00:00"}}
    with WebhookReceiver() as hook:
        monkeypatch.setenv(alerts.WEBHOOK_ENV, hook.url)
        text = asyncio.run(alerts.deadline_missed(context=context))

    assert text == ("clientseg alert: deadline_missed dag=client_segmentation task=- "
                    "as_of=2026-06-30 try=- run=scheduled__x "
                    "reason=not published by 2026-07-01T06:00:00+00:00")
    assert [b["text"] for b in hook.received] == [text]


def test_missed_deadline_of_a_rerun_names_its_as_of_param():
    context = {"dag_run": {"dag_id": "client_segmentation", "dag_run_id": "manual__y",
                           "logical_date": None, "run_after": "2026-07-09T10:00:00Z",
                           "conf": {"as_of": "2026-05-31"}}}
    assert alerts.deadline_alert(context).as_of == "2026-05-31"
