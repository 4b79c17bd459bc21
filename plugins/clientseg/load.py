"""Load: the valid rows of every table into typed staging tables; keep every client version."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from clientseg.contract import SOURCE_TABLES
from clientseg.errors import PipelineError
from clientseg.runs import RunContext
from clientseg.validate import valid_rows
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)


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
            read, bad = rows_read[table.name], rows_quarantined[table.name]
            if read != used[table.name] + bad:
                raise PipelineError(
                    f"{table.name}: accounting mismatch, rows read {read} != used "
                    f"{used[table.name]} + quarantined {bad}")
        inserted = wh.run(conn, "load/client_versions.sql", {"run_id": run.run_id},
                          clients=run.table("typed", "clients")).rowcount
        log.info("loaded %s; %s new client versions", used, inserted)
    return used
