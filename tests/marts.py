"""Published state in tests: a source that changes over three dates, runs up to publish,
whole tables read back sorted, and the changes OUTPUT.md expects from the history."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.steps import (
    run_pipeline,
    run_step,
    step_extract,
    step_load,
    step_transform,
    step_validate,
)
from clientseg.vocab import CHANGE_ATTRIBUTES
from clientseg.warehouse import Warehouse

MART_TABLES = ("mart.client_segments_history", "mart.client_segments",
               "mart.client_category_changes")


def table_rows(url: str, table: str, where: str = "", drop: Iterable[str] = ()) -> list[tuple]:
    """Every row of `table` (without the columns in `drop`), sorted: an order-free dump."""
    with Warehouse(url).begin() as conn:
        result = conn.execute(sa.text(f"select * from {table} {where}"))
        keep = [i for i, c in enumerate(result.keys()) if c not in set(drop)]
        return sorted((tuple(row[i] for i in keep) for row in result), key=repr)


def published_state(url: str, drop: Iterable[str] = ()) -> dict[str, list[tuple]]:
    """What readers see: every mart table, and the runs ops.pipeline_runs marks published."""
    state = {table: table_rows(url, table, drop=drop) for table in MART_TABLES}
    state["ops.pipeline_runs"] = table_rows(url, "ops.pipeline_runs",
                                            "where status = 'published'", drop=drop)
    return state


def rows_by_client(url: str, table: str, as_of: Any) -> dict[str, dict[str, Any]]:
    with Warehouse(url).begin() as conn:
        result = conn.execute(sa.text(f"select * from {table} where as_of_date = :d"),
                              {"d": as_of})
        return {r.client_id: dict(r._mapping) for r in result}


def changes_from_history(url: str) -> list[tuple]:
    """mart.client_category_changes as OUTPUT.md defines it, recomputed here from the history:
    (as_of_date, previous_as_of_date, client_id, attribute, old_value, new_value). A first
    appearance is a change from null; an attribute null there too has nothing to report."""
    columns = ", ".join(CHANGE_ATTRIBUTES)
    history = table_rows(url, f"(select as_of_date, client_id, {columns} "
                              "from mart.client_segments_history) as h")
    changes = []
    previous: dict[str, tuple] = {}
    for row in sorted(history, key=lambda r: (r[1], r[0])):
        as_of, client = row[0], row[1]
        before = previous.get(client)
        for i, attribute in enumerate(CHANGE_ATTRIBUTES, start=2):
            new = None if row[i] is None else str(row[i])
            old = None if before is None or before[i] is None else str(before[i])
            if old != new:
                changes.append((as_of, before[0] if before else None, client, attribute, old,
                                new))
        previous[client] = row
    return sorted(changes, key=repr)


def last_published_from_history(url: str) -> list[tuple]:
    """What staging.client_last_published must hold: each client's latest history row,
    (client_id, as_of_date, the change attributes as text)."""
    columns = ", ".join(CHANGE_ATTRIBUTES)
    latest: dict[str, tuple] = {}
    for row in table_rows(url, f"(select client_id, as_of_date, {columns} "
                               "from mart.client_segments_history) as h"):
        if row[0] not in latest or row[1] > latest[row[0]][1]:
            latest[row[0]] = row
    return sorted((row[:2] + tuple(None if v is None else str(v) for v in row[2:])
                   for row in latest.values()), key=repr)


def last_published(url: str) -> list[tuple]:
    return table_rows(url, "staging.client_last_published")


def changes_table(url: str) -> list[tuple]:
    """mart.client_category_changes without its run_id, comparable to changes_from_history."""
    return table_rows(url, "mart.client_category_changes", drop=("run_id",))


# Three month-ends and a tiny source whose clients change between them: revenue moves
# (ABC, RFM, trend), wealth grows (tier, service level), one client is onboarded after D1
# (a change from null) and one is closed before D3 (it leaves the history).
D1, D2, D3 = "2026-03-31", "2026-04-30", "2026-05-31"


def changing_source() -> dict[str, list[dict[str, Any]]]:
    return {
        "clients": [
            {"client_id": "C1"}, {"client_id": "C2"}, {"client_id": "C3"}, {"client_id": "C4"},
            {"client_id": "C5", "onboarding_date": "2026-04-10"},
            {"client_id": "C6", "closed_date": "2026-05-01"},
        ],
        "transactions": [
            {"client_id": "C1", "trade_date": "2026-03-15", "fee": "100"},
            {"client_id": "C2", "trade_date": "2026-04-15", "fee": "500"},
            {"client_id": "C3", "trade_date": "2026-05-15", "fee": "1000"},
            {"client_id": "C4", "trade_date": "2025-04-15", "fee": "50"},
            {"client_id": "C6", "trade_date": "2026-01-10", "fee": "20"},
        ],
        "holdings": [
            {"client_id": "C1", "as_of_date": "2026-03-31", "market_value": "200000"},
            {"client_id": "C1", "as_of_date": "2026-05-31", "market_value": "2000000"},
        ],
    }


def run_until_publish(run: RunContext, policy: Policy) -> dict[str, Any]:
    """extract, validate, load and transform for `run`: what the publish task receives."""
    result = run_step(step_extract, run, policy)
    for step in (step_validate, step_load, step_transform):
        result = run_step(step, run, policy, result)
    return result


@dataclasses.dataclass
class WarehouseTemplate:
    """A DuckDB warehouse prepared once (some dates published, some computed up to publish)
    and copied for each test, with the runs and the publish task's inputs."""

    file: Path
    runs: dict[str, RunContext]
    inputs: dict[str, dict[str, Any]]

    def copy(self, target: Path) -> tuple[str, dict[str, RunContext]]:
        """A fresh warehouse file from the template, and the runs pointing at it."""
        shutil.copy(self.file, target)
        url = f"duckdb:///{target}"
        return url, {k: dataclasses.replace(r, warehouse_url=url) for k, r in self.runs.items()}


def prepare_template(file: Path, source: Path, published: Iterable[str],
                     pending: Iterable[str], policy: Policy) -> WarehouseTemplate:
    """Publish the `published` dates, compute the `pending` ones up to publish; runs by date."""
    url = f"duckdb:///{file}"
    for day in published:
        run_pipeline(RunContext(f"{file.stem}__{day}", date.fromisoformat(day), str(source), url),
                     policy)
    runs = {day: RunContext(f"{file.stem}__{day}", date.fromisoformat(day), str(source), url)
            for day in pending}
    return WarehouseTemplate(file, runs, {d: run_until_publish(r, policy) for d, r in runs.items()})
