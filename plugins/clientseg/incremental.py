"""Incremental sources: each file of a folder-delivered table is read and validated once.

Transactions and holdings arrive as folders of files (`transactions/2026-06.csv`,
`holdings/2026-06-30.parquet`) that come back unchanged night after night, plus a new one.
A file is known by its name inside the folder and the SHA-256 of its content
(`staging.source_files`; like make and rsync, a file whose size and modification time are
unchanged is not hashed again). A run extracts and validates only the new or changed files;
their valid rows join the table's store (`staging.store_<table>`), which the transform reads.
Rows of a changed or vanished file leave the store, so the store always equals the valid rows
of the current delivery. A table delivered as one file, or from a database, is read in full.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.contract import BY_NAME
from clientseg.expectations import suite_json
from clientseg.extract import is_database_url, source_files
from clientseg.runs import RunContext
from clientseg.sql import sql_list
from clientseg.validate import valid_rows
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)
STORED_TABLES = ("transactions", "holdings")  # append-only in practice, delivered as folders
FINGERPRINTS = "staging.source_files"
HASH_BLOCK = 8 << 20


@dataclass(frozen=True)
class SourceFile:
    """One delivered file: its name in the table folder, where it is, and its fingerprint."""

    table_name: str
    file: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    action: str  # read (new or changed), kept (validated by an earlier run), gone (vanished)


def store_table(table: str) -> str:
    return f"staging.store_{table}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def ensure_tables(wh: Warehouse, conn: Connection) -> None:
    wh.run(conn, "ddl/staging_source_files.sql")
    for table in STORED_TABLES:
        wh.run(conn, "ddl/staging_store_table.sql", table=BY_NAME[table],
               store=store_table(table))
        if wh.dialect == "postgresql":
            wh.run(conn, "ddl/staging_store_date_index.sql", table=BY_NAME[table],
                   store=store_table(table))


def _folder_files(source: str, table: str) -> list[Path] | None:
    """The table's files if it is delivered as a folder only, else None (read in full)."""
    if is_database_url(source) or not (Path(source) / table).is_dir():
        return None
    files = source_files(Path(source), table)
    return files if all(p.parent.name == table for p in files) else None


def plan(run: RunContext, wh: Warehouse) -> dict[str, list[Path]]:
    """Decide, per folder table, which files to read; record the plan in the run's table."""
    to_read: dict[str, list[Path]] = {}
    rows: list[SourceFile] = []
    with wh.begin() as conn:
        ensure_tables(wh, conn)
        for table in STORED_TABLES:
            files = _folder_files(run.source, table)
            if files is None:
                continue
            known = {r.file: r for r in conn.execute(sa.text(
                f"select file, size, mtime_ns, sha256 from {FINGERPRINTS} "
                f"where table_name = :t"), {"t": table})}
            for path in files:
                name, stat = f"{table}/{path.name}", path.stat()
                old = known.pop(name, None)
                quick = old is not None and (old.size, old.mtime_ns) == (stat.st_size,
                                                                         stat.st_mtime_ns)
                sha = old.sha256 if quick else sha256_of(path)
                action = "kept" if old is not None and old.sha256 == sha else "read"
                rows.append(SourceFile(table, name, str(path), stat.st_size, stat.st_mtime_ns,
                                       sha, action))
            rows += [SourceFile(table, name, "", 0, 0, "", "gone") for name in known]
            mine = [r for r in rows if r.table_name == table]
            to_read[table] = [Path(r.path) for r in mine if r.action == "read"]
            log.info("%s: %d files to read, %d unchanged, %d gone", table, len(to_read[table]),
                     sum(r.action == "kept" for r in mine), len(known))
        target = run.table("plan", "source_files")
        wh.drop_tables(conn, [target])
        conn.execute(sa.text(
            f"create table {target} (table_name text, file text, path text, size bigint, "
            f"mtime_ns bigint, sha256 text, action text)"))
        wh.bulk_load(conn, target, [pa.RecordBatch.from_pylist(
            [r.__dict__ for r in rows], schema=_PLAN_SCHEMA)])
    return to_read


_PLAN_SCHEMA = pa.schema([
    ("table_name", pa.string()), ("file", pa.string()), ("path", pa.string()),
    ("size", pa.int64()), ("mtime_ns", pa.int64()), ("sha256", pa.string()),
    ("action", pa.string()),
])  # fmt: skip


