"""Alerts: a task that failed, or a nightly run not finished by its deadline, sent through
Airflow notifiers chosen by configuration.

Every alert is logged (LogNotifier); CLIENTSEG_ALERT_WEBHOOK adds a JSON POST to that URL
(WebhookNotifier, standard library only); CLIENTSEG_ALERT_EMAIL adds an e-mail through the SMTP
provider's SmtpNotifier and the Airflow connection CLIENTSEG_ALERT_SMTP_CONN_ID (default
`smtp_default`). CLIENTSEG_DEADLINE (HH:MM UTC, default 06:00; `off` for none) is when the
nightly run must have published. Imported by the DAG file: nothing heavy at module level.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import json
import logging
import os
import re
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import AsyncCallback, BaseNotifier, DeadlineAlert, DeadlineReference

log = logging.getLogger(__name__)

WEBHOOK_ENV = "CLIENTSEG_ALERT_WEBHOOK"
EMAIL_ENV = "CLIENTSEG_ALERT_EMAIL"
SMTP_CONN_ENV = "CLIENTSEG_ALERT_SMTP_CONN_ID"
DEADLINE_ENV = "CLIENTSEG_DEADLINE"
DEFAULT_DEADLINE = "06:00"
DEADLINE_OFF = "off"


@dataclasses.dataclass(frozen=True)
class Alert:
    """What an operator needs to act: which run, which task and try, which date, why."""

    event: str  # task_failed | deadline_missed
    dag_id: str
    run_id: str
    as_of: str
    reason: str
    task_id: str = "-"
    try_number: str = "-"

    def text(self) -> str:
        return (f"clientseg alert: {self.event} dag={self.dag_id} task={self.task_id} "
                f"as_of={self.as_of} try={self.try_number} run={self.run_id} "
                f"reason={self.reason}")

    def subject(self) -> str:
        return f"[clientseg] {self.event}: {self.dag_id}.{self.task_id} as-of {self.as_of}"

    def payload(self) -> dict[str, str]:
        return {**dataclasses.asdict(self), "text": self.text()}


class LogNotifier(BaseNotifier):
    """Writes the alert to the log (the task log, or the triggerer's for a deadline)."""

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert

    def notify(self, context: Any) -> None:
        log.error("%s", self.alert.text())

    async def async_notify(self, context: Any) -> None:
        self.notify(context)


class WebhookNotifier(BaseNotifier):
    """POSTs the alert as JSON (Alert.payload) to a URL: chat webhooks, incident tools."""

    def __init__(self, url: str, alert: Alert, timeout: float = 10.0) -> None:
        super().__init__()
        self.url, self.alert, self.timeout = url, alert, timeout

    def notify(self, context: Any) -> None:
        request = urllib.request.Request(
            self.url, data=json.dumps(self.alert.payload()).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()

    async def async_notify(self, context: Any) -> None:
        await asyncio.to_thread(self.notify, context)


def notifiers(alert: Alert) -> list[BaseNotifier]:
    """The notifiers the environment configures: the log always, then webhook and e-mail."""
    chosen: list[BaseNotifier] = [LogNotifier(alert)]
    if os.environ.get(WEBHOOK_ENV):
        chosen.append(WebhookNotifier(os.environ[WEBHOOK_ENV], alert))
    if os.environ.get(EMAIL_ENV):
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        chosen.append(SmtpNotifier(
            to=os.environ[EMAIL_ENV], subject=alert.subject(),
            html_content=f"<pre>{html.escape(alert.text())}</pre>",
            smtp_conn_id=os.environ.get(SMTP_CONN_ENV) or "smtp_default"))
    return chosen


def send(alert: Alert, context: Any = None) -> list[str]:
    """Send through every configured notifier; one that fails is logged, never raised."""
    sent = []
    for notifier in notifiers(alert):
        try:
            notifier.notify(context or {})
            sent.append(type(notifier).__name__)
        except Exception as exc:  # noqa: BLE001 - an alert must never fail the caller
            log.warning("clientseg alert via %s failed: %s", type(notifier).__name__, exc)
    return sent


def failure_reason(exc: BaseException | None) -> str:
    """The one-line reason of a task's failure (the pipeline's own message when it has one)."""
    if exc is None:
        return "unknown (no exception in the callback context)"
    from clientseg.errors import PipelineError
    from clientseg.steps import one_line

    cause = exc.__cause__
    return one_line(cause if isinstance(cause, PipelineError) else exc)


def task_failure_alert(context: dict[str, Any]) -> Alert:
    """The alert for a task's on_failure_callback context."""
    from clientseg.dag_tasks import as_of_date

    ti = context.get("task_instance") or context.get("ti")
    try:
        as_of = as_of_date(context).isoformat()
    except Exception:  # noqa: BLE001 - the alert goes out even without a date
        as_of = "unknown"
    return Alert("task_failed", dag_id=str(getattr(ti, "dag_id", "?")),
                 run_id=str(context.get("run_id") or getattr(ti, "run_id", "?")), as_of=as_of,
                 reason=failure_reason(context.get("exception")),
                 task_id=str(getattr(ti, "task_id", "?")),
                 try_number=str(getattr(ti, "try_number", "?")))


def deadline_alert(context: dict[str, Any]) -> Alert:
    """The alert for a missed deadline; `context` is what the scheduler passes (dag_run as a
    dict of the REST API's DAG run fields, and the deadline)."""
    from clientseg.dag_tasks import default_as_of

    run = context.get("dag_run") or {}
    moment = run.get("logical_date") or run.get("run_after")
    as_of = (run.get("conf") or {}).get("as_of") or (
        default_as_of(datetime.fromisoformat(str(moment))).isoformat() if moment else "unknown")
    deadline = (context.get("deadline") or {}).get("deadline_time", "its deadline")
    return Alert("deadline_missed", dag_id=str(run.get("dag_id", "?")),
                 run_id=str(run.get("dag_run_id") or run.get("run_id") or "?"),
                 as_of=str(as_of), reason=f"not published by {deadline}")


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """The deadline alert's callback (runs in the triggerer); returns the alert text."""
    alert = deadline_alert(context or {})
    await asyncio.to_thread(send, alert, context)
    return alert.text()


def deadline_interval(schedule: str, deadline: str | None = None) -> timedelta:
    """From the daily cron `schedule` ("M H * * *") to `deadline` (HH:MM UTC, from
    CLIENTSEG_DEADLINE by default), the next day when it is not later."""
    text = deadline or os.environ.get(DEADLINE_ENV) or DEFAULT_DEADLINE
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", text.strip())
    if not match:
        raise ValueError(f"{DEADLINE_ENV}={text!r}: expected HH:MM (UTC)")
    target = timedelta(hours=int(match[1]), minutes=int(match[2]))
    minute, hour = (int(part) for part in schedule.split()[:2])
    interval = target - timedelta(hours=hour, minutes=minute)
    return interval if interval > timedelta(0) else interval + timedelta(days=1)


def publish_deadline(schedule: str) -> DeadlineAlert | None:
    """The DAG's deadline alert: the run must finish within the interval after it was queued
    (queued, not logical date: a backfill of an old date is not late from the start).

    None when CLIENTSEG_DEADLINE is `off`: `dag.test()` (hence `clientseg run`, which has no
    scheduler to watch deadlines anyway) fails on a successful run of a DAG with a deadline in
    Airflow 3.3.2 (its test DAG keeps the alerts as dicts, not the ids the scheduler expects).
    """
    if (os.environ.get(DEADLINE_ENV) or "").strip().lower() == DEADLINE_OFF:
        return None
    return DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT,
                         interval=deadline_interval(schedule),
                         callback=AsyncCallback(deadline_missed), name="clientseg publish")
