"""Extract: copy the five source tables, as they came (all text), into the warehouse."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from clientseg.contract import SOURCE_TABLES, SourceTable
from clientseg.errors import SourceError
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)
BATCH_ROWS = 250_000
SUFFIXES = (".csv", ".parquet")


def is_database_url(source: str) -> bool:
    return "://" in source


def source_files(root: Path, table: str) -> list[Path]:
    """The files holding `table`: `<table>.csv|.parquet` or a folder of such files."""
    folder = root / table
    files = [root / f"{table}{s}" for s in SUFFIXES if (root / f"{table}{s}").is_file()]
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
    if not files:
        raise SourceError(
            f"{root}: source table '{table}' is missing "
            f"(expected {table}.csv, {table}.parquet or a folder {table}/)"
        )
    return files


def _read_file(duck: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    if path.stat().st_size == 0:
        raise SourceError(f"{path}: empty file (rule: a header row is required)")
    try:
        if path.suffix == ".csv":
            return duck.read_csv(str(path), header=True, all_varchar=True, sep=",", quotechar='"',
                                 escapechar='"', encoding="utf-8", auto_detect=True)
        return duck.read_parquet(str(path))
    except duckdb.Error as exc:
        raise SourceError(f"{path}: unreadable ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _check_columns(where: str, table: SourceTable, columns: list[str]) -> None:
    missing = [c for c in table.column_names if c not in columns]
    if missing:
        raise SourceError(
            f"{where}: column '{missing[0]}' is missing (rule: SOURCE.md table {table.name} "
            f"needs {', '.join(table.column_names)}; found {', '.join(columns) or 'no columns'})"
        )


def _file_batches(path: Path, table: SourceTable, first_row_id: int) -> Iterator[pa.RecordBatch]:
    duck = duckdb.connect()
    rel = _read_file(duck, path)
    _check_columns(str(path), table, rel.columns)
    text_cols = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in table.column_names)
    query = (
        f"select {text_cols}, {first_row_id} + row_number() over () - 1 as _row_id, "
        f"? as _source_file, row_number() over () as _source_row from rel"
    )
    try:
        reader = duck.sql(query, params=[str(path)]).to_arrow_reader(BATCH_ROWS)
        yield from reader
    except duckdb.Error as exc:
        raise SourceError(f"{path}: unreadable ({_first_line(exc)})") from exc
    finally:
        duck.close()


def _database_batches(url: str, table: SourceTable, schema: str | None) -> Iterator[pa.RecordBatch]:
    engine = sa.create_engine(url)
    where = f"{url.split('@')[-1]} table {schema + '.' if schema else ''}{table.name}"
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(table.name, schema=schema):
                raise SourceError(f"{where}: source table '{table.name}' is missing")
            found = [c["name"] for c in inspector.get_columns(table.name, schema)]
            _check_columns(where, table, found)
            columns = [sa.column(c) for c in table.column_names]
            query = sa.select(*columns).select_from(sa.table(table.name, schema=schema))
            result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
                query)
            row_id = 1
            for rows in result.partitions():
                columns = list(zip(*rows, strict=True)) or [[] for _ in table.column_names]
                arrays = {n: pa.array([_as_text(v) for v in col], pa.string())
                          for n, col in zip(table.column_names, columns, strict=True)}
                ids = pa.array(range(row_id, row_id + len(rows)), pa.int64())
                origin = pa.array([where] * len(rows), pa.string())
                arrays |= {"_row_id": ids, "_source_file": origin, "_source_row": ids}
                row_id += len(rows)
                yield pa.RecordBatch.from_pydict(arrays)
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{where}: source database unreachable or unreadable "
                          f"({_first_line(exc.orig or exc)})") from exc
    finally:
        engine.dispose()


def _as_text(value: object) -> str | None:
    """A database value as the CSV contract would spell it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def table_batches(source: str, table: SourceTable, schema: str | None = None
                  ) -> Iterator[pa.RecordBatch]:
    """All rows of one source table as text Arrow batches with row identity columns."""
    if is_database_url(source):
        yield from _database_batches(source, table, schema)
        return
    root = Path(source)
    if not root.is_dir():
        raise SourceError(f"{source}: source directory does not exist")
    next_id = 1
    for path in source_files(root, table.name):
        for batch in _file_batches(path, table, next_id):
            next_id += batch.num_rows
            yield batch


def extract(run: RunContext, wh: Warehouse, schema: str | None = None) -> dict[str, int]:
    """Land every source table in `staging.raw_<table>__<key>`; return rows read per table."""
    rows_read: dict[str, int] = {}
    with wh.begin() as conn:
        for table in SOURCE_TABLES:
            target = run.table("raw", table.name)
            columns = ", ".join(f"{c} text" for c in table.column_names)
            conn.execute(sa.text(f"drop table if exists {target}"))
            conn.execute(sa.text(
                f"create table {target} ({columns}, _row_id bigint, _source_file text, "
                f"_source_row bigint)"))
            batches = table_batches(run.source, table, schema)
            rows_read[table.name] = wh.bulk_load(conn, target, batches)
            log.info("extracted %s: %d rows into %s", table.name, rows_read[table.name], target)
    return rows_read
