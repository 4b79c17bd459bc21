from datetime import date


def test_pipeline_publishes_one_row_per_open_client(pipeline):
    rows = pipeline(date(2026, 6, 30), clients=[{"client_id": "C1"}, {"client_id": "C2"}])
    assert sorted(rows) == ["C1", "C2"]


def test_a_client_closed_before_its_onboarding_is_never_open_and_not_an_error(pipeline):
    """README: not a broken rule; never open, so never published (nor quarantined)."""
    rows = pipeline(date(2026, 6, 30), clients=[
        {"client_id": "C1"},
        {"client_id": "C2", "onboarding_date": "2020-01-01", "closed_date": "2019-12-31"}])
    assert sorted(rows) == ["C1"]
    assert pipeline.query("select count(*) as n from quarantine.clients") == [{"n": 0}]
