"""The report's figures, read from the mart and ops tables with the SQL of include/sql/report."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from clientseg import vocab
from clientseg.contract import SOURCE_TABLES
from clientseg.errors import PipelineError
from clientseg.warehouse import Warehouse

PARETO_POINTS = 200
RUNS_SHOWN = 14
COUNTED_ATTRIBUTES = (
    "abc_class", "rfm_segment", "wealth_tier", "gap_segment", "service_level",
    "mifid_category", "finsa_category",
)  # fmt: skip
MIGRATION_ATTRIBUTES = ("mifid_category", "finsa_category", "abc_class")


@dataclass(frozen=True)
class QualityResult:
    """One rule of one table in one run (ops.data_quality_results)."""

    table: str
    column: str | None
    rule: str
    expectation: str
    success: bool
    rows_checked: int
    unexpected_count: int
    samples: list[str]


@dataclass(frozen=True)
class RunRecord:
    """One run of ops.pipeline_runs, with rows read / used / quarantined per source table."""

    run_id: str
    as_of_date: date
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_published: int | None
    rows_quarantined: int | None
    tables: dict[str, dict[str, int | None]]
    error: str | None

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@dataclass
class ReportData:
    """Everything the report of one as-of date shows."""

    as_of: date
    run: RunRecord
    pareto: list[tuple[float, float]]  # (share of clients %, cumulative share of revenue %)
    total_revenue_eur: float
    counts: dict[str, dict[str, tuple[int, float]]]  # attribute -> value -> (clients, revenue)
    rfm: dict[tuple[int, int], int]  # (r_score, f_score) -> clients
    no_activity: int
    migrations: dict[str, dict[tuple[str | None, str | None], int]]
    previous_as_of: date | None
    quality: list[QualityResult]
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def clients(self) -> int:
        return sum(n for n, _ in self.counts["abc_class"].values())


def latest_as_of(wh: Warehouse) -> date:
    """The latest as-of date with a published run."""
    value = wh.scalar("select max(as_of_date) from ops.pipeline_runs where status = 'published'")
    if value is None:
        raise PipelineError("no published run in the warehouse: run the pipeline first")
    return _date(value)


def load_report_data(wh: Warehouse, as_of: date) -> ReportData:
    """Read the report's figures for `as_of` (its latest published run)."""
    tables = [t.name for t in SOURCE_TABLES]
    with wh.begin() as conn:
        run_id = conn.execute(sa.text(
            "select run_id from ops.pipeline_runs where as_of_date = :as_of "
            "and status = 'published' order by finished_at desc limit 1"),
            {"as_of": as_of}).scalar()
        if run_id is None:
            raise PipelineError(f"no published run for as-of date {as_of}")

        def rows(template: str, **context: Any) -> list[Any]:
            sql = wh.render(f"report/{template}", **context)
            params = {k: v for k, v in {"as_of": as_of, "run_id": run_id}.items()
                      if re.search(rf":{k}\b", sql)}  # DuckDB refuses unused parameters
            return conn.execute(sa.text(sql), params).all()

        runs = [_run_record(r, tables)
                for r in rows("runs.sql", tables=tables, limit=RUNS_SHOWN, one_run=False)]
        run = _run_record(rows("runs.sql", tables=tables, limit=1, one_run=True)[0], tables)
        pareto_rows = rows("pareto.sql", points=PARETO_POINTS)
        counts: dict[str, dict[str, tuple[int, float]]] = {a: {} for a in COUNTED_ATTRIBUTES}
        for attribute, value, clients, revenue in rows("segment_counts.sql",
                                                       attributes=COUNTED_ATTRIBUTES):
            counts[attribute][vocab.label(value)] = (int(clients), float(revenue))
        rfm: dict[tuple[int, int], int] = {}
        no_activity = 0
        for r_score, f_score, clients in rows("rfm_grid.sql"):
            if r_score is None or f_score is None:
                no_activity += int(clients)
            else:
                rfm[(int(r_score), int(f_score))] = int(clients)
        migrations: dict[str, dict[tuple[str | None, str | None], int]] = {}
        previous_as_of = None
        for attribute in MIGRATION_ATTRIBUTES:
            cells = rows("migration.sql", attribute=attribute)
            previous_as_of = next((_date(c[0]) for c in cells if c[0] is not None), None)
            migrations[attribute] = {(old, new): int(n) for _, old, new, n in cells}
        quality = [QualityResult(t, c, rule, exp, bool(ok), int(checked), int(bad),
                                 json.loads(details or "{}").get("sample_unexpected", []))
                   for t, c, rule, exp, ok, checked, bad, details, _ in rows("data_quality.sql")]
    total = float(pareto_rows[-1].total_revenue_eur or 0) if pareto_rows else 0.0
    pareto = [(0.0, 0.0)] + [
        (100.0 * r.client_rank / r.clients,
         100.0 * float(r.cumulative_revenue_eur) / total if total else 0.0)
        for r in pareto_rows]
    return ReportData(as_of, run, pareto, total, counts, rfm, no_activity, migrations,
                      previous_as_of, quality, runs)


def _run_record(row: Any, tables: list[str]) -> RunRecord:
    m = row._mapping
    return RunRecord(
        m["run_id"], _date(m["as_of_date"]), m["status"], m["started_at"], m["finished_at"],
        m["rows_published"], m["rows_quarantined"],
        {t: {k: m[f"rows_{k}_{t}"] for k in ("read", "used", "quarantined")} for t in tables},
        m["error"])


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))
