"""Row-level bad input: each kind of bad row lands in quarantine.<table> with the exact rules it
broke and where it came from; the other rows are used, and read = used + quarantined.

One run on a source holding every case (one table row per rule of expectations/*.json and of
include/sql/validate/*.sql); each case is then checked by name. The 1% limit is checked at its
boundary on its own runs.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner, lenient_policy
from marts import published_state
from sources import row_as_written, write_source
from throwaway_pg import throwaway_postgres_url

from clientseg.contract import BY_NAME, SOURCE_TABLES
from clientseg.errors import DataQualityError, PipelineError
from clientseg.expectations import suite_json
from clientseg.load import load
from clientseg.policy import load_policy
from clientseg.runs import RunContext
from clientseg.steps import run_step, step_extract, step_load, step_validate
from clientseg.warehouse import Warehouse

AS_OF = date(2026, 6, 30)
ENTITY_TYPES = (
    "credit_institution, investment_firm, insurance_undertaking, collective_investment_scheme, "
    "pension_fund, other_financial_institution, commodity_dealer, local, "
    "other_institutional_investor, national_government, regional_government, public_debt_body, "
    "central_bank, supranational, corporate, private_investment_structure, other")
ASSET_CLASSES = ("cash_deposit, security, fund, structured_product, derivative, precious_metal, "
                 "life_insurance, fiduciary, real_estate, pension")
NO_RATE = "currency: needs an FX rate on or before the row's date"
ISO_4217 = "currency: must be an upper-case ISO 4217 code"


@dataclass
class Case:
    """Rows of one table that must all be quarantined with exactly `rules` (in suite order)."""

    id: str
    table: str
    rows: list[dict[str, Any]]
    rules: str
    first_row: int = field(default=0, init=False)  # source_row of rows[0], set when written


def case(id: str, table: str, rules: str, *rows: dict[str, Any]) -> Case:
    return Case(id, table, list(rows), rules)


# Valid rows; the values on the edge of a rule (0 where >= 0, a rate dated on the row's date)
# must pass. Holdings, transactions and requests belong to client G1 unless a case says not.
GOOD: dict[str, list[dict[str, Any]]] = {
    "fx_rates": [
        {"rate_date": "2026-01-01", "currency": "USD", "eur_per_unit": "0.9"},
        {"rate_date": "2026-01-01", "currency": "CHF", "eur_per_unit": "0.000001"},
    ],
    "clients": [
        {"client_id": "G1", "annual_income": "0", "financial_sector_experience_years": "0"},
        {"client_id": "G2", "client_type": "legal_entity", "entity_type": "corporate",
         "investment_knowledge": "TRUE", "has_professional_treasury": "0",
         "financials_currency": "USD", "updated_at": " 2026-06-30 14:05:00 "},  # padded
    ],
    "holdings": [
        {"client_id": "G1", "market_value": "0"},
        {"client_id": "G1", "market_value": "100", "currency": "USD", "as_of_date": "2026-01-01"},
    ],
    "transactions": [
        {"transaction_id": "TG1", "client_id": "G1", "trade_date": "2026-06-30"},
        {"transaction_id": "TG2", "client_id": "G1", "trade_date": "2026-01-01",
         "currency": "USD", "fee": "0", "notional": "0", "market": "OTC"},
        {"transaction_id": "TG3", "client_id": "G2", "trade_date": "2026-03-01",
         "status": "cancelled", "side": "sell"},
    ],
    "categorisation_requests": [
        {"request_id": "RG1", "client_id": "G1", "requested_category": "professional",
         "received_date": "2026-01-15"},
        {"request_id": "RG2", "client_id": "G2", "regime": "finsa",
         "requested_category": "institutional", "received_date": "2026-01-15",
         "status": "pending"},
    ],
}

H = {"client_id": "G1", "market_value": "100"}
T = {"client_id": "G1", "trade_date": "2026-06-01"}
R = {"client_id": "G1", "requested_category": "professional", "received_date": "2026-02-01"}
F = {"rate_date": "2026-02-01", "currency": "SEK", "eur_per_unit": "0.09"}

CASES = [
    # fx_rates
    case("fx-date-null", "fx_rates", "rate_date: required, must not be null",
         {**F, "rate_date": None}),
    case("fx-date-unparsed", "fx_rates", "rate_date: must be a valid date (ISO 8601)",
         {**F, "rate_date": "01/02/2026"}),
    case("fx-currency-null", "fx_rates", "currency: required, must not be null",
         {**F, "currency": None}),
    case("fx-currency-lower", "fx_rates", ISO_4217, {**F, "currency": "sek"}),
    case("fx-rate-null", "fx_rates", "eur_per_unit: required, must not be null",
         {**F, "rate_date": "2026-02-02", "eur_per_unit": None}),
    case("fx-rate-zero", "fx_rates", "eur_per_unit: must be > 0",
         {**F, "currency": "GBP", "eur_per_unit": "0"}),
    case("fx-rate-unparsed", "fx_rates", "eur_per_unit: must be a valid decimal (dot decimal)",
         {**F, "rate_date": "2026-02-03", "eur_per_unit": "0,09"}),
    case("fx-duplicate", "fx_rates", "rate_date, currency: at most one rate per currency and date",
         {**F, "currency": "JPY"}, {**F, "currency": "JPY", "eur_per_unit": "0.0061"}),
    # clients
    case("client-id-null", "clients", "client_id: required, must not be null",
         {"client_id": None}),
    case("client-id-duplicate", "clients", "client_id: must be unique",
         {"client_id": "CDUP"}, {"client_id": "CDUP", "country": "DE"}),
    case("client-type-null", "clients", "client_type: required, must not be null",
         {"client_id": "C01", "client_type": None}),
    case("client-type-not-in-set", "clients",
         "client_type: must be one of individual, legal_entity",
         {"client_id": "C02", "client_type": "person"}),
    case("entity-type-not-in-set", "clients", f"entity_type: must be one of {ENTITY_TYPES}",
         {"client_id": "C03", "client_type": "legal_entity", "entity_type": "bank"}),
    case("entity-type-for-individual", "clients",
         "entity_type: required for legal entities, null for individuals",
         {"client_id": "C04", "entity_type": "corporate"}),
    case("entity-type-missing", "clients",
         "entity_type: required for legal entities, null for individuals",
         {"client_id": "C05", "client_type": "legal_entity"}),
    case("country-null", "clients", "country: required, must not be null",
         {"client_id": "C06", "country": None}),
    case("country-lower", "clients", "country: must be an upper-case ISO 3166-1 alpha-2 code",
         {"client_id": "C07", "country": "ch"}),
    case("income-negative", "clients", "annual_income: must be >= 0",
         {"client_id": "C08", "annual_income": "-0.01"}),
    case("experience-negative", "clients", "financial_sector_experience_years: must be >= 0",
         {"client_id": "C09", "financial_sector_experience_years": "-1"}),
    case("financials-currency-lower", "clients",
         "financials_currency: must be an upper-case ISO 4217 code",
         {"client_id": "C10", "financials_currency": "eur"}),
    case("onboarding-null", "clients", "onboarding_date: required, must not be null",
         {"client_id": "C11", "onboarding_date": None}),
    case("birth-date-unparsed", "clients", "birth_date: must be a valid date (ISO 8601)",
         {"client_id": "C12", "birth_date": "1980-02-30"}),
    # each engine's cast alone would take these: DuckDB a BC date, 'infinity' and 'epoch'
    case("birth-date-before-the-common-era", "clients",
         "birth_date: must be a valid date (ISO 8601)",
         {"client_id": "C12b", "birth_date": "-1980-01-01"}),
    case("birth-date-year-zero", "clients", "birth_date: must be a valid date (ISO 8601)",
         {"client_id": "C12e", "birth_date": "0000-12-31"}),
    case("closed-date-infinity", "clients", "closed_date: must be a valid date (ISO 8601)",
         {"client_id": "C12c", "closed_date": "infinity"}),
    case("updated-at-epoch", "clients", "updated_at: must be a valid timestamp (ISO 8601)",
         {"client_id": "C12d", "updated_at": "epoch"}),
    case("income-unparsed", "clients", "annual_income: must be a valid decimal (dot decimal)",
         {"client_id": "C13", "annual_income": "1,5"}),
    case("experience-unparsed", "clients",
         "financial_sector_experience_years: must be a valid decimal (dot decimal)",
         {"client_id": "C14", "financial_sector_experience_years": "ten"}),
    case("knowledge-unparsed", "clients",
         "investment_knowledge: must be a valid boolean (true/false/1/0)",
         {"client_id": "C15", "investment_knowledge": "yes"}),
    case("treasury-unparsed", "clients",
         "has_professional_treasury: must be a valid boolean (true/false/1/0)",
         {"client_id": "C16", "has_professional_treasury": "maybe"}),
    case("balance-sheet-unparsed", "clients",
         "balance_sheet_total: must be a valid decimal (dot decimal)",
         {"client_id": "C17", "balance_sheet_total": "12'000"}),
    case("turnover-unparsed", "clients", "net_turnover: must be a valid decimal (dot decimal)",
         {"client_id": "C18", "net_turnover": "n/a"}),
    case("own-funds-unparsed", "clients", "own_funds: must be a valid decimal (dot decimal)",
         {"client_id": "C19", "own_funds": "1.000,5"}),
    case("onboarding-unparsed", "clients", "onboarding_date: must be a valid date (ISO 8601)",
         {"client_id": "C20", "onboarding_date": "31.03.2020"}),
    case("closed-unparsed", "clients", "closed_date: must be a valid date (ISO 8601)",
         {"client_id": "C21", "closed_date": "2026-13-01"}),
    case("updated-at-unparsed", "clients", "updated_at: must be a valid timestamp (ISO 8601)",
         {"client_id": "C22", "updated_at": "yesterday"}),
    case("client-several-rules", "clients",
         "client_type: must be one of individual, legal_entity; "
         "country: must be an upper-case ISO 3166-1 alpha-2 code; annual_income: must be >= 0",
         {"client_id": "C23", "client_type": "firm", "country": "Suisse", "annual_income": "-5"}),
    # holdings
    case("holding-client-null", "holdings", "client_id: required, must not be null",
         {**H, "client_id": None}),
    case("holding-client-unknown", "holdings", "client_id: must exist in clients",
         {**H, "client_id": "NOBODY"}),
    case("holding-client-quarantined", "holdings", "client_id: must exist in clients",
         {**H, "client_id": "C02"}),
    case("holding-date-null", "holdings", "as_of_date: required, must not be null",
         {**H, "as_of_date": None}),
    case("holding-class-null", "holdings", "asset_class: required, must not be null",
         {**H, "asset_class": None}),
    case("holding-class-not-in-set", "holdings", f"asset_class: must be one of {ASSET_CLASSES}",
         {**H, "asset_class": "crypto"}),
    case("holding-value-null", "holdings", "market_value: required, must not be null",
         {**H, "market_value": None}),
    case("holding-value-negative", "holdings", "market_value: must be >= 0",
         {**H, "market_value": "-0.01"}),
    case("holding-currency-null", "holdings", "currency: required, must not be null",
         {**H, "currency": None}),
    case("holding-currency-lower", "holdings", f"{ISO_4217}; {NO_RATE}",
         {**H, "currency": "usd"}),
    case("holding-rate-after-date", "holdings", NO_RATE,
         {**H, "currency": "USD", "as_of_date": "2025-12-31"}),
    case("holding-rate-quarantined", "holdings", NO_RATE, {**H, "currency": "GBP"}),
    case("holding-date-unparsed", "holdings", "as_of_date: must be a valid date (ISO 8601)",
         {**H, "as_of_date": "31.03.2026"}),
    case("holding-value-unparsed", "holdings",
         "market_value: must be a valid decimal (dot decimal)", {**H, "market_value": "1'000"}),
    # transactions
    case("trade-id-null", "transactions", "transaction_id: required, must not be null",
         {**T, "transaction_id": None}),
    case("trade-id-duplicate", "transactions", "transaction_id: must be unique",
         {**T, "transaction_id": "TDUP"}, {**T, "transaction_id": "TDUP", "fee": "11"}),
    case("trade-client-null", "transactions", "client_id: required, must not be null",
         {**T, "client_id": None}),
    case("trade-client-unknown", "transactions", "client_id: must exist in clients",
         {**T, "client_id": "NOBODY"}),
    case("trade-client-duplicated", "transactions", "client_id: must exist in clients",
         {**T, "client_id": "CDUP"}),
    case("trade-date-null", "transactions", "trade_date: required, must not be null",
         {**T, "trade_date": None}),
    case("trade-market-lower", "transactions", "market: must be an ISO 10383 MIC or OTC",
         {**T, "market": "xswx"}),
    case("trade-side-not-in-set", "transactions", "side: must be one of buy, sell",
         {**T, "side": "hold"}),
    case("trade-notional-null", "transactions", "notional: required, must not be null",
         {**T, "notional": None}),
    case("trade-notional-negative", "transactions", "notional: must be >= 0",
         {**T, "notional": "-1"}),
    case("trade-currency-null", "transactions", "currency: required, must not be null",
         {**T, "currency": None}),
    case("trade-currency-lower", "transactions", f"{ISO_4217}; {NO_RATE}",
         {**T, "currency": "usd"}),
    case("trade-rate-after-date", "transactions", NO_RATE,
         {**T, "currency": "USD", "trade_date": "2025-12-31"}),
    case("trade-rate-quarantined", "transactions", NO_RATE, {**T, "currency": "GBP"}),
    case("trade-fee-null", "transactions", "fee: required, must not be null",
         {**T, "fee": None}),
    case("trade-fee-negative", "transactions", "fee: must be >= 0", {**T, "fee": "-0.01"}),
    case("trade-status-null", "transactions", "status: required, must not be null",
         {**T, "status": None}),
    case("trade-status-not-in-set", "transactions", "status: must be one of executed, cancelled",
         {**T, "status": "filled"}),
    case("trade-date-unparsed", "transactions", "trade_date: must be a valid date (ISO 8601)",
         {**T, "trade_date": "20260601"}),
    case("trade-notional-unparsed", "transactions",
         "notional: must be a valid decimal (dot decimal)", {**T, "notional": "1 000"}),
    case("trade-fee-unparsed", "transactions", "fee: must be a valid decimal (dot decimal)",
         {**T, "fee": "ten"}),
    case("trade-date-five-digit-year", "transactions",
         "trade_date: must be a valid date (ISO 8601)", {**T, "trade_date": "99999-01-01"}),
    case("trade-fee-digit-separator", "transactions",
         "fee: must be a valid decimal (dot decimal)", {**T, "fee": "1_000"}),
    # categorisation_requests
    case("request-id-null", "categorisation_requests", "request_id: required, must not be null",
         {**R, "request_id": None}),
    case("request-id-duplicate", "categorisation_requests", "request_id: must be unique",
         {**R, "request_id": "RDUP"}, {**R, "request_id": "RDUP", "status": "pending"}),
    case("request-client-null", "categorisation_requests",
         "client_id: required, must not be null", {**R, "client_id": None}),
    case("request-client-unknown", "categorisation_requests", "client_id: must exist in clients",
         {**R, "client_id": "NOBODY"}),
    case("request-regime-null", "categorisation_requests", "regime: required, must not be null",
         {**R, "regime": None}),
    case("request-regime-not-in-set", "categorisation_requests",
         "regime: must be one of mifid, finsa", {**R, "regime": "sec"}),
    case("request-category-null", "categorisation_requests",
         "requested_category: required, must not be null", {**R, "requested_category": None}),
    case("request-category-not-mifid", "categorisation_requests",
         "requested_category: must be a category of its regime",
         {**R, "requested_category": "institutional"}),
    case("request-category-not-finsa", "categorisation_requests",
         "requested_category: must be a category of its regime",
         {**R, "regime": "finsa", "requested_category": "eligible_counterparty"}),
    case("request-date-null", "categorisation_requests",
         "received_date: required, must not be null", {**R, "received_date": None}),
    case("request-status-null", "categorisation_requests", "status: required, must not be null",
         {**R, "status": None}),
    case("request-status-not-in-set", "categorisation_requests",
         "status: must be one of accepted, pending, rejected, withdrawn",
         {**R, "status": "approved"}),
    case("request-date-unparsed", "categorisation_requests",
         "received_date: must be a valid date (ISO 8601)", {**R, "received_date": "15.01.2026"}),
]


def source_tables() -> dict[str, list[dict[str, Any]]]:
    """The good rows, then every case's rows; sets each case's first source_row."""
    tables = {name: list(rows) for name, rows in GOOD.items()}
    for c in CASES:
        c.first_row = len(tables[c.table]) + 1
        tables[c.table] += c.rows
    return tables


@dataclass
class BadRun:
    runner: PipelineRunner
    source: Path
    run_id: str
    published: dict[str, dict[str, Any]]

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return self.runner.query(sql, run=self.run_id, **params)


@pytest.fixture(scope="module", params=[
    "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bad_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[BadRun]:
    """The source with every case, run once per warehouse dialect."""
    root = tmp_path_factory.mktemp(f"bad_rows_{request.param}")
    source = write_source(root / "source", **source_tables())
    runner = PipelineRunner(root)
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            runner.url = stack.enter_context(throwaway_postgres_url())
        published = runner(AS_OF, source=source)
        yield BadRun(runner, source, f"test__{runner.runs}", published)


def test_every_rule_of_the_suites_has_a_case() -> None:
    suite_rules = {(t.name, e["meta"]["rule"]) for t in SOURCE_TABLES
                   for e in suite_json(t.name)["expectations"]}
    case_rules = {(c.table, rule) for c in CASES for rule in c.rules.split("; ")}
    assert suite_rules - case_rules == set()


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_bad_row_lands_in_quarantine_as_it_came_with_its_rules(bad_run: BadRun, c: Case
                                                                ) -> None:
    columns = ", ".join(BY_NAME[c.table].column_names)
    rows = bad_run.query(
        f"select {columns}, source_file, source_row, rules_broken, run_as_of_date "
        f"from quarantine.{c.table} where run_id = :run and source_row >= :first "
        f"and source_row < :last order by source_row",
        first=c.first_row, last=c.first_row + len(c.rows))
    as_written = [row_as_written(c.table, c.first_row + i - 1, row)
                  for i, row in enumerate(c.rows)]
    assert rows == [
        {**{k: v or None for k, v in raw.items()},
         "source_file": str(bad_run.source / f"{c.table}.csv"), "source_row": c.first_row + i,
         "rules_broken": c.rules, "run_as_of_date": AS_OF}
        for i, raw in enumerate(as_written)]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_broken_rule_is_a_failed_result_in_data_quality_results(bad_run: BadRun, c: Case
                                                                 ) -> None:
    for rule in c.rules.split("; "):
        [result] = bad_run.query(
            'select success, unexpected_count, details from ops.data_quality_results '
            'where run_id = :run and "table" = :table and rule = :rule',
            table=c.table, rule=rule)
        assert result["success"] is False
        assert result["unexpected_count"] >= len(c.rows)
        assert json.loads(result["details"])["files"][str(bad_run.source / f"{c.table}.csv")] \
            == result["unexpected_count"]


def test_data_quality_counts_are_the_quarantines(bad_run: BadRun) -> None:
    """Each rule's count in ops.data_quality_results is the number of quarantined rows that
    list it: a value that could not be parsed is counted invalid, not also missing."""
    for table in BY_NAME:
        listed = Counter(rule for r in bad_run.query(
            f"select rules_broken from quarantine.{table} where run_id = :run")
            for rule in r["rules_broken"].split("; "))
        counted = {r["rule"]: r["unexpected_count"] for r in bad_run.query(
            'select rule, unexpected_count from ops.data_quality_results '
            'where run_id = :run and "table" = :table and not success', table=table)}
        assert counted == dict(listed), table


def test_only_the_case_rows_are_quarantined(bad_run: BadRun) -> None:
    for table in BY_NAME:
        expected = sorted(c.first_row + i for c in CASES if c.table == table
                          for i in range(len(c.rows)))
        found = [r["source_row"] for r in bad_run.query(
            f"select source_row from quarantine.{table} where run_id = :run order by 1")]
        assert found == expected, table


def test_accounting_read_equals_used_plus_quarantined(bad_run: BadRun) -> None:
    [run] = bad_run.query("select * from ops.pipeline_runs where run_id = :run")
    assert run["status"] == "published"
    for table in BY_NAME:
        bad = sum(len(c.rows) for c in CASES if c.table == table)
        counts = (run[f"rows_read_{table}"], run[f"rows_used_{table}"],
                  run[f"rows_quarantined_{table}"])
        assert counts == (len(GOOD[table]) + bad, len(GOOD[table]), bad), table
    assert run["rows_quarantined"] == sum(len(c.rows) for c in CASES)


def test_good_rows_are_used_and_bad_ones_take_no_part(bad_run: BadRun) -> None:
    assert sorted(bad_run.published) == ["G1", "G2"]
    g1 = bad_run.published["G1"]
    # G1's good trades: TG1 (2026-06-30) and TG2 (USD, fee 0); none of the bad ones count.
    assert (g1["trades_12m"], float(g1["revenue_12m_eur"])) == (2, 10.0)
    assert g1["last_trade_date"] == AS_OF
    # Latest snapshot <= D is 2026-03-31: the good EUR holding of 0; the bad ones are out.
    assert float(g1["portfolio_value_eur"]) == 0.0
    assert g1["mifid_basis"] == "opt_up_refused"  # RG1 in force, not the bad requests


# --- the bad-row limit (validation.max_bad_row_share = 0.01) at its boundary -----------------

def trades(good: int, bad: int) -> list[dict[str, Any]]:
    rows = [{"client_id": "G1", "trade_date": "2026-06-01"} for _ in range(good)]
    return rows + [{"client_id": "G1", "trade_date": "2026-06-01", "fee": "-1"}] * bad


def test_exactly_one_percent_bad_rows_publishes(pipeline: PipelineRunner) -> None:
    rows = pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1"}],
                    transactions=trades(99, 1))
    assert rows["G1"]["trades_12m"] == 99
    [quarantined] = pipeline.query("select count(*) as n from quarantine.transactions")
    assert quarantined["n"] == 1


def test_just_over_one_percent_fails_and_publishes_nothing(pipeline: PipelineRunner) -> None:
    pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1"}],
             transactions=trades(99, 1))
    before = published_state(pipeline.url)
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G2"}],
                 transactions=[{**t, "client_id": "G2"} for t in trades(98, 1)])
    path = pipeline.root / "source2" / "transactions.csv"
    message = (f"transactions: 1 of 99 rows (1.01%) broke the source contract, above the 1% "
               f"limit; worst: file {path}, column fee, rule 'fee: must be >= 0' "
               f"(1 row, e.g. -1.0)")
    assert str(failure.value) == message
    assert published_state(pipeline.url) == before
    [run] = pipeline.query("select * from ops.pipeline_runs where run_id = 'test__2'")
    assert (run["status"], run["error"]) == ("failed", message)
    assert (run["rows_read_transactions"], run["rows_quarantined_transactions"]) == (99, 1)
    [result] = pipeline.query("select success, unexpected_count from ops.data_quality_results "
                              "where run_id = 'test__2' and rule = 'fee: must be >= 0'")
    assert result == {"success": False, "unexpected_count": 1}


@pytest.mark.parametrize(("second_bad_date", "publishes"), [
    (str(AS_OF + timedelta(days=1)), True),  # the day after D: out of the run's scope
    (str(AS_OF), False),                     # D itself: in scope, 2 of 101 rows
    ("not-a-date", False),                   # undated: counts
])
def test_bad_rows_dated_after_the_run_do_not_count_against_the_limit(
        pipeline: PipelineRunner, second_bad_date: str, publishes: bool) -> None:
    """1 bad row of 100 in scope is the limit; a second bad row tips it only if in scope. A
    re-run of a past date reads today's source, whose later rows are not its errors."""
    second = {"client_id": "G1", "trade_date": second_bad_date, "fee": "-1"}
    with contextlib.nullcontext() if publishes else pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1"}],
                 transactions=[*trades(99, 1), second])
    if publishes:
        [quarantined] = pipeline.query("select count(*) as n from quarantine.transactions")
        assert quarantined["n"] == 2  # still quarantined: a bad row, whatever its date
    else:
        assert str(failure.value).startswith("transactions: 2 of 101 rows (1.98%) broke")


