"""Validate: run the GX suites on every source table in the warehouse; quarantine the rows that
break a rule."""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg import vocab
from clientseg.contract import SOURCE_TABLES, SourceTable
from clientseg.errors import DataQualityError
from clientseg.expectations import ExpectationOutcome, failing_rows, validate_table
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.sql import sql_list
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)


@dataclass
class TableValidation:
    """What validation found in one table."""

    table: str
    rows_read: int
    rows_rejected: int
    outcomes: dict[str, ExpectationOutcome]
    files_by_rule: dict[str, Counter[str]]
    # rows, and rejected rows, not dated after the run's date (None: every row is in scope)
    scoped: tuple[int, int] | None = None

    @property
    def in_scope(self) -> tuple[int, int]:
        return self.scoped or (self.rows_read, self.rows_rejected)

    @property
    def bad_share(self) -> float:
        """The share of bad rows among those in the run's scope (the limit's measure)."""
        rows, rejected = self.in_scope
        return rejected / rows if rows else 0.0

    @property
    def worst(self) -> ExpectationOutcome:
        return max(self.outcomes.values(), key=lambda o: o.unexpected_count)

    def worst_rule(self) -> str:
        """`file F, column C, rule 'R' (n rows, e.g. ...)`: the rule most rows broke, and the
        file with most of them (`F (and k more)` when they are spread over several)."""
        worst, files = self.worst, self.files_by_rule[self.worst.rule]
        file, _ = files.most_common(1)[0]
        more = f" (and {len(files) - 1} more)" if len(files) > 1 else ""
        return (f"file {file}{more}, column {worst.column}, rule '{worst.rule}' "
                f"({worst.unexpected_count} row{'s' * (worst.unexpected_count != 1)}, "
                f"e.g. {', '.join(_one_line(v) for v in worst.samples[:3]) or 'null'})")

    def reason(self, limit: float, results: list[TableValidation]) -> str:
        """One line naming the table, the worst rule, its column and the file most affected;
        when that rule only echoes another table's quarantined rows (an unknown client, a
        missing rate), that table's worst rule too: the cause to fix."""
        rows, rejected = self.in_scope
        later = self.rows_rejected - rejected
        line = (f"{self.table}: {rejected} of {rows} rows ({self.bad_share:.2%}) broke the "
                f"source contract, above the {limit * 100:g}% limit"
                + (f" ({later} more bad row{'s' * (later != 1)} dated after the run's date: "
                   f"quarantined, not counted)" if later else "")
                + f"; worst: {self.worst_rule()}")
        cause = next((r for r in results if r.table == ECHOED.get(self.worst.rule)), None)
        if cause and cause.rows_rejected:
            line += (f"; {cause.table} quarantined {cause.rows_rejected} "
                     f"row{'s' * (cause.rows_rejected != 1)}, worst: {cause.worst_rule()}")
        return line


# Rules broken because of what another table holds: the table whose quarantined rows they echo.
ECHOED = {"client_id: must exist in clients": "clients",
          "currency: needs an FX rate on or before the row's date": "fx_rates"}


def _one_line(value: str) -> str:
    """A sample value fit for a one-line reason: line breaks shown as \\n, \\r."""
    return value.replace("\r", "\\r").replace("\n", "\\n")


def valid_rows(run: RunContext, table: str) -> str:
    """A subquery of the rows of `table` that passed validation (typed columns)."""
    check, rejects = run.table("check", table), run.table("rejects", table)
    return (f"(select * from {check} c where not exists "
            f"(select 1 from {rejects} r where r._row_id = c._row_id))")


def _validate_table(run: RunContext, wh: Warehouse, table: SourceTable) -> TableValidation:
    """Check frame (committed, for GX to read), GX in the warehouse, then the rejected rows."""
    from clientseg.incremental import recheck

    recheck(run, wh, table.name)
    check, rejects = run.table("check", table.name), run.table("rejects", table.name)
    broken = run.table("broken", table.name)
    valid = {t.name: valid_rows(run, t.name) for t in SOURCE_TABLES[:2] if t is not table}
    with wh.begin() as conn:
        kept = _kept_files(run, wh, conn, table.name)
        select = wh.render(f"validate/{table.name}.sql", table=table, valid=valid, kept=kept,
                           raw=run.table("raw", table.name), vocab=vocab, sql_list=sql_list)
        wh.drop_tables(conn, [check, rejects, broken])
        conn.execute(sa.text(f"create table {check} as {select}"))
        rows = wh.count(conn, check)
    result = validate_table(wh, table.name, check, rows)
    with wh.begin() as conn:
        failing_rows(conn, check, result, broken)
        wh.run(conn, "validate/broken_unparsed_delete.sql", broken=broken)
        counted = dict(conn.execute(sa.text(
            f"select rule, count(distinct _row_id) from {broken} group by rule")).all())
        for outcome in result.outcomes.values():  # as quarantined: unparsed is not missing
            outcome.unexpected_count = int(counted.get(outcome.rule, 0))
        conn.execute(sa.text(f"create table {rejects} as "
                             f"{wh.render('validate/rejects.sql', broken=broken)}"))
        files_by_rule: dict[str, Counter[str]] = {}
        for rule, file, n in wh.run(conn, "validate/files_by_rule.sql", broken=broken,
                                    check=check):
            files_by_rule.setdefault(rule, Counter())[file] = int(n)
        rejected = wh.count(conn, rejects)
        scoped = _in_scope(run, conn, table, check, rejects) if table.scope_column else None
    return TableValidation(table.name, rows, rejected, result.outcomes, files_by_rule, scoped)


