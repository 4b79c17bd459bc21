"""File-level bad input: the run fails with one exact line naming the file (and the column and
rule where there is one), nothing is published, and the mart of the last good run is unchanged.

One warehouse per module holds a published run; every bad source then runs against it.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, PipelineRunner, lenient_policy
from marts import published_state
from sources import write_source

from clientseg.errors import SourceError
from clientseg.extract import CSV_RULE
from clientseg.runs import RunContext
from clientseg.steps import run_pipeline

AS_OF = date(2026, 6, 30)
GOOD = {
    "clients": [{"client_id": "G1"}, {"client_id": "G2"}],
    "transactions": [{"client_id": "G1", "trade_date": "2026-06-01"}],
    "holdings": [{"client_id": "G1", "market_value": "100"}],
}
CLIENTS_MISSING = "column 'country' is missing (rule: SOURCE.md table clients requires it; " \
                  "1 of 17 columns missing)"


def good_source(root: Path) -> Path:
    return write_source(root, **GOOD)


def drop_column(path: Path, column: str) -> None:
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in pacsv.read_csv(path).column_names}))
    pacsv.write_csv(table.drop_columns([column]), path)


def to_parquet(csv_path: Path, parquet_path: Path) -> None:
    names = pacsv.read_csv(csv_path).column_names
    pq.write_table(pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in names})), parquet_path)
    csv_path.unlink()


def rewrite(path: Path, change: Callable[[bytes], bytes]) -> None:
    path.write_bytes(change(path.read_bytes()))


# Each breaks a good source in place; returns the one-line reason expected (given the source).
def missing_table(src: Path) -> str:
    (src / "holdings.csv").unlink()
    return (f"{src}: source table 'holdings' is missing "
            f"(expected holdings.csv, holdings.parquet or a folder holdings/)")


def missing_column(src: Path) -> str:
    drop_column(src / "clients.csv", "country")
    return f"{src / 'clients.csv'}: {CLIENTS_MISSING}"


def header_case(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.replace(b"client_id,", b"Client_ID,", 1))
    return (f"{src / 'clients.csv'}: column 'client_id' is missing "
            f"(rule: names are exact and lower case, found 'Client_ID')")


def no_header(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.split(b"\n", 1)[1])
    return (f"{src / 'clients.csv'}: column 'client_id' is missing (rule: SOURCE.md table "
            f"clients requires it; 17 of 17 columns missing)")


def duplicate_column(src: Path) -> str:
    rewrite(src / "holdings.csv", lambda b: b.replace(b"currency\r\n", b"currency,currency\r\n")
            .replace(b"EUR\r\n", b"EUR,EUR\r\n"))
    return (f"{src / 'holdings.csv'}: column 'currency' appears more than once "
            f"(rule: one column per name)")


def empty_file(src: Path) -> str:
    (src / "transactions.csv").write_bytes(b"")
    return f"{src / 'transactions.csv'}: empty file (rule: a header row is required)"


def clients_header_only(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b[:b.index(b"\r\n") + 2])
    return (f"{src}: source table 'clients' has no rows (rule: the client master is delivered "
            f"in full with every run; an empty one would unpublish every client)")


def semicolons(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.replace(b",", b";"))
    return (f"{src / 'clients.csv'}: the header is separated by ';', not by commas "
            f"(rule: {CSV_RULE})")


def latin1_value(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.replace(b"G2,", "Gé2,".encode("latin-1")))
    return f"{src / 'clients.csv'}: line 3 is not valid UTF-8 (rule: {CSV_RULE})"


def latin1_header(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: "clé,".encode("latin-1") + b)
    return f"{src / 'clients.csv'}: line 1 is not valid UTF-8 (rule: {CSV_RULE})"


def extra_field(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.replace(b"00:00:00\r\n", b"00:00:00,x\r\n", 1))
    return f"{src / 'clients.csv'}: line 2 has 18 fields, the header has 17 (rule: {CSV_RULE})"


def extra_field_after_a_value_on_three_lines(src: Path) -> str:
    """The line named is the file's own (5), not the record's (3): G1's quoted value holds two
    line breaks."""
    rewrite(src / "clients.csv", lambda b: b
            .replace(b"G1,individual,,CH,,,", b'G1,individual,,CH,,"a\r\nb\r\nc",')
            .replace(b"00:00:00\r\nG2", b"00:00:00\r\nG2,x"))
    return f"{src / 'clients.csv'}: line 5 has 18 fields, the header has 17 (rule: {CSV_RULE})"


def truncated_csv(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b[:b.rindex(b"CH,")])
    return f"{src / 'clients.csv'}: line 3 has 4 fields, the header has 17 (rule: {CSV_RULE})"


def open_quote(src: Path) -> str:
    rewrite(src / "clients.csv", lambda b: b.replace(b"G2,", b'"G2,'))
    return f"{src / 'clients.csv'}: line 3 has a quote that is never closed (rule: {CSV_RULE})"


def delivered_twice(src: Path) -> str:
    (src / "clients").mkdir()
    shutil.copy(src / "clients.csv", src / "clients" / "part-1.csv")
    return (f"{src}: source table 'clients' is delivered twice "
            f"(clients.csv and clients; rule: one file or one folder per table)")


def truncated_parquet(src: Path) -> str:
    to_parquet(src / "holdings.csv", src / "holdings.parquet")
    rewrite(src / "holdings.parquet", lambda b: b[:len(b) // 2])
    path = src / "holdings.parquet"
    return f"{path}: not a readable Parquet file (No magic bytes found at end of file '{path}')"


def corrupt_parquet(src: Path) -> str:
    to_parquet(src / "holdings.csv", src / "holdings.parquet")
    rewrite(src / "holdings.parquet", lambda b: b[:4] + bytes(len(b) // 2 - 4) + b[len(b) // 2:])
    return (f"{src / 'holdings.parquet'}: not a readable Parquet file "
            f"(TProtocolException: Invalid data)")


def parquet_missing_column(src: Path) -> str:
    drop_column(src / "clients.csv", "country")
    to_parquet(src / "clients.csv", src / "clients.parquet")
    return f"{src / 'clients.parquet'}: {CLIENTS_MISSING}"


def folder_csv_missing_column(src: Path) -> str:
    (src / "clients").mkdir()
    (src / "clients.csv").rename(src / "clients" / "2026-06-29.csv")
    write_source(src / "day2", clients=[{"client_id": "G3"}])
    (src / "day2" / "clients.csv").rename(src / "clients" / "2026-06-30.csv")
    drop_column(src / "clients" / "2026-06-30.csv", "country")
    return f"{src / 'clients' / '2026-06-30.csv'}: {CLIENTS_MISSING}"


def folder_parquet_truncated(src: Path) -> str:
    (src / "holdings").mkdir()
    to_parquet(src / "holdings.csv", src / "holdings" / "part-0001.parquet")
    part2 = src / "holdings" / "part-0002.parquet"
    shutil.copy(src / "holdings" / "part-0001.parquet", part2)
    rewrite(part2, lambda b: b[:-10])
    return f"{part2}: not a readable Parquet file (No magic bytes found at end of file '{part2}')"


def empty_folder(src: Path) -> str:
    (src / "transactions.csv").unlink()
    (src / "transactions").mkdir()
    (src / "transactions" / "_SUCCESS").write_bytes(b"")
    return (f"{src / 'transactions'}: source table 'transactions' is missing "
            f"(the folder holds no .csv or .parquet file)")


def _folder_with(src: Path, stray: str, folder: bool = False) -> str:
    """transactions as a folder of one good file and `stray`, which is not read."""
    (src / "transactions").mkdir()
    (src / "transactions.csv").rename(src / "transactions" / "2026-06-01.csv")
    path = src / "transactions" / stray
    if folder:
        path.mkdir()
        shutil.copy(src / "transactions" / "2026-06-01.csv", path / "2026-06-02.csv")
    else:
        path.write_bytes((src / "transactions" / "2026-06-01.csv").read_bytes())
    return (f"{path}: not a data file of source table 'transactions' (rule: a table's folder "
            f"holds .csv and .parquet files only, not sub-folders; names starting with . or _ "
            f"are skipped)")


def folder_compressed_file(src: Path) -> str:
    return _folder_with(src, "2026-06-02.csv.gz")


def folder_upper_case_suffix(src: Path) -> str:
    return _folder_with(src, "2026-06-02.CSV")


def folder_stray_text_file(src: Path) -> str:
    return _folder_with(src, "README.txt")


def folder_sub_folder(src: Path) -> str:
    return _folder_with(src, "2026", folder=True)


BREAKS = [missing_table, missing_column, header_case, no_header, duplicate_column, empty_file,
          clients_header_only,
          semicolons, latin1_value, latin1_header, extra_field,
          extra_field_after_a_value_on_three_lines, truncated_csv, open_quote,
          delivered_twice, truncated_parquet, corrupt_parquet, parquet_missing_column,
          folder_csv_missing_column, folder_parquet_truncated, empty_folder,
          folder_compressed_file, folder_upper_case_suffix, folder_stray_text_file,
          folder_sub_folder]


class Warehouse1:
    """A warehouse with one published run; `fail(source)` runs a source that must fail."""

    def __init__(self, root: Path) -> None:
        self.runner = PipelineRunner(root)
        self.runner(AS_OF, source=good_source(root / "good"))
        self.published = published_state(self.runner.url)

    def fail(self, source: str) -> str:
        self.runner.runs += 1
        run = RunContext(f"bad__{self.runner.runs}", AS_OF, source, self.runner.url)
        with pytest.raises(SourceError) as failure:
            run_pipeline(run, lenient_policy())
        message = str(failure.value)
        assert "\n" not in message
        [row] = self.runner.query("select status, error from ops.pipeline_runs "
                                  "where run_id = :r", r=run.run_id)
        assert row == {"status": "failed", "error": message}
        assert published_state(self.runner.url) == self.published
        return message


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse1:
    return Warehouse1(tmp_path_factory.mktemp("bad_files"))


@pytest.mark.parametrize("break_source", BREAKS, ids=lambda f: f.__name__)
def test_bad_file_fails_the_run_with_one_line(warehouse: Warehouse1, tmp_path: Path,
                                              break_source: Callable[[Path], str]) -> None:
    src = good_source(tmp_path / "src")
    expected = break_source(src)
    assert warehouse.fail(str(src)) == expected


def test_missing_source_directory(warehouse: Warehouse1, tmp_path: Path) -> None:
    assert warehouse.fail(str(tmp_path / "nowhere")) == \
        f"{tmp_path / 'nowhere'}: source directory does not exist"


def test_bom_crlf_and_a_folder_of_csv_and_parquet_are_read(pipeline: PipelineRunner,
                                                           tmp_path: Path) -> None:
    src = good_source(tmp_path / "src")
    rewrite(src / "clients.csv", lambda b: codecs.BOM_UTF8 + b)
    (src / "transactions").mkdir()
    (src / "transactions.csv").rename(src / "transactions" / "2026-06-01.csv")
    write_source(tmp_path / "day2", transactions=[
        {"transaction_id": "T2", "client_id": "G2", "trade_date": "2026-06-02"}])
    to_parquet(tmp_path / "day2" / "transactions.csv", src / "transactions" / "2026-06-02.parquet")
    assert (src / "clients.csv").read_bytes().count(b"\r\n") == 3
    rows = pipeline(AS_OF, source=src)
    assert sorted(rows) == ["G1", "G2"]
    assert (rows["G1"]["trades_12m"], rows["G2"]["trades_12m"]) == (1, 1)
    [run] = pipeline.query("select rows_quarantined from ops.pipeline_runs")
    assert run["rows_quarantined"] == 0


# --- a source database -----------------------------------------------------------------------

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def source_db(tmp_path: Path) -> Iterator[str]:
    """A throwaway PostgreSQL database holding the good source, as text columns; dropped after."""
    name = f"clientseg_badsrc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    src = good_source(tmp_path / "src")
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}") as conn:
            for path in sorted(src.glob("*.csv")):
                header = path.read_text().splitlines()[0].split(",")
                conn.execute(f"create table {path.stem} ({', '.join(f'{c} text' for c in header)})")
                with conn.cursor().copy(f"copy {path.stem} from stdin (format csv, header)") as cp:
                    cp.write(path.read_bytes())
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


def sql(url: str, statement: str) -> None:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute(statement)


@pytest.mark.postgres
def test_unreachable_source_database(warehouse: Warehouse1) -> None:
    assert warehouse.fail("postgresql+psycopg://postgres@127.0.0.1:1/core") == (
        'postgresql+psycopg://***@127.0.0.1:1/core: source database unreachable (connection '
        'failed: connection to server at "127.0.0.1", port 1 failed: Connection refused)')


@pytest.mark.postgres
def test_source_database_lacks_a_table(warehouse: Warehouse1, source_db: str) -> None:
    sql(source_db, "drop table categorisation_requests")
    shown = source_db.replace("postgres@", "***@")
    assert warehouse.fail(source_db) == (
        f"{shown}: source table 'categorisation_requests' is missing "
        f"(rule: SOURCE.md needs all five tables)")


@pytest.mark.postgres
def test_source_database_table_lacks_a_column(warehouse: Warehouse1, source_db: str) -> None:
    sql(source_db, "alter table clients drop column country")
    shown = source_db.replace("postgres@", "***@")
    assert warehouse.fail(source_db) == f"{shown} table clients: {CLIENTS_MISSING}"


@pytest.mark.postgres
def test_good_source_database_publishes(pipeline: PipelineRunner, source_db: str) -> None:
    rows = pipeline(AS_OF, source=source_db)  # type: ignore[arg-type]
    assert sorted(rows) == ["G1", "G2"]


# --- the command line ------------------------------------------------------------------------

@pytest.mark.e2e
def test_clientseg_run_prints_one_line_on_a_bad_source(tmp_path: Path) -> None:
    src = good_source(tmp_path / "src")
    expected = missing_column(src)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "clientseg"), "run", "--as-of", AS_OF.isoformat(),
         "--source", str(src), "--warehouse", f"duckdb:///{tmp_path / 'wh.duckdb'}"],
        capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert (result.returncode, result.stderr) == (1, f"clientseg run failed: {expected}\n")


@pytest.mark.postgres
def test_a_timestamptz_of_a_source_database_reads_in_utc() -> None:
    """A database whose time zone is Tokyo shows 19:30 UTC as 04:30 the next day; the source
    session is in UTC, so the client's update stays on the day it was made in UTC."""
    from throwaway_pg import throwaway_postgres_url

    from clientseg.contract import BY_NAME
    from clientseg.extract import table_batches

    clients = BY_NAME["clients"]
    with throwaway_postgres_url() as url:
        dsn = url.replace("postgresql+psycopg", "postgresql")
        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"alter database {name} set timezone to 'Asia/Tokyo'")
        with psycopg.connect(dsn, autocommit=True) as conn:
            columns = ", ".join(f"{c} timestamptz" if c == "updated_at" else f"{c} text"
                                for c in clients.column_names)
            conn.execute(f"create table clients ({columns})")
            conn.execute("insert into clients (client_id, updated_at) "
                         "values ('C1', '2026-06-30 19:30:00+00')")
        [batch] = list(table_batches(url, clients))
    assert batch.column("updated_at").to_pylist() == ["2026-06-30T19:30:00+00:00"]


