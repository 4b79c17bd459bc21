"""Publish is all or nothing: a fault or a killed process between any two of its statements
leaves the mart as it was, the retry publishes, and two dates never interleave their writes.

A template warehouse (D1 published, D2 and D3 computed up to publish) is built once and copied
for each test; the reference is the template after a fault-free publish of D2.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from marts import (
    D1,
    D2,
    D3,
    WarehouseTemplate,
    changes_from_history,
    changes_table,
    changing_source,
    prepare_template,
    published_state,
    rows_by_client,
    run_until_publish,
    table_rows,
)
from sources import write_source
from sqlalchemy.engine import make_url

from clientseg import config
from clientseg.policy import load_policy
from clientseg.publish import STEPS, publish
from clientseg.runs import RunContext
from clientseg.steps import run_pipeline, run_step, step_publish
from clientseg.warehouse import Warehouse

# Columns that say when, not what: a retry and the reference differ there by design.
WHEN = ("started_at", "finished_at")


class InjectedFault(Exception):
    """Raised by the test between two publish statements."""


@dataclasses.dataclass
class Faults:
    template: WarehouseTemplate
    reference: dict[str, list[tuple]]
    reference_url: str


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Faults:
    root = tmp_path_factory.mktemp("publish_faults")
    source = write_source(root / "source", **changing_source())
    template = prepare_template(root / "faults.duckdb", source, [D1], [D2, D3], load_policy())
    url, runs = template.copy(root / "reference.duckdb")
    run_step(step_publish, runs[D2], load_policy(), template.inputs[D2])
    return Faults(template, published_state(url, drop=WHEN), url)


def test_reference_publish_is_complete(faults):
    """The baseline the fault tests compare with: D2 published, D1 kept, changes consistent."""
    url = faults.reference_url
    latest = table_rows(url, "mart.client_segments", drop=("run_id",))
    assert {r[0] for r in latest} == {date.fromisoformat(D2)}
    assert sorted(rows_by_client(url, "mart.client_segments_history", D2)) == [
        "C1", "C2", "C3", "C4", "C5", "C6"]
    assert sorted(rows_by_client(url, "mart.client_segments_history", D1)) == [
        "C1", "C2", "C3", "C4", "C6"]
    assert changes_table(url) == changes_from_history(url)


@pytest.mark.parametrize("failing_step", STEPS)
def test_exception_between_statements_leaves_mart_unchanged_and_retry_publishes(
        faults, tmp_path, failing_step):
    url, runs = faults.template.copy(tmp_path / "warehouse.duckdb")
    before = published_state(url)

    def hook(step: str) -> None:
        if step == failing_step:
            raise InjectedFault(f"injected after {step}")

    with pytest.raises(InjectedFault):
        publish(runs[D2], Warehouse(url), faults.template.inputs[D2], between_steps=hook)

    assert published_state(url) == before
    assert table_rows(url, "(select status from ops.pipeline_runs "
                           "where run_id = 'faults__2026-04-30') as r") == [("running",)]

    run_step(step_publish, runs[D2], load_policy(), faults.template.inputs[D2])
    assert published_state(url, drop=WHEN) == faults.reference


KILLER = """
import os, signal, sys
from datetime import date
from clientseg.publish import publish
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

run_id, as_of, url, target = sys.argv[1:]

def hook(step):
    if step == target:
        os.kill(os.getpid(), signal.SIGKILL)

publish(RunContext(run_id, date.fromisoformat(as_of), "", url), Warehouse(url), {},
        between_steps=hook)
