"""The BI role (CLIENTSEG_BI_ROLE): reads the mart; writes nothing; never sees raw client data."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg.errors
import pytest
import sqlalchemy as sa
from pgdb import Published
from sqlalchemy.engine import Connection

from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.postgres

MART_TABLES = ("mart.client_segments_history", "mart.client_segments",
               "mart.client_category_changes")
# Raw client data (staging, quarantine) and ops (data-quality samples hold raw values).
HIDDEN_TABLES = ("staging.client_versions", "quarantine.clients", "quarantine.transactions",
                 "ops.pipeline_runs", "ops.data_quality_results")
WRITES = {
    "insert": "insert into mart.client_segments (as_of_date, client_id, run_id) "
              "values (date '2026-06-30', 'X', 'bi')",
    "update": "update mart.client_segments_history set abc_class = 'A'",
    "delete": "delete from mart.client_category_changes",
    "truncate": "truncate mart.client_segments",
    "alter": "alter table mart.client_segments add column note text",
    "drop": "drop table mart.client_segments",
    "create_in_mart": "create table mart.bi_scratch (x int)",
    "create_in_public": "create table public.bi_scratch (x int)",
    "create_schema": "create schema bi_scratch",
    "comment": "comment on table mart.client_segments is 'changed'",
    "insert_ops": "insert into ops.pipeline_runs (run_id, as_of_date, started_at, status) "
                  "values ('bi', date '2026-06-30', now(), 'running')",
}


@pytest.fixture
def as_bi(published: Published, bi_role: str) -> Iterator[Connection]:
    """A connection acting as the BI role; every statement rolled back at the end."""
    with Warehouse(published.pg_url).engine.connect() as conn:
        conn.execute(sa.text(f"set role {bi_role}"))
        yield conn
        conn.rollback()


def _refused(conn: Connection, sql: str) -> bool:
    """True when PostgreSQL refuses `sql` for lack of privilege (the savepoint keeps going)."""
    try:
        with conn.begin_nested():
            conn.execute(sa.text(sql))
    except sa.exc.ProgrammingError as exc:
        return isinstance(exc.orig, psycopg.errors.InsufficientPrivilege)
    return False


def test_bi_role_is_a_group_role_without_login(published: Published, bi_role: str) -> None:
    wh = Warehouse(published.pg_url)
    assert wh.scalar("select rolcanlogin from pg_roles where rolname = :r", {"r": bi_role}) is False


@pytest.mark.parametrize("table", MART_TABLES)
def test_bi_role_reads_every_mart_table(as_bi: Connection, table: str) -> None:
    assert as_bi.execute(sa.text(f"select count(*) from {table}")).scalar() > 0


@pytest.mark.parametrize("sql", list(WRITES.values()), ids=list(WRITES))
def test_bi_role_cannot_write(as_bi: Connection, sql: str) -> None:
    assert _refused(as_bi, sql)


@pytest.mark.parametrize("table", HIDDEN_TABLES)
def test_bi_role_cannot_read_raw_data_or_ops(as_bi: Connection, table: str) -> None:
    assert _refused(as_bi, f"select count(*) from {table}")


def test_the_owner_is_not_refused(published: Published) -> None:
    """The refusals above come from the role, not from the statements."""
    with Warehouse(published.pg_url).engine.connect() as conn:
        assert not _refused(conn, WRITES["update"])
        assert not _refused(conn, "select count(*) from quarantine.clients")
        conn.rollback()


def test_a_mart_table_created_later_is_readable(published: Published, bi_role: str) -> None:
    """Default privileges: a table the pipeline adds to mart later needs no new grant."""
    wh = Warehouse(published.pg_url)
    with wh.begin() as conn:
        conn.execute(sa.text("create table mart.added_later as select 1 as x"))
    try:
        with wh.engine.connect() as conn:
            conn.execute(sa.text(f"set role {bi_role}"))
            assert conn.execute(sa.text("select x from mart.added_later")).scalar() == 1
    finally:
        with wh.begin() as conn:
            conn.execute(sa.text("drop table mart.added_later"))