def test_bad_rows_dated_after_the_run_are_told_apart_in_the_line(
        pipeline: PipelineRunner) -> None:
    """The worst rule's count covers every row read: the line says how many of them are dated
    after the run's date, so that its numbers add up."""
    later = {"client_id": "G1", "trade_date": str(AS_OF + timedelta(days=1)), "fee": "-1"}
    on_d = {"client_id": "G1", "trade_date": str(AS_OF), "fee": "-1"}
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1"}],
                 transactions=[*trades(99, 1), on_d, later])
    path = pipeline.root / "source1" / "transactions.csv"
    assert str(failure.value) == (
        f"transactions: 2 of 101 rows (1.98%) broke the source contract, above the 1% limit "
        f"(1 more bad row dated after the run's date: quarantined, not counted); worst: file "
        f"{path}, column fee, rule 'fee: must be >= 0' (3 rows, e.g. -1.0)")


@pytest.mark.parametrize(("second_onboarding", "publishes"), [
    (str(AS_OF + timedelta(days=1)), True),  # onboarded the day after D: not open on D
    (str(AS_OF), False),                     # onboarded on D: in scope, 2 of 101 rows
    ("not-a-date", False),                   # undated: counts
])
def test_bad_clients_onboarded_after_the_run_do_not_count_against_the_limit(
        pipeline: PipelineRunner, second_onboarding: str, publishes: bool) -> None:
    """Clients are dated by onboarding_date: one onboarded after D is out of D's scope, as a
    trade dated after D is, and its bad row is not an error of D's run (still quarantined)."""
    clients = [{"client_id": f"G{i}"} for i in range(99)] + [
        {"client_id": "BAD1", "country": "xx"},
        {"client_id": "BAD2", "country": "xx", "onboarding_date": second_onboarding}]
    with contextlib.nullcontext() if publishes else pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=clients)
    if publishes:
        [quarantined] = pipeline.query("select count(*) as n from quarantine.clients")
        assert quarantined["n"] == 2
    else:
        assert str(failure.value).startswith("clients: 2 of 101 rows (1.98%) broke")


