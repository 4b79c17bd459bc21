"""DuckDB's memory is bounded (its default is 80% of RAM), and the bound can be configured."""

from __future__ import annotations

import pytest

from clientseg.warehouse import DUCKDB_MEMORY_ENV, Warehouse


@pytest.mark.parametrize(("setting", "expected"), [(None, "2.7 GiB"), ("512MB", "488.2 MiB")])
def test_duckdb_memory_limit(tmp_path, monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv(DUCKDB_MEMORY_ENV, raising=False)
    else:
        monkeypatch.setenv(DUCKDB_MEMORY_ENV, setting)
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert wh.scalar("select current_setting('memory_limit')") == expected
