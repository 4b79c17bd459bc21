"""FinSA categories (RULES.md, FinSA categories): one row per case, one source run per rate set.

CHF is worth 1.0712 EUR on D in the main run, so CHF 2,000,000 = EUR 2,142,400 exactly; a
floating-point division (2,142,400 / 1.0712 = 2,000,000.0000000002) would wrongly pass a ">" test.
An older CHF rate (0.5) would double every CHF figure and flip the boundary cases: they prove the
rate on D is used. CHF amounts in reasons are truncated to the cent, never rounded up to a
threshold. A second run has no CHF rate at all: every CHF test then counts as not met.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from conftest import PipelineRunner

from clientseg import vocab

D = date(2026, 6, 30)
R = "2026-03-01"

USD_RATES = [
    # an older rate that would fail the tests, the rate on D, and one after D (ignored)
    {"rate_date": "2026-01-01", "currency": "USD", "eur_per_unit": "0.5"},
    {"rate_date": "2026-06-30", "currency": "USD", "eur_per_unit": "0.8"},
    {"rate_date": "2026-07-10", "currency": "USD", "eur_per_unit": "0.1"},
]
CHF_RATES = [
    # an older rate that would flip the boundary cases, the rate on D, one after D (ignored)
    {"rate_date": "2025-12-01", "currency": "CHF", "eur_per_unit": "0.5"},
    {"rate_date": "2026-06-30", "currency": "CHF", "eur_per_unit": "1.0712"},
    {"rate_date": "2026-07-10", "currency": "CHF", "eur_per_unit": "2"},
]


@dataclass
class Case:
    client_id: str
    category: str
    basis: str
    reasons: tuple[str, ...] = ()
    client: dict[str, Any] = field(default_factory=dict)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)


def case(client_id: str, category: str, basis: str, **kwargs: Any) -> Any:
    return pytest.param(Case(client_id, category, basis, **kwargs), id=client_id)


def legal(entity_type: str, treasury: bool | None = False, **figures: Any) -> dict[str, Any]:
    return {"client_type": "legal_entity", "entity_type": entity_type,
            "has_professional_treasury": treasury, **figures}


def company(currency: str | None = "EUR", **figures: str | None) -> dict[str, Any]:
    """A corporate without treasury, with figures (default: balance sheet and own funds met)."""
    values = {"balance_sheet_total": "30000000", "own_funds": "4100000", "net_turnover": "100"}
    return legal("corporate", financials_currency=currency, **{**values, **figures})


def assets(value: str, asset_class: str = "security") -> dict[str, Any]:
    return {"as_of_date": "2026-03-31", "market_value": value, "asset_class": asset_class}


def req(category: str, received: str = R, status: str = "accepted", **kw: Any
            ) -> dict[str, Any]:
    return {"regime": "finsa", "requested_category": category, "received_date": received,
            "status": status, **kw}


OPT_OUT = [req("professional")]
INSTITUTIONAL = ("credit_institution", "investment_firm", "insurance_undertaking",
                 "collective_investment_scheme", "other_financial_institution", "central_bank",
                 "supranational")
PROFESSIONAL_WITH_TREASURY = ("pension_fund", "regional_government", "public_debt_body",
                              "private_investment_structure", "corporate", "other")

ENTITY_TYPE_CASES = [
    *[case(f"type_{t}_{tr}", "institutional", "per_se_institutional",
           client=legal(t, tr == "treasury"),
           reasons=(f"per_se_institutional: entity_type {t} is an institutional client per se",))
      for t in INSTITUTIONAL for tr in ("treasury", "no_treasury")],
    case("type_national_government_treasury", "institutional", "per_se_institutional",
         client=legal("national_government", True),
         reasons=("per_se_institutional: entity_type national_government with a professional "
                  "treasury",)),
    case("type_national_government_no_treasury", "retail", "default",
         client=legal("national_government", False),
         reasons=("without a professional treasury",)),
    *[case(f"type_{t}_treasury", "professional", "per_se_professional", client=legal(t, True),
           reasons=(f"per_se_professional: entity_type {t} with a professional treasury",))
      for t in PROFESSIONAL_WITH_TREASURY],
    *[case(f"type_{t}_no_treasury", "retail", "default", client=legal(t, False),
           reasons=(f"default: entity_type {t} without a professional treasury is not "
                    "institutional or professional per se",))
      for t in PROFESSIONAL_WITH_TREASURY],
    case("type_pension_fund_treasury_null", "retail", "default",
         client=legal("pension_fund", None)),
    *[case(f"type_{t}_{tr}", "retail", "default", client=legal(t, tr == "treasury"))
      for t in ("commodity_dealer", "local", "other_institutional_investor")
      for tr in ("treasury", "no_treasury")],
    case("type_individual", "retail", "default", reasons=("default: individual client",)),
]

LARGE_COMPANY_CASES = [
    case("large_2_of_3", "professional", "per_se_professional", client=company(), reasons=(
        "per_se_professional: large company, 2/3 met: balance_sheet_total 28,005,974.60 > "
        "20,000,000; own_funds 3,827,483.19 > 2,000,000 (amounts in CHF at 1.0712 EUR per CHF)",
    )),
    case("large_1_of_3", "retail", "default", client=company(own_funds="2000000"), reasons=(
        "not a large company (needs 2/3), 1/3 met: balance_sheet_total 28,005,974.60 > "
        "20,000,000; net_turnover 93.35 <= 40,000,000; own_funds 1,867,064.97 <= 2,000,000",)),
    # EUR 2,142,400 is exactly CHF 2,000,000: not above it
    case("large_own_funds_exactly_at_chf_threshold", "retail", "default",
         client=company(own_funds="2142400"), reasons=("own_funds 2,000,000 <= 2,000,000",)),
    case("large_own_funds_just_above_chf_threshold", "professional", "per_se_professional",
         client=company(own_funds="2142401"), reasons=("own_funds 2,000,000.93 > 2,000,000",)),
    # CHF 1,999,999.99...: shown truncated to the cent, never rounded up to 2,000,000
    case("large_own_funds_a_cent_under_chf_threshold", "retail", "default",
         client=company(own_funds="2142399.99"), reasons=("own_funds 1,999,999.99 <= 2,000,000",)),
    case("large_own_funds_a_millionth_under_chf_threshold", "retail", "default",
         client=company(own_funds="2142399.9999999"),
         reasons=("own_funds 1,999,999.99 <= 2,000,000",)),
    # exactly CHF 20,000,000 and 40,000,000: MiFID's >= would pass, FinSA's > does not
    case("large_exactly_chf_thresholds_in_eur", "retail", "default",
         client=company(balance_sheet_total="21424000", net_turnover="42848000", own_funds=None),
         reasons=("0/3 met: balance_sheet_total 20,000,000 <= 20,000,000; net_turnover "
                  "40,000,000 <= 40,000,000; own_funds unknown",)),
    case("large_chf_figures_exactly", "retail", "default",
         client=company("CHF", balance_sheet_total="20000000", own_funds="2000000"),
         reasons=("0/3 met",)),
    case("large_chf_figures_above", "professional", "per_se_professional",
         client=company("CHF", balance_sheet_total="20000001", own_funds="2000001"),
         reasons=("2/3 met",)),
    # 30,000,000 USD x 0.8 (rate on D) = 24,000,000 EUR = CHF 22,404,780; at 0.5 it would fail
    case("large_usd_rate_on_as_of", "professional", "per_se_professional",
         client=company("USD", own_funds="3000000"),
         reasons=("balance_sheet_total 22,404,779.68 > 20,000,000; own_funds 2,240,477.96 > "
                  "2,000,000",
                  "USD converted to EUR at 0.8 EUR per USD")),
    case("large_currency_null", "retail", "default", client=company(None),
         reasons=("0/3 met: balance_sheet_total unknown", "financials_currency missing")),
]

REQUEST_CASES = [
    case("optout_assets_exactly_2m", "professional", "opting_out",
         holdings=[assets("2142400")], requests=OPT_OUT, reasons=(
             "opting_out: request optout_assets_exactly_2m-1 (received 2026-03-01) to be treated "
             "as professional applied: investable assets CHF 2,000,000 >= 2,000,000",
             "on 2026-06-30, EUR 2,142,400 at 1.0712 EUR per CHF")),
    case("optout_assets_just_under_2m", "retail", "opting_out_refused",
         holdings=[assets("2142399")], requests=OPT_OUT, reasons=(
             "opting_out_refused: request optout_assets_just_under_2m-1 (received 2026-03-01) to "
             "be treated as professional refused: investable assets CHF 1,999,999.06 < "
             "2,000,000; investment_knowledge no",)),
    case("optout_assets_a_cent_under_2m", "retail", "opting_out_refused",
         holdings=[assets("2142399.99")], requests=OPT_OUT,
         reasons=("investable assets CHF 1,999,999.99 < 2,000,000",)),
    # CHF 1,999,999.99999990...: under the threshold by less than a millionth of a franc
    case("optout_assets_a_millionth_under_2m", "retail", "opting_out_refused",
         holdings=[assets("2142399.9999999")], requests=OPT_OUT,
         reasons=("investable assets CHF 1,999,999.99 < 2,000,000",)),
    case("optout_knowledge_500k", "professional", "opting_out",
         client={"investment_knowledge": True}, holdings=[assets("535600")], requests=OPT_OUT,
         reasons=("investment_knowledge yes and assets >= 500,000",)),
    case("optout_knowledge_just_under_500k", "retail", "opting_out_refused",
         client={"investment_knowledge": True}, holdings=[assets("535599")], requests=OPT_OUT,
         reasons=("investment_knowledge yes but assets < 500,000",)),
    case("optout_no_knowledge_1m", "retail", "opting_out_refused",
         client={"investment_knowledge": False}, holdings=[assets("1000000")], requests=OPT_OUT,
         reasons=("investment_knowledge no",)),
    case("optout_knowledge_null_is_false", "retail", "opting_out_refused",
         client={"investment_knowledge": None}, holdings=[assets("1000000")], requests=OPT_OUT),
    case("optout_real_estate_and_pension_excluded", "retail", "opting_out_refused",
         holdings=[assets("2000000"), assets("500000", "real_estate"),
                   assets("500000", "pension")],
         requests=OPT_OUT, reasons=("investable assets CHF 1,867,064.97 < 2,000,000",)),
    case("optout_precious_metal_counts", "professional", "opting_out",
         holdings=[assets("2000000"), assets("200000", "precious_metal")], requests=OPT_OUT),
    case("optout_legal_entity", "professional", "opting_out", client=company(own_funds="1"),
         holdings=[assets("3000000")], requests=OPT_OUT, reasons=("Base: default: entity_type",)),
    case("optin_professional_to_retail", "retail", "opting_in", client=legal("corporate", True),
         requests=[req("retail")], reasons=(
             "opting_in: request optin_professional_to_retail-1 (received 2026-03-01) to be "
             "treated as retail applied, instead of the base category professional",)),
    case("optin_large_company_to_retail", "retail", "opting_in", client=company(),
         requests=[req("retail")], reasons=("Base: per_se_professional: large company",)),
    case("optin_institutional_to_professional", "professional", "opting_in",
         client=legal("credit_institution"), requests=[req("professional")]),
    case("optout_pension_fund_to_institutional", "institutional", "opting_out",
         client=legal("pension_fund", True), requests=[req("institutional")], reasons=(
             "opting_out: request optout_pension_fund_to_institutional-1 (received 2026-03-01) "
             "to be treated as institutional applied to a professional client of entity_type "
             "pension_fund",)),
    case("optout_private_investment_structure_to_institutional", "institutional", "opting_out",
         client=legal("private_investment_structure", True), requests=[req("institutional")]),
    # requests that change nothing
    case("req_corporate_to_institutional_not_applied", "professional", "per_se_professional",
         client=legal("corporate", True), requests=[req("institutional")], reasons=(
             "was not applied: only a professional client of entity_type pension_fund, "
             "private_investment_structure can opt out to institutional",)),
    case("req_pension_fund_without_treasury_to_institutional", "retail", "default",
         client=legal("pension_fund", False), requests=[req("institutional")],
         reasons=("was not applied",)),
    case("req_retail_to_institutional_not_applied", "retail", "default",
         requests=[req("institutional")], reasons=(
             "Request req_retail_to_institutional_not_applied-1 (received 2026-03-01) to be "
             "treated as institutional was not applied",)),
    case("req_institutional_to_retail_not_applied", "institutional", "per_se_institutional",
         client=legal("central_bank"), requests=[req("retail")],
         reasons=("was not applied: an institutional client can only opt in to professional",)),
    case("req_same_category_professional", "professional", "per_se_professional",
         client=legal("other", True), requests=[req("professional")],
         reasons=("was not applied: the client is already professional",)),
    case("req_same_category_institutional", "institutional", "per_se_institutional",
         client=legal("supranational"), requests=[req("institutional")],
         reasons=("was not applied: the client is already institutional",)),
    case("req_same_category_retail", "retail", "default", requests=[req("retail")],
         reasons=("was not applied: the client is already retail",)),
    # which request is in force at D
    case("req_pending_ignored", "retail", "default", holdings=[assets("5000000")],
         requests=[req("professional", status="pending")]),
    case("req_rejected_ignored", "retail", "default", holdings=[assets("5000000")],
         requests=[req("professional", status="rejected")]),
    case("req_after_as_of_ignored", "retail", "default", holdings=[assets("5000000")],
         requests=[req("professional", received="2026-07-01")]),
    case("req_withdrawal_cancels_acceptance", "retail", "default", holdings=[assets("5000000")],
         requests=[req("professional", received="2026-02-01"),
                   req("professional", received="2026-03-01", status="withdrawn")],
         reasons=("No request in force: request req_withdrawal_cancels_acceptance-2 (received "
                  "2026-03-01) was withdrawn",)),
    case("req_same_day_greatest_id_wins", "professional", "opting_in",
         client=legal("investment_firm"),
         requests=[req("professional", request_id="tie_f_2"),
                   req("retail", request_id="tie_f_1")],
         reasons=("request tie_f_2",)),
    case("req_later_acceptance_replaces_earlier", "professional", "per_se_professional",
         client=legal("corporate", True),
         requests=[req("retail", received="2026-01-01"),
                   req("professional", received="2026-02-01")],
         reasons=("was not applied: the client is already professional",)),
    case("req_opting_in_received_on_as_of_counts", "retail", "opting_in",
         client=legal("corporate", True), requests=[req("retail", received="2026-06-30")]),
    case("req_mifid_request_ignored_by_finsa", "retail", "default",
         holdings=[assets("5000000")], requests=[req("professional", regime="mifid")]),
]

NO_CHF_RATE_CASES = [
    case("nochf_large_company", "retail", "default",
         client=company(balance_sheet_total="900000000", net_turnover="900000000"), reasons=(
             "0/3 met: balance_sheet_total not assessed; net_turnover not assessed; own_funds "
             "not assessed (no CHF rate on or before 2026-06-30: the CHF tests count as not met)",
         )),
    case("nochf_opting_out_refused", "retail", "opting_out_refused",
         holdings=[assets("90000000")], requests=OPT_OUT,
         reasons=("investable assets in CHF unknown (no CHF rate on or before 2026-06-30",)),
    case("nochf_institutional_unaffected", "institutional", "per_se_institutional",
         client=legal("credit_institution")),
    case("nochf_treasury_unaffected", "professional", "per_se_professional",
         client=legal("corporate", True)),
]

CASES = [*ENTITY_TYPE_CASES, *LARGE_COMPANY_CASES, *REQUEST_CASES]


def source(cases: list[Any], fx_rates: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One source holding every case's client and rows."""
    tables: dict[str, list[dict[str, Any]]] = {
        "clients": [], "holdings": [], "categorisation_requests": [], "fx_rates": fx_rates,
    }  # fmt: skip
    for param in cases:
        c: Case = param.values[0]
        tables["clients"].append({"client_id": c.client_id, **c.client})
        tables["holdings"] += [{"client_id": c.client_id, **h} for h in c.holdings]
        tables["categorisation_requests"] += [
            {"request_id": f"{c.client_id}-{i}", "client_id": c.client_id, **r}
            for i, r in enumerate(c.requests, 1)
        ]
    return tables


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[PipelineRunner, dict[str, Any]]:
    runner = PipelineRunner(tmp_path_factory.mktemp("finsa"))
    return runner, runner(D, **source(CASES, USD_RATES + CHF_RATES))


