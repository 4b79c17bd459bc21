"""bench/run.py's lower bound: one query per warehouse, its result kept in the warehouse."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import psycopg
from throwaway_pg import throwaway_postgres_url

ROOT = Path(__file__).resolve().parents[2]
TRADES = """
create schema if not exists staging;
create table staging.store_transactions (client_id text, fee numeric(38, 10), trade_date date,
                                         status text);
insert into staging.store_transactions values
    ('C1', 1.5, '2026-01-01', 'executed'), ('C1', 2.5, '2026-02-01', 'executed'),
    ('C2', 9.0, '2026-03-01', 'cancelled'), ('C3', 0.1, '2026-04-01', 'executed');
"""


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run_lower_bound(url: str) -> tuple[int, float]:
    out = subprocess.run(bench().lower_bound_argv(url), capture_output=True, text=True,
                         check=True).stdout.split()
    return int(out[0]), float(out[1])


def test_lower_bound_on_duckdb_counts_clients_with_executed_trades(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute(TRADES)
    clients, seconds = run_lower_bound(f"duckdb:///{path}")
    assert clients == 2  # C1 and C3; C2's only trade was cancelled
    assert seconds >= 0


def test_lower_bound_on_postgres_counts_clients_with_executed_trades() -> None:
    with throwaway_postgres_url() as url:
        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                             autocommit=True) as conn:
            conn.execute(TRADES)
        clients, _ = run_lower_bound(url)
    assert clients == 2
