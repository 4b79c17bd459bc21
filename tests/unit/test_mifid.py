"""MiFID II categories (RULES.md, MiFID II categories): one row per case, one source run.

Every case is a client with only the rows that matter to it; all cases go into one tiny source,
run once for D, and each case asserts its own client's category, basis, review flag and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from conftest import PipelineRunner

from clientseg import vocab

D = date(2026, 6, 30)
R = "2026-03-01"  # the received date of most requests; its opt-up window is (2025-03-01, R]
SIGNIFICANT = "60000"  # EUR notional of a significant trade (>= 50,000)

FX_RATES = [
    # USD: an older rate that would fail the tests, the rate on D, and one after D (ignored)
    {"rate_date": "2026-01-01", "currency": "USD", "eur_per_unit": "0.5"},
    {"rate_date": "2026-06-30", "currency": "USD", "eur_per_unit": "0.8"},
    {"rate_date": "2026-07-10", "currency": "USD", "eur_per_unit": "0.1"},
    {"rate_date": "2026-01-01", "currency": "CHF", "eur_per_unit": "1.0712"},
]


@dataclass
class Case:
    client_id: str
    category: str
    basis: str
    review: bool = False
    reasons: tuple[str, ...] = ()
    client: dict[str, Any] = field(default_factory=dict)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


def case(client_id: str, category: str, basis: str, **kwargs: Any) -> Any:
    return pytest.param(Case(client_id, category, basis, **kwargs), id=client_id)


def legal(entity_type: str, **figures: Any) -> dict[str, Any]:
    return {"client_type": "legal_entity", "entity_type": entity_type, **figures}


def large(currency: str | None = "EUR", **figures: str) -> dict[str, Any]:
    """A corporate with financial figures (defaults: balance sheet and own funds met in EUR)."""
    values = {"balance_sheet_total": "31200000", "own_funds": "4100000", "net_turnover": "100"}
    return legal("corporate", financials_currency=currency, **{**values, **figures})


def trades(n: int, day: str, notional: str = SIGNIFICANT, **kw: Any) -> list[dict[str, Any]]:
    return [{"trade_date": day, "notional": notional, **kw} for _ in range(n)]


def snapshot(day: str, value: str, asset_class: str = "security") -> dict[str, Any]:
    return {"as_of_date": day, "market_value": value, "asset_class": asset_class}


def req(category: str, received: str = R, status: str = "accepted", **kw: Any
            ) -> dict[str, Any]:
    return {"requested_category": category, "received_date": received, "status": status, **kw}


PORTFOLIO_OK = [snapshot("2026-02-01", "600000")]

ENTITY_TYPE_CASES = [
    *[case(f"type_{t}", "eligible_counterparty", "per_se_ecp", client=legal(t),
           reasons=(f"per_se_ecp: entity_type {t} is an eligible counterparty per se",))
      for t in ("credit_institution", "investment_firm", "insurance_undertaking",
                "collective_investment_scheme", "pension_fund", "other_financial_institution",
                "commodity_dealer", "national_government", "public_debt_body", "central_bank",
                "supranational")],
    *[case(f"type_{t}", "professional", "per_se_professional", client=legal(t),
           reasons=(f"per_se_professional: entity_type {t} is a professional client per se",))
      for t in ("local", "other_institutional_investor", "regional_government")],
    *[case(f"type_{t}", "retail", "default", client=legal(t),
           reasons=(f"default: entity_type {t} is not professional per se",
                    "0/3 met: balance_sheet_total unknown"))
      for t in ("corporate", "private_investment_structure", "other")],
    case("type_individual", "retail", "default", reasons=("default: individual client",)),
]

LARGE_UNDERTAKING_CASES = [
    case("large_2_of_3", "professional", "per_se_professional", client=large(), reasons=(
        "per_se_professional: large undertaking, 2/3 met: balance_sheet_total 31,200,000 >= "
        "20,000,000; own_funds 4,100,000 >= 2,000,000 (amounts in EUR)",)),
    case("large_1_of_3", "retail", "default", client=large(own_funds="1999999"), reasons=(
        "not a large undertaking (needs 2/3), 1/3 met: balance_sheet_total 31,200,000 >= "
        "20,000,000; net_turnover 100 < 40,000,000; own_funds 1,999,999 < 2,000,000",)),
    case("large_exactly_at_thresholds", "professional", "per_se_professional",
         client=large(balance_sheet_total="20000000", own_funds="2000000"),
         reasons=("balance_sheet_total 20,000,000 >= 20,000,000; "
                  "own_funds 2,000,000 >= 2,000,000",)),
    case("large_turnover_and_own_funds", "professional", "per_se_professional",
         client=large(balance_sheet_total=None, net_turnover="40000000"),
         reasons=("2/3 met: net_turnover 40,000,000 >= 40,000,000; own_funds 4,100,000",)),
    # 30,000,000 USD x 0.8 (rate on D) = 24,000,000 EUR; the older 0.5 or later 0.1 would fail
    case("large_usd_rate_on_as_of", "professional", "per_se_professional",
         client=large("USD", balance_sheet_total="30000000", own_funds="3000000"),
         reasons=("balance_sheet_total 24,000,000 >= 20,000,000; own_funds 2,400,000 >= 2,000,000",
                  "USD converted at 0.8 EUR per USD")),
    # CHF's latest rate is older than D (1.0712, 2026-01-01): 18,700,000 CHF = 20,031,440 EUR
    case("large_chf_latest_rate_before_as_of", "professional", "per_se_professional",
         client=large("CHF", balance_sheet_total="18700000", own_funds="1900000"),
         reasons=("balance_sheet_total 20,031,440 >= 20,000,000; own_funds 2,035,280 >= "
                  "2,000,000", "CHF converted at 1.0712 EUR per CHF")),
    # 24,999,999.50 USD x 0.8 = 19,999,999.60 EUR: shown to the cent, never rounded up to 20M
    case("large_usd_just_under_threshold", "retail", "default",
         client=large("USD", balance_sheet_total="24999999.5", own_funds="3000000"), reasons=(
             "1/3 met: balance_sheet_total 19,999,999.60 < 20,000,000; net_turnover 80 < "
             "40,000,000; own_funds 2,400,000 >= 2,000,000",)),
    # under the threshold by 0.0000000002 EUR: truncated, never rounded up to it
    case("large_eur_a_fraction_under_threshold", "retail", "default",
         client=large("EUR", balance_sheet_total="19999999.9999999998", own_funds="3000000"),
         reasons=("balance_sheet_total 19,999,999.99 < 20,000,000",)),
    case("large_currency_null", "retail", "default", client=large(None), reasons=(
        "0/3 met: balance_sheet_total unknown; net_turnover unknown; own_funds unknown",
        "financials_currency missing")),
    case("large_currency_without_rate", "retail", "default", client=large("JPY"),
         reasons=("0/3 met", "no EUR rate for JPY on or before 2026-06-30")),
    case("large_individual_figures_ignored", "retail", "default",
         client={"balance_sheet_total": "31200000", "own_funds": "4100000",
                 "financials_currency": "EUR"},
         reasons=("default: individual client",)),
]

OPT_UP_CASES = [
    case("optup_trades_and_portfolio", "professional", "elective_professional",
         transactions=trades(40, "2026-02-01"), holdings=PORTFOLIO_OK, reasons=(
             "elective_professional: request optup_trades_and_portfolio-1 (received 2026-03-01) "
             "to be treated as professional applied, 2/3 opt-up criteria met on 2026-03-01: "
             "significant_trades_12m 40 >= 40; portfolio_value_eur 600,000 > 500,000; "
             "financial_sector_experience_years 0 < 1",
             "No review: 2/3 criteria met on 2026-06-30",
             "Base: default: individual client")),
    case("optup_one_of_three_refused", "retail", "opt_up_refused", review=True,
         transactions=trades(39, "2026-02-01"), holdings=PORTFOLIO_OK, reasons=(
             "opt_up_refused: request optup_one_of_three_refused-1 (received 2026-03-01) to be "
             "treated as professional refused, only 1/3 opt-up criteria met on 2026-03-01",
             "significant_trades_12m 39 < 40", "review required")),
    # trades inside (R - 12 months, R] but outside (D - 12 months, D]: met on R, lapsed on D
    case("optup_lapsed_on_as_of_review", "professional", "elective_professional", review=True,
         transactions=trades(40, "2025-04-01"), holdings=PORTFOLIO_OK, reasons=(
             "2/3 opt-up criteria met on 2026-03-01: significant_trades_12m 40 >= 40",
             "Review required: only 1/3 criteria met on 2026-06-30: significant_trades_12m 0 < 40; "
             "portfolio_value_eur 600,000 > 500,000")),
    case("optup_trades_before_window_of_r", "retail", "opt_up_refused", review=True,
         transactions=trades(40, "2025-03-01"), holdings=PORTFOLIO_OK,
         reasons=("significant_trades_12m 0 < 40",)),
    case("optup_trades_on_r_counted", "professional", "elective_professional",
         transactions=trades(40, R), holdings=PORTFOLIO_OK,
         reasons=("significant_trades_12m 40 >= 40",)),
    case("optup_trades_after_r_not_counted", "retail", "opt_up_refused", review=True,
         transactions=trades(40, "2026-03-02"), holdings=PORTFOLIO_OK,
         reasons=("significant_trades_12m 0 < 40",)),
    # 99,999.98 USD x 0.5 (rate on its trade date) = 49,999.99 EUR: not significant
    case("optup_usd_trade_just_under", "retail", "opt_up_refused", review=True,
         transactions=[*trades(39, "2026-02-01"),
                       *trades(1, "2026-02-01", "99999.98", currency="USD")],
         holdings=PORTFOLIO_OK, reasons=("significant_trades_12m 39 < 40",)),
    case("optup_usd_trade_exactly_significant", "professional", "elective_professional",
         transactions=[*trades(39, "2026-02-01"),
                       *trades(1, "2026-02-01", "100000", currency="USD")],
         holdings=PORTFOLIO_OK, reasons=("significant_trades_12m 40 >= 40",)),
    case("optup_cancelled_trade_not_counted", "retail", "opt_up_refused", review=True,
         transactions=[*trades(39, "2026-02-01"),
                       *trades(1, "2026-02-01", status="cancelled")],
         holdings=PORTFOLIO_OK, reasons=("significant_trades_12m 39 < 40",)),
    # the latest snapshot on or before R decides (not an older one, not a later one)
    case("optup_latest_snapshot_before_r_low", "retail", "opt_up_refused", review=True,
         client={"financial_sector_experience_years": "1"},
         holdings=[snapshot("2026-01-31", "900000"), snapshot("2026-02-28", "100000"),
                   snapshot("2026-03-15", "900000")],
         reasons=("portfolio_value_eur 100,000 <= 500,000",)),
    case("optup_latest_snapshot_before_r_high", "professional", "elective_professional",
         review=True, client={"financial_sector_experience_years": "1"},
         holdings=[snapshot("2026-01-31", "100000"), snapshot("2026-03-01", "600000"),
                   snapshot("2026-03-15", "100000")],
         reasons=("met on 2026-03-01: significant_trades_12m 0 < 40; portfolio_value_eur "
                  "600,000 > 500,000; financial_sector_experience_years 1 >= 1",
                  "Review required: only 1/3 criteria met on 2026-06-30",
                  "portfolio_value_eur 100,000 <= 500,000")),
    # the MiFID portfolio: financial instruments and cash only (no real estate, pension, metal)
    case("optup_portfolio_excludes_other_assets", "retail", "opt_up_refused", review=True,
         client={"financial_sector_experience_years": "1"},
         holdings=[snapshot("2026-02-01", "400000"),
                   *[snapshot("2026-02-01", "200000", c)
                     for c in ("real_estate", "pension", "precious_metal", "life_insurance")]],
         reasons=("portfolio_value_eur 400,000 <= 500,000",)),
    case("optup_portfolio_cash_and_funds_sum", "professional", "elective_professional",
         client={"financial_sector_experience_years": "1"},
         holdings=[snapshot("2026-02-01", "250000", "cash_deposit"),
                   snapshot("2026-02-01", "250000.01", "fund")],
         reasons=("portfolio_value_eur 500,000.01 > 500,000", "No review")),
    case("optup_portfolio_exactly_500k", "retail", "opt_up_refused", review=True,
         client={"financial_sector_experience_years": "3"},
         holdings=[snapshot("2026-02-01", "500000")],
         reasons=("portfolio_value_eur 500,000 <= 500,000",)),
    case("optup_experience_just_under_one", "retail", "opt_up_refused", review=True,
         client={"financial_sector_experience_years": "0.99"}, holdings=PORTFOLIO_OK,
         reasons=("financial_sector_experience_years 0.99 < 1",)),
    # no client version as old as R: the earliest one counts (as for D, RULES.md)
    case("optup_only_version_after_r_counts", "professional", "elective_professional",
         client={"financial_sector_experience_years": "2", "updated_at": "2026-05-01T00:00:00"},
         holdings=PORTFOLIO_OK, reasons=("financial_sector_experience_years 2 >= 1",)),
    case("optup_legal_entity_retail", "professional", "elective_professional",
         client=large(own_funds="1", financial_sector_experience_years="2"),
         holdings=PORTFOLIO_OK, reasons=("Base: default: entity_type corporate",)),
]

REQUEST_CASES = [
    case("req_ecp_to_professional", "professional", "opt_down", client=legal("credit_institution"),
         requests=[req("professional")], reasons=(
             "opt_down: request req_ecp_to_professional-1 (received 2026-03-01) to be treated as "
             "professional applied, instead of the base category eligible_counterparty",
             "Base: per_se_ecp")),
    case("req_ecp_to_retail", "retail", "opt_down", client=legal("central_bank"),
         requests=[req("retail")]),
    case("req_professional_to_retail", "retail", "opt_down", client=legal("local"),
         requests=[req("retail")], reasons=("instead of the base category professional",)),
    case("req_large_undertaking_to_retail", "retail", "opt_down", client=large(),
         requests=[req("retail")], reasons=("Base: per_se_professional: large undertaking",)),
    case("req_local_to_ecp", "eligible_counterparty", "elective_ecp", client=legal("local"),
         requests=[req("eligible_counterparty")], reasons=(
             "elective_ecp: request req_local_to_ecp-1 (received 2026-03-01) to be treated as "
             "eligible_counterparty applied",)),
    case("req_large_undertaking_to_ecp", "eligible_counterparty", "elective_ecp", client=large(),
         requests=[req("eligible_counterparty")],
         reasons=("Base: per_se_professional: large undertaking, 2/3 met",)),
    # requests that change nothing
    case("req_retail_to_ecp_not_applied", "retail", "default",
         requests=[req("eligible_counterparty")], reasons=(
             "default: individual client",
             "Request req_retail_to_ecp_not_applied-1 (received 2026-03-01) to be treated as "
             "eligible_counterparty was not applied: eligible_counterparty can be elected only "
             "by a professional client that is a large undertaking")),
    case("req_small_corporate_to_ecp_not_applied", "retail", "default",
         client=large(own_funds="1"), requests=[req("eligible_counterparty")],
         reasons=("not a large undertaking", "was not applied")),
    case("req_same_category_professional", "professional", "per_se_professional",
         client=legal("regional_government"), requests=[req("professional")],
         reasons=("was not applied: the client is already professional",)),
    case("req_same_category_ecp", "eligible_counterparty", "per_se_ecp",
         client=legal("investment_firm"), requests=[req("eligible_counterparty")],
         reasons=("was not applied: the client is already eligible_counterparty",)),
    case("req_same_category_retail", "retail", "default", requests=[req("retail")],
         reasons=("was not applied: the client is already retail",)),
    # which request is in force at D
    case("req_pending_ignored", "professional", "per_se_professional", client=legal("local"),
         requests=[req("retail", status="pending")]),
    case("req_rejected_ignored", "professional", "per_se_professional", client=legal("local"),
         requests=[req("retail", status="rejected")]),
    case("req_after_as_of_ignored", "professional", "per_se_professional", client=legal("local"),
         requests=[req("retail", received="2026-07-01")]),
    case("req_received_on_as_of_counts", "retail", "opt_down", client=legal("local"),
         requests=[req("retail", received="2026-06-30")]),
    case("req_withdrawal_cancels_acceptance", "professional", "per_se_professional",
         client=legal("local"),
         requests=[req("retail", received="2026-02-01"),
                   req("retail", received="2026-03-01", status="withdrawn")],
         reasons=("No request in force: request req_withdrawal_cancels_acceptance-2 (received "
                  "2026-03-01) was withdrawn",)),
    case("req_acceptance_after_withdrawal", "retail", "opt_down", client=legal("local"),
         requests=[req("retail", received="2026-01-01", status="withdrawn"),
                   req("retail", received="2026-02-01")]),
    case("req_later_pending_keeps_acceptance", "retail", "opt_down", client=legal("local"),
         requests=[req("retail", received="2026-01-01"),
                   req("eligible_counterparty", received="2026-02-01", status="pending")]),
    case("req_same_day_greatest_id_wins", "retail", "opt_down",
         client=legal("credit_institution"),
         requests=[req("retail", request_id="tie_a_2"),
                   req("professional", request_id="tie_a_1")],
         reasons=("request tie_a_2",)),
    case("req_same_day_greatest_id_wins_other_order", "professional", "opt_down",
         client=legal("credit_institution"),
         requests=[req("retail", request_id="tie_b_1"),
                   req("professional", request_id="tie_b_2")],
         reasons=("request tie_b_2",)),
    case("req_finsa_request_ignored_by_mifid", "eligible_counterparty", "per_se_ecp",
         client=legal("credit_institution"), requests=[req("professional", regime="finsa")]),
]

CASES = [*ENTITY_TYPE_CASES, *LARGE_UNDERTAKING_CASES, *OPT_UP_CASES, *REQUEST_CASES]
OPT_UP_IDS = {p.values[0].client_id for p in OPT_UP_CASES}


def source(cases: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """One source holding every case's client and rows."""
    tables: dict[str, list[dict[str, Any]]] = {
        "clients": [], "holdings": [], "transactions": [], "categorisation_requests": [],
        "fx_rates": FX_RATES,
    }  # fmt: skip
    for param in cases:
        c: Case = param.values[0]
        tables["clients"].append({"client_id": c.client_id, **c.client})
        tables["holdings"] += [{"client_id": c.client_id, **h} for h in c.holdings]
        tables["transactions"] += [{"client_id": c.client_id, **t} for t in c.transactions]
        requests = c.requests or ([req("professional")] if c.client_id in OPT_UP_IDS else [])
        tables["categorisation_requests"] += [
            {"request_id": f"{c.client_id}-{i}", "client_id": c.client_id, **r}
            for i, r in enumerate(requests, 1)
        ]
    return tables


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRunner, dict[str, Any]]:
    runner = PipelineRunner(tmp_path_factory.mktemp("mifid"))
    return runner, runner(D, **source(CASES))


