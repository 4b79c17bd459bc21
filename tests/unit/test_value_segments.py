"""Boundary tests of the value segments of RULES.md (ABC, RFM, wealth tier, revenue trend, GAP,
service level, age band), end to end.

One row per case: the case's client, its source rows and the published values expected for it.
The cases of one scenario share one source and one pipeline run (own warehouse per scenario),
so a scenario's clients are chosen together: ABC and RFM rank every open client of the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import PipelineRunner

Rows = list[dict[str, Any]]
D = date(2026, 6, 30)  # window (2025-06-30, 2026-06-30], previous (2024-06-30, 2025-06-30]
CURRENT, PREVIOUS = "2026-01-15", "2025-01-15"  # a day in the window, one in the previous
SCENARIOS = ("abc_crossing", "abc_exact_80", "zero_total", "rfm_grid", "rfm_named", "rfm_ties",
             "trend", "gap")
FX_RATES = [{"rate_date": "2026-01-01", "currency": "USD", "eur_per_unit": "1.25"}]
SOURCES: dict[str, dict[str, Rows]] = defaultdict(
    lambda: {"clients": [], "transactions": [], "holdings": [], "fx_rates": FX_RATES})


def add_client(scenario: str, client_id: str, *, client: dict | None = None,
               trades: Rows = (), holdings: Rows = ()) -> None:
    """Adds a client and its source rows to its scenario's source."""
    source = SOURCES[scenario]
    source["clients"].append({"client_id": client_id, **(client or {})})
    source["transactions"] += [{"client_id": client_id, **t} for t in trades]
    source["holdings"] += [{"client_id": client_id, **h} for h in holdings]


def case(scenario: str, client_id: str, expected: dict[str, Any], **rows: Any) -> Any:
    """One test row: the client's published values; its source rows join its scenario's."""
    add_client(scenario, client_id, **rows)
    return pytest.param(scenario, client_id, expected, id=f"{scenario}-{client_id}")


def revenue(current: str | int = 0, previous: str | int = 0) -> Rows:
    """One trade in the window with fee `current`, one in the previous window with `previous`."""
    return [{"trade_date": day, "fee": str(fee)}
            for day, fee in ((CURRENT, current), (PREVIOUS, previous)) if fee]


def assets(amount: str, currency: str = "EUR", asset_class: str = "security") -> Rows:
    return [{"as_of_date": "2026-06-30", "market_value": amount, "currency": currency,
             "asset_class": asset_class}]


LEGAL = {"client_type": "legal_entity", "entity_type": "corporate"}
CLOSED_ON_D = {"closed_date": "2026-06-30"}

# T = 100; the closed client's revenue takes no part.
ABC_CROSSING = [
    case("abc_crossing", "top_70", {"abc_class": "A"}, trades=revenue(70)),
    case("abc_crossing", "crosses_80_from_70", {"abc_class": "A"}, trades=revenue(20)),
    case("abc_crossing", "tie_5_second_at_95", {"abc_class": "C"}, trades=revenue(5)),
    case("abc_crossing", "tie_5_first_at_90", {"abc_class": "B"}, trades=revenue(5)),
    case("abc_crossing", "zero_revenue", {"abc_class": "C"}, trades=revenue(0, 500)),
    case("abc_crossing", "no_trade", {"abc_class": "C"}),
]
add_client("abc_crossing", "closed_1000", client=CLOSED_ON_D, trades=revenue(1000))
# T = 100.00
ABC_EXACT_80 = [
    case("abc_exact_80", "tie_20_b_at_80", {"abc_class": "B"}, trades=revenue("20.00")),
    case("abc_exact_80", "top_60", {"abc_class": "A"}, trades=revenue("59.99") + revenue("0.01")),
    case("abc_exact_80", "tie_20_a_at_60", {"abc_class": "A"}, trades=revenue("20.00")),
    case("abc_exact_80", "fee_free_trade", {"abc_class": "C"}, trades=revenue("0")),
]

# Five clients alike in recency, frequency and revenue (0): scores follow client_id; T = 0.
TIES = [
    case("zero_total", f"tie_{n}",
         {"abc_class": "C", "r_score": n, "f_score": n, "m_score": n},
         trades=[{"trade_date": "2026-06-01", "fee": "0"}] * 2)
    for n in (5, 3, 1, 4, 2)
]
NO_TRADE = [
    case("zero_total", "no_trade",
         {"abc_class": "C", "r_score": None, "f_score": None, "m_score": None,
          "rfm_segment": "no_activity"}),
    case("zero_total", "cancelled_only",
         {"r_score": None, "rfm_segment": "no_activity", "abc_class": "C"},
         trades=[{"trade_date": "2026-06-30", "fee": "5", "status": "cancelled"}]),
]


