"""DuckDB's memory is bounded (its default is 80% of RAM), and the bound can be configured;
the transform's writes skip compression only inside its transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clientseg.warehouse import DUCKDB_MEMORY_ENV, Warehouse


@pytest.mark.parametrize(("setting", "expected"), [(None, "2.7 GiB"), ("512MB", "488.2 MiB")])
def test_duckdb_memory_limit(tmp_path, monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv(DUCKDB_MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(DUCKDB_MEMORY_ENV, setting)
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert wh.scalar("select current_setting('memory_limit')") == expected


def _compression(conn) -> str:
    return conn.execute(sa.text("select current_setting('force_compression')")).scalar_one()


def _stored(conn, table: str) -> set[str]:
    return {r[0] for r in conn.execute(sa.text(
        f"select distinct compression from pragma_storage_info('{table}') "
        "where segment_type <> 'VALIDITY' and persistent"))}


def test_uncompressed_transaction_stores_its_tables_uncompressed(tmp_path):
    """The transform's tables are stored uncompressed, also those DuckDB writes at the commit;
    the setting is the database's, so it is put back after the commit."""
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    rows = "select range % 7 as a, 'x' || (range % 5) as b from range(1000)"
    with wh.engine.connect() as other:  # one database: its settings are seen by both
        other.execute(sa.text("set checkpoint_threshold = '1kB'"))  # the commit checkpoints
        with wh.begin_uncompressed() as conn:
            assert _compression(conn) == "uncompressed"
            conn.execute(sa.text(f"create table inside as {rows}"))
        assert _compression(other) == "auto"
        other.execute(sa.text(f"create table outside as {rows}"))
        other.commit()
        assert _stored(other, "inside") == {"Uncompressed"}
        assert "Uncompressed" not in _stored(other, "outside")


@pytest.mark.parametrize("failure", ["python", "sql"])
def test_uncompressed_transaction_failing_puts_the_setting_back(tmp_path, failure):
    """A failed block is rolled back and leaves the database's setting as it was."""
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with wh.engine.connect() as other:
        error = ZeroDivisionError if failure == "python" else sa.exc.DBAPIError
        with pytest.raises(error), wh.begin_uncompressed() as conn:
            conn.execute(sa.text("create table t as select 1 as a"))
            if failure == "python":
                raise ZeroDivisionError
            conn.execute(sa.text("select 1 / 'x'"))  # the transaction refuses any statement
        assert _compression(other) == "auto"
        assert not wh.table_exists(other, "main.t")
