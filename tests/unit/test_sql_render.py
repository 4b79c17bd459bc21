"""Rendering of include/sql: compiled templates cached on disk, never a cause of failure."""

from __future__ import annotations

from pathlib import Path

import jinja2

from clientseg import sql
from clientseg.paths import SQL_DIR


def _render(cache: jinja2.BytecodeCache | None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(SQL_DIR), bytecode_cache=cache,
                             undefined=jinja2.StrictUndefined, **sql._OPTIONS)
    return env.get_template("ddl/mart_client_segments_history.sql").render(dialect="postgresql")


def test_a_template_compiled_once_is_read_back_from_the_cache(tmp_path: Path,
                                                             monkeypatch) -> None:
    first = _render(sql._bytecode_cache(str(tmp_path)))
    stored = list(tmp_path.glob("clientseg_*.cache"))
    assert len(stored) == 2  # the table and the columns it includes

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", no_compiling)
    assert _render(sql._bytecode_cache(str(tmp_path))) == first


def test_the_cache_is_per_compile_options(tmp_path: Path, monkeypatch) -> None:
    _render(sql._bytecode_cache(str(tmp_path)))
    monkeypatch.setattr(sql, "_OPTIONS_KEY", "other")  # as if an option or Jinja changed
    _render(sql._bytecode_cache(str(tmp_path)))
    assert len(list(tmp_path.glob("clientseg_*.cache"))) == 4  # nothing read across options


def test_a_cache_that_cannot_be_written_still_renders(tmp_path: Path) -> None:
    missing = tmp_path / "gone"  # the directory vanished: every write fails
    assert _render(sql._bytecode_cache(str(missing))) == _render(None)


def test_no_cache_when_the_temporary_directory_is_unusable(tmp_path: Path,
                                                           monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setattr("tempfile.tempdir", str(blocker))
    assert sql._bytecode_cache() is None
