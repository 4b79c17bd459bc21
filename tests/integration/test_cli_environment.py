"""`clientseg run` as an operator or the acceptance checks call it: from a bare shell, without
the Makefile's Airflow settings, and with Airflow itself failing."""

from __future__ import annotations

import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from clientseg.generate import generate_source

ROOT = Path(__file__).resolve().parents[2]
CLIENTSEG = ROOT / ".venv" / "bin" / "clientseg"
AS_OF = date(2026, 3, 31)
AIRFLOW_VARIABLES = ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__LOAD_EXAMPLES")


def _bare_env(home: Path) -> dict[str, str]:
    """The caller's environment without the Airflow settings of the Makefile and conftest."""
    env = {k: v for k, v in os.environ.items() if k not in AIRFLOW_VARIABLES}
    return env | {"HOME": str(home)}


def _run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "src"
    if not source.exists():
        generate_source(source, 200, 7, AS_OF)
    return subprocess.run(
        [str(CLIENTSEG), "run", "--as-of", AS_OF.isoformat(), "--source", str(source),
         "--warehouse", f"duckdb:///{tmp_path / 'wh.duckdb'}"],
        capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)



@pytest.mark.e2e
def test_run_without_airflow_home_uses_the_project_home(tmp_path: Path) -> None:
    """Airflow reads its home when first imported: the project's home must be set before
    (a run once failed with 'the dag is not serialized', its database in ~/airflow)."""
    result = _run(tmp_path, _bare_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("published run ")
    assert not (tmp_path / "airflow").exists()  # nothing in the user's ~/airflow
    marker = ROOT / ".airflow" / ".clientseg-migrated"
    assert marker.read_text() == f"sqlite:///{ROOT / '.airflow' / 'airflow.db'}"


@pytest.mark.e2e
def test_run_prints_one_line_when_airflow_fails(tmp_path: Path) -> None:
    """Airflow's own failure (here its metadata database cannot be opened) is one line on
    stderr, the traceback in the run's log; nothing is published."""
    env = _bare_env(tmp_path) | {
        "AIRFLOW_HOME": str(tmp_path / "airflow-home"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'missing' / 'a.db'}"}
    result = _run(tmp_path, env)
    log = tmp_path / "airflow-home" / "logs" / f"clientseg-run-{AS_OF}.log"
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("clientseg run failed: OperationalError: ")
    assert result.stderr.endswith(f"(Airflow; see {log})\n")
    assert "Traceback" in log.read_text()
    assert not (tmp_path / "wh.duckdb").exists()


@pytest.mark.postgres
@pytest.mark.e2e
def test_run_on_an_unreachable_warehouse_says_why_at_once(tmp_path: Path) -> None:
    """Not after minutes of task retries with only 'see the log': the driver's reason."""
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/clientseg_no_such_database"
    source = tmp_path / "src"
    generate_source(source, 20, 7, AS_OF)
    result = subprocess.run(
        [str(CLIENTSEG), "run", "--as-of", AS_OF.isoformat(), "--source", str(source),
         "--warehouse", url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "clientseg run failed: postgresql+psycopg://***@127.0.0.1:5432/"
        "clientseg_no_such_database: warehouse unreachable (")
    assert result.stderr.count("\n") == 1
    assert 'database "clientseg_no_such_database" does not exist' in result.stderr
