from datetime import date


def test_pipeline_publishes_one_row_per_open_client(pipeline):
    rows = pipeline(date(2026, 6, 30), clients=[{"client_id": "C1"}, {"client_id": "C2"}])
    assert sorted(rows) == ["C1", "C2"]
