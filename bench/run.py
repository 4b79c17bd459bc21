"""`make bench SIZE=S|M|L`: time a first load, a nightly run, the transform alone and a lower bound.

The source is generated once per size and history length (cached in bench/cache/). Each phase
runs in its own child process; the wall time, the peak RSS of the child's process tree (polled
from /proc, and the kernel's max RSS of the largest process) and the load average are
recorded. Pipeline phases go through the production DAG (`clientseg run`, Airflow's
`dag.test()`); per-task times come from Airflow's own task_instance records. The transform
alone and the lower bound are measured in pairs, each pair one after the other (5 by default),
and their medians reported: a shared machine's speed varies from minute to minute.

    .venv/bin/python bench/run.py M [--months 49] [--warehouse postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
CLIENTSEG = ROOT / ".venv" / "bin" / "clientseg"
SIZES = {"S": 10_000, "M": 100_000, "L": 1_000_000}
TRADES_PER_CLIENT_MONTH = 1.2  # 30 transactions per client over 25 months
AS_OF = date(2026, 6, 30)
NIGHT = AS_OF + timedelta(days=1)
SEED = 42
UPDATED_CLIENTS = "client_id like '%000'"  # one client in a thousand changes overnight
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# ---------------------------------------------------------------- child processes


@dataclass
class Phase:
    """One measured child process."""

    name: str
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    load_before: tuple[float, ...] = ()
    load_after: tuple[float, ...] = ()
    tasks: dict[str, float] = field(default_factory=dict)
    stdout: str = ""

    def record(self) -> dict[str, Any]:
        return {"wall_s": round(self.wall_s, 2), "peak_rss_mb": round(self.peak_rss_mb),
                "loadavg_before": self.load_before, "loadavg_after": self.load_after,
                "tasks_s": self.tasks}


def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text().split()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        rss[int(entry)] = int(statm[1]) * PAGE_KB
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(children)
        frontier += children
    return sum(rss.get(p, 0) for p in tree)


def measure(name: str, argv: list[str], env: dict[str, str]) -> Phase:
    """Run `argv` as a child; its wall time and peak tree RSS. Fails loudly on non-zero exit."""
    phase = Phase(name, load_before=tuple(round(x, 2) for x in os.getloadavg()))
    log = Path(env["AIRFLOW_HOME"]).parent / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=out, env=env, cwd=ROOT,
                                 text=True)
        peak = [0]
        done = threading.Event()

        def poll() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], _tree_rss_kb(child.pid))

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        phase.stdout = child.stdout.read() if child.stdout else ""
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        poller.join()
    phase.wall_s = time.perf_counter() - start
    phase.peak_rss_mb = max(peak[0], usage.ru_maxrss) / 1024
    phase.load_after = tuple(round(x, 2) for x in os.getloadavg())
    if child.returncode != 0:
        sys.exit(f"bench: phase {name} failed (exit {child.returncode}); see {log}")
    print(f"  {name:<12} {phase.wall_s:8.1f} s  peak RSS {phase.peak_rss_mb:7.0f} MB  "
          f"load {phase.load_before[0]:.1f} -> {phase.load_after[0]:.1f}", flush=True)
    return phase


CODE_DIRS = ("plugins", "include", "dags", "expectations")


def snapshot_code(work: Path) -> Path:
    """A copy of the project's code for this benchmark: edits made while it runs don't leak in."""
    code = work / "code"
    shutil.rmtree(code, ignore_errors=True)
    for name in CODE_DIRS:
        shutil.copytree(ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"))
    return code


def child_env(airflow_home: Path, code: Path) -> dict[str, str]:
    """The code snapshot first on the path, compiled bytecode kept under bench/cache (not in
    .venv), a private Airflow home."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PYTHONPATH": str(code / "plugins"), "PYTHONPYCACHEPREFIX": str(CACHE / "pycache"),
            "AIRFLOW_HOME": str(airflow_home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(code / "dags"), "GX_ANALYTICS_ENABLED": "False"}
    return env


