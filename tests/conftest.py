"""Shared fixtures: a throwaway Airflow home, tiny sources, and a runner for the pipeline."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
# One Airflow home (its SQLite metadata database) per pytest-xdist worker.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
os.environ.setdefault("AIRFLOW_HOME",
                      str(ROOT / (f".airflow-{_WORKER}" if _WORKER else ".airflow")))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# dag.test() fails on a DAG with a deadline alert (Airflow 3.3.2); see clientseg.alerts.
os.environ.setdefault("CLIENTSEG_DEADLINE", "off")

from sources import write_source  # noqa: E402

from clientseg.policy import Policy, load_policy  # noqa: E402
from clientseg.runs import RunContext  # noqa: E402
from clientseg.steps import run_pipeline  # noqa: E402
from clientseg.warehouse import Warehouse  # noqa: E402

Rows = list[dict[str, Any]]


class PipelineRunner:
    """Runs the pipeline without Airflow on a tiny source in a DuckDB file (or the warehouse at
    `url`); reads the mart."""

    def __init__(self, root: Path, url: str | None = None) -> None:
        self.root = root
        self.url = url or f"duckdb:///{root / 'warehouse.duckdb'}"
        self.runs = 0

    def __call__(self, as_of: date, policy: Policy | None = None, source: Path | None = None,
                 **tables: Rows) -> dict[str, dict[str, Any]]:
        """Write the tables (or use `source`), run for `as_of`; return rows by client_id."""
        self.runs += 1
        src = source or write_source(self.root / f"source{self.runs}", **tables)
        run = RunContext(f"test__{self.runs}", as_of, str(src), self.url)
        run_pipeline(run, policy or lenient_policy())
        rows = self.query("select * from mart.client_segments_history where as_of_date = :d",
                          d=as_of)
        return {r["client_id"]: r for r in rows}

    def query(self, sql: str, **params: Any) -> Rows:
        import sqlalchemy as sa

        with Warehouse(self.url).begin() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def lenient_policy(**overrides: Any) -> Policy:
    """The default policy, but tiny test sources may hold any share of bad rows."""
    policy = load_policy()
    policy.settings["validation"]["max_bad_row_share"] = 1.0
    return policy


@pytest.fixture
def pipeline(tmp_path: Path) -> PipelineRunner:
    return PipelineRunner(tmp_path)


@pytest.fixture
def source_factory(tmp_path: Path) -> Callable[..., Path]:
    return lambda name="src", **tables: write_source(tmp_path / name, **tables)
