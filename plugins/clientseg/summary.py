"""Summary: counts per segment and category, rows read, used and quarantined per table."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from clientseg import vocab
from clientseg.runs import RunContext, run_key
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "abc_class", "rfm_segment", "wealth_tier", "revenue_trend", "gap_segment",
    "service_level", "mifid_category", "mifid_basis", "finsa_category", "finsa_basis",
)  # fmt: skip


def summarise(wh: Warehouse, run: RunContext, counts: dict[str, Any]) -> dict[str, Any]:
    """Counts per value of every segment and category of the published as-of date."""
    per_column: dict[str, dict[str, int]] = {}
    with wh.begin() as conn:
        for column in SUMMARY_COLUMNS:
            rows = conn.execute(sa.text(
                f"select cast({column} as text), count(*) from mart.client_segments_history "
                f"where as_of_date = :as_of group by 1 order by 1"), {"as_of": run.as_of})
            per_column[column] = {vocab.label(value): int(n) for value, n in rows}
    summary = {
        "run_id": run.run_id,
        "as_of_date": run.as_of.isoformat(),
        "rows_published": counts.get("rows_published"),
        "rows_read": counts.get("rows_read"),
        "rows_used": counts.get("rows_used"),
        "rows_quarantined": counts.get("rows_quarantined"),
        "built_from": counts.get("built_from"),  # the kept state or every row (kept_state.py)
        "segments": per_column,
    }
    log.info("run summary: %s", summary)
    return summary


def cleanup_run_tables(wh: Warehouse, run: RunContext) -> None:
    """Drop the run's staging tables (raw, check, rejects, typed, models), and those of the
    failed runs of its as-of date: this run has published that date, so none of them will be
    cleared and resumed any more (their rows in quarantine and ops stay)."""
    with wh.begin() as conn:
        failed = conn.execute(sa.text(
            "select run_id from ops.pipeline_runs where as_of_date = :d and status = 'failed' "
            "and run_id <> :r"), {"d": run.as_of, "r": run.run_id}).scalars().all()
        keys = {run.key, *map(run_key, failed)}
        names = sa.inspect(conn).get_table_names(schema="staging")
        wh.drop_tables(conn, [f"staging.{n}" for n in names if n.rpartition("__")[2] in keys])
    if failed:
        log.info("staging tables dropped of the failed runs of %s: %s", run.as_of,
                 ", ".join(failed))
