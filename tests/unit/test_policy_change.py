"""A threshold changed in a copy of include/policy.yaml changes the categories, with no code change,
and ops.pipeline_runs records which policy (version and SHA-256 of the file) each run used."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from conftest import PipelineRunner

from clientseg.paths import POLICY_FILE
from clientseg.policy import load_policy

D = date(2026, 6, 30)
SOURCE: dict[str, list[dict[str, Any]]] = {
    "clients": [
        # MiFID large undertaking under the default policy (balance sheet and own funds met)
        {"client_id": "CORP", "client_type": "legal_entity", "entity_type": "corporate",
         "balance_sheet_total": "31200000", "own_funds": "4100000", "financials_currency": "EUR"},
        # FinSA opting out with CHF 1,400,298.73 of investable assets (EUR 1,500,000 at 1.0712)
        {"client_id": "PERSON"},
    ],
    "holdings": [{"client_id": "PERSON", "market_value": "1500000"}],
    "categorisation_requests": [{"client_id": "PERSON", "regime": "finsa",
                                 "requested_category": "professional",
                                 "received_date": "2026-03-01"}],
    "fx_rates": [{"rate_date": "2026-01-01", "currency": "CHF", "eur_per_unit": "1.0712"}],
}
VERSION = load_policy().version
CHANGES = {
    f'version: "{VERSION}"': f'version: "{VERSION}-test"',
    "    balance_sheet_total: 20000000\n    net_turnover: 40000000\n    own_funds: 2000000\n"
    "  large_undertaking_min_met": "    balance_sheet_total: 40000000\n    net_turnover: 40000000\n"
    "    own_funds: 2000000\n  large_undertaking_min_met",
    "assets: 2000000 ": "assets: 1000000 ",
}


def modified_policy(tmp_path: Path) -> Path:
    """A copy of the policy file with the MiFID balance sheet and FinSA opting-out thresholds
    changed, edited as text the way an operator would."""
    text = POLICY_FILE.read_text(encoding="utf-8")
    for old, new in CHANGES.items():
        assert text.count(old) == 1, f"policy file no longer has exactly one {old!r}"
        text = text.replace(old, new)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_changed_thresholds_change_categories_and_are_recorded(tmp_path: Path) -> None:
    runner = PipelineRunner(tmp_path)
    default = runner(D, **SOURCE)
    copy = modified_policy(tmp_path)
    changed = runner(D, policy=load_policy(copy), **SOURCE)  # a re-run of D

    assert (default["CORP"]["mifid_category"], default["CORP"]["mifid_basis"]) == (
        "professional", "per_se_professional")
    assert (changed["CORP"]["mifid_category"], changed["CORP"]["mifid_basis"]) == (
        "retail", "default")
    assert "balance_sheet_total 31,200,000 < 40,000,000" in changed["CORP"]["mifid_reasons"]
    assert (default["PERSON"]["finsa_category"], default["PERSON"]["finsa_basis"]) == (
        "retail", "opting_out_refused")
    assert (changed["PERSON"]["finsa_category"], changed["PERSON"]["finsa_basis"]) == (
        "professional", "opting_out")
    assert "investable assets CHF 1,400,298.73 >= 1,000,000" in changed["PERSON"]["finsa_reasons"]

    runs = runner.query("select run_id, status, policy_version, policy_sha256 "
                        "from ops.pipeline_runs order by started_at")
    assert [(r["status"], r["policy_version"], r["policy_sha256"]) for r in runs] == [
        ("published", VERSION, hashlib.sha256(POLICY_FILE.read_bytes()).hexdigest()),
        ("published", f"{VERSION}-test", hashlib.sha256(copy.read_bytes()).hexdigest()),
    ]
    # which run, hence which policy, published what the mart shows for D
    published = runner.query("select distinct run_id from mart.client_segments_history")
    assert [r["run_id"] for r in published] == [runs[1]["run_id"]]
