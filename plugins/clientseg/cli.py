"""`clientseg`: generate a sample source, run the nightly DAG for a date, explain a client."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from clientseg import config
from clientseg.paths import PROJECT_ROOT

DAG_ID = "client_segmentation"
DAG_FILE = PROJECT_ROOT / "dags" / "client_segmentation.py"


def airflow_environment() -> Path:
    """What Airflow reads once, when it is first imported: a project-local home (unless
    AIRFLOW_HOME is set), this project's DAG folder, no examples. Call it before any import
    of airflow (clientseg.alerts imports it); returns the home."""
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / ".airflow")))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(DAG_FILE.parent))
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    home.mkdir(parents=True, exist_ok=True)
    return home


def prepare_airflow() -> Path:
    """The Airflow environment with its metadata database migrated. The marker holds the
    database URL last migrated: a new URL, or a SQLite file gone, migrates again."""
    home = airflow_environment()
    from airflow.configuration import conf

    url = conf.get("database", "sql_alchemy_conn")
    marker = home / ".clientseg-migrated"
    sqlite_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if (not marker.exists() or marker.read_text() != url
            or (sqlite_file is not None and not sqlite_file.exists())):
        from airflow.utils.db import upgradedb

        upgradedb()
        marker.write_text(url)
    return home


@contextlib.contextmanager
def _output_to(log_file: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's task logs) to `log_file`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log_file.open("ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _failure_reason(warehouse_url: str, run_id: str) -> str:
    from clientseg.warehouse import Warehouse

    try:
        return str(Warehouse(warehouse_url).scalar(
            "select error from ops.pipeline_runs where run_id = :r", {"r": run_id}) or "")
    except Exception:  # noqa: BLE001 - the warehouse may be what failed
        return ""


def _published(warehouse_url: str, run_id: str) -> bool:
    from clientseg.warehouse import Warehouse

    try:
        return Warehouse(warehouse_url).scalar(
            "select status from ops.pipeline_runs where run_id = :r", {"r": run_id}) == "published"
    except Exception:  # noqa: BLE001 - the warehouse may be what failed
        return False


def _unreachable(warehouse_url: str) -> str | None:
    """Why a database-server warehouse cannot be opened, or None: said at once, not after the
    tasks' retries. (A DuckDB file is created by the run; one locked by another process is
    waited for by the tasks.)"""
    from clientseg.errors import first_line, redact
    from clientseg.warehouse import Warehouse

    if warehouse_url.startswith("duckdb:"):
        return None
    try:
        Warehouse(warehouse_url).scalar("select 1")
    except Exception as exc:  # noqa: BLE001 - any driver's error: one line
        return f"{redact(warehouse_url)}: warehouse unreachable ({first_line(exc)})"
    return None


def run_dag(as_of: date, source: str, warehouse_url: str) -> tuple[bool, str, str]:
    """One run of the production DAG through Airflow (`dag.test`): (published, run_id, reason)."""
    if reason := _unreachable(warehouse_url):
        return False, "", reason
    home = airflow_environment()
    from clientseg.alerts import DEADLINE_ENV, DEADLINE_OFF

    os.environ[config.SOURCE_ENV] = source
    os.environ[config.WAREHOUSE_ENV] = warehouse_url
    os.environ[DEADLINE_ENV] = DEADLINE_OFF  # dag.test() cannot run a DAG with a deadline
    log_file = home / "logs" / f"clientseg-run-{as_of.isoformat()}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with _output_to(log_file):
        try:
            prepare_airflow()
            from airflow.models.dagbag import DagBag

            bag = DagBag(dag_folder=str(DAG_FILE))
            if bag.import_errors:
                return False, "", f"DAG import error: {next(iter(bag.import_errors.values()))}"
            dag_run = bag.get_dag(DAG_ID).test(logical_date=datetime.now(UTC),
                                               run_conf={"as_of": as_of.isoformat()})
        except Exception as exc:  # noqa: BLE001 - Airflow itself failed: one line, trace logged
            from clientseg.steps import one_line

            traceback.print_exc()
            return False, "", f"{one_line(exc)} (Airflow; see {log_file})"
    if dag_run.state == "success":
        return True, dag_run.run_id, ""
    from clientseg.dag_tasks import FAILURES

    if _published(warehouse_url, dag_run.run_id):  # a task after publish (report) failed
        failed = FAILURES.get(dag_run.run_id, "a task after publish failed")
        return True, dag_run.run_id, f"published, but {failed}; see {log_file}"
    reason = _failure_reason(warehouse_url, dag_run.run_id) or FAILURES.get(dag_run.run_id)
    return False, dag_run.run_id, reason or f"run {dag_run.run_id} failed; see {log_file}"


def _absolute_source(source: str) -> str:
    return source if "://" in source else str(Path(source).resolve())


def _absolute_duckdb(url: str) -> str:
    """duckdb:///relative/path -> an absolute path, so Airflow's working directory is moot."""
    prefix = "duckdb:///"
    if url.startswith(prefix) and not url[len(prefix):].startswith("/") and ":memory:" not in url:
        return prefix + str(Path(url[len(prefix):]).resolve())
    return url