@pytest.mark.parametrize("c", CASES)
def test_mifid_category(run: tuple[PipelineRunner, dict[str, Any]], c: Case) -> None:
    row = run[1][c.client_id]
    assert (row["mifid_category"], row["mifid_basis"], row["mifid_review_required"]) == (
        c.category, c.basis, c.review), row["mifid_reasons"]
    assert row["mifid_reasons"].startswith(f"{c.basis}: ")
    for part in c.reasons:
        assert part in row["mifid_reasons"]
    if c.requests and c.basis in ("opt_down", "elective_ecp"):
        assert "(received " in row["mifid_reasons"]


def test_every_open_client_has_one_category_and_reasons(run: tuple[PipelineRunner, Any]) -> None:
    runner, rows = run
    counts = runner.query("select client_id, count(*) as n from mart.client_segments_history "
                          "where as_of_date = :d group by client_id", d=D)
    assert sorted(r["client_id"] for r in counts) == sorted(p.values[0].client_id for p in CASES)
    assert {r["n"] for r in counts} == {1}
    for row in rows.values():
        assert row["mifid_category"] in vocab.MIFID_CATEGORIES
        assert row["mifid_basis"] in vocab.MIFID_BASES
        assert row["mifid_review_required"] in (True, False)
        assert row["mifid_reasons"] and row["mifid_reasons"].strip()


