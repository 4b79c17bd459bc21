"""Create and upgrade the warehouse schemas and tables, idempotently, with column comments.

Every run calls `ensure_schema`: missing schemas and tables are created, a documented column
missing from an existing table is added (an upgrade), the COMMENTs of include/columns.yaml are
(re)applied, and on PostgreSQL the BI role gets SELECT on the mart, and only on the mart.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg import config, vocab
from clientseg.contract import SOURCE_TABLES
from clientseg.data_dictionary import TableDoc, comment_statements, tables
from clientseg.warehouse import SCHEMAS, Warehouse

log = logging.getLogger(__name__)

TABLE_DDL = (
    "ddl/staging_client_versions.sql",
    "ddl/mart_client_segments_history.sql",
    "ddl/mart_client_segments.sql",
    "ddl/mart_client_category_changes.sql",
    "ddl/staging_client_last_published.sql",
    "ddl/ops_pipeline_runs.sql",
    "ddl/ops_data_quality_results.sql",
)
# PostgreSQL: concurrent runs set the schema up one at a time (catalog updates such as GRANT
# and COMMENT would otherwise fail with "tuple concurrently updated").
PG_SCHEMA_LOCK = "select pg_advisory_xact_lock(hashtext('clientseg.schema'))"
# information_schema, not SQLAlchemy's inspector: duckdb-engine's column reflection fails on
# DuckDB 2.0 (it queries pg_catalog.pg_collation).
COLUMNS_QUERY = (
    "select column_name from information_schema.columns "
    "where table_schema = :schema and table_name = :name order by ordinal_position"
)


def ensure_schema(wh: Warehouse) -> None:
    """Create, upgrade and document every schema and table the pipeline uses."""
    tables_ = [t.name for t in SOURCE_TABLES]
    with wh.begin() as conn:
        if wh.dialect == "postgresql":
            conn.execute(sa.text(PG_SCHEMA_LOCK))
        for schema in SCHEMAS:
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        if wh.dialect == "postgresql":
            wh.run(conn, "ddl/postgres_functions.sql")
        for ddl in TABLE_DDL:
            wh.run(conn, ddl, tables=tables_, attributes=vocab.CHANGE_ATTRIBUTES)
        for table in SOURCE_TABLES:
            wh.run(conn, "ddl/quarantine_table.sql", table=table)
        for doc in tables():
            add_missing_columns(conn, doc)
            for statement in comment_statements(doc):
                conn.execute(sa.text(statement))
        if wh.dialect == "postgresql":
            wh.run(conn, "ddl/postgres_grants.sql", role=config.bi_role())


def add_missing_columns(conn: Connection, doc: TableDoc) -> list[str]:
    """Upgrade: add the documented columns an existing table lacks (nullable, at the end)."""
    schema, name = doc.name.split(".")
    present = set(conn.execute(sa.text(COLUMNS_QUERY), {"schema": schema, "name": name}).scalars())
    added = [c for c in doc.columns if c.name not in present]
    for column in added:
        conn.execute(sa.text(f'alter table {doc.name} add column "{column.name}" {column.type}'))
        log.info("upgraded %s: added column %s %s", doc.name, column.name, column.type)
    return [c.name for c in added]