def tier(tier_name: str | None, service_level: int) -> dict[str, Any]:
    return {"wealth_tier": tier_name, "service_level": service_level, "abc_class": "C"}


WEALTH_TIERS = [
    case("zero_total", "wt_no_assets", tier("mass_market", 3)),
    case("zero_total", "wt_99999.99", tier("mass_market", 3), holdings=assets("99999.99")),
    case("zero_total", "wt_100000", tier("mass_affluent", 2), holdings=assets("100000")),
    case("zero_total", "wt_999999.99", tier("mass_affluent", 2), holdings=assets("999999.99")),
    case("zero_total", "wt_1000000", tier("hnw", 1), holdings=assets("1000000")),
    case("zero_total", "wt_29999999.99", tier("hnw", 1), holdings=assets("29999999.99")),
    case("zero_total", "wt_30000000", tier("uhnw", 1), holdings=assets("30000000")),
    case("zero_total", "wt_usd_100000_after_conversion", tier("mass_affluent", 2),
         holdings=assets("80000", "USD")),
    case("zero_total", "wt_usd_just_under_after_conversion", tier("mass_market", 3),
         holdings=assets("79999.999", "USD")),
    case("zero_total", "wt_real_estate_and_pension_not_investable", tier("mass_market", 3),
         holdings=assets("99999.99") + assets("5000000", asset_class="real_estate")
         + assets("5000000", asset_class="pension")),
    case("zero_total", "wt_precious_metal_investable", tier("mass_affluent", 2),
         holdings=assets("99999.99") + assets("0.01", asset_class="precious_metal")),
    case("zero_total", "wt_legal_entity_null", tier(None, 3), client=LEGAL,
         holdings=assets("50000000")),
]


def born(birth_date: str | None, **client: Any) -> dict[str, Any]:
    return {"birth_date": birth_date, **client}


AGE_BANDS = [
    case("zero_total", "age_turns_25_on_d", {"age_band": "25-34"}, client=born("2001-06-30")),
    case("zero_total", "age_turns_25_day_after_d", {"age_band": "<25"},
         client=born("2001-07-01")),
    case("zero_total", "age_turned_25_day_before_d", {"age_band": "25-34"},
         client=born("2001-06-29")),
    case("zero_total", "age_turns_35_on_d", {"age_band": "35-44"}, client=born("1991-06-30")),
    case("zero_total", "age_turns_35_day_after_d", {"age_band": "25-34"},
         client=born("1991-07-01")),
    case("zero_total", "age_turns_45_on_d", {"age_band": "45-54"}, client=born("1981-06-30")),
    case("zero_total", "age_turns_45_day_after_d", {"age_band": "35-44"},
         client=born("1981-07-01")),
    case("zero_total", "age_turns_55_on_d", {"age_band": "55-64"}, client=born("1971-06-30")),
    case("zero_total", "age_turns_55_day_after_d", {"age_band": "45-54"},
         client=born("1971-07-01")),
    case("zero_total", "age_turns_65_on_d", {"age_band": "65+"}, client=born("1961-06-30")),
    case("zero_total", "age_turns_65_day_after_d", {"age_band": "55-64"},
         client=born("1961-07-01")),
    case("zero_total", "age_december_birthday", {"age_band": "<25"}, client=born("2001-12-31")),
    case("zero_total", "age_null_birth_date", {"age_band": None}, client=born(None)),
    case("zero_total", "age_born_on_d", {"age_band": "<25"}, client=born("2026-06-30")),
    case("zero_total", "age_born_after_d_unknown", {"age_band": None},
         client=born("2026-07-01")),
    case("zero_total", "age_legal_entity", {"age_band": None},
         client=born("1980-01-01", **LEGAL)),
]

