"""PostgreSQL as source and warehouse: the same values as DuckDB, bulk loads through COPY."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg.pq
import pyarrow as pa
import pytest
import sqlalchemy as sa
from pgdb import Published, load_source
from sources import write_source

from clientseg import config
from clientseg.runs import RunContext
from clientseg.steps import run_pipeline
from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.postgres

MART_TABLES = {
    "mart.client_segments_history": "as_of_date, client_id",
    "mart.client_segments": "client_id",
    "mart.client_category_changes": "as_of_date, client_id, attribute",
}


def _normal(value: Any) -> Any:
    """One spelling per value across drivers: exact decimals, ISO dates."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _columns(url: str, table: str, order: str) -> dict[str, list[Any]]:
    with Warehouse(url).begin() as conn:
        result = conn.execute(sa.text(f"select * from {table} order by {order}"))
        names = list(result.keys())
        rows = result.all()
    return {name: [_normal(row[i]) for row in rows] for i, name in enumerate(names)}


@pytest.mark.parametrize("table", list(MART_TABLES))
def test_postgres_publishes_the_same_values_as_duckdb(published: Published, table: str) -> None:
    pg = _columns(published.pg_url, table, MART_TABLES[table])
    duck = _columns(published.duckdb_url, table, MART_TABLES[table])
    assert list(pg) == list(duck)
    assert len(pg["client_id"]) > 0
    differing = {c: next(((i, a, b) for i, (a, b) in enumerate(zip(pg[c], duck[c], strict=True))
                          if a != b), None)
                 for c in pg if pg[c] != duck[c]}
    assert differing == {}, "column: (row, postgres, duckdb)"


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "compliance.md"
GUIDE_QUERIES = [q.strip() for block in re.findall(r"```sql\n(.*?)```", GUIDE.read_text(), re.S)
                 for q in block.split(";\n") if q.strip()]


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with Warehouse(url).begin() as conn:
        return sorted(tuple(_normal(v) for v in row) for row in conn.execute(sa.text(query)))


@pytest.mark.parametrize("query", GUIDE_QUERIES, ids=lambda q: q.split("\n")[0][:40])
def test_the_compliance_guide_queries_run_alike_on_both_warehouses(published: Published,
                                                                   query: str) -> None:
    """docs/compliance.md's SQL, as printed, on the published PostgreSQL and DuckDB marts."""
    assert _rows(published.pg_url, query) == _rows(published.duckdb_url, query)


def test_both_runs_read_and_quarantined_the_same_rows(published: Published) -> None:
    sql = "select * from ops.pipeline_runs where run_id = :r"
    rows = []
    for url in (published.pg_url, published.duckdb_url):
        with Warehouse(url).begin() as conn:
            rows.append(dict(conn.execute(sa.text(sql), {"r": published.run_id}).one()._mapping))
    counts = [{k: v for k, v in r.items() if k.startswith("rows_")} for r in rows]
    assert counts[0] == counts[1]
    assert counts[0]["rows_quarantined"] > 0  # the generator's bad rows took part
    assert [r["status"] for r in rows] == ["published", "published"]


def test_typed_source_tables_read_like_the_csv_contract(
        pg_url: str, pg_schema: str, tmp_path: Path) -> None:
    """A source system's own typed columns (date, numeric, boolean, timestamp) extract as the
    CSV spelling the contract defines, so the categories come out the same."""
    tables = {
        "clients": [
            {"client_id": "C1", "birth_date": "1960-02-29", "investment_knowledge": "true",
             "annual_income": "120000.50", "financial_sector_experience_years": "2"},
            {"client_id": "C2", "client_type": "legal_entity", "entity_type": "pension_fund",
             "updated_at": "2021-05-04T10:11:12"},
        ],
        "transactions": [{"client_id": "C1", "trade_date": "2026-06-30", "fee": "12.345"},
                         {"client_id": "C2", "trade_date": "2025-07-01", "fee": "7"}],
        "holdings": [{"client_id": "C1", "market_value": "250000.75"}],
    }
    source = write_source(tmp_path / "source", **tables)
    load_source(pg_url, pg_schema, source, typed=True)
    as_of = dt.date(2026, 6, 30)
    results = {}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(config.SOURCE_SCHEMA_ENV, pg_schema)
        for name, src in (("typed", pg_url), ("files", str(source))):
            url = f"duckdb:///{tmp_path / name}.duckdb"
            run_pipeline(RunContext("typed", as_of, src, url))
            results[name] = _columns(url, "mart.client_segments_history", "client_id")
    assert results["typed"]["client_id"] == ["C1", "C2"]
    assert results["typed"] == results["files"]


def _trace_messages(trace: Path) -> list[str]:
    """The protocol message names of a libpq trace (`F/B <length> <Name> ...` lines)."""
    return [line.split("\t")[2].split(" ")[0] for line in trace.read_text().splitlines()
            if line.count("\t") >= 2]


def test_bulk_load_streams_every_batch_through_one_copy(pg_url: str, tmp_path: Path) -> None:
    """The wire protocol (libpq trace) shows one COPY FROM STDIN carrying all the batches:
    no INSERT statements; nulls stay null and empty strings stay empty."""
    wh = Warehouse(pg_url)
    batches = [pa.RecordBatch.from_pydict({"id": pa.array(range(i * 1000, (i + 1) * 1000)),
                                           "text": pa.array([f"v{j}" for j in range(1000)])})
               for i in range(3)]
    batches.append(pa.RecordBatch.from_pydict({"id": [-1, -2, -3], "text": ["", None, 'a"b,c']}))
    trace = tmp_path / "libpq.trace"
    with wh.begin() as conn:
        conn.execute(sa.text("create temporary table loaded (id bigint, text text)"))
        pgconn = conn.connection.driver_connection.pgconn
        with trace.open("w") as f:
            pgconn.trace(f.fileno())
            pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                loaded = wh.bulk_load(conn, "loaded", iter(batches))
            finally:
                pgconn.untrace()
        tail = conn.execute(sa.text("select id, text from loaded where id < 0 order by id desc"))
        assert tail.all() == [(-1, ""), (-2, None), (-3, 'a"b,c')]
        assert conn.execute(sa.text("select count(*) from loaded")).scalar() == 3003
    messages = _trace_messages(trace)
    assert loaded == 3003
    assert messages.count("CopyInResponse") == 1
    assert messages.count("CopyData") >= len(batches)
    assert "CopyDone" in messages
    queries = [line for line in trace.read_text().splitlines() if "\tQuery\t" in line
               or "\tParse\t" in line]
    assert [q for q in queries if "insert" in q.lower()] == []
