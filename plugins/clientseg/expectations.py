"""Great Expectations Core: the suites of expectations/ run as SQL inside the warehouse.

GX's SQL execution engine computes every expectation where the data is: no row travels to
Python, whatever the table's size. GX decides and counts; `failing_rows` then finds which rows
broke which rule with the same condition in SQL (`failing_condition`), and checks that it found
exactly as many rows as GX counted, so the two can never drift apart unnoticed.

GX 1.24 supports PostgreSQL; DuckDB it drives through duckdb_engine (a PostgreSQL dialect), with
three adaptations made in `_adapt_to_duckdb` and exercised by every validation test: one
connection kept for the whole validation (a DuckDB result dies with its connection, and GX
reads results after handing the connection back), PostgreSQL's regex operator (`~`, which
DuckDB shares), and column reflection from information_schema (SQLAlchemy's PostgreSQL
reflection query reads pg_collation, which DuckDB lacks).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import count
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.paths import EXPECTATIONS_DIR
from clientseg.sql import sql_list
from clientseg.warehouse import Warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

ROW_ID = "_row_id"
_names = count()


@dataclass
class ExpectationOutcome:
    """One expectation's result on a whole table."""

    expectation: str
    column: str
    rule: str
    rows_checked: int = 0
    unexpected_count: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.unexpected_count == 0


@dataclass
class SuiteResult:
    """A suite's outcomes, by rule."""

    suite: str
    outcomes: dict[str, ExpectationOutcome]


def suite_json(table: str) -> dict[str, Any]:
    """The suite of `table` as stored under expectations/ (name, meta, expectations)."""
    return json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())


def rule_order(suite: str) -> dict[str, int]:
    """Each rule's position in its suite: the order reasons are listed in."""
    return {e["meta"]["rule"]: i for i, e in enumerate(suite_json(suite)["expectations"])}


@cache
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def load_suite(table: str) -> Any:
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_json(table))


