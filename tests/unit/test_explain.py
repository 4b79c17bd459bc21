"""`explain`: a client's published categories as text, or a one-line error."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner

from clientseg.errors import PipelineError
from clientseg.explain import explain
from clientseg.policy import load_policy

FIRST, LATEST = date(2026, 5, 31), date(2026, 6, 30)
CLIENTS = [
    {"client_id": "CORP", "client_type": "legal_entity", "entity_type": "corporate",
     "balance_sheet_total": "31200000", "own_funds": "4100000", "financials_currency": "EUR"},
    {"client_id": "BANK", "client_type": "legal_entity", "entity_type": "credit_institution"},
    # onboarded after the first run: only in the latest one
    {"client_id": "NEW", "onboarding_date": "2026-06-15"},
    {"client_id": "FRAC"},
    # delivered twice: quarantined, never published
    {"client_id": "DUP"}, {"client_id": "DUP", "country": "DE"},
]
REQUESTS = [{"client_id": "BANK", "requested_category": "professional",
             "received_date": "2026-06-01"}]
TRADES = [{"client_id": "CORP", "trade_date": "2026-05-01", "notional": "75000", "fee": "123.45"},
          {"client_id": "FRAC", "trade_date": "2026-05-01", "fee": "0.129"}]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> str:
    runner = PipelineRunner(tmp_path_factory.mktemp("explain"))
    tables: dict[str, Any] = {"clients": CLIENTS, "categorisation_requests": REQUESTS,
                              "transactions": TRADES}
    runner(FIRST, **tables)
    runner(LATEST, **tables)
    return runner.url


@pytest.mark.parametrize(("client_id", "as_of", "expected"), [
    pytest.param("CORP", None, [
        "Client CORP as of 2026-06-30", "legal_entity, entity_type corporate",
        "MiFID II: professional (basis per_se_professional), review required: no",
        "  - per_se_professional: large undertaking, 2/3 met: balance_sheet_total 31,200,000 >= "
        "20,000,000; own_funds 4,100,000 >= 2,000,000 (amounts in EUR)",
        "FinSA: retail (basis default)",
        "revenue_12m_eur         123.45", "significant_trades_12m  1",
        "last_trade_date         2026-05-01",
    ], id="latest_date_by_default"),
    pytest.param("CORP", FIRST, ["Client CORP as of 2026-05-31"], id="given_date"),
    pytest.param("BANK", LATEST, [
        "MiFID II: professional (basis opt_down), review required: no",
        "  - opt_down: request R000000 (received 2026-06-01) to be treated as professional "
        "applied, instead of the base category eligible_counterparty",
        "  - Base: per_se_ecp: entity_type credit_institution is an eligible counterparty per se",
        "FinSA: institutional (basis per_se_institutional)",
    ], id="request_applied"),
    pytest.param("BANK", LATEST, [
        "Category changes up to 2026-06-30 (mart.client_category_changes):\n"
        "  2026-05-31  MiFID II: eligible_counterparty (first categorisation)\n"
        "  2026-05-31  FinSA: institutional (first categorisation)\n"
        "  2026-06-30  MiFID II: eligible_counterparty -> professional (previous as-of date "
        "2026-05-31)\n",
    ], id="category_changes"),
    pytest.param("BANK", FIRST, [
        "MiFID II: eligible_counterparty (basis per_se_ecp)",
        "  2026-05-31  FinSA: institutional (first categorisation)\n\nPolicy:",
    ], id="before_the_request"),
    pytest.param("NEW", None, ["Client NEW as of 2026-06-30", "rfm_segment no_activity"],
                 id="individual_latest"),
    # amounts truncated to the cent, as in the reasons: 0.129 is 0.12, not 0.13
    pytest.param("FRAC", None, ["revenue_12m_eur         0.12\n"], id="amount_truncated"),
])
def test_explain_text(warehouse: str, client_id: str, as_of: date | None,
                      expected: list[str]) -> None:
    text = explain(warehouse, client_id, as_of)
    for part in expected:
        assert part in text


def test_explain_names_the_policy_of_the_run(warehouse: str) -> None:
    policy = load_policy()
    assert explain(warehouse, "CORP").endswith(
        f"Policy: version {policy.version}, include/policy.yaml sha256 {policy.sha256}")


@pytest.mark.parametrize(("client_id", "as_of", "message"), [
    pytest.param("NOBODY", None, "client NOBODY is not in mart.client_segments_history",
                 id="unknown_client"),
    pytest.param("NEW", FIRST, "client NEW has no row for 2026-05-31 in "
                 "mart.client_segments_history (1 as-of dates from 2026-06-30 to 2026-06-30)",
                 id="date_not_published_for_client"),
    pytest.param("CORP", date(2020, 1, 1), "client CORP has no row for 2020-01-01",
                 id="date_never_run"),
    pytest.param("DUP", None, "client DUP is not in mart.client_segments_history; "
                 "quarantine.clients holds its row (run test__2, as of 2026-06-30: client_id: "
                 "must be unique)", id="quarantined_client_latest"),
    pytest.param("DUP", FIRST, "quarantine.clients holds its row (run test__1, as of "
                 "2026-05-31: client_id: must be unique)", id="quarantined_client_on_a_date"),
])
def test_explain_missing_row(warehouse: str, client_id: str, as_of: date | None,
                             message: str) -> None:
    with pytest.raises(PipelineError) as raised:
        explain(warehouse, client_id, as_of)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_explain_missing_warehouse_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing.duckdb"
    with pytest.raises(PipelineError, match="warehouse file not found"):
        explain(f"duckdb:///{path}", "CORP")
    assert not path.exists()


def test_explain_warehouse_without_results(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(PipelineError, match="no run has published there yet"):
        explain(f"duckdb:///{path}", "CORP")


def test_explain_into_a_closed_pipe_ends_quietly(warehouse: str) -> None:
    """`clientseg explain CORP | head -1`: the reader has gone before the text is written; the
    command exits 0 with nothing on stderr (no BrokenPipeError trace)."""
    import subprocess
    import sys

    clientseg = Path(sys.executable).with_name("clientseg")
    reader = subprocess.Popen([clientseg, "explain", "CORP", "--warehouse", warehouse],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()  # long before the child has imported its modules and written
    _, err = reader.communicate(timeout=120)
    assert (reader.returncode, err.decode()) == (0, "")
