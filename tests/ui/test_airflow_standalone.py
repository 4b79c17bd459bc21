"""`make airflow`: `airflow standalone` with the project's DAGs comes up on localhost; its REST
API lists client_segmentation with documented tasks and accepts a triggered run.

Slow (Airflow starts five components): the one test of its kind. The DAG is paused at
creation, so the triggered run stays queued and no pipeline runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sources import write_source

from clientseg.airflow_ui import standalone_command, standalone_env

DAG_ID = "client_segmentation"
START_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path, method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read() or b"null")


def wait_for(what: str, check, log: Path) -> Any:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except OSError:
            pass
        time.sleep(3)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    pytest.fail(f"airflow standalone: {what} not within {START_TIMEOUT} s; log tail:\n{tail}")


def healthy(base: str) -> bool:
    _, health = call(base, "/api/v2/monitor/health")
    return all(health[part]["status"] == "healthy"
               for part in ("metadatabase", "scheduler", "dag_processor"))


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = standalone_env(port, tmp_path / "airflow_home", str(write_source(tmp_path / "src")),
                         f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    env.pop("CLIENTSEG_SOURCE", None)
    env.pop("CLIENTSEG_WAREHOUSE_URL", None)
    log = tmp_path / "standalone.log"
    with log.open("w") as out:
        process = subprocess.Popen(standalone_command(), env=env, cwd=tmp_path, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for("a healthy API server, scheduler and DAG processor", lambda: healthy(base), log)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_standalone_lists_the_dag_and_accepts_a_triggered_run(standalone, tmp_path):
    dags = wait_for(f"{DAG_ID} in /api/v2/dags", lambda: [
        d for d in call(standalone, "/api/v2/dags")[1]["dags"] if d["dag_id"] == DAG_ID],
        tmp_path / "standalone.log")
    assert dags[0]["is_paused"] is True

    _, tasks = call(standalone, f"/api/v2/dags/{DAG_ID}/tasks")
    docs = {t["task_id"]: t["doc_md"] for t in tasks["tasks"]}
    assert {"extract", "validate", "load", "transform", "publish", "summary",
            "report"} <= set(docs)
    assert all(docs.values()), docs

    status, run = call(standalone, f"/api/v2/dags/{DAG_ID}/dagRuns",
                       {"logical_date": None, "conf": {"as_of": "2026-06-30"}})
    assert status == 200
    assert run["conf"] == {"as_of": "2026-06-30"} and run["state"] == "queued"
    status, fetched = call(standalone, f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
    assert status == 200 and fetched["dag_run_id"] == run["dag_run_id"]