def test_rows_of_a_quarantined_client_name_the_clients_rule_as_the_cause(
        pipeline: PipelineRunner) -> None:
    """A client's one bad cell quarantines it, and its holdings as of an unknown client: the
    line names the holdings rule and, after it, the clients row that caused it."""
    clients = [{"client_id": f"G{i}"} for i in range(100)] + [
        {"client_id": "BAD", "entity_type": "corporate"}]  # an individual with an entity type
    holdings = [{**H, "client_id": f"G{i}"} for i in range(100)] + [{**H, "client_id": "BAD"}] * 2
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=clients, holdings=holdings)
    source = pipeline.root / "source1"
    assert str(failure.value) == (
        f"holdings: 2 of 102 rows (1.96%) broke the source contract, above the 1% limit; worst: "
        f"file {source / 'holdings.csv'}, column client_id, rule 'client_id: must exist in "
        f"clients' (2 rows, e.g. BAD); clients quarantined 1 row, worst: file "
        f"{source / 'clients.csv'}, column entity_type, rule 'entity_type: required for legal "
        f"entities, null for individuals' (1 row, e.g. corporate)")


def test_trades_without_a_rate_name_the_quarantined_rate_as_the_cause(
        pipeline: PipelineRunner) -> None:
    """The only USD rate is bad (0): the USD trades have no rate; the line names the rate's
    rule after the trades' own (1 bad rate of 101 is within the limit)."""
    rates = [{"rate_date": str(date(2026, 1, 1) + timedelta(days=i)), "currency": "GBP",
              "eur_per_unit": "1.2"} for i in range(100)]
    rates.append({"rate_date": "2026-01-01", "currency": "USD", "eur_per_unit": "0"})
    usd = [{"client_id": "G1", "trade_date": "2026-06-01", "currency": "USD"}] * 2
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1"}], fx_rates=rates,
                 transactions=[*trades(98, 0), *usd])
    source = pipeline.root / "source1"
    assert str(failure.value) == (
        f"transactions: 2 of 100 rows (2.00%) broke the source contract, above the 1% limit; "
        f"worst: file {source / 'transactions.csv'}, column currency, rule 'currency: needs an "
        f"FX rate on or before the row's date' (2 rows, e.g. USD); fx_rates quarantined 1 row, "
        f"worst: file {source / 'fx_rates.csv'}, column eur_per_unit, rule 'eur_per_unit: must "
        f"be > 0' (1 row, e.g. 0.0)")


