"""
### Client segmentation (nightly)

Classifies every open client of the firm for one **as-of date** and publishes the results to
the warehouse (`mart.client_segments`, `mart.client_segments_history`,
`mart.client_category_changes`), with run bookkeeping in `ops.pipeline_runs` and
`ops.data_quality_results`, and rejected source rows in `quarantine.<table>`.

* **Schedule:** 02:00 UTC every night; the as-of date is the day before the run's logical
  date (the business day that just closed). Trigger with the param `as_of` (YYYY-MM-DD) to
  (re)run any past date: a re-run replaces that date's rows.
* **Tasks:** extract → validate (Great Expectations) → load → transform (SQL in
  `include/sql/transform`) → publish (one transaction) → summary → report (HTML report and
  GX Data Docs; the task's output holds the as-of date and the headline counts).
* **Where:** source and warehouse come from `CLIENTSEG_SOURCE` / `CLIENTSEG_WAREHOUSE_URL` or
  the Airflow connections `clientseg_source` / `clientseg_warehouse` (see README).
* **Alerts:** a failed task alerts (log; webhook / e-mail when configured) with DAG, task,
  as-of date, try and reason; a run not finished by `CLIENTSEG_DEADLINE` (06:00 UTC) alerts too.
* **On failure:** the task log and `ops.pipeline_runs.error` hold a one-line reason; the mart
  is left as it was. Bad data fails at once; other errors are retried with backoff.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, task

from clientseg.alerts import publish_deadline
from clientseg.dag_tasks import execute, on_task_failure

SEGMENTS = Asset("clientseg://mart/client_segments")
SCHEDULE = "0 2 * * *"


@dag(
    dag_id="client_segmentation",
    schedule=SCHEDULE,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    deadline=publish_deadline(SCHEDULE),
    max_active_runs=1,
    doc_md=__doc__,
    tags=["clientseg", "segmentation", "mifid", "finsa"],
    params={"as_of": Param(None, type=["null", "string"], format="date",
                           description="As-of date to (re)run; default: the day before.")},
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "on_failure_callback": on_task_failure,
    },
)
def client_segmentation() -> None:
    @task(doc_md="Copy the five source tables, as text, into run-scoped staging tables.")
    def extract(**context) -> dict:
        return execute("extract", context)

    @task(doc_md="Run the GX suites of `expectations/`; quarantine rows that break a rule.")
    def validate(extracted: dict, **context) -> dict:
        return execute("validate", context, extracted)

    @task(doc_md="Cast the valid rows into typed staging tables; keep every client version.")
    def load(validated: dict, **context) -> dict:
        return execute("load", context, validated)

    @task(doc_md="Build every measure, segment and category with the SQL models.")
    def transform(loaded: dict, **context) -> dict:
        return execute("transform", context, loaded)

    @task(outlets=[SEGMENTS], doc_md="Replace the as-of date's mart rows in one transaction.")
    def publish(transformed: dict, **context) -> dict:
        return execute("publish", context, transformed)

    @task(doc_md="Count clients per segment and category; drop the run's staging tables.")
    def summary(published: dict, **context) -> dict:
        return execute("summary", context, published)

    @task(doc_md="Write the HTML report (`reports/<D>/index.html` next to the warehouse) and "
                 "the Great Expectations Data Docs (`data_docs/`); return the as-of date, the "
                 "headline counts and both paths. Runs after publish: if it fails, the run is "
                 "red but its rows are published.")
    def report(summarised: dict, **context) -> dict:
        return execute("report", context, summarised)

    report(summary(publish(transform(load(validate(extract()))))))


client_segmentation()
