"""The source tables of SOURCE.md: columns, types and the order they are validated in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One source column: its contract type (text, date, timestamp, decimal, boolean)."""

    name: str
    type: str = "text"


@dataclass(frozen=True)
class SourceTable:
    """One source table of SOURCE.md; `date_column` dates a row for FX conversion;
    `scope_column` dates a row for a run: rows dated after the run's date are out of its
    scope (SOURCE.md), and not counted against the bad-row limit."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    currency_column: str | None = None
    date_column: str | None = None
    scope_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column
CLIENTS = SourceTable(
    "clients",
    (
        C("client_id"), C("client_type"), C("entity_type"), C("country"),
        C("birth_date", "date"), C("occupation"), C("annual_income", "decimal"),
        C("financial_sector_experience_years", "decimal"),
        C("investment_knowledge", "boolean"), C("has_professional_treasury", "boolean"),
        C("balance_sheet_total", "decimal"), C("net_turnover", "decimal"),
        C("own_funds", "decimal"), C("financials_currency"),
        C("onboarding_date", "date"), C("closed_date", "date"),
        C("updated_at", "timestamp"),
    ),
    key=("client_id",),
    scope_column="onboarding_date",  # a client onboarded after D is not open on D
)  # fmt: skip
HOLDINGS = SourceTable(
    "holdings",
    (
        C("client_id"), C("as_of_date", "date"), C("asset_class"),
        C("market_value", "decimal"), C("currency"),
    ),
    currency_column="currency",
    date_column="as_of_date",
    scope_column="as_of_date",
)  # fmt: skip
TRANSACTIONS = SourceTable(
    "transactions",
    (
        C("transaction_id"), C("client_id"), C("trade_date", "date"),
        C("instrument_class"), C("market"), C("side"), C("notional", "decimal"),
        C("currency"), C("fee", "decimal"), C("status"),
    ),
    key=("transaction_id",),
    currency_column="currency",
    date_column="trade_date",
    scope_column="trade_date",
)  # fmt: skip
FX_RATES = SourceTable(
    "fx_rates",
    (C("rate_date", "date"), C("currency"), C("eur_per_unit", "decimal")),
    key=("rate_date", "currency"),
    scope_column="rate_date",
)
CATEGORISATION_REQUESTS = SourceTable(
    "categorisation_requests",
    (
        C("request_id"), C("client_id"), C("regime"), C("requested_category"),
        C("received_date", "date"), C("status"),
    ),
    key=("request_id",),
    scope_column="received_date",
)  # fmt: skip

# Validation order: FX rates and clients first, since the other tables are checked against them.
SOURCE_TABLES: tuple[SourceTable, ...] = (
    FX_RATES, CLIENTS, HOLDINGS, TRANSACTIONS, CATEGORISATION_REQUESTS,
)  # fmt: skip
BY_NAME = {t.name: t for t in SOURCE_TABLES}