def stored_tables(run: RunContext, wh: Warehouse, conn: Connection) -> list[str]:
    """The tables of this run that the transform reads from their store."""
    target = run.table("plan", "source_files")
    if not wh.table_exists(conn, target):
        return []
    return [r[0] for r in conn.execute(sa.text(f"select distinct table_name from {target}"))]


def lock_stores(conn: Connection, stored: list[str], mode: str) -> None:
    """PostgreSQL: lock the file list and the stores of `stored`, always in this order (no
    deadlock between a merge and a transform)."""
    if stored:
        tables = ", ".join([FINGERPRINTS, *(store_table(t) for t in stored)])
        conn.execute(sa.text(f"lock table {tables} in {mode} mode"))


def typed_table(run: RunContext, stored: list[str], table: str) -> str:
    return store_table(table) if table in stored else run.table("typed", table)


def _waiting_rules(table: str) -> list[str]:
    """Every `rules_broken` of a row that broke only rules on other tables (its client unknown,
    no FX rate for its currency): the row may pass once those tables change."""
    rules = [e["meta"]["rule"] for e in suite_json(table)["expectations"]
             if e["kwargs"].get("column", "").endswith(("__unknown", "__no_rate"))]
    return ["; ".join(combination) for n in range(1, len(rules) + 1)
            for combination in itertools.combinations(rules, n)]


def recheck(run: RunContext, wh: Warehouse, table: str) -> int:
    """Read again the kept files of `table` holding a row that would pass now: quarantined
    only for an unknown client or a missing FX rate when its file was read, and the client
    or rate is valid in this delivery (a corrected client master, a late rate). The files
    become `read` in the run's plan; returns the rows added to the run's raw table."""
    from clientseg.extract import append_files

    if table not in STORED_TABLES:
        return 0
    plan_table = run.table("plan", "source_files")
    with wh.begin() as conn:
        if not wh.table_exists(conn, plan_table):
            return 0
        valid = {t: valid_rows(run, t) for t in ("clients", "fx_rates")}
        paths = [r[0] for r in wh.run(
            conn, "incremental/recheck_files.sql", table=BY_NAME[table], plan=plan_table,
            fingerprints=FINGERPRINTS, valid=valid, waiting_rules=_waiting_rules(table),
            sql_list=sql_list)]
        if not paths:
            return 0
        rows = append_files(run, wh, conn, BY_NAME[table], [Path(p) for p in sorted(paths)])
        conn.execute(sa.text(f"update {plan_table} set action = 'read' "
                             f"where table_name = :t and path in :paths").bindparams(
            sa.bindparam("paths", expanding=True)), {"t": table, "paths": paths})
    log.info("%s: %d kept files read again (%d rows): rows quarantined for an unknown client "
             "or a missing FX rate would pass now", table, len(paths), rows)
    return rows


# The statements of one table's merge, in order, in one transaction.
MERGE_STEPS = (
    "incremental/store_delete.sql",
    "incremental/store_insert.sql",
    "incremental/fingerprints_delete.sql",
    "incremental/fingerprints_insert.sql",
)


def merge(run: RunContext, wh: Warehouse, counts: dict[str, Any]) -> dict[str, Any]:
    """Move the valid rows of the files read into the stores; record their fingerprints.

    (A row whose id the store already holds from a kept file was quarantined by validate, as
    `must be unique`: the copy delivered first stays in use.)"""
    with wh.begin() as conn:
        stored = stored_tables(run, wh, conn)
        if wh.dialect == "postgresql":
            # Two runs' merges one after the other: under READ COMMITTED each would miss the
            # other's uncommitted rows of a file both read, and the store would hold them twice.
            # (A DuckDB file has one writing process.)
            lock_stores(conn, stored, "share row exclusive")
        for table in stored:
            context = {
                "table": BY_NAME[table], "store": store_table(table),
                "plan": run.table("plan", "source_files"), "valid": valid_rows(run, table),
                "raw": run.table("raw", table), "rejects": run.table("rejects", table),
                "fingerprints": FINGERPRINTS,
            }
            for step in MERGE_STEPS:
                wh.run(conn, step, {"table_name": table, "run_id": run.run_id}, **context)
            if wh.dialect == "postgresql":  # fresh statistics, or the planner guesses the joins
                conn.execute(sa.text(f"analyze {store_table(table)}"))
            log.info("%s: store updated", table)
    return counts
