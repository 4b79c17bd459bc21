"""`clientseg run` through the real DAG with a PostgreSQL source and a PostgreSQL warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pgdb import Databases, Published

from clientseg import config
from clientseg.warehouse import Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

CLIENTSEG = Path(sys.executable).with_name("clientseg")
HISTORY = ("select * from mart.client_segments_history where as_of_date = :d "
           "order by client_id")


def _history(url: str, as_of: object) -> list[tuple]:
    with Warehouse(url).begin() as conn:
        result = conn.execute(sa.text(HISTORY), {"d": as_of})
        keep = [i for i, name in enumerate(result.keys()) if name != "run_id"]
        return [tuple(row[i] for i in keep) for row in result]


def test_clientseg_run_publishes_from_postgres_to_postgres(
        published: Published, pg_databases: Databases) -> None:
    warehouse = pg_databases.new()
    env = {**os.environ, config.SOURCE_SCHEMA_ENV: published.source_schema}
    done = subprocess.run(
        [str(CLIENTSEG), "run", "--as-of", published.as_of.isoformat(),
         "--source", published.pg_url, "--warehouse", warehouse],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("published run ")
    rows = _history(warehouse, published.as_of)
    assert len(rows) > 0
    assert rows == _history(published.pg_url, published.as_of)
    status = Warehouse(warehouse).scalar("select status from ops.pipeline_runs")
    assert status == "published"