def test_every_table_above_the_limit_and_every_file_of_the_worst_rule_are_counted(
        pipeline: PipelineRunner) -> None:
    """The line is about the worst table; the others above the limit are named after it, and
    the worst rule's file is followed by how many other files hold rows breaking it."""
    clients = [{"client_id": f"G{i}"} for i in range(99)] + [
        {"client_id": "BAD1", "country": "xx"}, {"client_id": "BAD2", "country": "xx"}]
    source = write_source(pipeline.root / "spread", clients=clients,
                          transactions=trades(98, 1))
    (source / "transactions").mkdir()
    (source / "transactions.csv").rename(source / "transactions" / "2026-06-01.csv")
    write_source(pipeline.root / "day2", transactions=[
        {"transaction_id": f"T2{i}", "client_id": "G1", "trade_date": "2026-06-02", "fee": "-2"}
        for i in range(2)])
    (pipeline.root / "day2" / "transactions.csv").rename(
        source / "transactions" / "2026-06-02.csv")
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), source=source)
    assert str(failure.value) == (
        f"transactions: 3 of 101 rows (2.97%) broke the source contract, above the 1% limit; "
        f"worst: file {source / 'transactions' / '2026-06-02.csv'} (and 1 more), column fee, "
        f"rule 'fee: must be >= 0' (3 rows, e.g. -1.0, -2.0); also above the limit: clients "
        f"(1.98%)")  # the samples distinct and sorted, the same on both engines