# RULES.md's table, cell by cell: (r_score, f_score) -> rfm_segment.
RFM_TABLE = {
    **{(5, f): "champions" for f in (4, 5)},
    **{(r, f): "loyal" for r in (3, 4) for f in (4, 5)},
    **{(r, f): "potential_loyalist" for r in (4, 5) for f in (2, 3)},
    (5, 1): "new",
    (4, 1): "promising",
    (3, 3): "need_attention",
    **{(3, f): "about_to_sleep" for f in (1, 2)},
    **{(r, 5): "cannot_lose" for r in (1, 2)},
    **{(r, f): "at_risk" for r in (1, 2) for f in (3, 4)},
    **{(r, f): "hibernating" for r in (1, 2) for f in (1, 2)},
}


def grid_client(r: int, f: int) -> Any:
    """One of 25 clients (5 per score) landing on cell (r, f), with m_score = 6 - r.

    recency_days falls with r, trades_12m grows with f, revenue falls with r.
    """
    i, j = r - 1, f - 1
    day = (D - timedelta(days=300 - 10 * i - j)).isoformat()
    trades = [{"trade_date": day, "fee": "0"} for _ in range(1 + 5 * j + i)]
    trades[0]["fee"] = str(1000 * (5 - i) + j)
    return case("rfm_grid", f"r{r}_f{f}",
                {"r_score": r, "f_score": f, "m_score": 6 - r, "rfm_segment": RFM_TABLE[r, f]},
                trades=trades)


RFM_GRID = [grid_client(r, f) for r in range(1, 6) for f in range(1, 6)]


def trades_ago(days: int, count: int, fee: str = "10") -> Rows:
    return [{"trade_date": (D - timedelta(days=days)).isoformat(), "fee": fee}] * count


def rfm(r: int, f: int, m: int, segment: str) -> dict[str, Any]:
    return {"r_score": r, "f_score": f, "m_score": m, "rfm_segment": segment}


# Ten scored clients, two per score; (recency_days, trades_12m) in each trade list.
RFM_NAMED = [
    case("rfm_named", "c01", rfm(1, 1, 1, "hibernating"), trades=trades_ago(600, 1)),
    case("rfm_named", "c02", rfm(1, 5, 1, "cannot_lose"), trades=trades_ago(300, 30, "0")),
    case("rfm_named", "c03", rfm(2, 2, 2, "hibernating"), trades=trades_ago(250, 2)),
    case("rfm_named", "c04", rfm(2, 3, 3, "at_risk"), trades=trades_ago(200, 4)),
    case("rfm_named", "c05", rfm(3, 3, 4, "need_attention"), trades=trades_ago(150, 5)),
    case("rfm_named", "c06", rfm(3, 2, 3, "about_to_sleep"), trades=trades_ago(100, 3)),
    case("rfm_named", "c07", rfm(4, 4, 4, "loyal"), trades=trades_ago(50, 8)),
    case("rfm_named", "c08", rfm(4, 4, 5, "loyal"), trades=trades_ago(20, 10)),
    case("rfm_named", "c09", rfm(5, 1, 2, "new"), trades=trades_ago(1, 1)),
    case("rfm_named", "c10", rfm(5, 5, 5, "champions"), trades=trades_ago(0, 20)),
    case("rfm_named", "c11_no_trade", rfm(None, None, None, "no_activity")),
]
add_client("rfm_named", "c00_closed", client=CLOSED_ON_D, trades=trades_ago(0, 50, "100"))

