"""Publishing is atomic for readers: a BI query during a publish sees the old state or the new."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from pgdb import Databases
from sources import write_source

from clientseg.policy import load_policy
from clientseg.publish import STEPS, publish
from clientseg.runs import RunContext
from clientseg.steps import step_extract, step_load, step_transform, step_validate
from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.postgres

AS_OF = date(2026, 6, 30)
PUBLISHES = 8
# One statement, so one snapshot: the latest table, the date's history and changes together.
OBSERVE = """
select
    (select count(*) from mart.client_segments) as latest_rows,
    (select sum(revenue_12m_eur) from mart.client_segments) as latest_revenue,
    (select max(as_of_date) from mart.client_segments) as latest_date,
    (select min(run_id) || '/' || max(run_id) from mart.client_segments) as latest_runs,
    (select count(*) from mart.client_segments_history where as_of_date = :d) as history_rows,
    (select min(run_id) || '/' || max(run_id) from mart.client_segments_history
        where as_of_date = :d) as history_runs,
    (select count(*) from mart.client_category_changes where as_of_date = :d) as changes
"""


@dataclass
class Prepared:
    """Two runs of the same date, transformed and ready to publish, in one warehouse."""

    url: str
    runs: tuple[RunContext, RunContext]
    counts: tuple[dict[str, Any], dict[str, Any]]

    def publish(self, i: int, between_steps: Any = None) -> int:
        return publish(self.runs[i], Warehouse(self.url), self.counts[i], between_steps)


def _clients(n: int, fee: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "clients": [{"client_id": f"C{i}"} for i in range(n)],
        "transactions": [{"client_id": f"C{i}", "trade_date": "2026-06-01", "fee": fee * (i + 1)}
                         for i in range(n)],
    }


@pytest.fixture(scope="module")
def prepared(pg_databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    root = tmp_path_factory.mktemp("atomic")
    url = pg_databases.new()
    policy = load_policy()
    runs, counts = [], []
    for name, n, fee in (("small", 3, 10), ("large", 7, 25)):
        run = RunContext(f"atomic_{name}", AS_OF, str(write_source(root / name,
                                                                   **_clients(n, fee))), url)
        result = step_extract(run, policy)
        for step in (step_validate, step_load, step_transform):
            result = step(run, policy, result)
        runs.append(run)
        counts.append(result)
    return Prepared(url, (runs[0], runs[1]), (counts[0], counts[1]))


class BiReader:
    """Its own connection, as the BI role; a lock would raise after 5 s instead of hanging."""

    def __init__(self, url: str, role: str) -> None:
        self.conn = Warehouse(url).engine.connect().execution_options(
            isolation_level="AUTOCOMMIT")
        self.conn.execute(sa.text(f"set role {role}"))
        self.conn.execute(sa.text("set statement_timeout = '5s'"))

    def observe(self) -> tuple:
        return tuple(self.conn.execute(sa.text(OBSERVE), {"d": AS_OF}).one())

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def reader(prepared: Prepared, bi_role: str) -> Any:
    reader = BiReader(prepared.url, bi_role)
    yield reader
    reader.close()


def _states(prepared: Prepared, reader: BiReader) -> tuple[tuple, tuple]:
    states = []
    for i in (0, 1):
        prepared.publish(i)
        states.append(reader.observe())
    assert states[0] != states[1]
    assert states[0][0] == 3 and states[1][0] == 7
    return states[0], states[1]


def test_reader_sees_the_old_state_after_every_publish_statement(
        prepared: Prepared, reader: BiReader) -> None:
    small, large = _states(prepared, reader)  # `large` is published now
    seen: dict[str, tuple] = {}
    prepared.publish(0, between_steps=lambda step: seen.setdefault(step, reader.observe()))
    assert list(seen) == list(STEPS)
    assert set(seen.values()) == {large}
    assert reader.observe() == small


def test_reader_looping_during_publishes_sees_only_complete_states(
        prepared: Prepared, reader: BiReader) -> None:
    small, large = _states(prepared, reader)
    observations: list[tuple] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read_until_done() -> None:
        try:
            while not done.is_set():
                observations.append(reader.observe())
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    thread = threading.Thread(target=read_until_done)
    thread.start()
    try:
        for i in range(PUBLISHES):
            prepared.publish(i % 2)
    finally:
        done.set()
        thread.join(timeout=30)
    assert errors == []
    assert len(observations) > PUBLISHES
    assert set(observations) <= {small, large}
    assert set(observations) == {small, large}  # the reads did interleave with the publishes
