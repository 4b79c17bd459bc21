"""Kept state: the per-client models of the latest run over the big tables, moved forward by
the next run, so that a nightly run's cost follows the new rows, not the length of history.

After a run for D, three of its models are kept (`staging.kept_<model>`): the trading measures
(trade_measures.sql) and opt-up trade counts (opt_up_trades.sql), built from the transactions,
and the latest holdings snapshot values (latest_snapshots.sql), built from the holdings; with
what they were computed from (`staging.kept_state`: the as-of date, the policy settings they
depend on, a fingerprint of the FX rates on or before D; `staging.kept_state_files`: the
store's files, by name and SHA-256). A later run for D' starts a table's models from that
state, reading only its rows dated after D (and, for the trades, those whose window changed),
when everything the state depends on is unchanged:

- the table is a folder delivery (incremental.py), every file the state was built from is still
  delivered unchanged, and no new file holds a row dated on or before D;
- the FX rates dated on or before D are the same rows, and the policy settings are the same;
- D' is on or after D, and at most a window later (the trades' date ranges are then disjoint).

Otherwise the run reads every row of the table, and its log says why. A run keeps its state
unless it is for an earlier date than the kept one (a backfill leaves the nightly state alone).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.contract import BY_NAME
from clientseg.incremental import FINGERPRINTS, lock_stores, store_table
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse
from clientseg.windows import window_params

log = logging.getLogger(__name__)

META = "staging.kept_state"
FILES = "staging.kept_state_files"
KEPT_MODELS = {"trade_measures": "transactions", "opt_up_trades": "transactions",
               "latest_snapshots": "holdings", "opt_up_snapshots": "holdings"}
# model: the source table it is built from
TABLES = (META, FILES, *(f"staging.kept_{model}" for model in KEPT_MODELS))


def lock(wh: Warehouse, conn: Connection, stored: list[str]) -> None:
    """PostgreSQL: transforms queue one behind the other, and the stores and their file list
    cannot change while one runs (another run's load waits), so that a kept state matches the
    files it records. A DuckDB file has one writing process."""
    if wh.dialect != "postgresql":
        return
    conn.execute(sa.text("select pg_advisory_xact_lock(hashtext('clientseg.transform'))"))
    lock_stores(conn, stored, "share")


def kept_table(model: str) -> str:
    return f"staging.kept_{model}"


@dataclass(frozen=True)
class State:
    """A kept state that a run starts from (the `state` of the model templates)."""

    as_of: date
    months: int
    tables: frozenset[str]  # the source tables whose models start from it

    def kept(self, model: str) -> str | None:
        """The kept table `model` starts from, or None when it reads every row."""
        return kept_table(model) if KEPT_MODELS[model] in self.tables else None

    @property
    def params(self) -> dict[str, date]:
        """The state's window bounds, as `state_as_of`, `state_window_start`, ..."""
        return {f"state_{k}": v for k, v in window_params(self.as_of, self.months).items()}


def _settings(policy: Policy) -> str:
    """The policy settings the kept models depend on, as JSON."""
    measures = policy["measures"]
    return json.dumps({k: measures[k] for k in (
        "window_months", "significant_notional_eur", "portfolio_asset_classes",
        "excluded_from_investable")}, sort_keys=True, default=str)


def fx_fingerprint(wh: Warehouse, conn: Connection, run: RunContext, up_to: date) -> str:
    """An MD5 of the run's valid FX rates dated on or before `up_to`."""
    return str(wh.run(conn, "state/fx_fingerprint.sql", {"up_to": up_to},
                      fx=run.table("typed", "fx_rates")).scalar_one())


def usable(run: RunContext, wh: Warehouse, conn: Connection, policy: Policy,
           stored: list[str], window: dict[str, date]) -> tuple[State | None, dict[str, str]]:
    """The kept state this run starts from, if any; and for each table, how its models are
    built: `from the state kept for <date>` or `from every row: <why not>`."""
    folders = sorted({t for t in KEPT_MODELS.values() if t in stored})
    kept_as_of, why = _kept_as_of(run, wh, conn, policy, window) if folders else (None, None)
    reasons = {t: "not a folder delivery (read in full every run)"
               for t in KEPT_MODELS.values() if t not in stored}
    for table in folders:
        reasons[table] = why or _table_blocked(run, wh, conn, table, kept_as_of)
    starting = frozenset(t for t, why in reasons.items() if why is None)
    state = State(kept_as_of, int(policy["measures"]["window_months"]), starting) \
        if starting else None
    return state, {t: f"from every row: {why}" if why else f"from the state kept for {kept_as_of}"
                   for t, why in sorted(reasons.items())}


def _table_blocked(run: RunContext, wh: Warehouse, conn: Connection, table: str,
                   kept_as_of: date) -> str | None:
    """Why `table`'s models cannot start from the kept state, or None."""
    if not all(wh.table_exists(conn, kept_table(m))
               for m, t in KEPT_MODELS.items() if t == table):
        return "no state kept"
    file = wh.run(conn, "state/files_changed.sql", {"as_of": kept_as_of, "run_id": run.run_id},
                  table_name=table,
                  date_column=BY_NAME[table].date_column, files=FILES,
                  fingerprints=FINGERPRINTS, store=store_table(table)).scalar_one()
    if file:
        return (f"file {file} changed, vanished, was read again or holds rows dated on or "
                f"before {kept_as_of}")
    return None


def _kept_as_of(run: RunContext, wh: Warehouse, conn: Connection, policy: Policy,
                window: dict[str, date]) -> tuple[date | None, str | None]:
    """The kept state's date, and why no table can start from it (None if some can)."""
    if not wh.table_exists(conn, META):
        return None, "no state kept"
    meta = conn.execute(sa.text(f"select as_of, settings, fx_fingerprint from {META}")).one()
    kept_window = window_params(meta.as_of, int(policy["measures"]["window_months"]))
    if meta.as_of > run.as_of:
        why = f"the kept state is for a later date ({meta.as_of})"
    elif meta.settings != _settings(policy):
        why = "the policy's measure settings changed"
    elif (window["window_start"] > meta.as_of
            or window["previous_window_start"] > kept_window["window_start"]):
        why = f"the kept state ({meta.as_of}) is more than a window before {run.as_of}"
    elif meta.fx_fingerprint != fx_fingerprint(wh, conn, run, meta.as_of):
        why = f"FX rates dated on or before {meta.as_of} changed"
    else:
        why = None
    return meta.as_of, why


def keep(run: RunContext, wh: Warehouse, conn: Connection, policy: Policy,
         stored: list[str], tables: dict[str, str]) -> bool:
    """Keep this run's models of the folder tables (`tables`: model -> its table) as the state,
    unless a state for a later date is kept."""
    models = [m for m, table in KEPT_MODELS.items() if table in stored]
    if not models:
        return False
    if wh.table_exists(conn, META) and conn.execute(
            sa.text(f"select as_of from {META}")).scalar_one() > run.as_of:
        return False
    wh.drop_tables(conn, TABLES)
    for model in models:
        conn.execute(sa.text(f"alter table {tables[model]} rename to "
                             f"{kept_table(model).split('.')[1]}"))
    wh.run(conn, "state/meta.sql", {
        "as_of": run.as_of, "settings": _settings(policy), "run_id": run.run_id,
        "fx_fingerprint": fx_fingerprint(wh, conn, run, run.as_of)}, meta=META)
    wh.run(conn, "state/files.sql", tables=sorted({KEPT_MODELS[m] for m in models}),
           files=FILES, fingerprints=FINGERPRINTS)
    return True