@pytest.fixture(scope="module")
def run_without_chf(tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[PipelineRunner, dict[str, Any]]:
    runner = PipelineRunner(tmp_path_factory.mktemp("finsa_no_chf"))
    return runner, runner(D, **source(NO_CHF_RATE_CASES, USD_RATES))


def check(row: dict[str, Any], c: Case) -> None:
    got = (row["finsa_category"], row["finsa_basis"])
    assert got == (c.category, c.basis), row["finsa_reasons"]
    assert row["finsa_reasons"].startswith(f"{c.basis}: ")
    for part in c.reasons:
        assert part in row["finsa_reasons"]


@pytest.mark.parametrize("c", CASES)
def test_finsa_category(run: tuple[PipelineRunner, dict[str, Any]], c: Case) -> None:
    check(run[1][c.client_id], c)


@pytest.mark.parametrize("c", NO_CHF_RATE_CASES)
def test_finsa_category_without_chf_rate(run_without_chf: tuple[PipelineRunner, dict[str, Any]],
                                         c: Case) -> None:
    check(run_without_chf[1][c.client_id], c)


@pytest.mark.parametrize("which", ["run", "run_without_chf"])
def test_every_open_client_has_one_category_and_reasons(request: pytest.FixtureRequest,
                                                        which: str) -> None:
    runner, rows = request.getfixturevalue(which)
    cases = CASES if which == "run" else NO_CHF_RATE_CASES
    counts = runner.query("select client_id, count(*) as n from mart.client_segments_history "
                          "where as_of_date = :d group by client_id", d=D)
    assert sorted(r["client_id"] for r in counts) == sorted(p.values[0].client_id for p in cases)
    assert {r["n"] for r in counts} == {1}
    for row in rows.values():
        assert row["finsa_category"] in vocab.FINSA_CATEGORIES
        assert row["finsa_basis"] in vocab.FINSA_BASES
        assert row["finsa_reasons"] and row["finsa_reasons"].strip()
