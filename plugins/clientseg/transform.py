"""Transform: the SQL models of include/sql/transform, run in order inside the warehouse."""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from clientseg import vocab
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.sql import sql_list
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

# Each model builds staging.model_<name>__<key>; a model reads only the ones before it.
MODELS = (
    "fx_daily",
    "trade_measures",
    "holdings_snapshots",
    "clients",
    "measures",
    "value_segments",
    "requests_in_force",
    "mifid_opt_up",
    "mifid",
    "finsa",
    "segments",
)
OUTPUT_MODEL = "segments"


def window_params(as_of: date, months: int) -> dict[str, date]:
    """Bounds of the window (window_start, as_of] and the previous one (RULES.md, Measures)."""
    return {
        "as_of": as_of,
        "day_after_as_of": as_of + timedelta(days=1),
        "window_start": as_of - relativedelta(months=months),
        "previous_window_start": as_of - relativedelta(months=2 * months),
    }


def model_context(run: RunContext, policy: Policy, stored: list[str] | None = None
                  ) -> dict[str, Any]:
    """What the model templates see: table resolvers, the policy, vocabularies.

    `stored` names the source tables read from their incremental store (incremental.py)."""
    from clientseg.incremental import typed_table

    return {
        "ref": lambda name: run.table("model", name),
        "typed": lambda name: typed_table(run, stored or [], name),
        "policy": policy.settings,
        "vocab": vocab,
        "sql_list": sql_list,
        "zip": zip,
    }


def transform(run: RunContext, wh: Warehouse, policy: Policy) -> dict[str, int]:
    """Build every model for the run; return rows per model."""
    params = window_params(run.as_of, int(policy["measures"]["window_months"]))
    params["run_id"] = run.run_id
    from clientseg.incremental import stored_tables

    context = model_context(run, policy, stored_tables(run, wh))
    rows: dict[str, int] = {}
    with wh.begin() as conn:
        for model in MODELS:
            start = time.perf_counter()
            target = run.table("model", model)
            select = wh.render(f"transform/{model}.sql", **context)
            wh.drop_tables(conn, [target])
            conn.execute(sa.text(f"create table {target} as {select}"), params)
            rows[model] = wh.count(conn, target)
            log.info("model %s: %d rows in %.2f s", model, rows[model],
                     time.perf_counter() - start)
    return rows
