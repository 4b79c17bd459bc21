"""The DAG's `report` task: after `summary`, it writes the HTML report next to the warehouse
and the GX Data Docs, and returns the as-of date and the headline counts as its output."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from airflow.models.dagbag import DagBag
from sources import write_source

from clientseg import config
from clientseg.report_text import REPORTS_ENV

DAGS = Path(__file__).resolve().parents[2] / "dags"
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def dag():
    return DagBag(dag_folder=str(DAGS)).get_dag("client_segmentation")


def test_report_runs_after_summary_and_is_documented(dag):
    report = dag.get_task("report")
    assert report.upstream_task_ids == {"summary"}
    assert not report.downstream_task_ids
    assert "Data Docs" in report.doc_md


@pytest.mark.e2e
def test_run_writes_report_and_data_docs_and_returns_the_counts(dag, tmp_path):
    source = write_source(tmp_path / "source",
                          clients=[{"client_id": "C1"}, {"client_id": "C2"}],
                          transactions=[{"client_id": "C1", "trade_date": "2026-06-01"}])
    with pytest.MonkeyPatch.context() as env:
        env.setenv(config.SOURCE_ENV, str(source))
        env.setenv(config.WAREHOUSE_ENV, f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
        env.delenv(REPORTS_ENV, raising=False)
        dag_run = dag.test(logical_date=datetime.now(UTC), run_conf={"as_of": AS_OF.isoformat()})
    assert dag_run.state == "success"
    report = tmp_path / "reports" / "2026-06-30" / "index.html"
    assert "Client segmentation, as of 2026-06-30" in report.read_text()
    assert (tmp_path / "data_docs" / "index.html").is_file()
    output = dag_run.get_task_instance("report").xcom_pull(task_ids="report")
    assert output["as_of_date"] == "2026-06-30"
    assert output["clients_published"] == 2
    assert output["abc_class"] == {"A": 1, "C": 1}
    assert output["report"] == str(report)


@pytest.mark.e2e
def test_a_report_folder_that_cannot_be_made_fails_the_task_at_once(dag, tmp_path):
    """No retry can mend a folder (its rights, a file in its place): the report task fails on
    its first try, instead of holding the run for its retries' delays; publish has run."""
    source = write_source(tmp_path / "source", clients=[{"client_id": "C1"}])
    (tmp_path / "taken").write_text("a file where the reports folder should be")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(config.SOURCE_ENV, str(source))
        env.setenv(config.WAREHOUSE_ENV, f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
        env.setenv(REPORTS_ENV, str(tmp_path / "taken" / "reports"))
        dag_run = dag.test(logical_date=datetime.now(UTC), run_conf={"as_of": AS_OF.isoformat()})
    report = dag_run.get_task_instance("report")
    assert (report.state, report.try_number) == ("failed", 1)
    assert dag_run.get_task_instance("publish").state == "success"
