"""Output checks before publish: the GX suite expectations/output/client_segments.json on the
computed rows. A failure stops the publish with a one-line reason; the mart stays as it was.

Each test corrupts the transform's output model of a prepared warehouse (as a faulty SQL model
would), then runs the publish task.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from marts import D1, D2, WarehouseTemplate, prepare_template, published_state, table_rows
from sources import write_source

from clientseg import vocab
from clientseg.errors import OutputCheckError
from clientseg.expectations import suite_json
from clientseg.output_checks import OUTPUT_TABLE, SUITE
from clientseg.policy import load_policy
from clientseg.steps import run_step, step_publish
from clientseg.transform import OUTPUT_MODEL
from clientseg.warehouse import Warehouse

REASON = "output check failed, nothing published: "


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> WarehouseTemplate:
    root = tmp_path_factory.mktemp("output_checks")
    source = write_source(root / "source", clients=[
        {"client_id": "C1", "birth_date": "1980-05-01"},
        {"client_id": "C2", "client_type": "legal_entity", "entity_type": "corporate"},
        {"client_id": "C3"},
    ], transactions=[
        {"client_id": "C1", "trade_date": "2026-01-15", "fee": "100"},
        {"client_id": "C2", "trade_date": "2026-02-15", "fee": "50"},
    ])
    return prepare_template(root / "checks.duckdb", source, [D1], [D2], load_policy())


def publish_corrupted(template: WarehouseTemplate, tmp_path, *statements: str) -> str:
    """Corrupt the model with `statements` ({model} is its name), run publish; the url."""
    url, runs = template.copy(tmp_path / "warehouse.duckdb")
    model = runs[D2].table("model", OUTPUT_MODEL)
    with Warehouse(url).begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement.format(model=model)))
    run_step(step_publish, runs[D2], load_policy(), template.inputs[D2])
    return url


CORRUPTIONS = [
    pytest.param(["update {model} set mifid_category = 'bogus' where client_id = 'C1'"],
                 "mifid_category: must be one of retail, professional, eligible_counterparty "
                 "(1 of 3 rows, e.g. bogus)", id="mifid-category-outside-its-set"),
    pytest.param(["update {model} set finsa_category = null where client_id = 'C2'"],
                 "finsa_category: must not be null (1 of 3 rows", id="finsa-category-null"),
    pytest.param(["update {model} set mifid_basis = 'gut_feeling'"],
                 "mifid_basis: must be one of", id="mifid-basis-outside-its-set"),
    pytest.param(["update {model} set finsa_reasons = '  ' where client_id = 'C3'"],
                 "finsa_reasons: must not be empty (1 of 3 rows", id="blank-reasons"),
    pytest.param(["update {model} set mifid_reasons = null where client_id = 'C3'"],
                 "mifid_reasons: must not be empty (1 of 3 rows", id="null-reasons"),
    pytest.param(["update {model} set r_score = 6 where client_id = 'C1'"],
                 "r_score: must be between 1 and 5 (1 of 3 rows, e.g. 6", id="score-above-5"),
    pytest.param(["update {model} set m_score = 0 where client_id = 'C1'"],
                 "m_score: must be between 1 and 5 (1 of 3 rows, e.g. 0", id="score-below-1"),
    pytest.param(["update {model} set abc_class = 'D' where client_id = 'C1'"],
                 "abc_class: must be one of A, B, C (1 of 3 rows, e.g. D)", id="abc-class-D"),
    pytest.param(["update {model} set service_level = 4 where client_id = 'C1'"],
                 "service_level: must be one of 1, 2, 3 (1 of 3 rows, e.g. 4)",
                 id="service-level-4"),
    pytest.param(["update {model} set wealth_tier = 'rich' where client_id = 'C1'"],
                 "wealth_tier: must be one of", id="wealth-tier-outside-its-set"),
    pytest.param(["insert into {model} select * from {model} where client_id = 'C1'"],
                 "one row per open client: client_id appears more than once (2 of 4 rows, "
                 "e.g. C1)", id="duplicate-row"),
    pytest.param(["delete from {model} where client_id = 'C2'"],
                 "one row per open client: an open client has no computed row (1 of 3 rows, "
                 "e.g. C2)", id="missing-client"),
    pytest.param(["update {model} set client_id = 'C9' where client_id = 'C3'"],
                 "one row per open client: an open client has no computed row (1 of 4 rows, "
                 "e.g. C3); also: client_id: must not be null; one row per open client: the "
                 "client is not open on the as-of date; and ", id="client-not-open"),
    pytest.param(["update {model} set as_of_date = date '2026-03-31' where client_id = 'C1'"],
                 "as_of_date: must be the run's as-of date (1 of 3 rows, e.g. 2026-03-31)",
                 id="other-as-of-date"),
]


@pytest.mark.parametrize(("corruption", "reason"), CORRUPTIONS)
def test_a_failed_output_check_stops_the_publish(template, tmp_path, corruption, reason):
    url, _ = template.copy(tmp_path / "before.duckdb")
    before = published_state(url)

    with pytest.raises(OutputCheckError) as failed:
        publish_corrupted(template, tmp_path, *corruption)

    assert str(failed.value).startswith(REASON + reason)
    assert "\n" not in str(failed.value)
    after_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    assert published_state(after_url) == before
    status, error = table_rows(after_url, "(select status, error from ops.pipeline_runs "
                                          "where run_id = 'checks__2026-04-30') as r")[0]
    assert (status, error) == ("failed", str(failed.value))
    failures = table_rows(after_url, f"(select rule from ops.data_quality_results where "
                                     f"\"table\" = '{OUTPUT_TABLE}' and not success) as r")
    assert any(rule.startswith(reason.split(" (")[0]) for (rule,) in failures)


def test_edge_values_pass_and_publish(template, tmp_path):
    """Scores 1 and 5, no scores (no trade), no wealth tier (legal entity), no age band pass."""
    url = publish_corrupted(
        template, tmp_path,
        "update {model} set r_score = 1, f_score = 5, m_score = 5 where client_id = 'C1'",
        "update {model} set r_score = null, f_score = null, m_score = null, age_band = null "
        "where client_id = 'C3'",
    )
    latest = table_rows(url, "(select client_id, r_score, f_score, m_score, wealth_tier, "
                             "age_band from mart.client_segments) as r")
    assert [row for row in latest if row[0] != "C2"] == [
        ("C1", 1, 5, 5, "mass_market", "45-54"), ("C3", None, None, None, "mass_market", None)]
    assert [row[4] for row in latest if row[0] == "C2"] == [None]
    results = table_rows(url, f"(select success from ops.data_quality_results "
                              f"where \"table\" = '{OUTPUT_TABLE}') as r")
    assert results and set(results) == {(True,)}


@pytest.mark.parametrize(("column", "values"), [
    ("mifid_category", vocab.MIFID_CATEGORIES), ("mifid_basis", vocab.MIFID_BASES),
    ("finsa_category", vocab.FINSA_CATEGORIES), ("finsa_basis", vocab.FINSA_BASES),
    ("abc_class", vocab.ABC_CLASSES), ("rfm_segment", vocab.RFM_SEGMENTS),
    ("wealth_tier", vocab.WEALTH_TIERS), ("revenue_trend", vocab.REVENUE_TRENDS),
    ("gap_segment", vocab.GAP_SEGMENTS), ("service_level", vocab.SERVICE_LEVELS),
    ("age_band", vocab.AGE_BANDS),
])
def test_suite_value_sets_are_the_vocabularies(column, values):
    """The suite is JSON (GX's format); its sets must not drift from vocab.py."""
    sets = [e["kwargs"]["value_set"] for e in suite_json(SUITE)["expectations"]
            if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"] == column]
    assert sets == [list(values)], json.dumps(sets)