@pytest.mark.parametrize(("updated_at", "basis", "experience"), [
    pytest.param("2026-05-01T09:00:00", "opt_up_refused", "0 < 1", id="updated_after_r"),
    pytest.param("2026-03-02T00:00:00", "opt_up_refused", "0 < 1", id="updated_day_after_r"),
    pytest.param("2026-03-01T23:59:00", "elective_professional", "5 >= 1", id="updated_late_on_r"),
])
def test_opt_up_uses_the_client_version_known_on_the_received_date(
        tmp_path: Any, updated_at: str, basis: str, experience: str) -> None:
    """Experience gained after R (any time that day counts as on R) does not turn a refused
    opt-up into an elective professional."""
    runner = PipelineRunner(tmp_path)
    tables = {"transactions": [{"client_id": "EXP", **t} for t in trades(40, "2026-02-01")],
              "categorisation_requests": [{"client_id": "EXP", **req("professional")}]}
    version = {"client_id": "EXP", "financial_sector_experience_years": "0",
               "updated_at": "2026-01-01T00:00:00"}
    runner(date(2026, 3, 31), clients=[version], **tables)
    updated = {**version, "financial_sector_experience_years": "5", "updated_at": updated_at}
    row = runner(D, clients=[updated], **tables)["EXP"]
    assert row["mifid_basis"] == basis, row["mifid_reasons"]
    on_r = row["mifid_reasons"].split("criteria met on 2026-03-01")[1].split(". ")[0]
    assert on_r.endswith(": significant_trades_12m 40 >= 40; portfolio_value_eur 0 <= 500,000; "
                         f"financial_sector_experience_years {experience}"), row["mifid_reasons"]


