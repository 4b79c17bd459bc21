"""A wrong command-line argument is one line on stderr, naming the argument."""

from __future__ import annotations

import pytest

from clientseg import config
from clientseg.cli import main, parser
from clientseg.errors import redact


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "--as-of", "2026-02-30"],
     "clientseg run: error: argument --as-of: not an ISO date (YYYY-MM-DD): '2026-02-30' "
     "(see clientseg run --help)\n"),
    (["run"], "clientseg run: error: the following arguments are required: --as-of "
              "(see clientseg run --help)\n"),
    (["run", "--as-of", "20260630"],
     "clientseg run: error: argument --as-of: not an ISO date (YYYY-MM-DD): '20260630' "
     "(see clientseg run --help)\n"),
    (["run", "--as-of", "2026-06-30", "--warehouse", "sqlite:///x.db"],
     "clientseg run: error: argument --warehouse: not a DuckDB or PostgreSQL URL "
     "(duckdb:///path or postgresql+psycopg://...): 'sqlite:///x.db' (see clientseg run --help)\n"),
    (["generate", "--out", "x", "--clients", "0", "--seed", "1", "--as-of", "2026-06-30"],
     "clientseg generate: error: argument --clients: not a whole number >= 1: '0' "
     "(see clientseg generate --help)\n"),
    (["frobnicate"], None),
])
def test_a_wrong_argument_is_one_line(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("clientseg")
    if expected:
        assert err == expected


@pytest.mark.parametrize("command", [["run", "--as-of", "2026-06-30"], ["explain", "C1"],
                                     ["report"], ["airflow"]])
def test_locations_default_to_the_environment_then_data(monkeypatch, command):
    """No --warehouse / --source: the README's environment variables, else the defaults."""
    monkeypatch.delenv(config.WAREHOUSE_ENV, raising=False)
    monkeypatch.delenv(config.SOURCE_ENV, raising=False)
    assert parser().parse_args(command).warehouse == config.DEFAULT_WAREHOUSE_URL
    monkeypatch.setenv(config.WAREHOUSE_ENV, "postgresql+psycopg://u@db:5432/wh")
    monkeypatch.setenv(config.SOURCE_ENV, "/landing")
    args = parser().parse_args(command)
    assert args.warehouse == "postgresql+psycopg://u@db:5432/wh"
    assert getattr(args, "source", "/landing") == "/landing"
    given = parser().parse_args([*command, "--warehouse", "duckdb:///w.duckdb"])
    assert given.warehouse == "duckdb:///w.duckdb"


@pytest.mark.parametrize(("url", "expected"), [
    ("duckdb:///{tmp}/none.duckdb", "warehouse file not found: {tmp}/none.duckdb"),
    ("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/x",  # credentials shown as by `run`
     "cannot read postgresql+psycopg://***@127.0.0.1:1/x: connection failed"),
])
def test_report_on_a_missing_or_unreachable_warehouse_is_one_line(capsys, tmp_path, url,
                                                                   expected):
    assert main(["report", "--warehouse", url.format(tmp=tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"clientseg report: {expected.format(tmp=tmp_path)}")
    assert err.count("\n") == 1
    assert not (tmp_path / "none.duckdb").exists()  # reading never creates a warehouse


@pytest.mark.parametrize(("location", "shown"), [
    ("postgresql+psycopg://etl:s3cret@db:5432/wh", "postgresql+psycopg://***@db:5432/wh"),
    ("postgresql+psycopg://etl@db/wh", "postgresql+psycopg://***@db/wh"),
    ("postgresql+psycopg://etl:p@ss@db/wh", "postgresql+psycopg://***@db/wh"),  # @ in password
    ("postgresql+psycopg://db:5432/wh", "postgresql+psycopg://db:5432/wh"),
    ("duckdb:////data/team@home/warehouse.duckdb", "duckdb:////data/team@home/warehouse.duckdb"),
    ("/landing/team@home", "/landing/team@home"),
])
def test_locations_are_shown_without_credentials(location, shown):
    assert redact(location) == shown
