"""The report's figures read from a PostgreSQL warehouse equal those read from DuckDB, for the
same source published by both."""

from __future__ import annotations

import pytest
from pgdb import Published

from clientseg.report import write_report
from clientseg.report.queries import load_report_data
from clientseg.warehouse import Warehouse

pytestmark = pytest.mark.postgres


def test_report_figures_are_the_same_on_both_warehouses(published: Published):
    pg = load_report_data(Warehouse(published.pg_url), published.as_of)
    duck = load_report_data(Warehouse(published.duckdb_url), published.as_of)
    assert pg.run.run_id == duck.run.run_id == published.run_id
    assert [round(v, 9) for p in pg.pareto for v in p] == \
        [round(v, 9) for p in duck.pareto for v in p]
    assert pg.pareto[-1] == pytest.approx((100.0, 100.0))
    assert pg.counts == duck.counts
    assert pg.rfm == duck.rfm and pg.no_activity == duck.no_activity
    assert pg.migrations == duck.migrations
    assert pg.clients > 0 and sum(pg.rfm.values()) + pg.no_activity == pg.clients


def test_report_from_postgres_is_written_to_the_out_dir(published: Published, tmp_path):
    path = write_report(published.pg_url, published.as_of, tmp_path, data_docs=False)
    html = path.read_text()
    assert path == tmp_path / "index.html"
    assert f"Client segmentation, as of {published.as_of}" in html
    assert html.count("<svg") >= 5
