"""The pipeline's steps as plain functions of a RunContext: what each DAG task calls.

They run without Airflow too (`run_pipeline`), which is how the rule tests drive them.
Between steps only table names and counts pass, never data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from clientseg import config
from clientseg.contract import SOURCE_TABLES
from clientseg.errors import DataQualityError, PipelineError
from clientseg.policy import Policy, load_policy
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)


def step_extract(run: RunContext, policy: Policy) -> dict[str, Any]:
    from clientseg.extract import extract
    from clientseg.incremental import plan
    from clientseg.runlog import record_counts, start_run
    from clientseg.schema import ensure_schema

    wh = Warehouse(run.warehouse_url)
    ensure_schema(wh)
    start_run(wh, run, policy)
    rows_read = extract(run, wh, config.source_schema(), only=plan(run, wh))
    record_counts(wh, run, {"rows_read": rows_read})
    return {"rows_read": rows_read,
            "tables": {t.name: run.table("raw", t.name) for t in SOURCE_TABLES}}


def step_validate(run: RunContext, policy: Policy, extracted: dict[str, Any]) -> dict[str, Any]:
    from clientseg.runlog import record_counts
    from clientseg.validate import validate

    wh = Warehouse(run.warehouse_url)
    try:
        counts = validate(run, wh, policy)
    except DataQualityError as exc:
        record_counts(wh, run, exc.counts)
        _quality_report(wh, run)  # above all when the data failed the run
        raise
    record_counts(wh, run, counts)
    _quality_report(wh, run)
    return counts


def _quality_report(wh: Warehouse, run: RunContext) -> None:
    """The Markdown data-quality report; a folder that cannot be written is a warning only:
    the results are in ops.data_quality_results either way."""
    from clientseg.report_text import write_quality_report

    try:
        log.info("data-quality report: %s", write_quality_report(wh, run))
    except OSError as exc:
        log.warning("data-quality report not written: %s", exc)


def step_load(run: RunContext, policy: Policy, validated: dict[str, Any]) -> dict[str, Any]:
    from clientseg.incremental import merge
    from clientseg.load import load

    wh = Warehouse(run.warehouse_url)
    used = load(run, wh, validated["rows_read"], validated["rows_quarantined"])
    return {**merge(run, wh, {**validated, "rows_used": used}),
            "tables": {t.name: run.table("typed", t.name) for t in SOURCE_TABLES}}


def step_transform(run: RunContext, policy: Policy, loaded: dict[str, Any]) -> dict[str, Any]:
    from clientseg.transform import OUTPUT_MODEL, transform

    rows, built_from = transform(run, Warehouse(run.warehouse_url), policy)
    return {**{k: loaded[k] for k in ("rows_read", "rows_quarantined", "rows_used")},
            "model_rows": rows, "built_from": built_from,
            "segments_table": run.table("model", OUTPUT_MODEL)}


def step_publish(run: RunContext, policy: Policy, transformed: dict[str, Any]) -> dict[str, Any]:
    from clientseg.output_checks import check_output
    from clientseg.publish import publish

    wh = Warehouse(run.warehouse_url)
    check_output(run, wh)
    published = publish(run, wh, transformed)
    return {**transformed, "rows_published": published}


def step_summary(run: RunContext, policy: Policy, published: dict[str, Any]) -> dict[str, Any]:
    from clientseg.report_text import quality_report_path
    from clientseg.runlog import record_summary
    from clientseg.summary import cleanup_run_tables, summarise

    wh = Warehouse(run.warehouse_url)
    summary = summarise(wh, run, published)
    summary["quality_report"] = str(quality_report_path(wh.url, run.as_of.isoformat()))
    record_summary(wh, run, summary)
    cleanup_run_tables(wh, run)
    return summary


STEPS = (step_extract, step_validate, step_load, step_transform, step_publish, step_summary)


def step_report(run: RunContext, policy: Policy, summary: dict[str, Any]) -> dict[str, Any]:
    """After publish: the HTML report and the GX Data Docs; returns where they are and the
    run's headline counts (the task's output in the Airflow UI)."""
    from clientseg.report import outputs_root, write_report

    try:
        path = write_report(run.warehouse_url, run.as_of, policy=policy)
    except OSError as exc:
        # the folder's rights, a file in its place, a full disk: a retry a minute later would
        # not mend it, so fail at once (the run is published; the warning says why)
        raise PipelineError(f"report not written: {exc}") from exc
    segments = summary.get("segments", {})
    return {"as_of_date": run.as_of.isoformat(), "run_id": run.run_id,
            "clients_published": summary.get("rows_published"),
            "abc_class": segments.get("abc_class"),
            "mifid_category": segments.get("mifid_category"),
            "finsa_category": segments.get("finsa_category"),
            "rows_quarantined": sum((summary.get("rows_quarantined") or {}).values()),
            "report": str(path),
            "data_docs": str(outputs_root(run.warehouse_url) / "data_docs" / "index.html")}


def run_step(step: Callable[..., dict[str, Any]], run: RunContext, policy: Policy,
             *inputs: dict[str, Any]) -> dict[str, Any]:
    """Run one step; on failure record the one-line reason in ops.pipeline_runs, then re-raise."""
    try:
        return step(run, policy, *inputs)
    except Exception as exc:
        if step not in STEPS:  # after publish (the report): the run stays published
            raise
        from clientseg.runlog import mark_failed

        try:
            mark_failed(Warehouse(run.warehouse_url), run, one_line(exc))
        except Exception:  # noqa: BLE001 - the warehouse itself may be what failed
            log.warning("could not record the failure of %s in ops.pipeline_runs", run.run_id)
        raise


def one_line(exc: BaseException) -> str:
    """The operator-facing reason: a PipelineError's own message, else type and first line."""
    if isinstance(exc, PipelineError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no message'}"


def run_pipeline(run: RunContext, policy: Policy | None = None) -> dict[str, Any]:
    """Every step in order, without Airflow (tests, benchmarks); returns the summary."""
    policy = policy or load_policy()
    result: dict[str, Any] = run_step(step_extract, run, policy)
    for step in STEPS[1:]:
        result = run_step(step, run, policy, result)
    return result
