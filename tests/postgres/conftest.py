"""PostgreSQL tests: throwaway databases on the local server, created and dropped per session.

The server is the one `make test` starts (127.0.0.1:5432, user postgres, trust auth);
CLIENTSEG_TEST_PG_URL points elsewhere. An unreachable server fails the session: it never skips.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))

from pgdb import AS_OF, Databases, Published, load_source  # noqa: E402

from clientseg import config  # noqa: E402
from clientseg.generate import generate_source  # noqa: E402
from clientseg.runs import RunContext  # noqa: E402
from clientseg.steps import run_pipeline  # noqa: E402
from clientseg.warehouse import Warehouse  # noqa: E402

GENERATED_CLIENTS = 300


@pytest.fixture(scope="session")
def bi_role() -> Iterator[str]:
    """A per-session BI role name (roles are cluster-wide), in CLIENTSEG_BI_ROLE; dropped after."""
    name = f"clientseg_bi_test_{uuid.uuid4().hex[:8]}"
    saved = os.environ.get(config.BI_ROLE_ENV)
    os.environ[config.BI_ROLE_ENV] = name
    yield name
    if saved is None:
        os.environ.pop(config.BI_ROLE_ENV, None)
    else:
        os.environ[config.BI_ROLE_ENV] = saved


@pytest.fixture(scope="session")
def pg_databases(bi_role: str) -> Iterator[Databases]:
    databases = Databases()
    yield databases
    databases.drop_all(bi_role)


@pytest.fixture(scope="session")
def pg_url(pg_databases: Databases) -> str:
    """The session's shared throwaway database."""
    return pg_databases.new()


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh schema name in the session database, for one test's source tables."""
    name = f"src_{uuid.uuid4().hex[:8]}"
    yield name
    with Warehouse(pg_url).begin() as conn:
        conn.execute(sa.text(f"drop schema if exists {name} cascade"))


@pytest.fixture(scope="session")
def published(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """A generated source published by PostgreSQL (source and warehouse) and by DuckDB."""
    root = tmp_path_factory.mktemp("published")
    generate_source(root / "source", GENERATED_CLIENTS, seed=11, as_of=AS_OF)
    done = Published(root / "source", "core", pg_url, f"duckdb:///{root / 'warehouse.duckdb'}")
    load_source(pg_url, done.source_schema, done.source_dir)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(config.SOURCE_SCHEMA_ENV, done.source_schema)
        run_pipeline(RunContext(done.run_id, AS_OF, pg_url, pg_url))
        env.delenv(config.SOURCE_SCHEMA_ENV)
        run_pipeline(RunContext(done.run_id, AS_OF, str(done.source_dir), done.duckdb_url))
    return done
