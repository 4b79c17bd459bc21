"""Create the warehouse schemas and tables, idempotently."""

from __future__ import annotations

import sqlalchemy as sa

from clientseg.contract import SOURCE_TABLES
from clientseg.warehouse import SCHEMAS, Warehouse

TABLE_DDL = (
    "ddl/staging_client_versions.sql",
    "ddl/mart_client_segments_history.sql",
    "ddl/mart_client_segments.sql",
    "ddl/mart_client_category_changes.sql",
    "ddl/ops_pipeline_runs.sql",
    "ddl/ops_data_quality_results.sql",
)


def ensure_schema(wh: Warehouse) -> None:
    """Create every schema and table the pipeline uses, if missing."""
    tables = [t.name for t in SOURCE_TABLES]
    with wh.begin() as conn:
        for schema in SCHEMAS:
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        if wh.dialect == "postgresql":
            wh.run(conn, "ddl/postgres_functions.sql")
        for ddl in TABLE_DDL:
            wh.run(conn, ddl, tables=tables)
        for table in SOURCE_TABLES:
            wh.run(conn, "ddl/quarantine_table.sql", table=table)