def changes(runner: PipelineRunner, attribute: str) -> set[tuple[Any, ...]]:
    rows = runner.query("select as_of_date, previous_as_of_date, client_id, old_value, new_value "
                        "from mart.client_category_changes where attribute = :a", a=attribute)
    return {tuple(r.values()) for r in rows}


def test_category_changes_first_categorisation_change_and_re_runs(tmp_path: Any) -> None:
    """The notify list: first categorisation, each change once, re-runs replace, never add."""
    runner = PipelineRunner(tmp_path)
    first, latest = date(2026, 5, 31), D
    clients = [{"client_id": "LOCAL", **legal("local")}, {"client_id": "PERSON"},
               {"client_id": "CORP", **legal("corporate")}]
    opt_down = [{"client_id": "LOCAL", **req("retail", received="2026-06-15")}]
    runner(first, clients=clients, categorisation_requests=opt_down)
    runner(latest, clients=clients, categorisation_requests=opt_down)
    runner(latest, clients=clients, categorisation_requests=opt_down)  # re-run: no duplicates
    assert changes(runner, "mifid_category") == {
        (first, None, "LOCAL", None, "professional"),
        (first, None, "PERSON", None, "retail"),
        (first, None, "CORP", None, "retail"),
        (latest, first, "LOCAL", "professional", "retail"),
    }
    assert {r[2] for r in changes(runner, "finsa_category")} == {"LOCAL", "PERSON", "CORP"}
    # a legal entity has no wealth tier: null on its first date is no change from null
    assert {r[2] for r in changes(runner, "wealth_tier")} == {"PERSON"}

    # a re-run of the first date with a request now in force there: the later change is gone
    earlier = [{"client_id": "LOCAL", **req("retail", received="2026-05-01")}]
    runner(first, clients=clients, categorisation_requests=earlier)
    assert changes(runner, "mifid_category") == {
        (first, None, "LOCAL", None, "retail"),
        (first, None, "PERSON", None, "retail"),
        (first, None, "CORP", None, "retail"),
    }
