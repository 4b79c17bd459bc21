"""An upgraded warehouse (a column added last) still publishes each value in its own column."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from conftest import PipelineRunner

from clientseg.schema import ensure_schema
from clientseg.warehouse import Warehouse


def test_publish_after_an_upgrade_that_moved_a_column_last(pipeline: PipelineRunner) -> None:
    wh = Warehouse(pipeline.url)
    ensure_schema(wh)
    with wh.begin() as conn:
        for table in ("mart.client_segments_history", "mart.client_segments"):
            conn.execute(sa.text(f"alter table {table} drop column age_band"))
    ensure_schema(wh)  # age_band comes back, now after run_id
    rows = pipeline(date(2026, 6, 30), clients=[
        {"client_id": "C1", "birth_date": "1990-06-30", "country": "DE"}])
    assert (rows["C1"]["age_band"], rows["C1"]["country"]) == ("35-44", "DE")
    latest = pipeline.query("select age_band, run_id from mart.client_segments")
    assert latest == [{"age_band": "35-44", "run_id": "test__1"}]
