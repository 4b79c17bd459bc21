"""Glue between Airflow tasks and the pipeline steps: the run's context, failures, alerts.

Imported by the DAG file at parse time, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)


def as_of_date(context: dict[str, Any]) -> date:
    """The `as_of` param if given, else the day before the run's logical date (or run_after)."""
    param = (context.get("params") or {}).get("as_of")
    if param:
        return date.fromisoformat(str(param))
    dag_run = context["dag_run"]
    return default_as_of(context.get("logical_date") or dag_run.logical_date or dag_run.run_after)


def default_as_of(moment: datetime) -> date:
    """A scheduled run's as-of date: the business day that closed before it started."""
    return moment.date() - timedelta(days=1)


def run_context(context: dict[str, Any]) -> Any:
    from clientseg import config
    from clientseg.runs import RunContext

    return RunContext(context["run_id"], as_of_date(context), config.source_location(),
                      config.warehouse_url())


def execute(step_name: str, context: dict[str, Any], *inputs: dict[str, Any]) -> dict[str, Any]:
    """Run one pipeline step for this Airflow run; bad data fails at once, without retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from clientseg import steps
    from clientseg.errors import PipelineError
    from clientseg.policy import load_policy

    run = run_context(context)
    log.info("step %s for as-of %s (run %s)", step_name, run.as_of, run.run_id)
    try:
        return steps.run_step(getattr(steps, f"step_{step_name}"), run, load_policy(), *inputs)
    except PipelineError as exc:
        raise AirflowFailException(str(exc)) from exc


# The last failure of each run seen by this process: `clientseg run` (dag.test runs the tasks
# in its own process) says it when the warehouse, locked or gone, could not record it.
FAILURES: dict[str, str] = {}


def on_task_failure(context: dict[str, Any]) -> None:
    """Task-level failure callback (the DAG-level one may never fire in Airflow 3.1-3.3):
    DAG, task, as-of date, try number and reason, through the configured notifiers; then the
    run's row in ops.pipeline_runs says failed, even if the task died before its step could."""
    try:
        from clientseg.alerts import send, task_failure_alert

        alert = task_failure_alert(context)
        send(alert, context)
    except Exception:  # noqa: BLE001 - a callback must never raise
        log.exception("clientseg alert: could not build or send the failure alert")
        return
    try:
        from clientseg import config
        from clientseg.runlog import mark_failed_if_running
        from clientseg.warehouse import Warehouse

        reason = f"task {alert.task_id} failed (try {alert.try_number}): {alert.reason}"
        FAILURES[alert.run_id] = reason
        if mark_failed_if_running(Warehouse(config.warehouse_url()), alert.run_id, reason):
            log.warning("run %s marked failed in ops.pipeline_runs: %s", alert.run_id, reason)
    except Exception:  # noqa: BLE001 - the warehouse itself may be what failed
        log.warning("could not record the failure of %s in ops.pipeline_runs", alert.run_id)