# ---------------------------------------------------------------- sources


def base_source(size: str, months: int, env: dict[str, str]) -> tuple[Path, dict[str, int]]:
    """The generated source for AS_OF, made once per size and history length."""
    folder = CACHE / f"{size}-{months}m"
    marker = folder / "generated.json"
    if not marker.exists():
        print(f"generating {size} ({SIZES[size]} clients, {months} months) in {folder} ...")
        code = (
            "import json, sys; from datetime import date; from pathlib import Path; "
            "from clientseg.generate import generate_source; "
            f"c = generate_source(Path('{folder / 'source'}'), {SIZES[size]}, {SEED}, "
            f"date.fromisoformat('{AS_OF}'), {TRADES_PER_CLIENT_MONTH * months}, {months}); "
            "print(json.dumps(c))")
        phase = measure(f"generate-{size}-{months}m", [str(PYTHON), "-c", code], env)
        marker.write_text(phase.stdout.strip().splitlines()[-1])
    return folder / "source", json.loads(marker.read_text())


def night_source(base: Path, night: date) -> Path:
    """The delivery of the night after AS_OF: the same files, one new day of transactions in
    a new file, and the client master re-delivered in full with a few clients updated."""
    import duckdb

    folder = base.parent / f"night-{night}"
    if (folder / "ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for path in base.rglob("*"):
        if path.is_file() and path.name != "clients.csv":
            (folder / path.relative_to(base)).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.relative_to(base)).symlink_to(path)
    duck = duckdb.connect()
    duck.sql(
        f"copy (select * replace ('N{night:%Y%m%d}-' || transaction_id as transaction_id, "
        f"'{night}' as trade_date) from read_csv('{base}/transactions/{AS_OF:%Y-%m}.csv', "
        f"all_varchar = true, header = true) where trade_date = '{AS_OF}') "
        f"to '{folder}/transactions/{night}.csv' (header, delimiter ',')")
    duck.sql(
        f"copy (select * replace (case when {UPDATED_CLIENTS} then '{night}T08:00:00' "
        f"else updated_at end as updated_at) from read_csv('{base}/clients.csv', "
        f"all_varchar = true, header = true)) to '{folder}/clients.csv' (header, delimiter ',')")
    (folder / "ready").touch()
    return folder


# ---------------------------------------------------------------- warehouse


def fresh_warehouse(url: str | None, tag: str) -> str:
    """An empty warehouse: a new DuckDB file, or a recreated PostgreSQL database."""
    if url is None:
        path = CACHE / tag / "warehouse.duckdb"
        for old in (path, path.with_suffix(".duckdb.wal")):
            old.unlink(missing_ok=True)
        return f"duckdb:///{path}"
    import psycopg

    base, _, db = url.rpartition("/")
    admin = base.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{db}" with (force)')
        conn.execute(f'create database "{db}"')
    return url


LOWER_BOUND_SQL = (
    "select client_id, sum(fee) as fees, count(*) as trades, max(trade_date) as last_trade "
    "from staging.store_transactions where status = 'executed' group by client_id"
)


def lower_bound_argv(url: str) -> list[str]:
    """One query that scans the typed transactions once and aggregates them per client; the
    child prints the query's own time (without the interpreter's start-up).

    Its result stays in the warehouse (a temporary table), as the transform's do: fetching 1M
    rows of decimals into Python would add about 2 s at L that no model pays."""
    create = f"create temporary table lower_bound as {LOWER_BOUND_SQL}"
    if url.startswith("duckdb:///"):
        connect = f"import duckdb; c = duckdb.connect('{url[len('duckdb:///'):]}', read_only=True)"
    else:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        connect = f"import psycopg; c = psycopg.connect('{dsn}')"
    code = (f"{connect}; import time; t = time.perf_counter(); c.execute(\"{create}\"); "
            f"s = time.perf_counter() - t; "
            f"print(c.execute('select count(*) from lower_bound').fetchone()[0], round(s, 3))")
    return [str(PYTHON), "-c", code]


