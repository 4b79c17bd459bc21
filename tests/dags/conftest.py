"""DAG tests need Airflow's metadata database: migrate the project-local one once."""

from __future__ import annotations

import pytest

from clientseg.cli import prepare_airflow


@pytest.fixture(scope="session", autouse=True)
def airflow_db() -> None:
    prepare_airflow()
