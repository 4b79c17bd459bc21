"""Publish: replace the as-of date's rows in the mart, all at once or not at all."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg import vocab
from clientseg.runlog import mark_published
from clientseg.runs import RunContext
from clientseg.transform import OUTPUT_MODEL
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

# The statements of one publish, in order, all in one transaction.
STEPS = (
    "publish/history_delete.sql",
    "publish/history_insert.sql",
    "publish/latest_delete.sql",
    "publish/latest_insert.sql",
    "publish/changes_delete.sql",
    "publish/changes_insert.sql",
    "publish/last_published_delete.sql",
    "publish/last_published_insert.sql",
)
LAST_PUBLISHED = "staging.client_last_published"


# PostgreSQL: a transaction-scoped advisory lock, so that two publishes (two as-of dates)
# queue one behind the other; the key is fixed, and advisory locks are per database.
PG_PUBLISH_LOCK = "select pg_advisory_xact_lock(hashtext('clientseg.publish'))"
_duckdb_locks: dict[str, threading.Lock] = {}
_duckdb_locks_guard = threading.Lock()


def _duckdb_lock(wh: Warehouse) -> threading.Lock:
    """One lock per DuckDB file: its threads share one database, whose concurrent writers
    to the same rows would conflict; other processes cannot open the file meanwhile."""
    with _duckdb_locks_guard:
        return _duckdb_locks.setdefault(str(wh.engine.url.database), threading.Lock())


@contextmanager
def publish_transaction(wh: Warehouse) -> Iterator[Connection]:
    """The publish transaction, one at a time per warehouse: readers see all of it or none."""
    if wh.dialect == "postgresql":
        with wh.begin() as conn:
            conn.execute(sa.text(PG_PUBLISH_LOCK))
            yield conn
    else:
        # Taken before the transaction starts, so that it sees the previous publish.
        with _duckdb_lock(wh), wh.begin() as conn:
            yield conn


def publish(run: RunContext, wh: Warehouse, counts: dict[str, object],
            between_steps: Callable[[str], None] | None = None) -> int:
    """Publish the run's rows; `between_steps` is a hook called after each statement (tests)."""
    segments = run.table("model", OUTPUT_MODEL)
    with publish_transaction(wh) as conn:
        nightly = is_nightly(conn, run)
        for step in STEPS:
            wh.run(conn, step, {"as_of": run.as_of}, segments=segments,
                   attributes=vocab.CHANGE_ATTRIBUTES, nightly=nightly)
            if between_steps:
                between_steps(step)
        published = wh.count(conn, segments)
        mark_published(conn, run, published, counts)
    log.info("published %d rows for %s", published, run.as_of)
    return published


def is_nightly(conn: Connection, run: RunContext) -> bool:
    """Whether the run's date comes after every published date, with each client's latest row
    kept in step (`staging.client_last_published` holds the history's latest date): its changes
    are then found against the kept rows, else against the whole history, which also rebuilds
    them (a re-run or backfill of an earlier date, a warehouse upgraded from before the table)."""
    history, kept = conn.execute(sa.text(
        "select (select max(as_of_date) from mart.client_segments_history), "
        f"(select max(as_of_date) from {LAST_PUBLISHED})")).one()
    nightly = history == kept and (history is None or history < run.as_of)
    log.info("category changes of %s: %s", run.as_of,
             "against each client's kept latest row" if nightly else
             f"against the whole history (latest published {history}, kept rows of {kept})")
    return nightly