TRANSFORM_ALONE = """
import json, sys, time
from datetime import date
from clientseg import steps
from clientseg.policy import load_policy
from clientseg.runs import RunContext
from clientseg.summary import cleanup_run_tables
from clientseg.warehouse import Warehouse
run = RunContext("bench__transform", date.fromisoformat(sys.argv[2]), sys.argv[1], sys.argv[3])
policy, result, times = load_policy(), None, {}
for step in steps.STEPS[:4]:
    start = time.perf_counter()
    result = steps.run_step(step, run, policy, *([result] if result else []))
    times[step.__name__.removeprefix("step_")] = round(time.perf_counter() - start, 2)
cleanup_run_tables(Warehouse(run.warehouse_url), run)
print(json.dumps(times))
"""


# The state (kept_state.py) kept by the first load, copied aside and put back after the
# nightly run: the transform alone then starts from the previous night's state, as the nightly
# run did, and not from the state the nightly run kept for its own date.
COPY_STATE = """
import sys
import sqlalchemy as sa
from clientseg import kept_state
from clientseg.warehouse import Warehouse
wh, source, target = Warehouse(sys.argv[1]), sys.argv[2], sys.argv[3]
with wh.begin() as conn:
    for table in kept_state.TABLES:
        schema, name = table.split(".")
        wh.drop_tables(conn, [f"{schema}.{target}{name}"])
        conn.execute(sa.text(f"create table {schema}.{target}{name} as "
                             f"select * from {schema}.{source}{name}"))
"""
ASIDE = "bench_aside_"


def copy_state(url: str, source: str, target: str, env: dict[str, str]) -> None:
    subprocess.run([str(PYTHON), "-c", COPY_STATE, url, source, target], env=env, check=True,
                   cwd=ROOT, capture_output=True)


def transform_and_bound(url: str, night: Path, env: dict[str, str], i: int
                        ) -> tuple[Phase, Phase]:
    """The transform alone (from the first load's state, as the nightly run started), then the
    lower bound at once after it: a pair measured under the same load of the machine."""
    copy_state(url, ASIDE, "", env)
    suffix = "" if i == 1 else f"_{i}"
    alone = measure(f"transform{suffix}", [str(PYTHON), "-c", TRANSFORM_ALONE, str(night),
                                           str(NIGHT), url], env)
    alone.tasks = json.loads(alone.stdout.strip().splitlines()[-1])
    return alone, measure(f"lower_bound{suffix}", lower_bound_argv(url), env)


# ---------------------------------------------------------------- Airflow runs


def dag_run(name: str, as_of: date, source: Path, url: str, env: dict[str, str]) -> Phase:
    """One nightly run through the production DAG; per-task times from Airflow's records."""
    phase = measure(name, [str(CLIENTSEG), "run", "--as-of", str(as_of), "--source",
                           str(source), "--warehouse", url], env)
    run_id = re.search(r"published run (\S+) for", phase.stdout)
    if run_id:
        with sqlite3.connect(Path(env["AIRFLOW_HOME"]) / "airflow.db") as db:
            rows = db.execute("select task_id, start_date, end_date from task_instance "
                              "where run_id = ?", (run_id.group(1),)).fetchall()
        order = ("extract", "validate", "load", "transform", "publish", "summary")
        times = {t: (datetime.fromisoformat(str(e)) - datetime.fromisoformat(str(s)))
                 .total_seconds() for t, s, e in rows if s and e}
        phase.tasks = {t: round(times[t], 2) for t in order if t in times}
        print("    tasks: " + ", ".join(f"{t} {s:.1f}" for t, s in phase.tasks.items()))
    return phase


