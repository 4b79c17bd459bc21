"""Plain-text outputs of a run: the data-quality report file and the demo summary."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clientseg.paths import DATA_DIR
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

REPORTS_ENV = "CLIENTSEG_REPORTS_DIR"


def outputs_root(warehouse_url: str) -> Path:
    """The folder of a DuckDB warehouse file, else the project's data/ folder."""
    prefix = "duckdb:///"
    if warehouse_url.startswith(prefix) and ":memory:" not in warehouse_url:
        return Path(warehouse_url[len(prefix):].split("?")[0]).resolve().parent
    return DATA_DIR


def reports_dir(warehouse_url: str) -> Path:
    """$CLIENTSEG_REPORTS_DIR, else reports/ next to the warehouse (outputs_root)."""
    return Path(os.environ.get(REPORTS_ENV) or outputs_root(warehouse_url) / "reports")


def quality_report_path(warehouse_url: str, as_of: str) -> Path:
    return reports_dir(warehouse_url) / f"data_quality_{as_of}.md"


def write_quality_report(wh: Warehouse, run: RunContext) -> Path:
    """A Markdown report of the run's expectations and quarantined rows per table."""
    with wh.begin() as conn:
        results = conn.execute(sa.text(
            'select "table", rule, expectation, success, rows_checked, unexpected_count, details '
            'from ops.data_quality_results where run_id = :r order by "table", rule'),
            {"r": run.run_id}).all()
    lines = [f"# Data quality, as of {run.as_of} (run {run.run_id})", "",
             "| table | rule | expectation | ok | rows checked | unexpected | e.g. |",
             "|---|---|---|---|---|---|---|"]
    for table, rule, expectation, success, checked, unexpected, details in results:
        samples = ", ".join(json.loads(details or "{}").get("sample_unexpected", [])[:3])
        lines.append(f"| {table} | {rule} | {expectation} | {'yes' if success else 'NO'} "
                     f"| {checked} | {unexpected} | {samples} |")
    lines += ["", "Rejected rows, with the rules they broke: `quarantine.<table>` "
              f"where run_id = '{run.run_id}'."]
    path = quality_report_path(wh.url, run.as_of.isoformat())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def demo_summary(warehouse_url: str, run_id: str) -> str:
    """Clients per category and segment, rows quarantined, where the outputs are."""
    wh = Warehouse(warehouse_url)
    raw = wh.scalar("select summary from ops.pipeline_runs where run_id = :r", {"r": run_id})
    summary: dict[str, Any] = json.loads(raw or "{}")
    lines = [f"As of {summary.get('as_of_date')}: {summary.get('rows_published')} open clients "
             "classified.", ""]
    for column, values in summary.get("segments", {}).items():
        lines.append(f"  {column:<15} " + ", ".join(f"{k} {v}" for k, v in values.items()))
    lines += ["", "Source rows this run read (read / used / quarantined; a folder of files is "
              "read incrementally: new or changed files only):"]
    for table, read in (summary.get("rows_read") or {}).items():
        lines.append(f"  {table:<24} {read:>9} {summary['rows_used'][table]:>9} "
                     f"{summary['rows_quarantined'][table]:>6}")
    lines += ["", f"Warehouse:           {warehouse_url}",
              f"Data-quality report: "
              f"{quality_report_path(warehouse_url, str(summary.get('as_of_date')))}",
              "Quarantined rows:    quarantine.<table> in the warehouse"]
    return "\n".join(lines)
