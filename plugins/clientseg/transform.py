"""Transform: the SQL models of include/sql/transform, run in order inside the warehouse."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import sqlalchemy as sa

from clientseg import kept_state, vocab
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.sql import sql_list
from clientseg.warehouse import Warehouse
from clientseg.windows import window_params

log = logging.getLogger(__name__)

# Each model builds a table or a view (below); a model reads only the ones before it.
MODELS = (
    "fx_daily",
    "requests_in_force",
    "opt_up_requests",
    "trade_measures",
    "opt_up_trades",
    "latest_snapshots",
    "opt_up_snapshots",
    "clients",
    "open_clients",
    "measures",
    "value_segments",
    "mifid_opt_up",
    "mifid",
    "finsa",
    "segments",
)
OUTPUT_MODEL = "segments"
# Read by later tasks (output checks, publish): staging tables. The others are temporary, of
# the transform's own connection: never written to the warehouse's disk or log. On DuckDB a
# model read by one later model only is a view: its reader's query computes it, nothing is
# materialised. PostgreSQL plans better on tables it has analysed (it never analyses temporary
# tables by itself), so there every intermediate is an analysed temporary table.
# The models over the big tables are staging tables too: the run keeps them as its state
# (kept_state.py).
KEPT_MODELS = ("open_clients", OUTPUT_MODEL, *kept_state.KEPT_MODELS)
VIEW_MODELS = ("mifid_opt_up", "value_segments", "mifid", "finsa")


def model_table(run: RunContext, name: str) -> str:
    """`staging.model_<name>__<key>` for a kept model, else the temporary `model_<name>__<key>`."""
    table = run.table("model", name)
    return table if name in KEPT_MODELS else table.removeprefix("staging.")


def materialisation(model: str, dialect: str) -> str:
    """`table`, `temporary table` or `temporary view`: how `model` is built (see above)."""
    if model in KEPT_MODELS:
        return "table"
    return ("temporary view" if model in VIEW_MODELS and dialect == "duckdb"
            else "temporary table")


def _inline(conn: sa.Connection, statement: str, params: dict[str, Any]) -> sa.TextClause:
    """The statement with the run's parameters as literals: a view keeps no parameters."""
    used = [sa.bindparam(k, v, type_=sa.Date() if isinstance(v, date) else sa.String())
            for k, v in params.items() if f":{k}" in statement]  # typed: Airflow's pendulum dates
    return sa.text(str(sa.text(statement).bindparams(*used).compile(
        conn, compile_kwargs={"literal_binds": True})))


def model_context(run: RunContext, policy: Policy, stored: list[str] | None = None,
                  state: kept_state.State | None = None) -> dict[str, Any]:
    """What the model templates see: table resolvers, the policy, vocabularies.

    `stored` names the source tables read from their incremental store (incremental.py);
    `state` is the kept state the run starts from (kept_state.py), if any."""
    from clientseg.incremental import typed_table

    return {
        "ref": lambda name: model_table(run, name),
        "typed": lambda name: typed_table(run, stored or [], name),
        "policy": policy.settings,
        "vocab": vocab,
        "sql_list": sql_list,
        "zip": zip,
        "state": state,
    }


def transform(run: RunContext, wh: Warehouse, policy: Policy
              ) -> tuple[dict[str, int], dict[str, str]]:
    """Build every model for the run; return rows per table (views are not counted) and how
    the models of each big table were built (from the kept state, or from every row and why)."""
    params = window_params(run.as_of, int(policy["measures"]["window_months"]))
    params["run_id"] = run.run_id
    from clientseg.incremental import stored_tables

    rows: dict[str, int] = {}
    with wh.begin_uncompressed() as conn:
        stored = stored_tables(run, wh, conn)
        kept_state.lock(wh, conn, stored)
        state, how = kept_state.usable(run, wh, conn, policy, stored, params)
        for table, reason in how.items():
            log.info("%s: %s", table, reason)
        params |= state.params if state else {}
        context = model_context(run, policy, stored, state)
        for model in MODELS:
            start = time.perf_counter()
            target, kind = model_table(run, model), materialisation(model, wh.dialect)
            select = wh.render(f"transform/{model}.sql", **context)
            is_view = kind.endswith("view")
            conn.execute(sa.text(f"drop {'view' if is_view else 'table'} if exists {target}"))
            statement = f"create {kind} {target} as {select}"
            conn.execute(_inline(conn, statement, params) if is_view else sa.text(statement),
                         params)
            if is_view:
                continue
            if model != OUTPUT_MODEL and wh.dialect == "postgresql":
                conn.execute(sa.text(f"analyze {target}"))
            rows[model] = wh.count(conn, target)
            log.info("model %s: %d rows in %.2f s", model, rows[model],
                     time.perf_counter() - start)
        if kept_state.keep(run, wh, conn, policy, stored,
                            {m: model_table(run, m) for m in kept_state.KEPT_MODELS}):
            log.info("state kept for %s", run.as_of)
    return rows, how
