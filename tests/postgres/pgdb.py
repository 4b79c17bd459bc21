"""PostgreSQL test helpers: throwaway databases, sources loaded by COPY, the BI role's view."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from clientseg.contract import SOURCE_TABLES
from clientseg.extract import table_batches
from clientseg.warehouse import Warehouse

ADMIN_URL = os.environ.get("CLIENTSEG_TEST_PG_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AS_OF = date(2026, 6, 30)
SQL_TYPES = {"text": "text", "date": "date", "timestamp": "timestamp", "decimal": "numeric",
             "boolean": "boolean"}


def admin_execute(*statements: str) -> None:
    """Run statements on the server's maintenance database, outside a transaction."""
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


class Databases:
    """Throwaway databases `clientseg_test_<random>` on the server, dropped at session end."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def new(self, options: str = "") -> str:
        """A new database (`options`: of `create database`, e.g. its locale)."""
        name = f"clientseg_test_{uuid.uuid4().hex[:10]}"
        try:
            admin_execute(f"create database {name} {options}")
        except sa.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0]
        else:
            self.names.append(name)
            return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        pytest.fail(f"PostgreSQL is unreachable at {make_url(ADMIN_URL).render_as_string()} "
                    f"(run `make pg-up`, or set CLIENTSEG_TEST_PG_URL): {reason}", pytrace=False)

    def drop_all(self, role: str) -> None:
        """Drop every database made, then the session's role (cluster-wide)."""
        if self.names:
            admin_execute(*(f"drop database if exists {n} with (force)" for n in self.names),
                          f"drop role if exists {role}")



@dataclass(frozen=True)
class Published:
    """One generated source, run through the pipeline twice: PostgreSQL to PostgreSQL, and
    files to DuckDB; both published the same as-of date under the same run id."""

    source_dir: Path
    source_schema: str
    pg_url: str
    duckdb_url: str
    run_id: str = "equivalence"
    as_of: date = AS_OF


def load_source(url: str, schema: str, source: Path, typed: bool = False) -> dict[str, int]:
    """Copy a landing directory into `schema` of a PostgreSQL database (COPY); rows per table.

    Text columns (the default) hold every row as it came, bad ones included; `typed` uses the
    contract types, as a source system's own tables would (only valid rows fit then).
    """
    wh = Warehouse(url)
    rows: dict[str, int] = {}
    with wh.begin() as conn:
        conn.execute(sa.text(f"create schema if not exists {schema}"))
        for table in SOURCE_TABLES:
            columns = ", ".join(f"{c.name} {SQL_TYPES[c.type] if typed else 'text'}"
                                for c in table.columns)
            conn.execute(sa.text(f"create table {schema}.{table.name} ({columns})"))
            batches = (pa.RecordBatch.from_arrays(b.columns[:len(table.columns)],
                                                  names=table.column_names)
                       for b in table_batches(str(source), table))
            rows[table.name] = wh.bulk_load(conn, f"{schema}.{table.name}", batches)
    return rows
