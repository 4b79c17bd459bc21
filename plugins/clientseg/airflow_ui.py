"""`make airflow`: Airflow's standalone mode (API server + UI, scheduler, DAG processor,
triggerer) on localhost, with the project's DAGs and the demo connections.

Local use only: it listens on 127.0.0.1 and lets every visitor in as admin (the simple auth
manager's all-admins mode), so there is no password to look up.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from clientseg import config
from clientseg.paths import PROJECT_ROOT

DEFAULT_PORT = 8080


def standalone_env(port: int = DEFAULT_PORT, home: Path | None = None,
                   source: str = config.DEFAULT_SOURCE,
                   warehouse_url: str = config.DEFAULT_WAREHOUSE_URL) -> dict[str, str]:
    """The environment of `airflow standalone`: Airflow home, DAGs, port, auth, connections."""
    home = home or Path(os.environ.get("AIRFLOW_HOME") or PROJECT_ROOT / ".airflow")
    base_url = f"http://127.0.0.1:{port}"
    bin_dir = str(Path(sys.executable).parent)  # standalone starts `airflow ...` from PATH
    return {
        **os.environ,
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # LocalExecutor starts one worker process per slot; the DAG runs one task at a time.
        "AIRFLOW__CORE__PARALLELISM": os.environ.get("AIRFLOW__CORE__PARALLELISM", "4"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "GX_ANALYTICS_ENABLED": "False",
        f"AIRFLOW_CONN_{config.SOURCE_CONN_ID.upper()}": json.dumps(
            {"conn_type": "generic", "extra": {"path": source}}),
        f"AIRFLOW_CONN_{config.WAREHOUSE_CONN_ID.upper()}": json.dumps(
            {"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse_url}}),
    }


def standalone_command() -> list[str]:
    return [str(Path(sys.executable).parent / "airflow"), "standalone"]


def exec_standalone(port: int, source: str, warehouse_url: str) -> None:
    """Replace this process with `airflow standalone` (Ctrl-C stops every component)."""
    env = standalone_env(port, source=source, warehouse_url=warehouse_url)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    print(f"Airflow UI: http://localhost:{port} (DAG client_segmentation; no login needed)",
          flush=True)
    command = standalone_command()
    os.execve(command[0], command, env)