def _kept_files(run: RunContext, wh: Warehouse, conn: Connection, table: str
                ) -> dict[str, str] | None:
    """The store and plan of a folder delivery that keeps files from earlier nights (their ids
    were delivered before), else None."""
    from clientseg.incremental import store_table, stored_tables

    if table not in stored_tables(run, wh, conn):
        return None
    plan = run.table("plan", "source_files")
    kept = conn.execute(sa.text(f"select count(*) from {plan} where table_name = :t "
                                f"and action = 'kept'"), {"t": table}).scalar_one()
    return {"store": store_table(table), "plan": plan} if kept else None


def _in_scope(run: RunContext, conn: Connection, table: SourceTable, check: str,
              rejects: str) -> tuple[int, int]:
    """Rows, and rejected rows, not dated after the run's date (undated rows count)."""
    row = conn.execute(sa.text(
        f"select count(*), count(rejects._row_id) from {check} as c "
        f"left join {rejects} as rejects on rejects._row_id = c._row_id "
        f"where c.{table.scope_column} is null or c.{table.scope_column} <= :as_of"),
        {"as_of": run.as_of}).one()
    return int(row[0]), int(row[1])


def record_results(conn: Connection, run: RunContext, result: TableValidation) -> None:
    """One ops.data_quality_results row per rule of a validated table (source or output)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [{
        "run_id": run.run_id, "as_of_date": run.as_of, "table": result.table,
        "column": o.column, "expectation": o.expectation, "rule": o.rule, "success": o.success,
        "rows_checked": o.rows_checked, "unexpected_count": o.unexpected_count,
        "details": json.dumps({"sample_unexpected": o.samples,
                               "files": dict(result.files_by_rule.get(o.rule, {}))}),
        "checked_at": now,
    } for o in result.outcomes.values()]
    if rows:
        conn.execute(sa.text(
            'insert into ops.data_quality_results (run_id, as_of_date, "table", "column", '
            "expectation, rule, success, rows_checked, unexpected_count, details, checked_at) "
            "values (:run_id, :as_of_date, :table, :column, :expectation, :rule, :success, "
            ":rows_checked, :unexpected_count, :details, :checked_at)"), rows)


def validate(run: RunContext, wh: Warehouse, policy: Policy) -> dict[str, dict[str, int]]:
    """Validate every table; quarantine bad rows; fail if a table is above the bad-row limit.
    Returns rows read (extracted, and kept files read again: incremental.recheck) and rows
    quarantined per table.

    The quarantine rows and ops.data_quality_results of the run are written in one transaction,
    after every table is validated."""
    limit = float(policy["validation"]["max_bad_row_share"])
    results = [_validate_table(run, wh, table) for table in SOURCE_TABLES]
    with wh.begin() as conn:
        conn.execute(sa.text("delete from ops.data_quality_results where run_id = :r"),
                     {"r": run.run_id})
        for table, result in zip(SOURCE_TABLES, results, strict=True):
            conn.execute(sa.text(f"delete from quarantine.{table.name} where run_id = :r"),
                         {"r": run.run_id})
            wh.run(conn, "validate/quarantine_insert.sql",
                   {"run_id": run.run_id, "as_of": run.as_of}, table=table,
                   raw=run.table("raw", table.name), rejects=run.table("rejects", table.name))
            record_results(conn, run, result)
            log.info("validated %s: %d rows, %d quarantined", table.name, result.rows_read,
                     result.rows_rejected)
    too_bad = [r for r in results if r.bad_share > limit]
    counts = {"rows_read": {r.table: r.rows_read for r in results},
              "rows_quarantined": {r.table: r.rows_rejected for r in results}}
    if too_bad:
        worst = max(too_bad, key=lambda r: r.bad_share)
        others = ", ".join(f"{r.table} ({r.bad_share:.2%})" for r in too_bad if r is not worst)
        error = DataQualityError(worst.reason(limit, results)
                                 + (f"; also above the limit: {others}" if others else ""))
        error.counts = counts
        raise error
    return counts
