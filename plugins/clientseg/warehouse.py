"""The warehouse: a SQLAlchemy engine on DuckDB or PostgreSQL, SQL files and bulk loads."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from clientseg.data_dictionary import columns_of
from clientseg.sql import render

SCHEMAS = ("staging", "mart", "ops", "quarantine")
DUCKDB_MEMORY_ENV = "CLIENTSEG_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY = "3GB"


class Warehouse:
    """One warehouse URL; connections are not pooled, so a DuckDB file is free between tasks."""

    def __init__(self, url: str) -> None:
        self.url = url

    @cached_property
    def engine_kwargs(self) -> dict[str, Any]:
        """create_engine's arguments; GX's engine on the same DuckDB file must use the same."""
        if sa.engine.make_url(self.url).get_backend_name() == "duckdb":
            # Bounded memory: DuckDB's default is 80% of RAM; above the limit it spills to disk.
            limit = os.environ.get(DUCKDB_MEMORY_ENV, DEFAULT_DUCKDB_MEMORY)
            return {"poolclass": NullPool, "connect_args": {"config": {"memory_limit": limit}}}
        return {"poolclass": NullPool}

    @cached_property
    def engine(self) -> Engine:
        return sa.create_engine(self.url, **self.engine_kwargs)

    @property
    def dialect(self) -> str:
        """`duckdb` or `postgresql`: the only dialect switch the SQL templates see."""
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction: committed on success, rolled back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    def render(self, template: str, **context: Any) -> str:
        """Render a SQL file; `columns_of(table)` lists a documented table's columns by name."""
        return render(template, dialect=self.dialect, columns_of=columns_of, **context)

    def run(self, conn: Connection, template: str, params: Mapping[str, Any] | None = None,
            **context: Any) -> sa.CursorResult:
        """Render a SQL file of include/sql and execute it on `conn`."""
        return conn.execute(sa.text(self.render(template, **context)), dict(params or {}))

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        with self.begin() as conn:
            return conn.execute(sa.text(sql), dict(params or {})).scalar()

    def count(self, conn: Connection, table: str) -> int:
        return int(conn.execute(sa.text(f"select count(*) from {table}")).scalar_one())

    def table_exists(self, conn: Connection, qualified: str) -> bool:
        schema, name = qualified.split(".")
        if self.dialect == "duckdb":  # duckdb_engine's has_table takes ~10 ms a call
            return conn.execute(sa.text(
                "select count(*) from duckdb_tables() where schema_name = :s "
                "and table_name = :n"), {"s": schema, "n": name}).scalar_one() > 0
        return sa.inspect(conn).has_table(name, schema=schema)

    @contextmanager
    def begin_uncompressed(self) -> Iterator[Connection]:
        """A transaction (as `begin`) whose tables DuckDB stores uncompressed, for tables read
        once or replaced the next night (the transform's): compressing them took ~0.25 s of
        the L transform's 3.7 s, and at M, where DuckDB writes them at the commit, 0.1 s of
        1.1 s (bench/run.py). The setting is the database's: set before the transaction and
        put back after its commit or rollback, on the same connection."""
        if self.dialect != "duckdb":
            with self.begin() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn.execute(sa.text("set force_compression = 'uncompressed'"))
            conn.commit()
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.execute(sa.text("reset force_compression"))
                conn.commit()

    def drop_tables(self, conn: Connection, names: Iterable[str]) -> None:
        for name in names:
            conn.execute(sa.text(f"drop table if exists {name}"))

    def bulk_load(self, conn: Connection, table: str, batches: Iterable[pa.RecordBatch]) -> int:
        """Append Arrow batches to an existing table, one batch in memory at a time.

        DuckDB scans each batch; PostgreSQL streams them all through one COPY (psycopg 3).
        """
        if self.dialect != "duckdb":
            return _copy_into_postgres(conn.connection.driver_connection, table, batches)
        rows = 0
        raw = conn.connection.driver_connection
        for batch in batches:
            if batch.num_rows == 0:
                continue
            raw.register("_clientseg_batch", batch)
            cols = ", ".join(f'"{c}"' for c in batch.schema.names)
            raw.execute(f"insert into {table} ({cols}) select {cols} from _clientseg_batch")
            raw.unregister("_clientseg_batch")
            rows += batch.num_rows
        return rows


def _copy_into_postgres(raw: Any, table: str, batches: Iterable[pa.RecordBatch]) -> int:
    """COPY ... FROM STDIN (CSV): Arrow writes each batch as CSV (nulls unquoted, strings
    quoted, so an empty string stays empty and a null stays null)."""
    batches = iter(batches)
    first = next((b for b in batches if b.num_rows), None)
    if first is None:
        return 0
    cols = ", ".join(f'"{c}"' for c in first.schema.names)
    rows = 0
    options = pacsv.WriteOptions(include_header=False)
    with raw.cursor() as cur, cur.copy(f"copy {table} ({cols}) from stdin (format csv)") as copy:
        for batch in itertools.chain([first], batches):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())
            rows += batch.num_rows
    return rows


def existing(warehouse_url: str) -> tuple[Warehouse, str]:
    """A warehouse to read from and its URL fit to show (no credentials, as `clientseg run`
    shows it). PipelineError if the URL is not one, or names a DuckDB file that does not exist
    (opening it would create it)."""
    from pathlib import Path

    from sqlalchemy.exc import ArgumentError

    from clientseg.errors import PipelineError, redact

    try:
        url = sa.engine.make_url(warehouse_url)
    except ArgumentError as exc:
        raise PipelineError(f"not a warehouse URL: {warehouse_url!r}") from exc
    on_disk = url.get_backend_name() == "duckdb" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(url.database).exists():
        raise PipelineError(f"warehouse file not found: {url.database}")
    return Warehouse(warehouse_url), redact(warehouse_url)
