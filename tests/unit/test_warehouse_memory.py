"""DuckDB's memory is bounded (its default is 80% of RAM), and the bound can be configured;
the transform's writes skip compression only inside its block."""

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


def test_uncompressed_writes_are_scoped_to_the_block(tmp_path):
    """The transform's tables are written uncompressed; the setting is the database's, so it
    is put back when the block ends, also when the block fails."""
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    with wh.begin() as conn:
        with wh.uncompressed(conn):
            assert _compression(conn) == "uncompressed"
        assert _compression(conn) == "auto"
        with pytest.raises(ZeroDivisionError), wh.uncompressed(conn):
            raise ZeroDivisionError
        assert _compression(conn) == "auto"
    with wh.begin() as conn, wh.engine.connect() as other:  # one database: two connections
        with pytest.raises(sa.exc.DBAPIError), wh.uncompressed(conn):
            conn.execute(sa.text("select 1 / 'x'"))  # the transaction refuses any statement
        assert _compression(other) == "auto"
        conn.rollback()
