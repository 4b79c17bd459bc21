"""Where the source and the warehouse are: environment variables, Airflow connections, defaults.

Order of precedence for each setting: the environment variable, then the Airflow connection,
then the default (the demo source and the embedded DuckDB warehouse under data/).
"""

from __future__ import annotations

import os
import re
from typing import Any

from clientseg.paths import DATA_DIR

WAREHOUSE_ENV = "CLIENTSEG_WAREHOUSE_URL"
SOURCE_ENV = "CLIENTSEG_SOURCE"
SOURCE_SCHEMA_ENV = "CLIENTSEG_SOURCE_SCHEMA"
BI_ROLE_ENV = "CLIENTSEG_BI_ROLE"
DEFAULT_BI_ROLE = "clientseg_bi"
WAREHOUSE_CONN_ID = "clientseg_warehouse"
SOURCE_CONN_ID = "clientseg_source"
DEFAULT_WAREHOUSE_URL = f"duckdb:///{DATA_DIR / 'warehouse.duckdb'}"
DEFAULT_SOURCE = str(DATA_DIR / "demo-source")


def _connection(conn_id: str) -> Any | None:
    """The Airflow connection `conn_id`, or None outside Airflow or when it is not defined."""
    try:
        from airflow.sdk import Connection

        return Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - not defined, or no Airflow context: fall back
        return None


def connection_url(conn: Any) -> str:
    """A SQLAlchemy URL (or, for a file source, a path) from an Airflow connection.

    `extra.sqlalchemy_url` or `extra.path` win; a postgres connection is turned into a
    psycopg 3 URL from its host, port, login, password and schema (the database name).
    """
    extra = conn.extra_dejson or {}
    if extra.get("sqlalchemy_url") or extra.get("path"):
        return str(extra.get("sqlalchemy_url") or extra["path"])
    if conn.conn_type in ("postgres", "postgresql"):
        auth = conn.login or ""
        if conn.password:
            auth += f":{conn.password}"
        host = f"{conn.host or 'localhost'}:{conn.port or 5432}"
        return f"postgresql+psycopg://{auth}{'@' if auth else ''}{host}/{conn.schema or ''}"
    raise ValueError(f"connection {conn.conn_id}: set extra.sqlalchemy_url or extra.path")


def _resolve(env: str, conn_id: str, default: str) -> str:
    if os.environ.get(env):
        return os.environ[env]
    conn = _connection(conn_id)
    return connection_url(conn) if conn is not None else default


def warehouse_url() -> str:
    return _resolve(WAREHOUSE_ENV, WAREHOUSE_CONN_ID, DEFAULT_WAREHOUSE_URL)


def source_location() -> str:
    return _resolve(SOURCE_ENV, SOURCE_CONN_ID, DEFAULT_SOURCE)


def source_schema() -> str | None:
    if os.environ.get(SOURCE_SCHEMA_ENV):
        return os.environ[SOURCE_SCHEMA_ENV]
    conn = _connection(SOURCE_CONN_ID)
    return (conn.extra_dejson or {}).get("schema") if conn is not None else None


def bi_role() -> str:
    """The PostgreSQL role BI tools use (SELECT on mart only): a plain lower-case identifier."""
    name = os.environ.get(BI_ROLE_ENV) or DEFAULT_BI_ROLE
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"{BI_ROLE_ENV}={name!r}: not a plain lower-case SQL identifier")
    return name
