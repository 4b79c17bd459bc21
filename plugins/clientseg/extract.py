"""Extract: copy the five source tables, as they came (all text), into the warehouse.

A file or table that cannot be read as SOURCE.md says fails the run with a one-line
SourceError naming the file (or table), the column and the rule; no row is dropped silently.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.contract import SOURCE_TABLES, SourceTable
from clientseg.errors import SourceError, first_line, redact
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)
BATCH_ROWS = 250_000
SUFFIXES = (".csv", ".parquet")
CSV_RULE = "CSV files are UTF-8, comma-separated, with a header row"
OTHER_DELIMITERS = (";", "\t", "|")
CONNECT_TIMEOUT_S = 10


def is_database_url(source: str) -> bool:
    return "://" in source


def source_files(root: Path, table: str) -> list[Path]:
    """The files holding `table`: `<table>.csv|.parquet` or a folder of such files.

    In a folder, names starting with `.` or `_` (`_SUCCESS`, editor files) are not data; any
    other entry that is not a `.csv` or `.parquet` file (`.csv.gz`, `.CSV`, a sub-folder) is a
    SourceError: skipping it would lose its rows without a word.
    """
    single = [root / f"{table}{s}" for s in SUFFIXES if (root / f"{table}{s}").is_file()]
    folder = root / table
    if folder.is_dir():
        single.append(folder)
    if len(single) > 1:
        raise SourceError(
            f"{root}: source table '{table}' is delivered twice "
            f"({' and '.join(p.name for p in single)}; rule: one file or one folder per table)")
    if not single:
        raise SourceError(
            f"{root}: source table '{table}' is missing "
            f"(expected {table}.csv, {table}.parquet or a folder {table}/)")
    if not folder.is_dir():
        return single
    entries = sorted(folder.iterdir())
    files = [p for p in entries if not p.name.startswith((".", "_"))]
    if len(files) < len(entries):
        log.info("%s: skipped, not data: %s", folder,
                 ", ".join(p.name for p in entries if p not in files))
    unread = next((p for p in files if not (p.is_file() and p.suffix in SUFFIXES)), None)
    if unread:
        raise SourceError(
            f"{unread}: not a data file of source table '{table}' (rule: a table's folder "
            f"holds .csv and .parquet files only, not sub-folders; names starting with . or _ "
            f"are skipped)")
    if not files:
        raise SourceError(f"{folder}: source table '{table}' is missing "
                          f"(the folder holds no .csv or .parquet file)")
    return files


def _check_columns(where: str, table: SourceTable, columns: list[str]) -> None:
    """Every contract column present, by its exact lower-case name, and only once."""
    missing = [c for c in table.column_names if c not in columns]
    if missing:
        near = {c.strip().lower(): c for c in columns}
        first = missing[0]
        hint = (f"names are exact and lower case, found '{near[first]}'" if first in near
                else f"SOURCE.md table {table.name} requires it; "
                     f"{len(missing)} of {len(table.column_names)} columns missing")
        raise SourceError(f"{where}: column '{first}' is missing (rule: {hint})")
    twice = [c for c in table.column_names if columns.count(c) > 1]
    if twice:
        raise SourceError(f"{where}: column '{twice[0]}' appears more than once "
                          f"(rule: one column per name)")


def _csv_header(path: Path) -> list[str]:
    """The header row's names, read by us: the CSV sniffer could take data for a header."""
    with path.open("rb") as f:
        first = f.readline(1 << 20).removeprefix(codecs.BOM_UTF8)
        rest = f.read(1 << 16)
    if not first.strip() and not rest.strip():
        raise SourceError(f"{path}: empty file (rule: a header row is required)")
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: line 1 is not valid UTF-8 (rule: {CSV_RULE})") from exc
    if not line.strip():
        raise SourceError(f"{path}: line 1 is blank, not a header row (rule: {CSV_RULE})")
    header = next(csv.reader([line.rstrip("\r\n")]))
    other = [d for d in OTHER_DELIMITERS if len(header) == 1 and d in header[0]]
    if other:
        raise SourceError(f"{path}: the header is separated by {other[0]!r}, not by commas "
                          f"(rule: {CSV_RULE})")
    return header