def test_bad_value_with_a_line_break_stays_on_one_line(pipeline: PipelineRunner) -> None:
    with pytest.raises(DataQualityError) as failure:
        pipeline(AS_OF, policy=load_policy(), clients=[{"client_id": "G1", "country": "C\nH"}])
    path = pipeline.root / "source1" / "clients.csv"
    assert str(failure.value) == (
        f"clients: 1 of 1 rows (100.00%) broke the source contract, above the 1% limit; "
        f"worst: file {path}, column country, rule 'country: must be an upper-case ISO 3166-1 "
        f"alpha-2 code' (1 row, e.g. C\\nH)")


# --- the accounting check of load ------------------------------------------------------------

def test_load_fails_when_read_is_not_used_plus_quarantined(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", clients=[{"client_id": "G1"}],
                          transactions=trades(2, 1))
    run = RunContext("accounting", AS_OF, str(source), f"duckdb:///{tmp_path / 'wh.duckdb'}")
    policy = lenient_policy()
    validated = step_validate(run, policy, step_extract(run, policy))
    assert validated["rows_quarantined"]["transactions"] == 1
    lost_one = {**validated, "rows_read": {**validated["rows_read"], "transactions": 4}}
    with pytest.raises(PipelineError) as failure:
        run_step(step_load, run, policy, lost_one)
    message = ("transactions: accounting mismatch, rows read 4 != used 2 + quarantined 1 "
               "(rule: every source row is used or quarantined)")
    assert str(failure.value) == message
    row = Warehouse(run.warehouse_url).scalar(
        "select status || ' | ' || error from ops.pipeline_runs where run_id = 'accounting'")
    assert row == f"failed | {message}"


def test_load_fails_when_a_rejected_row_is_missing_from_quarantine(tmp_path: Path) -> None:
    source = write_source(tmp_path / "source", clients=[{"client_id": "G1"}],
                          transactions=trades(2, 1))
    run = RunContext("accounting", AS_OF, str(source), f"duckdb:///{tmp_path / 'wh.duckdb'}")
    policy = lenient_policy()
    validated = step_validate(run, policy, step_extract(run, policy))
    wh = Warehouse(run.warehouse_url)
    with wh.begin() as conn:
        conn.exec_driver_sql("delete from quarantine.transactions")
    with pytest.raises(PipelineError) as failure:
        load(run, wh, validated["rows_read"], validated["rows_quarantined"])
    assert str(failure.value) == ("transactions: accounting mismatch, quarantined 1 but "
                                  "quarantine.transactions holds 0 rows of run accounting")
