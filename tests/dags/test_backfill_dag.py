"""Backfill through Airflow: past dates run by the real DAG, out of order (a backfill's runs,
whose as-of date comes from their logical date, and `clientseg run --as-of`), give the history
of the same dates run night after night."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from airflow.models.dagbag import DagBag
from marts import (
    D1,
    D2,
    D3,
    MART_TABLES,
    changes_from_history,
    changes_table,
    changing_source,
    table_rows,
)
from sources import write_source

from clientseg import cli, config
from clientseg.policy import load_policy
from clientseg.runs import RunContext
from clientseg.steps import run_pipeline

pytestmark = pytest.mark.e2e

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "client_segmentation.py"


def mart(url: str) -> dict[str, list[tuple]]:
    return {table: table_rows(url, table, drop=("run_id",)) for table in MART_TABLES}


def test_backfill_and_clientseg_run_out_of_order_give_the_nightly_history(monkeypatch,
                                                                         tmp_path):
    source = write_source(tmp_path / "source", **changing_source())
    nightly = f"duckdb:///{tmp_path / 'nightly.duckdb'}"
    for day in (D1, D2, D3):
        run_pipeline(RunContext(f"nightly__{day}", date.fromisoformat(day), str(source), nightly),
                     load_policy())
    url = f"duckdb:///{tmp_path / 'backfill.duckdb'}"
    monkeypatch.setenv(config.SOURCE_ENV, str(source))
    monkeypatch.setenv(config.WAREHOUSE_ENV, url)
    dag = DagBag(dag_folder=str(DAG_FILE)).get_dag("client_segmentation")

    for day in (D3, D1):  # as a backfill runs them: the scheduled time after each as-of date
        logical = datetime.combine(date.fromisoformat(day) + timedelta(days=1), time(2, 0), UTC)
        assert dag.test(logical_date=logical).state == "success"
    assert cli.main(["run", "--as-of", D2, "--source", str(source), "--warehouse", url]) == 0

    assert mart(url) == mart(nightly)
    assert changes_table(url) == changes_from_history(url)
    published = table_rows(url, "(select as_of_date, run_id from ops.pipeline_runs "
                                "where status = 'published') as r")
    assert [str(d) for d, _ in published] == [D1, D2, D3]
