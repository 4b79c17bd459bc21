"""Output checks: the GX suite expectations/output/client_segments.json on the rows to publish.

Runs on the transform's output model before publish, as SQL in the warehouse. The checks that span
rows (exactly one row per open client) are flags computed in SQL (checks/output_rows.sql);
GX checks every row's values. Results go to ops.data_quality_results under OUTPUT_TABLE; a
failure raises OutputCheckError, so nothing is published.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from clientseg.errors import OutputCheckError
from clientseg.expectations import (
    ROW_ID,
    ExpectationOutcome,
    failing_rows,
    rule_order,
    suite_json,
    validate_table,
)
from clientseg.runs import RunContext
from clientseg.transform import OUTPUT_MODEL
from clientseg.validate import TableValidation, record_results
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

SUITE = "output/client_segments"
OUTPUT_TABLE = "output.client_segments"
SHOWN_OTHERS = 2  # failed rules named in the reason besides the first


def checked_columns() -> list[str]:
    """The model's columns the suite looks at, in suite order, without repeats."""
    columns = [e["kwargs"]["column"] for e in suite_json(SUITE)["expectations"]]
    return [c for c in dict.fromkeys(columns) if "__" not in c]


def failure_reason(rows: int, outcomes: list[ExpectationOutcome]) -> str:
    """One line: the first failed rule in suite order, with a count and samples, then the
    others (a missing client also fails every not-null rule: it has no values at all)."""
    first, *others = outcomes
    samples = ", ".join(first.samples[:3]) or "null"
    line = (f"output check failed, nothing published: {first.rule} "
            f"({first.unexpected_count} of {rows} rows, e.g. {samples})")
    if others:
        line += "; also: " + "; ".join(o.rule for o in others[:SHOWN_OTHERS])
    if len(others) > SHOWN_OTHERS:
        line += f"; and {len(others) - SHOWN_OTHERS} more (see ops.data_quality_results)"
    return line


def check_output(run: RunContext, wh: Warehouse) -> int:
    """Validate the rows the run would publish; return their count or raise OutputCheckError."""
    checked, broken = run.table("check", "output"), run.table("broken", "output")
    order = rule_order(SUITE)
    with wh.begin() as conn:
        wh.drop_tables(conn, [checked, broken])
        select = wh.render("checks/output_rows.sql", segments=run.table("model", OUTPUT_MODEL),
                           open_clients=run.table("model", "open_clients"),
                           columns=checked_columns())
        conn.execute(sa.text(f"create table {checked} as {select}"), {"as_of": run.as_of})
        rows = wh.count(conn, checked)
    result = validate_table(wh, SUITE, checked, rows)
    outcomes = result.outcomes
    with wh.begin() as conn:
        failing_rows(conn, checked, result, broken)
        rejected = int(conn.execute(sa.text(
            f"select count(distinct {ROW_ID}) from {broken}")).scalar_one())
        conn.execute(sa.text('delete from ops.data_quality_results where run_id = :r '
                             'and "table" = :t'), {"r": run.run_id, "t": OUTPUT_TABLE})
        record_results(conn, run, TableValidation(OUTPUT_TABLE, rows, rejected, outcomes, {}))
        wh.drop_tables(conn, [checked, broken])
    failed = sorted((o for o in outcomes.values() if not o.success), key=lambda o: order[o.rule])
    if failed:
        raise OutputCheckError(failure_reason(rows, failed))
    log.info("output checks passed: %d rows, %d expectations", rows, len(outcomes))
    return rows
