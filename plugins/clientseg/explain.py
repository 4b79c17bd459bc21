"""`clientseg explain`: why a client has its categories, from the published history alone."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from clientseg.errors import PipelineError, first_line
from clientseg.warehouse import Warehouse, existing

HISTORY = "mart.client_segments_history"
CHANGES = "mart.client_category_changes"
RUNS = "ops.pipeline_runs"
QUARANTINE = "quarantine.clients"
CATEGORY_ATTRIBUTES = ("mifid_category", "finsa_category")

MEASURES = (
    "revenue_12m_eur", "revenue_prev_12m_eur", "trades_12m", "significant_trades_12m",
    "last_trade_date", "recency_days", "portfolio_value_eur", "investable_assets_eur",
)  # fmt: skip
SEGMENTS = (
    "abc_class", "rfm_segment", "wealth_tier", "revenue_trend", "gap_segment", "service_level",
)  # fmt: skip


def explain(warehouse_url: str, client_id: str, as_of: date | None = None) -> str:
    """The published categories of `client_id` on `as_of` (default: its latest date), readable.

    Raises PipelineError with a one-line message when the warehouse, the client or the date
    is not there.
    """
    row, dates, held = _read(warehouse_url, client_id, as_of)
    if row is None:
        why = (f"; {QUARANTINE} holds its row (run {held['run_id']}, as of "
               f"{held['run_as_of_date']}: {held['rules_broken']})" if held else "")
        if not dates:
            raise PipelineError(f"client {client_id} is not in {HISTORY}{why}")
        raise PipelineError(
            f"client {client_id} has no row for {as_of} in {HISTORY} "
            f"({len(dates)} as-of dates from {dates[0]} to {dates[-1]}){why}")
    return render(row)


def _read(warehouse_url: str, client_id: str, as_of: date | None
          ) -> tuple[dict[str, Any] | None, list[date], dict[str, Any] | None]:
    """The history row (or None) and, when it is missing, the client's as-of dates and its
    latest row in quarantine.clients (of `as_of`, when given), if any."""
    wh, shown = existing(warehouse_url)
    try:
        with wh.begin() as conn:
            if not wh.table_exists(conn, HISTORY):
                raise PipelineError(f"{shown} has no {HISTORY}: no run has published there yet")
            where = "client_id = :client_id" + (" and as_of_date = :as_of" if as_of else "")
            found = conn.execute(
                sa.text(f"select * from {HISTORY} where {where} order by as_of_date desc limit 1"),
                {"client_id": client_id, "as_of": as_of},
            ).mappings().first()
            if found is not None:
                return _with_context(wh, conn, dict(found)), [], None
            dates = conn.execute(
                sa.text(f"select distinct as_of_date from {HISTORY} where client_id = :client_id "
                        "order by as_of_date"), {"client_id": client_id}).scalars().all()
            return None, list(dates), _quarantined(wh, conn, client_id, as_of)
    except SQLAlchemyError as exc:
        raise PipelineError(f"cannot read {HISTORY} in {shown}: {first_line(exc)}") from exc


def _quarantined(wh: Warehouse, conn: sa.Connection, client_id: str, as_of: date | None
                 ) -> dict[str, Any] | None:
    """The client's latest row in quarantine.clients (of `as_of`, when given), if any."""
    if not wh.table_exists(conn, QUARANTINE):
        return None
    held = conn.execute(sa.text(
        f"select run_id, run_as_of_date, rules_broken from {QUARANTINE} "
        f"where client_id = :client_id{' and run_as_of_date = :as_of' if as_of else ''} "
        f"order by quarantined_at desc limit 1"),
        {"client_id": client_id, "as_of": as_of}).mappings().first()
    return dict(held) if held else None


def _with_context(wh: Warehouse, conn: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    """The row plus its category changes up to its date and the policy of the run that wrote it."""
    row["category_changes"] = []
    if wh.table_exists(conn, CHANGES):
        row["category_changes"] = [dict(r) for r in conn.execute(sa.text(
            f"select as_of_date, previous_as_of_date, attribute, old_value, new_value "
            f"from {CHANGES} where client_id = :client_id and as_of_date <= :as_of "
            f"and attribute in ({', '.join(repr(a) for a in CATEGORY_ATTRIBUTES)}) "
            f"order by as_of_date, attribute desc"),
            {"client_id": row["client_id"], "as_of": row["as_of_date"]}).mappings()]
    row["policy"] = None
    if wh.table_exists(conn, RUNS):
        row["policy"] = conn.execute(sa.text(
            f"select policy_version, policy_sha256 from {RUNS} where run_id = :run_id "
            f"and as_of_date = :as_of"),
            {"run_id": row["run_id"], "as_of": row["as_of_date"]}).mappings().first()
    return row


def render(row: dict[str, Any]) -> str:
    """A published row as text for a compliance officer: categories, reasons, measures, and
    (when read from the warehouse) its category changes and the policy its run used."""
    review = "yes" if row["mifid_review_required"] else "no"
    client = ", ".join(f"{k} {row[k]}" for k in ("client_type", "entity_type", "country",
                                                   "age_band") if row.get(k) is not None)
    lines = [
        f"Client {row['client_id']} as of {row['as_of_date']} (run {row['run_id']})",
        f"  {client}",
        "",
        f"MiFID II: {row['mifid_category']} (basis {row['mifid_basis']}), "
        f"review required: {review}",
        *_sentences(row["mifid_reasons"]),
        "",
        f"FinSA: {row['finsa_category']} (basis {row['finsa_basis']})",
        *_sentences(row["finsa_reasons"]),
        "",
        f"Key measures (12 months ending {row['as_of_date']}):",
        *(f"  {name:<24}{_value(row.get(name))}" for name in MEASURES),
        "Segments: " + ", ".join(f"{name} {_value(row.get(name))}" for name in SEGMENTS),
    ]
    if "category_changes" in row:
        lines += ["", f"Category changes up to {row['as_of_date']} ({CHANGES}):",
                  *(_change(c) for c in row["category_changes"])]
        if not row["category_changes"]:
            lines.append("  (none recorded)")
    if row.get("policy"):
        lines += ["", f"Policy: version {row['policy']['policy_version']}, include/policy.yaml "
                      f"sha256 {row['policy']['policy_sha256']}"]
    return "\n".join(lines)


def _change(change: dict[str, Any]) -> str:
    regime = "MiFID II" if change["attribute"] == "mifid_category" else "FinSA"
    if change["previous_as_of_date"] is None:
        return f"  {change['as_of_date']}  {regime}: {change['new_value']} (first categorisation)"
    return (f"  {change['as_of_date']}  {regime}: {change['old_value']} -> {change['new_value']} "
            f"(previous as-of date {change['previous_as_of_date']})")


def _sentences(reasons: str | None) -> list[str]:
    """The reasons one sentence a line ("Base: ...", "Request ... was not applied: ...")."""
    if not reasons:
        return ["  - (no reasons recorded)"]
    return [f"  - {part.strip().rstrip('.')}" for part in reasons.split(". ") if part.strip()]


def _value(value: Any) -> str:
    """An amount truncated to the cent, as the reasons show it (never rounded up to a
    threshold); other values as they are."""
    if value is None:
        return "-"
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_DOWN):,.2f}"
    return str(value)
