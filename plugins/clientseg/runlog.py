"""ops.pipeline_runs: one row per run, from start to published or failed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.contract import SOURCE_TABLES
from clientseg.errors import redact
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(wh: Warehouse, run: RunContext, policy: Policy) -> None:
    """(Re)start the run's row: a retried task starts it afresh."""
    with wh.begin() as conn:
        conn.execute(sa.text("delete from ops.pipeline_runs where run_id = :r"), {"r": run.run_id})
        conn.execute(sa.text(
            "insert into ops.pipeline_runs (run_id, as_of_date, started_at, status, "
            "policy_version, policy_sha256, source) values (:run_id, :as_of, :now, 'running', "
            ":version, :sha, :source)"),
            {"run_id": run.run_id, "as_of": run.as_of, "now": _now(), "version": policy.version,
             "sha": policy.sha256, "source": redact(run.source)})


def count_columns(counts: dict[str, Any]) -> dict[str, Any]:
    """rows_read_<table>, rows_used_<table>, rows_quarantined_<table> and the total."""
    values: dict[str, Any] = {}
    for kind in ("read", "used", "quarantined"):
        for table in SOURCE_TABLES:
            values[f"rows_{kind}_{table.name}"] = counts.get(f"rows_{kind}", {}).get(table.name)
    values["rows_quarantined"] = sum(counts.get("rows_quarantined", {}).values())
    return values


def record_counts(wh: Warehouse, run: RunContext, counts: dict[str, Any]) -> None:
    with wh.begin() as conn:
        _update(conn, run, count_columns(counts))


def _update(conn: Connection, run: RunContext, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(sa.text(f"update ops.pipeline_runs set {assignments} where run_id = :run_id"),
                 {**values, "run_id": run.run_id})


def mark_published(conn: Connection, run: RunContext, published: int,
                   counts: dict[str, Any]) -> None:
    _update(conn, run, {**count_columns(counts), "status": "published", "error": None,
                        "rows_published": published, "finished_at": _now()})


def record_summary(wh: Warehouse, run: RunContext, summary: dict[str, Any]) -> None:
    with wh.begin() as conn:
        _update(conn, run, {"summary": json.dumps(summary, sort_keys=True, default=str)})


def mark_failed(wh: Warehouse, run: RunContext, error: str) -> None:
    """Best effort: the failure is recorded if the warehouse can be reached."""
    with wh.begin() as conn:
        _update(conn, run, {"status": "failed", "error": error[:4000], "finished_at": _now()})


def mark_failed_if_running(wh: Warehouse, run_id: str, error: str) -> bool:
    """Failed, with `error`, if the run's row still says running: its task failed without its
    step recording why (the process was killed, ran out of memory or lost its heartbeat).
    A reason the step recorded, and a published run, are left as they are."""
    with wh.begin() as conn:
        updated = conn.execute(sa.text(
            "update ops.pipeline_runs set status = 'failed', error = :error, finished_at = :now "
            "where run_id = :run_id and status = 'running'"),
            {"error": error[:4000], "now": _now(), "run_id": run_id}).rowcount
    return bool(updated)