class _DuckDBColumns:
    """The two reflection calls GX makes, answered from DuckDB's information_schema."""

    TYPES = {"VARCHAR": sa.Text, "BIGINT": sa.BigInteger, "INTEGER": sa.Integer,
             "DATE": sa.Date, "TIMESTAMP": sa.DateTime, "BOOLEAN": sa.Boolean,
             "DOUBLE": sa.Float, "DECIMAL": sa.Numeric}

    def __init__(self, conn: Connection) -> None:
        self.conn, self.dialect = conn, conn.dialect

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        return {"constrained_columns": []}

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        rows = self.conn.execute(sa.text(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = :s and table_name = :t order by ordinal_position"),
            {"s": schema or "main", "t": str(table_name)}).all()
        return [{"name": name, "type": self.TYPES.get(kind.split("(")[0], sa.Text)()}
                for name, kind in rows]


def _adapt_to_duckdb(engine: Any) -> None:
    """See the module's docstring: one kept connection, PostgreSQL regex, own reflection."""
    conn = engine.engine.connect()

    @contextmanager
    def kept_connection() -> Iterator[Connection]:
        yield conn

    engine._connection = conn
    engine._engine_backup = engine._engine_backup or engine.engine
    engine.get_connection = kept_connection
    engine.dialect_module = sa.dialects.postgresql
    columns = _DuckDBColumns(conn)
    engine.get_inspector = lambda: columns


@contextmanager
def _table_batch(wh: Warehouse, table: str) -> Iterator[Any]:
    """A GX batch of the whole warehouse table `schema.name`; its connection closed after."""
    schema, name = table.split(".")
    context = _context()
    source = context.data_sources.add_sql(
        f"warehouse_{next(_names)}", connection_string=wh.url, kwargs=wh.engine_kwargs)
    try:
        with warnings.catch_warnings():  # DuckDB has no schema in its connection string
            warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
            asset = source.add_table_asset(name, table_name=name, schema_name=schema)
        engine = source.get_execution_engine()
        if wh.dialect == "duckdb":
            _adapt_to_duckdb(engine)
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        yield batch
    finally:
        source.get_execution_engine().close()
        context.data_sources.delete(source.name)


def _sample(value: Any) -> str:
    """A failing value as the reasons show it (decimals without their scale's zeros); a null
    is no sample: the reason then says `e.g. null`."""
    return str(float(value) if isinstance(value, Decimal) else value)


def _raised(info: dict[str, Any]) -> str | None:
    """The message of an exception GX caught: on the expectation, or on one of its metrics."""
    for entry in [info, *(v for v in info.values() if isinstance(v, dict))]:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message")).splitlines()[0]
    return None


def validate_table(wh: Warehouse, suite: str, table: str, rows: int) -> SuiteResult:
    """Run the suite `suite` on the warehouse table `table` of `rows` rows (with `_row_id`).

    An expectation that raised, or that saw another number of rows, fails loudly: a check
    that did not run must never pass for one that found nothing."""
    with _table_batch(wh, table) as batch:
        result = batch.validate(load_suite(suite), result_format="SUMMARY")
    outcomes: dict[str, ExpectationOutcome] = {}
    for res in result.results:
        config = res.expectation_config
        error = _raised(res.exception_info or {})
        checked = int(res.result.get("element_count") or 0)
        if error or checked != rows:
            raise RuntimeError(f"expectation {config.type} on {config.kwargs['column']} of "
                               f"{table} did not run: {error or f'saw {checked} of {rows} rows'}")
        rule = config.meta.get("rule", config.type)
        column = config.kwargs["column"].split("__")[0]
        unexpected = int(res.result.get("unexpected_count") or 0)
        outcomes[rule] = ExpectationOutcome(
            config.type, column, rule, checked, unexpected,
            sorted({_sample(v) for v in res.result.get("partial_unexpected_list") or []
                    if v is not None})[:5])  # distinct, in one order on both engines
    return SuiteResult(suite, outcomes)


def _literal(value: Any) -> str:
    return sql_list([value])[1:-1] if isinstance(value, str) else str(value)


def failing_condition(expectation: dict[str, Any]) -> str:
    """The SQL condition of the rows that break `expectation` (a suite entry), as GX defines
    it: nulls break only the not-null rule; every other rule lets nulls pass."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    column = f'"{kwargs["column"]}"'
    if set(kwargs) - {"column", "value_set", "regex", "min_value", "max_value", "strict_min",
                      "strict_max"}:
        raise ValueError(f"{kind}: unsupported arguments {sorted(kwargs)}")
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is null"
    if kind == "expect_column_values_to_be_null":
        return f"{column} is not null"
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"{column} is not null and {column} not in ({values})"
    if kind == "expect_column_values_to_match_regex":
        return f"{column} is not null and not ({column} ~ {_literal(kwargs['regex'])})"
    if kind == "expect_column_values_to_be_between":
        outside = [f"{column} {'<=' if kwargs.get('strict_min') else '<'} "
                   f"{_literal(kwargs['min_value'])}"] if "min_value" in kwargs else []
        outside += [f"{column} {'>=' if kwargs.get('strict_max') else '>'} "
                    f"{_literal(kwargs['max_value'])}"] if "max_value" in kwargs else []
        return f"{column} is not null and ({' or '.join(outside)})"
    raise ValueError(f"no SQL condition for expectation type {kind}")


def failing_rows(conn: Connection, table: str, result: SuiteResult, target: str) -> None:
    """Create `target` (_row_id, rule, rule_order): one row per row of `table` and rule it
    broke; raise if a rule's rows differ in number from what GX counted."""
    conn.execute(sa.text(f"drop table if exists {target}"))
    conn.execute(sa.text(f"create table {target} ({ROW_ID} bigint, rule text, rule_order int)"))
    for order, expectation in enumerate(suite_json(result.suite)["expectations"]):
        outcome = result.outcomes[expectation["meta"]["rule"]]
        if outcome.success:
            continue
        condition = failing_condition(expectation).replace(":", "\\:")  # not bind parameters
        conn.execute(sa.text(f"insert into {target} select {ROW_ID}, :rule, :rule_order "
                             f"from {table} where {condition}"),
                     {"rule": outcome.rule, "rule_order": order})
        found = conn.execute(sa.text(f"select count(*) from {target} where rule = :rule"),
                             {"rule": outcome.rule}).scalar_one()
        if found != outcome.unexpected_count:
            raise RuntimeError(f"{table}: GX counted {outcome.unexpected_count} rows breaking "
                               f"'{outcome.rule}', the quarantine query found {found}")
