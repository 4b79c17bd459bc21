"""Kept trade state: the trading measures of the latest run, moved forward by the next one.

The trading measures of a run for D (trade_measures.sql) and its opt-up counts
(opt_up_trades.sql) are kept after the run as `staging.trade_state` and
`staging.trade_state_opt_up`, with what they were computed from: the as-of date, the policy
settings they depend on, a fingerprint of the FX rates on or before D and the transaction files
(name and SHA-256) of the store. A later run for D' starts from that state instead of all
history when everything the state depends on is unchanged, so its cost follows the new trades:

- the transactions are a folder delivery (incremental.py), every file the state was built from is
  still delivered unchanged, and no new file holds a row dated on or before the state's date;
- the FX rates dated on or before the state's date are the same rows;
- the window length and the significant size are the same;
- D' is on or after the state's date, and less than a window later (the three date ranges that
  move are then disjoint).

Otherwise the run aggregates every trade, and says why in its log. A run keeps its state only if
it is not for an earlier date than the kept one (a backfill leaves the nightly state alone).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clientseg.incremental import FINGERPRINTS, store_table
from clientseg.policy import Policy
from clientseg.runs import RunContext
from clientseg.warehouse import Warehouse
from clientseg.windows import window_params

log = logging.getLogger(__name__)

STATE = "staging.trade_state"
OPT_UP = "staging.trade_state_opt_up"
META = "staging.trade_state_meta"
FILES = "staging.trade_state_files"
KEPT_MODELS = {"trade_measures": STATE, "opt_up_trades": OPT_UP}
TABLES = (STATE, OPT_UP, META, FILES)


@dataclass(frozen=True)
class State:
    """A kept state that a run may start from (the `state` of the model templates)."""

    as_of: date
    months: int
    measures: str = STATE
    opt_up: str = OPT_UP

    @property
    def params(self) -> dict[str, date]:
        """The state's window bounds, as `state_as_of`, `state_window_start`, ..."""
        return {f"state_{k}": v for k, v in window_params(self.as_of, self.months).items()}


def _settings(policy: Policy) -> dict[str, str]:
    measures = policy["measures"]
    return {"window_months": str(measures["window_months"]),
            "significant_notional_eur": str(measures["significant_notional_eur"])}


def fx_fingerprint(wh: Warehouse, conn: Connection, run: RunContext, up_to: date) -> str:
    """An MD5 of the run's valid FX rates dated on or before `up_to`."""
    return str(wh.run(conn, "state/fx_fingerprint.sql", {"up_to": up_to},
                      fx=run.table("typed", "fx_rates")).scalar_one())


def usable(run: RunContext, wh: Warehouse, conn: Connection, policy: Policy,
           stored: list[str], window: dict[str, date]) -> tuple[State | None, str]:
    """The kept state this run may start from, or None; and why, in words, for the log."""
    if "transactions" not in stored:
        return None, "transactions are not a folder delivery (read in full every run)"
    if not wh.table_exists(conn, META):
        return None, "no state kept"
    meta = conn.execute(sa.text(
        f"select as_of, window_months, significant_notional_eur, fx_fingerprint from {META}"
    )).mappings().one()
    kept_as_of = meta["as_of"]
    if kept_as_of > run.as_of:
        return None, f"the kept state is for a later date ({kept_as_of})"
    if {k: meta[k] for k in _settings(policy)} != _settings(policy):
        return None, "the policy's window or significant size changed"
    state = State(kept_as_of, int(policy["measures"]["window_months"]))
    if (window["window_start"] > kept_as_of
            or window["previous_window_start"] > state.params["state_window_start"]):
        return None, f"the kept state ({kept_as_of}) is a window or more before {run.as_of}"
    if meta["fx_fingerprint"] != fx_fingerprint(wh, conn, run, kept_as_of):
        return None, f"FX rates dated on or before {kept_as_of} changed"
    changed = wh.run(conn, "state/files_changed.sql", {"as_of": kept_as_of},
                     files=FILES, fingerprints=FINGERPRINTS,
                     store=store_table("transactions")).scalar_one()
    if changed:
        return None, (f"transaction file {changed} changed, vanished or holds trades dated on "
                      f"or before {kept_as_of}")
    return state, f"from the state kept for {kept_as_of}"


def keep(run: RunContext, wh: Warehouse, conn: Connection, policy: Policy,
         stored: list[str], tables: dict[str, str]) -> bool:
    """Keep this run's trading models as the state (`tables`: model -> its table), unless the
    transactions are not a folder delivery or a state for a later date is kept."""
    if "transactions" not in stored:
        return False
    if wh.table_exists(conn, META) and conn.execute(
            sa.text(f"select as_of from {META}")).scalar_one() > run.as_of:
        return False
    wh.drop_tables(conn, TABLES)
    for model, kept in KEPT_MODELS.items():
        conn.execute(sa.text(f"alter table {tables[model]} rename to {kept.split('.')[1]}"))
    row: dict[str, Any] = {"as_of": run.as_of, **_settings(policy), "run_id": run.run_id,
                           "fx_fingerprint": fx_fingerprint(wh, conn, run, run.as_of)}
    wh.run(conn, "state/meta.sql", row, meta=META)
    wh.run(conn, "state/files.sql", files=FILES, fingerprints=FINGERPRINTS)
    return True
