"""Schema management: idempotent creation, column upgrades, and the documented COMMENTs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pgdb import Databases, Published

from clientseg.data_dictionary import by_name, tables
from clientseg.schema import ensure_schema
from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.postgres

DOCUMENTED_SCHEMAS = ("mart", "ops")
# PostgreSQL's format_type spelling of the types include/columns.yaml uses.
PG_TYPES = {"numeric(38, 10)": "numeric(38,10)", "timestamp": "timestamp without time zone"}


def _warehouse_columns(url: str) -> dict[str, list[str]]:
    """Every table of mart and ops as the warehouse created it: its columns, in order."""
    sql = ("select table_schema, table_name, column_name from information_schema.columns "
           "where table_schema in ('mart', 'ops') order by table_schema, table_name, "
           "ordinal_position")
    found: dict[str, list[str]] = {}
    with Warehouse(url).begin() as conn:
        for schema, table, column in conn.execute(sa.text(sql)):
            found.setdefault(f"{schema}.{table}", []).append(column)
    return found


@pytest.fixture(params=["postgresql", "duckdb"])
def warehouse_url(request: pytest.FixtureRequest, published: Published) -> str:
    return published.pg_url if request.param == "postgresql" else published.duckdb_url


def test_every_mart_and_ops_column_is_documented_in_order(warehouse_url: str) -> None:
    documented = {t.name: [c.name for c in t.columns] for t in tables()}
    assert _warehouse_columns(warehouse_url) == documented


def test_documented_types_are_the_warehouse_types(published: Published) -> None:
    sql = ("select format_type(a.atttypid, a.atttypmod) from pg_attribute a "
           "where a.attrelid = cast(:t as regclass) and a.attname = :c")
    wrong = {}
    with Warehouse(published.pg_url).begin() as conn:
        for table in tables():
            for column in table.columns:
                found = conn.execute(sa.text(sql), {"t": table.name, "c": column.name}).scalar()
                if found != PG_TYPES.get(column.type, column.type):
                    wrong[f"{table.name}.{column.name}"] = (column.type, found)
    assert wrong == {}


def test_postgres_comments_are_the_data_dictionary(published: Published) -> None:
    with Warehouse(published.pg_url).begin() as conn:
        for table in tables():
            assert conn.execute(sa.text("select obj_description(cast(:t as regclass), 'pg_class')"),
                                {"t": table.name}).scalar() == table.description
            comments = dict(conn.execute(sa.text(
                "select attname, col_description(attrelid, attnum) from pg_attribute "
                "where attrelid = cast(:t as regclass) and attnum > 0 and not attisdropped"),
                {"t": table.name}).all())
            assert comments == {c.name: c.meaning for c in table.columns}, table.name


def test_duckdb_comments_are_the_data_dictionary(published: Published) -> None:
    with Warehouse(published.duckdb_url).begin() as conn:
        for table in tables():
            schema, name = table.name.split(".")
            comments = dict(conn.execute(sa.text(
                "select column_name, comment from duckdb_columns() "
                "where schema_name = :s and table_name = :n"), {"s": schema, "n": name}).all())
            assert comments == {c.name: c.meaning for c in table.columns}, table.name


def test_ensure_schema_twice_keeps_tables_rows_and_grants(published: Published) -> None:
    wh = Warehouse(published.pg_url)
    count = "select count(*) from mart.client_segments_history"
    before = (_warehouse_columns(wh.url), wh.scalar(count))
    ensure_schema(wh)
    ensure_schema(wh)
    assert (_warehouse_columns(wh.url), wh.scalar(count)) == before
    assert before[1] > 0


@pytest.mark.parametrize("dialect", ["postgresql", "duckdb"])
def test_upgrade_adds_a_documented_column_an_old_table_lacks(
        dialect: str, pg_databases: Databases, tmp_path: Path) -> None:
    url = pg_databases.new() if dialect == "postgresql" else f"duckdb:///{tmp_path}/w.duckdb"
    wh = Warehouse(url)
    ensure_schema(wh)
    with wh.begin() as conn:
        conn.execute(sa.text("alter table ops.pipeline_runs drop column summary"))
        conn.execute(sa.text("alter table mart.client_category_changes drop column new_value"))
    assert "summary" not in _warehouse_columns(url)["ops.pipeline_runs"]
    ensure_schema(wh)
    columns = _warehouse_columns(url)
    assert columns["ops.pipeline_runs"][-1] == "summary"
    assert columns["mart.client_category_changes"][-1] == "new_value"
    if dialect == "postgresql":
        meaning = wh.scalar("select col_description(cast('ops.pipeline_runs' as regclass), "
                            "(select attnum from pg_attribute where attname = 'summary' and "
                            "attrelid = cast('ops.pipeline_runs' as regclass)))")
        assert meaning == by_name()["ops.pipeline_runs"].columns[-1].meaning