def cmd_generate(args: argparse.Namespace) -> int:
    from clientseg.generate import generate_source

    counts = generate_source(Path(args.out), args.clients, args.seed, args.as_of,
                             **({"transactions_per_client": args.transactions_per_client}
                                if args.transactions_per_client else {}))
    print(f"wrote {args.out}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    warehouse_url = _absolute_duckdb(args.warehouse)
    if warehouse_url.startswith("duckdb:///"):
        Path(warehouse_url[len("duckdb:///"):]).parent.mkdir(parents=True, exist_ok=True)
    ok, run_id, reason = run_dag(args.as_of, _absolute_source(args.source), warehouse_url)
    if not ok:
        print(f"clientseg run failed: {reason}".replace("\n", " "), file=sys.stderr)
        return 1
    print(f"published run {run_id} for {args.as_of}")
    if reason:
        print(f"clientseg run: warning: {reason}", file=sys.stderr)
    if args.summary:
        from clientseg.report import outputs_root, report_path
        from clientseg.report_text import demo_summary

        print(demo_summary(warehouse_url, run_id))
        report, docs = report_path(warehouse_url, args.as_of), outputs_root(warehouse_url)
        print(f"Report:              {report if report.exists() else 'not written'}")
        print(f"Data Docs (GX):      {docs / 'data_docs' / 'index.html'}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from clientseg.errors import PipelineError, first_line
    from clientseg.report import write_report
    from clientseg.warehouse import existing

    warehouse_url = _absolute_duckdb(args.warehouse)
    try:
        _, shown = existing(warehouse_url)
        try:
            path = write_report(warehouse_url, args.as_of, Path(args.out) if args.out else None)
        except SQLAlchemyError as exc:
            raise PipelineError(f"cannot read {shown}: {first_line(exc)}") from exc
    except PipelineError as exc:
        print(f"clientseg report: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def cmd_airflow(args: argparse.Namespace) -> int:
    from clientseg.airflow_ui import exec_standalone

    exec_standalone(args.port, _absolute_source(args.source), _absolute_duckdb(args.warehouse))
    return 1  # not reached: the process is now Airflow


def cmd_explain(args: argparse.Namespace) -> int:
    from clientseg.errors import PipelineError
    from clientseg.explain import explain

    try:
        print(explain(_absolute_duckdb(args.warehouse), args.client_id, args.as_of))
    except PipelineError as exc:
        print(f"clientseg explain: {exc}", file=sys.stderr)
        return 1
    return 0


def _date(value: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {value!r}")
    return int(value)


def _warehouse(value: str) -> str:
    if not value.startswith(("duckdb:///", "postgresql")):
        raise argparse.ArgumentTypeError(
            f"not a DuckDB or PostgreSQL URL (duckdb:///path or postgresql+psycopg://...): "
            f"{value!r}")
    return value


def _add_locations(sub: argparse.ArgumentParser, source: bool = False) -> None:
    """--warehouse (and --source): the command line, else the environment variable of the
    README's configuration, else the default under data/."""
    sub.add_argument("--warehouse", type=_warehouse,
                     default=os.environ.get(config.WAREHOUSE_ENV) or config.DEFAULT_WAREHOUSE_URL,
                     help=f"SQLAlchemy URL of the warehouse (duckdb:///... or "
                          f"postgresql+psycopg://...; default: ${config.WAREHOUSE_ENV}, else "
                          f"data/warehouse.duckdb)")
    if source:
        sub.add_argument("--source",
                         default=os.environ.get(config.SOURCE_ENV) or config.DEFAULT_SOURCE,
                         help=f"landing directory or SQLAlchemy URL of the source database "
                              f"(default: ${config.SOURCE_ENV}, else data/demo-source)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is one line on stderr (the usage is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="clientseg", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a realistic synthetic source (SOURCE.md layout)")
    g.add_argument("--out", required=True, help="landing directory to write")
    g.add_argument("--clients", type=_positive, required=True, help="number of clients")
    g.add_argument("--seed", type=int, required=True, help="random seed (same seed, same files)")
    g.add_argument("--as-of", type=_date, required=True, help="as-of date D (YYYY-MM-DD)")
    g.add_argument("--transactions-per-client", type=float, default=None,
                   help="average transactions per client over the 25 months (default 30)")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser("run", help="one nightly run for an as-of date through the production DAG")
    r.add_argument("--as-of", type=_date, required=True, help="as-of date D (YYYY-MM-DD)")
    _add_locations(r, source=True)
    r.add_argument("--summary", action="store_true", help="print the demo summary after the run")
    r.set_defaults(func=cmd_run)

    e = sub.add_parser("explain", help="why a client has its categories")
    e.add_argument("client_id")
    e.add_argument("--as-of", type=_date, default=None, help="as-of date (default: latest)")
    _add_locations(e)
    e.set_defaults(func=cmd_explain)

    rp = sub.add_parser("report", help="write the HTML report of an as-of date (and Data Docs)")
    _add_locations(rp)
    rp.add_argument("--out", default=None,
                    help="folder to write index.html to (default: reports/<D>/ next to the "
                         "warehouse)")
    rp.add_argument("--as-of", type=_date, default=None, help="as-of date (default: latest)")
    rp.set_defaults(func=cmd_report)

    a = sub.add_parser("airflow", help="start the Airflow UI (airflow standalone) on localhost")
    a.add_argument("--port", type=int, default=int(os.environ.get("AIRFLOW_PORT") or 8080))
    _add_locations(a, source=True)
    a.set_defaults(func=cmd_airflow)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:  # `clientseg explain ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    if argv is None:
        # Leave at once: interpreter teardown after Airflow and DuckDB prints binding-leak
        # noise on stderr, which must hold only the one-line reason (or nothing).
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