def results_table() -> str:
    """The results of bench/results/*.json as the README's Markdown table."""
    lines = ["| run | clients | transactions | history | first load s | nightly s | "
             "transform s | lower bound s | transform / bound | peak RSS MB | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    runs = {path.stem: json.loads(path.read_text()) for path in RESULTS.glob("*.json")}
    for name, r in sorted(runs.items(), key=lambda kv: (kv[1]["clients"],
                                                        kv[1]["history_months"], kv[0])):
        loads = [ph["loadavg_before"][0] for ph in r["phases"].values()]
        lines.append(
            f"| {name} ({r['warehouse']}) | {r['clients']:,} | {r['transactions']:,} | "
            f"{r['history_months']} months | {r['first_load_s']} | {r['nightly_s']} | "
            f"{r['transform_s']} | {r['lower_bound_s']} | {r['transform_over_lower_bound']} | "
            f"{r['peak_rss_mb']:,} | {min(loads)}-{max(loads)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("size", choices=SIZES, nargs="?", default="S")
    p.add_argument("--table", action="store_true", help="print the results as a Markdown table")
    p.add_argument("--months", type=int, default=25, help="months of transaction history")
    p.add_argument("--warehouse", default=None,
                   help="PostgreSQL URL of a throwaway database (default: a new DuckDB file)")
    p.add_argument("--repeat", type=int, default=5,
                   help="pairs of (transform alone, lower bound) measured; the medians count")
    p.add_argument("--generate-only", action="store_true")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.table:
        print(results_table())
        return 0
    dialect = "duckdb" if args.warehouse is None else "postgresql"
    tag = f"{args.size}-{args.months}m"
    work = CACHE / tag / dialect  # code snapshot, Airflow home and logs of this benchmark
    env = child_env(work / "airflow", snapshot_code(work))
    base, generated = base_source(args.size, args.months, env)
    if args.generate_only:
        return 0
    night = night_source(base, NIGHT)
    url = fresh_warehouse(args.warehouse, tag)
    print(f"bench {tag} on {dialect}: {generated['clients']} clients, "
          f"{generated['transactions']} transactions; cores {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.1f}")
    subprocess.run([str(PYTHON), "-c", "from clientseg.cli import prepare_airflow as p; p()"],
                   env=env, check=True, cwd=ROOT, capture_output=True)
    first = dag_run("first_load", AS_OF, base, url, env)
    copy_state(url, "", ASIDE, env)
    nightly = dag_run("nightly", NIGHT, night, url, env)
    pairs = [transform_and_bound(url, night, env, i) for i in range(1, args.repeat + 1)]
    transform_runs = [alone.tasks["transform"] for alone, _ in pairs]
    bound_runs = [float(lower.stdout.split()[-1]) for _, lower in pairs]
    phases = [first, nightly, *(phase for pair in pairs for phase in pair)]
    result = {
        "size": args.size, "history_months": args.months, "warehouse": dialect,
        "clients": generated["clients"], "transactions": generated["transactions"],
        "new_transactions": sum(1 for _ in (night / "transactions" / f"{NIGHT}.csv").open()) - 1,
        "first_load_s": round(first.wall_s, 1), "nightly_s": round(nightly.wall_s, 1),
        "transform_s": statistics.median(transform_runs),
        "lower_bound_s": statistics.median(bound_runs),
        "transform_runs_s": transform_runs, "lower_bound_runs_s": bound_runs,
        "peak_rss_mb": round(max(ph.peak_rss_mb for ph in phases)),
        "phases": {ph.name: ph.record() for ph in phases},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                    / 2**30)},
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "note": "2 cores shared with other jobs while measured: see loadavg per phase",
    }
    result["transform_over_lower_bound"] = round(result["transform_s"] / result["lower_bound_s"], 2)
    result["transform_over_lower_bound_runs"] = [round(t / b, 2) for t, b in
                                                 zip(transform_runs, bound_runs, strict=True)]
    name = args.size + ("" if args.months == 25 else f"-{args.months}m") + (
        "" if dialect == "duckdb" else "-postgres")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("phases", "machine")},
                     indent=2))
    print(f"wrote {RESULTS / f'{name}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
