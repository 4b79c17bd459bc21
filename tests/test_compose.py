"""docker-compose.yml, Dockerfile and .env.example, checked against the code and the lock file.

No Docker engine runs here: the files are parsed, and what they name is checked to exist.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow.models.connection import Connection

from clientseg import config

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
LOCK = {p["name"]: p["version"] for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = {  # service: the Airflow command it runs
    "airflow-apiserver": "airflow api-server",
    "airflow-scheduler": "airflow scheduler",
    "airflow-dag-processor": "airflow dag-processor",
    "airflow-triggerer": "airflow triggerer",
    "airflow-worker": "airflow celery worker",
}
PROJECT_DIR = "/opt/clientseg"  # where the image installs the project (WORKDIR)
MOUNTED = ("dags", "plugins", "include", "expectations")
VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def _substitute(text: str) -> str:
    """Compose's ${VAR} / ${VAR:-default} with the values of .env.example."""
    return VARIABLE.sub(lambda m: ENV_EXAMPLE.get(m[1]) or m[2] or "", text)


def _env(service: str) -> dict[str, Any]:
    return SERVICES[service]["environment"]


def test_every_component_is_a_service() -> None:
    assert set(AIRFLOW_SERVICES) | {"airflow-init", "postgres", "warehouse", "redis"} <= set(
        SERVICES)


@pytest.mark.parametrize("service", list(AIRFLOW_SERVICES))
def test_airflow_service_runs_its_command_with_celery(service: str) -> None:
    assert SERVICES[service]["command"] == AIRFLOW_SERVICES[service]
    env = _env(service)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    # the shared services' hosts: the compose services by default, another host's from .env
    assert _substitute(env["AIRFLOW__CELERY__BROKER_URL"]).startswith("redis://redis:")
    assert "@postgres:5432/" in _substitute(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert "@postgres:5432/" in _substitute(env["AIRFLOW__CELERY__RESULT_BACKEND"])
    assert _substitute(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]).startswith(
        "http://airflow-apiserver:8080/")
    assert "warehouse" in SERVICES and "airflow-apiserver" in SERVICES
    assert "airflow-init" in SERVICES[service]["depends_on"]


@pytest.mark.parametrize("service", [*AIRFLOW_SERVICES, "airflow-init"])
def test_project_folders_are_mounted_where_the_image_installs_them(service: str) -> None:
    volumes = SERVICES[service]["volumes"]
    for folder in MOUNTED:
        assert f"./{folder}:{PROJECT_DIR}/{folder}" in volumes
        assert (ROOT / folder).is_dir()
    assert _env(service)["AIRFLOW__CORE__DAGS_FOLDER"] == f"{PROJECT_DIR}/dags"
    assert f"WORKDIR {PROJECT_DIR}" in DOCKERFILE
    assert (ROOT / "dags" / "client_segmentation.py").is_file()


@pytest.mark.parametrize("conn_id", [config.WAREHOUSE_CONN_ID, config.SOURCE_CONN_ID])
def test_connections_the_dag_uses_are_defined(conn_id: str) -> None:
    raw = _env("airflow-worker")[f"AIRFLOW_CONN_{conn_id.upper()}"]
    fields = json.loads(_substitute(raw))
    extra = fields.pop("extra", None)
    conn = Connection(conn_id=conn_id, extra=json.dumps(extra) if extra else None, **fields)
    url = config.connection_url(conn)
    assert url.startswith("postgresql+psycopg://")
    if conn_id == config.WAREHOUSE_CONN_ID:
        assert url == (f"postgresql+psycopg://{ENV_EXAMPLE['WAREHOUSE_USER']}:"
                       f"{ENV_EXAMPLE['WAREHOUSE_PASSWORD']}@warehouse:5432/"
                       f"{ENV_EXAMPLE['WAREHOUSE_DB']}")
    else:
        assert conn.extra_dejson["schema"] == ENV_EXAMPLE["SOURCE_SCHEMA"]


def test_image_tag_is_the_locked_airflow_version() -> None:
    image = COMPOSE["x-airflow-common"]["image"]
    for tag in (VARIABLE.fullmatch(image)[2], ENV_EXAMPLE["CLIENTSEG_IMAGE"]):
        assert tag.split(":")[1] == LOCK["apache-airflow"]
    assert f"apache-airflow=={LOCK['apache-airflow']}" in PYPROJECT["project"]["dependencies"]


def test_dockerfile_installs_the_lock_file_with_the_production_extra() -> None:
    python = PYPROJECT["project"]["requires-python"]  # >=3.11,<3.12
    assert re.search(r"^FROM python:(\d+\.\d+)-slim$", DOCKERFILE, re.M)[1] == python[2:6]
    assert f"ARG UV_VERSION={LOCK['uv']}" in DOCKERFILE
    assert DOCKERFILE.count("uv sync --frozen --no-dev --extra production") == 2
    extra = PYPROJECT["project"]["optional-dependencies"]["production"]
    assert extra == [f"apache-airflow-providers-celery=={LOCK['apache-airflow-providers-celery']}"]
    assert {"celery", "redis"} <= set(LOCK)


def test_every_variable_has_an_example_and_no_example_is_a_secret() -> None:
    used = {m[1] for m in VARIABLE.finditer((ROOT / "docker-compose.yml").read_text())}
    assert used - set(ENV_EXAMPLE) == set()
    secrets = {k: v for k, v in ENV_EXAMPLE.items()
               if re.search("PASSWORD|SECRET|KEY", k)}
    assert secrets and all(v.startswith("change-me") for v in secrets.values())
    assert "change-me" in ENV_EXAMPLE["SOURCE_URL"]


def test_warehouse_and_metadata_databases_are_separate_postgres_15() -> None:
    assert SERVICES["postgres"]["image"] == SERVICES["warehouse"]["image"] == "postgres:15"
    assert SERVICES["postgres"]["volumes"] != SERVICES["warehouse"]["volumes"]
    assert _env("airflow-worker")["CLIENTSEG_BI_ROLE"] == "${CLIENTSEG_BI_ROLE:-clientseg_bi}"
    assert config.BI_ROLE_ENV == "CLIENTSEG_BI_ROLE"


@pytest.mark.parametrize("service", ["airflow-worker", "airflow-scheduler"])
def test_alert_and_deadline_settings_reach_the_tasks_and_callbacks(service: str) -> None:
    from clientseg import alerts

    names = {alerts.WEBHOOK_ENV, alerts.EMAIL_ENV, alerts.SMTP_CONN_ENV, alerts.DEADLINE_ENV}
    assert names <= set(_env(service))
    assert _substitute(_env(service)[alerts.DEADLINE_ENV]) == alerts.DEFAULT_DEADLINE