"""


@pytest.mark.parametrize("killed_after", STEPS)
def test_process_killed_mid_publish_leaves_mart_unchanged_and_retry_publishes(
        faults, tmp_path, killed_after):
    url, runs = faults.template.copy(tmp_path / "warehouse.duckdb")
    before = published_state(url)
    run = runs[D2]

    killed = subprocess.run([sys.executable, "-c", KILLER, run.run_id, run.as_of.isoformat(),
                             url, killed_after], capture_output=True, text=True, timeout=120)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert published_state(url) == before
    run_step(step_publish, run, load_policy(), faults.template.inputs[D2])
    assert published_state(url, drop=WHEN) == faults.reference


def test_two_dates_published_at_once_do_not_interleave(faults, tmp_path):
    """Two threads publish D2 and D3 into one DuckDB file, slowly: the second waits for the
    first to commit, so each sees the other's rows; history holds both dates in full."""
    url, runs = faults.template.copy(tmp_path / "warehouse.duckdb")
    events: list[str] = []
    errors: list[BaseException] = []

    def slow(step: str, name: str) -> None:
        events.append(name)
        time.sleep(0.2)

    def publish_date(name: str) -> None:
        try:
            publish(runs[name], Warehouse(url), faults.template.inputs[name],
                    between_steps=lambda step: slow(step, name))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=publish_date, args=(name,)) for name in (D3, D2)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    first = events[0]
    second = ({D2, D3} - {first}).pop()
    assert events == [first] * len(STEPS) + [second] * len(STEPS)
    history = {day: sorted(rows_by_client(url, "mart.client_segments_history", day))
               for day in (D1, D2, D3)}
    assert history == {D1: ["C1", "C2", "C3", "C4", "C6"],
                       D2: ["C1", "C2", "C3", "C4", "C5", "C6"],
                       D3: ["C1", "C2", "C3", "C4", "C5"]}
    latest = table_rows(url, "mart.client_segments", drop=("run_id",))
    assert {r[0] for r in latest} == {date.fromisoformat(D3)} and len(latest) == 5
    assert changes_table(url) == changes_from_history(url)


PG_ADMIN_URL = os.environ.get("CLIENTSEG_TEST_PG_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SLOW_PUBLISHER = """
import sys, time
from datetime import date
from clientseg.publish import publish
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse

run_id, as_of, url, events = sys.argv[1:]

def hook(step):
    with open(events, "a") as f:
        f.write(f"{time.monotonic()} {run_id}\\n")
    time.sleep(0.3)

publish(RunContext(run_id, date.fromisoformat(as_of), "", url), Warehouse(url), {},
        between_steps=hook)
"""


def _admin(*statements: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture
def pg_warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh PostgreSQL database (and BI role) for one test, dropped after."""
    name = f"clientseg_faults_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv(config.BI_ROLE_ENV, name)
    _admin(f"create database {name}")
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f"drop database if exists {name} with (force)", f"drop role if exists {name}")


@pytest.mark.postgres
def test_two_processes_publishing_on_postgres_queue_on_the_advisory_lock(pg_warehouse, tmp_path):
    """Two task processes publish D2 and D3 into PostgreSQL at once: the advisory lock makes
    the second wait for the first to commit; history holds both dates, changes stay consistent."""
    source = str(write_source(tmp_path / "source", **changing_source()))
    run_pipeline(RunContext("pg__d1", date.fromisoformat(D1), source, pg_warehouse),
                 load_policy())
    runs = [RunContext(f"pg__{d}", date.fromisoformat(day), source, pg_warehouse)
            for d, day in (("d3", D3), ("d2", D2))]
    for run in runs:
        run_until_publish(run, load_policy())
    events = tmp_path / "events"

    processes = []
    for run in runs:
        processes.append(subprocess.Popen([sys.executable, "-c", SLOW_PUBLISHER, run.run_id,
                                           run.as_of.isoformat(), pg_warehouse, str(events)]))
        time.sleep(0.1)
    assert [p.wait(timeout=120) for p in processes] == [0, 0]

    order = [line.split()[1] for line in sorted(events.read_text().splitlines(),
                                                key=lambda line: float(line.split()[0]))]
    first = order[0]
    second = ({"pg__d2", "pg__d3"} - {first}).pop()
    assert order == [first] * len(STEPS) + [second] * len(STEPS)
    history = {day: sorted(rows_by_client(pg_warehouse, "mart.client_segments_history", day))
               for day in (D1, D2, D3)}
    assert history == {D1: ["C1", "C2", "C3", "C4", "C6"],
                       D2: ["C1", "C2", "C3", "C4", "C5", "C6"],
                       D3: ["C1", "C2", "C3", "C4", "C5"]}
    latest = table_rows(pg_warehouse, "mart.client_segments", drop=("run_id",))
    assert {r[0] for r in latest} == {date.fromisoformat(D3)} and len(latest) == 5
    assert changes_table(pg_warehouse) == changes_from_history(pg_warehouse)