def _csv_error(path: Path, exc: duckdb.Error) -> SourceError:
    """DuckDB's multi-line CSV error as one line: the file, the line and what is wrong."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if "Invalid unicode" in text:
        problem = "is not valid UTF-8"
    elif fields:
        problem = f"has {fields.group(2)} fields, the header has {fields.group(1)}"
    elif "unterminated quote" in text:
        problem = "has a quote that is never closed"
    else:
        problem = f"cannot be read ({first_line(exc)})"
    where = f"line {_physical_line(path, int(line.group(1)))}" if line else "a line"
    return SourceError(f"{path}: {where} {problem} (rule: {CSV_RULE})")


def _physical_line(path: Path, record: int) -> int:
    """The line of the file that DuckDB's `record` (the header is 1) starts on: they differ
    after a quoted value holding line breaks. DuckDB's number if the file cannot say."""
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as f:
            reader = csv.reader(f)
            for _ in range(record - 1):
                next(reader)
            return reader.line_num + 1
    except (OSError, csv.Error, StopIteration):
        return record


def _parquet_error(path: Path, exc: duckdb.Error) -> SourceError:
    detail = first_line(exc).removeprefix("Invalid Input Error: ")
    return SourceError(f"{path}: not a readable Parquet file ({detail})")


def _file_relation(duck: duckdb.DuckDBPyConnection, path: Path, table: SourceTable
                   ) -> duckdb.DuckDBPyRelation:
    """The file's contract columns, as text, in contract order (columns checked first)."""
    if path.suffix == ".csv":
        header = _csv_header(path)
        _check_columns(str(path), table, header)
        # Positional names: the header is ours; strict parsing, nothing sniffed or skipped.
        rel = duck.read_csv(
            str(path), header=True, columns={f"c{i}": "VARCHAR" for i in range(len(header))},
            sep=",", quotechar='"', escapechar='"', encoding="utf-8", auto_detect=False,
            strict_mode=True, null_padding=False)
        return rel.select(", ".join(f'c{header.index(c)} as "{c}"' for c in table.column_names))
    try:
        rel = duck.read_parquet(str(path))
    except duckdb.Error as exc:
        raise _parquet_error(path, exc) from exc
    _check_columns(str(path), table, rel.columns)
    types = dict(zip(rel.columns, map(str, rel.types), strict=True))
    return rel.select(", ".join(f'cast({_in_utc(c, types[c])} as varchar) as "{c}"'
                                for c in table.column_names))


def _in_utc(column: str, type_: str) -> str:
    """A Parquet timestamp with time zone as UTC wall time, as a database source's is read (in a
    UTC session): its text then does not depend on the worker's time zone."""
    quoted = f'"{column}"'
    return f"timezone('UTC', {quoted})" if type_ == "TIMESTAMP WITH TIME ZONE" else quoted


def _file_rows(duck: duckdb.DuckDBPyConnection, path: Path, table: SourceTable,
               first_row_id: int) -> duckdb.DuckDBPyRelation:
    """The file's rows with their identity: row id (from `first_row_id`), file and line."""
    origin = str(path).replace("'", "''")
    return _file_relation(duck, path, table).query("rel", (
        f"select *, {first_row_id} + row_number() over () - 1 as _row_id, "
        f"'{origin}' as _source_file, row_number() over () as _source_row from rel"))


def _file_error(path: Path, exc: duckdb.Error) -> SourceError:
    return (_csv_error if path.suffix == ".csv" else _parquet_error)(path, exc)


def _file_batches(path: Path, table: SourceTable, first_row_id: int) -> Iterator[pa.RecordBatch]:
    duck = duckdb.connect()
    try:
        yield from _file_rows(duck, path, table, first_row_id).to_arrow_reader(BATCH_ROWS)
    except duckdb.Error as exc:
        raise _file_error(path, exc) from exc
    finally:
        duck.close()


def _insert_files(duck: duckdb.DuckDBPyConnection, target: str, table: SourceTable,
                  files: list[Path], first_row_id: int) -> int:
    """A DuckDB warehouse reads the files itself, straight into `target`: no copy on the way.
    Returns the rows inserted."""
    next_id = first_row_id
    for path in files:
        try:
            _file_rows(duck, path, table, next_id).insert_into(target)
        except duckdb.Error as exc:
            raise _file_error(path, exc) from exc
        next_id = duck.execute(f"select coalesce(max(_row_id), {next_id} - 1) + 1 "
                               f"from {target}").fetchall()[0][0]
    return next_id - first_row_id


def _engine(url: str) -> sa.Engine:
    """The source database; PostgreSQL sessions in UTC, so a `timestamptz` reads the same
    whatever the server's or database's time zone (its offset is then ignored: README)."""
    args = ({"connect_timeout": CONNECT_TIMEOUT_S, "options": "-c timezone=UTC"}
            if url.startswith("postgresql") else {})
    return sa.create_engine(url, poolclass=sa.NullPool, connect_args=args)


