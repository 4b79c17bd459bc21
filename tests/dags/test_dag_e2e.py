"""End to end: the real DAG, through `dag.test()`, on a generated source and a DuckDB file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow.models.dagbag import DagBag

from clientseg import config
from clientseg.contract import SOURCE_TABLES
from clientseg.generate import generate_source
from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 30)
DAGS = Path(__file__).resolve().parents[2] / "dags"
# Columns that name the run, not the data: they differ between two runs by design.
RUN_COLUMNS = {"run_id", "published_at", "changed_at", "computed_at"}
MART_TABLES = ("mart.client_segments_history", "mart.client_segments",
               "mart.client_category_changes")


class DagRunner:
    """Triggers `client_segmentation` for an as-of date against one source and warehouse."""

    def __init__(self, source: Path, warehouse: Path) -> None:
        self.source, self.url = source, f"duckdb:///{warehouse}"
        self.dag = DagBag(dag_folder=str(DAGS)).get_dag("client_segmentation")

    def run(self, as_of: date) -> Any:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(config.SOURCE_ENV, str(self.source))
            env.setenv(config.WAREHOUSE_ENV, self.url)
            return self.dag.test(logical_date=datetime.now(UTC),
                                 run_conf={"as_of": as_of.isoformat()})

    def rows(self, table: str) -> list[tuple]:
        """Every row of `table`, without the run's own columns, in a stable order."""
        with Warehouse(self.url).begin() as conn:
            result = conn.execute(sa.text(f"select * from {table}"))
            keep = [i for i, c in enumerate(result.keys()) if c not in RUN_COLUMNS]
            return sorted((tuple(row[i] for i in keep) for row in result), key=repr)

    def run_row(self, run_id: str) -> dict[str, Any]:
        with Warehouse(self.url).begin() as conn:
            return dict(conn.execute(sa.text("select * from ops.pipeline_runs where run_id = :r"),
                                     {"r": run_id}).one()._mapping)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagRunner]:
    root = tmp_path_factory.mktemp("e2e")
    written = generate_source(root / "source", 400, seed=7, as_of=AS_OF)
    runner = DagRunner(root / "source", root / "warehouse.duckdb")
    runner.written = written
    yield runner


@pytest.fixture(scope="module")
def first_run(runner: DagRunner) -> Any:
    dag_run = runner.run(AS_OF)
    assert dag_run.state == "success"
    return dag_run


def test_run_publishes_every_open_client(runner, first_run):
    published = runner.run_row(first_run.run_id)
    assert published["status"] == "published"
    assert published["as_of_date"] == AS_OF
    history = runner.rows("mart.client_segments_history")
    assert len(history) == published["rows_published"] > 300


def test_rows_read_equal_rows_used_plus_quarantined(runner, first_run):
    run = runner.run_row(first_run.run_id)
    with Warehouse(runner.url).begin() as conn:
        for table in SOURCE_TABLES:
            read = run[f"rows_read_{table.name}"]
            used = run[f"rows_used_{table.name}"]
            quarantined = run[f"rows_quarantined_{table.name}"]
            assert read == runner.written[table.name], table.name
            assert read == used + quarantined, table.name
            in_quarantine = conn.execute(sa.text(
                f"select count(*) from quarantine.{table.name} where run_id = :r"),
                {"r": first_run.run_id}).scalar()
            assert in_quarantine == quarantined, table.name
    assert sum(run[f"rows_quarantined_{t.name}"] for t in SOURCE_TABLES) > 0


def test_rerun_of_the_same_date_leaves_identical_tables(runner, first_run):
    before = {table: runner.rows(table) for table in MART_TABLES}
    again = runner.run(AS_OF)
    assert again.state == "success"
    assert again.run_id != first_run.run_id
    for table in MART_TABLES:
        assert runner.rows(table) == before[table], table


def test_failed_run_leaves_the_mart_as_it_was(runner, first_run, tmp_path):
    before = {table: runner.rows(table) for table in MART_TABLES}
    source = shutil.copytree(runner.source, tmp_path / "source")
    clients = source / "clients.csv"
    lines = clients.read_text().splitlines()
    clients.write_text("\n".join([lines[0].replace("birth_date", "born")] + lines[1:]) + "\n")
    broken = DagRunner(source, Path(runner.url.removeprefix("duckdb:///")))
    dag_run = broken.run(AS_OF)
    assert dag_run.state == "failed"
    error = broken.run_row(dag_run.run_id)["error"]
    assert "clients.csv" in error and "birth_date" in error
    for table in MART_TABLES:
        assert runner.rows(table) == before[table], table