TZ_READ = """
import sys, duckdb
from pathlib import Path
from clientseg.contract import BY_NAME
from clientseg.extract import _insert_files, table_batches
path = Path(sys.argv[1])
[batch] = list(table_batches(str(path.parent), BY_NAME["clients"]))
duck = duckdb.connect()  # a DuckDB warehouse reads the file itself, in its own connection
duck.from_arrow(batch).limit(0).create("t")
_insert_files(duck, "t", BY_NAME["clients"], [path], 1)
[(landed,)] = duck.execute("select updated_at from t").fetchall()
print(batch.column("updated_at").to_pylist()[0], landed)
"""


def test_a_timestamptz_of_a_parquet_file_reads_in_utc(tmp_path: Path) -> None:
    """A Parquet timestamp with time zone (as pandas and Spark write them) is read as UTC wall
    time whatever the worker's time zone: on a worker in Tokyo 19:30 UTC is not 04:30 the next
    day, so the client's update stays on the day it was made in UTC."""
    from clientseg.contract import BY_NAME

    names = BY_NAME["clients"].column_names
    updated = pa.array([datetime(2026, 6, 30, 19, 30, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({c: updated if c == "updated_at" else pa.array(["C1"])
                             for c in names}), tmp_path / "clients.parquet")
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", TZ_READ,
                             str(tmp_path / "clients.parquet")], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "TZ": "Asia/Tokyo"}, check=True)
    assert result.stdout.split() == ["2026-06-30", "19:30:00"] * 2
