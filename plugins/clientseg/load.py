"""Load: the valid rows of every table into typed staging tables; keep every client version."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.contract import BY_NAME, SOURCE_TABLES
from clientseg.errors import PipelineError
from clientseg.runlog import record_counts
from clientseg.runs import RunContext
from clientseg.validate import valid_rows
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

VERSIONS = "staging.client_versions"  # every client version loaded (ddl/)
# What a client version is: every column but its key (client_id, updated_at).
VERSIONED_COLUMNS = [c for c in BY_NAME["clients"].column_names
                     if c not in ("client_id", "updated_at")]


def check_accounting(conn: Connection, run: RunContext, table: str, read: int, used: int,
                     quarantined: int) -> None:
    """Every row read is used or quarantined, and the quarantined ones are in quarantine."""
    if read != used + quarantined:
        raise PipelineError(f"{table}: accounting mismatch, rows read {read} != used {used} "
                            f"+ quarantined {quarantined} (rule: every source row is used or "
                            f"quarantined)")
    landed = int(conn.execute(sa.text(f"select count(*) from quarantine.{table} "
                                      f"where run_id = :r"), {"r": run.run_id}).scalar_one())
    if landed != quarantined:
        raise PipelineError(f"{table}: accounting mismatch, quarantined {quarantined} but "
                            f"quarantine.{table} holds {landed} rows of run {run.run_id}")


def load(run: RunContext, wh: Warehouse, rows_read: dict[str, int],
         rows_quarantined: dict[str, int]) -> dict[str, int]:
    """Build `staging.typed_<table>__<key>`; check read = used + quarantined for every table."""
    used: dict[str, int] = {}
    with wh.begin() as conn:
        for table in SOURCE_TABLES:
            typed = run.table("typed", table.name)
            columns = ", ".join(table.column_names)
            wh.drop_tables(conn, [typed])
            conn.execute(sa.text(
                f"create table {typed} as select {columns} from {valid_rows(run, table.name)} v"))
            used[table.name] = wh.count(conn, typed)
            check_accounting(conn, run, table.name, rows_read[table.name], used[table.name],
                             rows_quarantined[table.name])
        clients = run.table("typed", "clients")
        if wh.dialect == "postgresql":  # one run's new versions at a time, or both insert them
            conn.execute(sa.text(f"lock table {VERSIONS} in share row exclusive mode"))
        replaced = wh.run(conn, "load/client_versions_replaced.sql", clients=clients,
                          columns=VERSIONED_COLUMNS).rowcount
        inserted = wh.run(conn, "load/client_versions.sql", {"run_id": run.run_id},
                          clients=clients).rowcount
        log.info("loaded %s; %s new client versions, %s of them replacing a stored version of "
                 "the same updated_at", used, inserted, replaced)
    record_counts(wh, run, {"rows_read": rows_read, "rows_used": used,
                            "rows_quarantined": rows_quarantined})
    return used