# Ten clients with identical trades: NTILE(5) falls back to client_id ascending for all three
# scores, so t01-t02 score 1 and t09-t10 score 5 (ids listed out of order on purpose).
RFM_TIES = [
    case("rfm_ties", f"t{n:02d}", {"r_score": (n + 1) // 2, "f_score": (n + 1) // 2,
                                   "m_score": (n + 1) // 2}, trades=trades_ago(30, 2))
    for n in (7, 3, 10, 1, 5, 2, 9, 4, 8, 6)
]


def trend(name: str) -> dict[str, Any]:
    return {"revenue_trend": name}


TRENDS = [
    case("trend", "both_zero", trend("stable")),
    case("trend", "previous_zero", trend("new"), trades=revenue("0.01")),
    case("trend", "growing_exactly_1.20", trend("growing"), trades=revenue(120, 100)),
    case("trend", "a_cent_under_1.20", trend("stable"), trades=revenue("119.99", 100)),
    case("trend", "growing_exactly_1.20_of_a_decimal", trend("growing"),
         trades=revenue("0.12", "0.10")),
    case("trend", "declining_exactly_0.80", trend("declining"), trades=revenue(80, 100)),
    case("trend", "a_cent_over_0.80", trend("stable"), trades=revenue("80.01", 100)),
    case("trend", "declining_exactly_0.80_of_a_decimal", trend("declining"),
         trades=revenue("0.08", "0.10")),
    case("trend", "current_zero", trend("declining"), trades=revenue(0, 100)),
    case("trend", "flat", trend("stable"), trades=revenue(100, 100)),
]


def gap(abc: str, revenue_trend: str, gap_segment: str, service_level: int,
        wealth_tier: str | None = "mass_market") -> dict[str, Any]:
    return {"abc_class": abc, "revenue_trend": revenue_trend, "gap_segment": gap_segment,
            "service_level": service_level, "wealth_tier": wealth_tier}


# T = 1000: 800 (A), 100 and 50 (B), 40 at exactly 0.95 T and 10 (C).
GAP = [
    case("gap", "a_stable", gap("A", "stable", "active", 1), trades=revenue(800, 800)),
    case("gap", "b_stable_legal_entity", gap("B", "stable", "active", 2, None), client=LEGAL,
         trades=revenue(100, 100)),
    case("gap", "b_growing", gap("B", "growing", "growth", 2), trades=revenue(50, 40)),
    case("gap", "c_stable", gap("C", "stable", "passive", 3), trades=revenue(40, 40)),
    case("gap", "c_new", gap("C", "new", "growth", 3), trades=revenue(10)),
    case("gap", "c_declining_hnw", gap("C", "declining", "passive", 1, "hnw"),
         trades=revenue(0, 100), holdings=assets("1000000")),
    case("gap", "c_stable_mass_affluent", gap("C", "stable", "passive", 2, "mass_affluent"),
         holdings=assets("100000")),
    case("gap", "c_stable_uhnw", gap("C", "stable", "passive", 1, "uhnw"),
         holdings=assets("30000000")),
]

CASES = (ABC_CROSSING + ABC_EXACT_80 + TIES + NO_TRADE + WEALTH_TIERS + AGE_BANDS + RFM_GRID
         + RFM_NAMED + RFM_TIES + TRENDS + GAP)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], dict[str, Any]]:
    """The published rows of a scenario by client_id; each scenario runs once, when first asked."""
    runs: dict[str, dict[str, Any]] = {}

    def rows(scenario: str) -> dict[str, Any]:
        if scenario not in runs:
            runner = PipelineRunner(tmp_path_factory.mktemp(scenario))
            runs[scenario] = runner(D, **SOURCES[scenario])
        return runs[scenario]

    return rows


@pytest.mark.parametrize(("scenario", "client_id", "expected"), CASES)
def test_value_segment(published, scenario: str, client_id: str,
                       expected: dict[str, Any]) -> None:
    row = published(scenario)[client_id]
    assert {column: row[column] for column in expected} == expected


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_only_open_clients_ranked(published, scenario: str) -> None:
    """Every open client is published once; the closed ones (closed_date = D) are not."""
    expected = [c["client_id"] for c in SOURCES[scenario]["clients"] if "closed_date" not in c]
    assert sorted(published(scenario)) == sorted(expected)


def test_rfm_table_has_every_cell_once() -> None:
    assert sorted(RFM_TABLE) == [(r, f) for r in range(1, 6) for f in range(1, 6)]


@pytest.mark.parametrize(("as_of", "age_band"), [
    pytest.param(date(2025, 2, 28), "<25", id="non_leap_year_28_february_still_24"),
    pytest.param(date(2025, 3, 1), "25-34", id="non_leap_year_turns_25_on_1_march"),
    pytest.param(date(2035, 2, 28), "25-34", id="non_leap_year_28_february_still_34"),
    pytest.param(date(2035, 3, 1), "35-44", id="non_leap_year_turns_35_on_1_march"),
])
def test_age_of_a_client_born_on_29_february(tmp_path: Any, as_of: date, age_band: str) -> None:
    """Born 2000-02-29: a year older on 1 March in non-leap years (README). A band's edge (25,
    35, ... years) always falls in a non-leap year for such a client."""
    rows = PipelineRunner(tmp_path)(as_of, clients=[
        {"client_id": "LEAP", "birth_date": "2000-02-29", "onboarding_date": "2020-01-01"}])
    assert rows["LEAP"]["age_band"] == age_band
