"""Glue between Airflow tasks and the pipeline steps: the run's context, failures, alerts.

Imported by the DAG file at parse time, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

log = logging.getLogger(__name__)


def as_of_date(context: dict[str, Any]) -> date:
    """The `as_of` param if given, else the day before the run's logical date (or run_after)."""
    param = (context.get("params") or {}).get("as_of")
    if param:
        return date.fromisoformat(str(param))
    dag_run = context["dag_run"]
    moment = context.get("logical_date") or dag_run.logical_date or dag_run.run_after
    return moment.date() - timedelta(days=1)


def run_context(context: dict[str, Any]) -> Any:
    from clientseg import config
    from clientseg.runs import RunContext

    return RunContext(context["run_id"], as_of_date(context), config.source_location(),
                      config.warehouse_url())


def execute(step_name: str, context: dict[str, Any], *inputs: dict[str, Any]) -> dict[str, Any]:
    """Run one pipeline step for this Airflow run; bad data fails at once, without retries."""
    from airflow.exceptions import AirflowFailException

    from clientseg import steps
    from clientseg.errors import PipelineError
    from clientseg.policy import load_policy

    run = run_context(context)
    log.info("step %s for as-of %s (run %s)", step_name, run.as_of, run.run_id)
    try:
        return steps.run_step(getattr(steps, f"step_{step_name}"), run, load_policy(), *inputs)
    except PipelineError as exc:
        raise AirflowFailException(str(exc)) from exc


def on_task_failure(context: dict[str, Any]) -> None:
    """Task-level failure callback: DAG, task, as-of date, try number and reason."""
    ti = context.get("task_instance") or context.get("ti")
    exc = context.get("exception")
    try:
        as_of = as_of_date(context).isoformat()
    except Exception:  # noqa: BLE001 - a callback must never raise
        as_of = "unknown"
    log.error("clientseg alert: dag=%s task=%s as_of=%s try=%s reason=%s",
              getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?"), as_of,
              getattr(ti, "try_number", "?"), str(exc).splitlines()[0] if exc else "unknown")
