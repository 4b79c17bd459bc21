"""Boundary tests of the measures of RULES.md (window, FX, holdings, recency), end to end.

One row per case: the case's client, its source rows and the published values expected for it.
The cases of one scenario share one source and one pipeline run (own warehouse per scenario).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from conftest import PipelineRunner

Rows = list[dict[str, Any]]
D = date(2026, 6, 30)  # window (2025-06-30, 2026-06-30], previous (2024-06-30, 2025-06-30]
LEAP_D = date(2024, 2, 29)  # window (2023-02-28, 2024-02-29], previous (2022-02-28, 2023-02-28]
AS_OF = {"window": D, "leap": LEAP_D, "fx": D, "holdings": D}
FX_RATES: dict[str, Rows] = {
    "fx": [
        {"rate_date": "2026-03-09", "currency": "USD", "eur_per_unit": "0.5"},
        {"rate_date": "2026-03-10", "currency": "USD", "eur_per_unit": "1.25"},
        {"rate_date": "2026-03-13", "currency": "USD", "eur_per_unit": "3"},
        {"rate_date": "2026-06-30", "currency": "USD", "eur_per_unit": "2"},
        {"rate_date": "2026-03-11", "currency": "CHF", "eur_per_unit": "1.1"},
        {"rate_date": "2025-01-01", "currency": "GBP", "eur_per_unit": "1.2"},
        # EUR is 1 (SOURCE.md): a delivered EUR rate is ignored, not applied
        {"rate_date": "2025-01-01", "currency": "EUR", "eur_per_unit": "2"},
    ],
}
SOURCES: dict[str, dict[str, Rows]] = defaultdict(
    lambda: {"clients": [], "transactions": [], "holdings": []})


def case(scenario: str, client_id: str, expected: dict[str, Any], *, client: dict | None = None,
         trades: Rows = (), holdings: Rows = ()) -> Any:
    """One test row: registers the client's source rows in its scenario's source."""
    source = SOURCES[scenario]
    source["clients"].append({"client_id": client_id, **(client or {})})
    source["transactions"] += [{"client_id": client_id, **t} for t in trades]
    source["holdings"] += [{"client_id": client_id, **h} for h in holdings]
    return pytest.param(scenario, client_id, expected, id=f"{scenario}-{client_id}")


def trade(trade_date: str, fee: str = "10", **columns: Any) -> dict[str, Any]:
    return {"trade_date": trade_date, "fee": fee, **columns}


def position(as_of_date: str, market_value: str, asset_class: str = "security",
             currency: str = "EUR") -> dict[str, Any]:
    return {"as_of_date": as_of_date, "market_value": market_value,
            "asset_class": asset_class, "currency": currency}


def amounts(revenue: str | int, previous: str | int = 0) -> dict[str, Decimal]:
    return {"revenue_12m_eur": Decimal(revenue), "revenue_prev_12m_eur": Decimal(previous)}


CANCELLED = {"status": "cancelled"}

WINDOW_CASES = [
    case("window", "on_d", {**amounts(10), "trades_12m": 1, "last_trade_date": D,
                            "recency_days": 0},
         trades=[trade("2026-06-30")]),
    case("window", "on_d_minus_12m_is_previous",
         {**amounts(0, 10), "trades_12m": 0, "last_trade_date": date(2025, 6, 30),
          "recency_days": 365},
         trades=[trade("2025-06-30")]),
    case("window", "day_after_d_minus_12m_is_current", {**amounts(10), "trades_12m": 1},
         trades=[trade("2025-07-01")]),
    case("window", "on_d_minus_24m_is_outside_both",
         {**amounts(0), "trades_12m": 0, "last_trade_date": date(2024, 6, 30),
          "recency_days": 730},
         trades=[trade("2024-06-30")]),
    case("window", "day_after_d_minus_24m_is_previous", {**amounts(0, 10), "trades_12m": 0},
         trades=[trade("2024-07-01")]),
    case("window", "both_windows_summed",
         {**amounts("10.01", "200.50"), "trades_12m": 2},
         trades=[trade("2026-01-01", "10"), trade("2025-12-01", "0.01"),
                 trade("2025-01-01", "200"), trade("2024-12-01", "0.50")]),
    case("window", "after_d_ignored",
         {**amounts(5), "trades_12m": 1, "last_trade_date": date(2026, 6, 1),
          "recency_days": 29},
         trades=[trade("2026-06-01", "5"), trade("2026-07-01", "100")]),
    case("window", "cancelled_ignored",
         {**amounts(10), "trades_12m": 1, "significant_trades_12m": 0,
          "last_trade_date": date(2026, 1, 1), "recency_days": 180},
         trades=[trade("2026-01-01"),
                 trade("2026-06-30", "100", notional="90000", **CANCELLED),
                 trade("2025-01-01", "100", **CANCELLED)]),
    case("window", "only_cancelled_is_no_trade",
         {**amounts(0), "trades_12m": 0, "last_trade_date": None, "recency_days": None,
          "r_score": None, "rfm_segment": "no_activity"},
         trades=[trade("2026-06-30", **CANCELLED)]),
    case("window", "before_onboarding_counts",
         {**amounts(10, 20), "trades_12m": 1, "last_trade_date": date(2025, 12, 1)},
         client={"onboarding_date": "2026-03-01"},
         trades=[trade("2025-12-01"), trade("2025-01-01", "20")]),
    case("window", "older_than_24m_sets_last_trade_date",
         {**amounts(0), "trades_12m": 0, "last_trade_date": date(2020, 1, 15),
          "recency_days": 2358},
         trades=[trade("2020-01-15")]),
    case("window", "no_trade",
         {**amounts(0), "trades_12m": 0, "significant_trades_12m": 0,
          "last_trade_date": None, "recency_days": None},
         ),
]

LEAP_CASES = [
    case("leap", "on_leap_d", {**amounts(10), "trades_12m": 1, "recency_days": 0},
         trades=[trade("2024-02-29")]),
    case("leap", "on_d_minus_12m_is_previous", {**amounts(0, 10), "trades_12m": 0,
                                                "recency_days": 366},
         trades=[trade("2023-02-28")]),
    case("leap", "day_after_d_minus_12m_is_current", {**amounts(10), "trades_12m": 1},
         trades=[trade("2023-03-01")]),
    case("leap", "on_d_minus_24m_is_outside_both", {**amounts(0), "trades_12m": 0},
         trades=[trade("2022-02-28")]),
    case("leap", "day_after_d_minus_24m_is_previous", {**amounts(0, 10)},
         trades=[trade("2022-03-01")]),
]

# USD: 0.5 from 2026-03-09, 1.25 from 2026-03-10, 3 from 2026-03-13, 2 from 2026-06-30 (= D).
FX_CASES = [
    case("fx", "rate_of_the_trade_date",
         {**amounts(10), "significant_trades_12m": 1},
         trades=[trade("2026-03-10", "8", notional="40000", currency="USD")]),
    case("fx", "latest_rate_before_the_trade_date",
         {**amounts(5), "significant_trades_12m": 1},
         trades=[trade("2026-03-12", "4", notional="40000", currency="USD")]),
    case("fx", "just_under_significant_after_conversion",
         {**amounts("12.5"), "trades_12m": 1, "significant_trades_12m": 0},
         trades=[trade("2026-03-10", notional="39999.999", currency="USD")]),
    case("fx", "eur_needs_no_rate_significant_at_exactly_50000",
         {**amounts("10"), "significant_trades_12m": 1},
         trades=[trade("2026-01-02", notional="50000")]),
    case("fx", "eur_one_cent_under_50000",
         {"trades_12m": 1, "significant_trades_12m": 0},
         trades=[trade("2026-01-02", notional="49999.99")]),
    case("fx", "significant_counts_only_the_window",
         {"trades_12m": 2, "significant_trades_12m": 1},
         trades=[trade("2025-06-30", notional="90000"), trade("2025-07-01", notional="90000"),
                 trade("2026-06-30", notional="1000")]),
    case("fx", "each_currency_its_own_rate",
         {**amounts("23.4"), "trades_12m": 3},
         trades=[trade("2026-03-12", "10", currency="CHF"),
                 trade("2026-03-12", "2", currency="GBP"),
                 trade("2026-03-12", "8", currency="USD")]),
    case("fx", "holding_at_the_snapshot_dates_rate",
         {"portfolio_value_eur": Decimal(1250), "investable_assets_eur": Decimal(1250)},
         holdings=[position("2026-03-10", "1000", currency="USD")]),
    case("fx", "holding_at_the_latest_rate_before_the_snapshot",
         {"portfolio_value_eur": Decimal(1350), "investable_assets_eur": Decimal(1350)},
         holdings=[position("2026-03-12", "1000", currency="USD"),
                   position("2026-03-12", "100", "fund", "EUR")]),
    case("fx", "holding_on_d_at_the_rate_of_d",
         {"portfolio_value_eur": Decimal("2176"), "investable_assets_eur": Decimal("2176")},
         holdings=[position("2026-06-30", "1000", currency="USD"),
                   position("2026-06-30", "100", "cash_deposit", "CHF"),
                   position("2026-06-30", "60", "fund", "CHF")]),
]

# One position per asset class, each a distinct power of two, so every sum says who counted.
ALL_CLASSES = [
    position("2026-05-31", str(2 ** i), asset_class)
    for i, asset_class in enumerate([
        "cash_deposit", "security", "fund", "structured_product", "derivative",
        "precious_metal", "life_insurance", "fiduciary", "real_estate", "pension",
    ])
]
HOLDINGS_CASES = [
    case("holdings", "portfolio_five_classes_investable_all_but_two",
         {"portfolio_value_eur": Decimal(31), "investable_assets_eur": Decimal(255)},
         holdings=ALL_CLASSES),
    case("holdings", "latest_snapshot_only",
         {"portfolio_value_eur": Decimal("200.01"), "investable_assets_eur": Decimal("200.01")},
         holdings=[position("2026-03-31", "100"), position("2026-03-31", "50", "fund"),
                   position("2026-06-30", "200"), position("2026-06-30", "0.01", "cash_deposit"),
                   position("2026-07-01", "9999")]),
    case("holdings", "latest_snapshot_before_d",
         {"portfolio_value_eur": Decimal(0), "investable_assets_eur": Decimal(700)},
         holdings=[position("2026-06-29", "300", "precious_metal"),
                   position("2026-06-29", "400", "life_insurance"),
                   position("2026-06-29", "500", "real_estate"),
                   position("2025-12-31", "1000")]),
    case("holdings", "only_snapshot_after_d",
         {"portfolio_value_eur": Decimal(0), "investable_assets_eur": Decimal(0)},
         holdings=[position("2026-07-01", "1000")]),
    case("holdings", "no_snapshot",
         {"portfolio_value_eur": Decimal(0), "investable_assets_eur": Decimal(0)}),
    case("holdings", "only_excluded_classes",
         {"portfolio_value_eur": Decimal(0), "investable_assets_eur": Decimal(0)},
         holdings=[position("2026-06-30", "5000000", "real_estate"),
                   position("2026-06-30", "700000", "pension")]),
]

CASES = WINDOW_CASES + LEAP_CASES + FX_CASES + HOLDINGS_CASES


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """The published rows of a scenario by client_id; each scenario runs once, when first asked."""
    runs: dict[str, dict[str, Any]] = {}

    def rows(scenario: str) -> dict[str, Any]:
        if scenario not in runs:
            runner = PipelineRunner(tmp_path_factory.mktemp(scenario))
            runs[scenario] = runner(AS_OF[scenario], fx_rates=FX_RATES.get(scenario, []),
                                    **SOURCES[scenario])
        return runs[scenario]

    return rows


@pytest.mark.parametrize(("scenario", "client_id", "expected"), CASES)
def test_measure(published, scenario: str, client_id: str, expected: dict[str, Any]) -> None:
    row = published(scenario)[client_id]
    assert {column: row[column] for column in expected} == expected


@pytest.mark.parametrize("scenario", sorted(AS_OF))
def test_every_open_client_published_once(published, scenario: str) -> None:
    assert sorted(published(scenario)) == sorted(c["client_id"] for c in
                                                 SOURCES[scenario]["clients"])