def _database_batches(url: str, table: SourceTable, schema: str | None) -> Iterator[pa.RecordBatch]:
    database = redact(url)
    name = f"{schema}.{table.name}" if schema else table.name
    try:
        engine = _engine(url)
        conn = engine.connect()
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise SourceError(f"{database}: source database unreachable "
                          f"({first_line(exc)})") from exc
    try:
        inspector = sa.inspect(conn)
        if not inspector.has_table(table.name, schema=schema):
            raise SourceError(f"{database}: source table '{name}' is missing "
                              f"(rule: SOURCE.md needs all five tables)")
        found = [c["name"] for c in inspector.get_columns(table.name, schema)]
        _check_columns(f"{database} table {name}", table, found)
        query = sa.select(*[sa.column(c) for c in table.column_names]).select_from(
            sa.table(table.name, schema=schema))
        result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(query)
        row_id = 1
        for rows in result.partitions():
            columns = list(zip(*rows, strict=True)) or [[] for _ in table.column_names]
            arrays = {n: pa.array([_as_text(v) for v in col], pa.string())
                      for n, col in zip(table.column_names, columns, strict=True)}
            ids = pa.array(range(row_id, row_id + len(rows)), pa.int64())
            origin = pa.array([f"{database} table {name}"] * len(rows), pa.string())
            arrays |= {"_row_id": ids, "_source_file": origin, "_source_row": ids}
            row_id += len(rows)
            yield pa.RecordBatch.from_pydict(arrays)
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{database} table {name}: unreadable "
                          f"({first_line(exc)})") from exc
    finally:
        conn.close()
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


def _files(source: str, table: SourceTable, only: list[Path] | None) -> list[Path]:
    root = Path(source)
    if not root.is_dir():
        raise SourceError(f"{source}: source directory does not exist")
    return source_files(root, table.name) if only is None else only


def table_batches(source: str, table: SourceTable, schema: str | None = None,
                  only: list[Path] | None = None, first_row_id: int = 1
                  ) -> Iterator[pa.RecordBatch]:
    """All rows of one source table (or of the files `only`) as text Arrow batches with row
    identity columns (row ids from `first_row_id`)."""
    if is_database_url(source):
        yield from _database_batches(source, table, schema)
        return
    next_id = first_row_id
    for path in _files(source, table, only):
        for batch in _file_batches(path, table, next_id):
            next_id += batch.num_rows
            yield batch


def extract(run: RunContext, wh: Warehouse, schema: str | None = None,
            only: dict[str, list[Path]] | None = None) -> dict[str, int]:
    """Land every source table in `staging.raw_<table>__<key>`; return rows read per table.

    `only` maps a table to the files to read (the new ones, see incremental.py)."""
    rows_read: dict[str, int] = {}
    with wh.begin() as conn:
        for table in SOURCE_TABLES:
            target = run.table("raw", table.name)
            columns = ", ".join(f"{c} text" for c in table.column_names)
            conn.execute(sa.text(f"drop table if exists {target}"))
            conn.execute(sa.text(
                f"create table {target} ({columns}, _row_id bigint, _source_file text, "
                f"_source_row bigint)"))
            rows_read[table.name] = _land(run, wh, conn, table, (only or {}).get(table.name),
                                          schema)
            log.info("extracted %s: %d rows into %s", table.name, rows_read[table.name], target)
            if table.name == "clients" and not rows_read["clients"]:
                raise SourceError(
                    f"{redact(run.source)}: source table 'clients' has no rows (rule: the "
                    f"client master is delivered in full with every run; an empty one would "
                    f"unpublish every client)")
    return rows_read


def append_files(run: RunContext, wh: Warehouse, conn: Connection, table: SourceTable,
                 files: list[Path]) -> int:
    """Land more files of a folder table in the run's raw table, their row ids after the
    last; returns the rows added."""
    return _land(run, wh, conn, table, files)


def _land(run: RunContext, wh: Warehouse, conn: Connection, table: SourceTable,
          files: list[Path] | None, schema: str | None = None) -> int:
    """Insert the table's rows (or those of `files`) into its raw table; rows inserted."""
    target = run.table("raw", table.name)
    first_row_id = int(conn.execute(sa.text(
        f"select coalesce(max(_row_id), 0) + 1 from {target}")).scalar_one())
    if wh.dialect == "duckdb" and not is_database_url(run.source):
        return _insert_files(conn.connection.driver_connection, target, table,
                             _files(run.source, table, files), first_row_id)
    return wh.bulk_load(conn, target, table_batches(run.source, table, schema, files,
                                                    first_row_id))
