"""Re-runs and backfills: a date's result depends on the date and the source, never on when or in
which order the dates ran; mart.client_category_changes always matches the history."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from marts import (
    D1,
    D2,
    D3,
    MART_TABLES,
    changes_from_history,
    changes_table,
    changing_source,
    last_published,
    last_published_from_history,
    rows_by_client,
    table_rows,
)
from sources import write_source

from clientseg.policy import load_policy
from clientseg.publish import LAST_PUBLISHED, is_nightly, publish
from clientseg.runs import RunContext
from clientseg.steps import run_pipeline
from clientseg.transform import OUTPUT_MODEL
from clientseg.warehouse import Warehouse

# The late arrival: a big trade of C2 dated D1, delivered after D1 (and D2, D3) had run.
LATE_TRADE = {"client_id": "C2", "trade_date": "2026-03-20", "fee": "5000",
              "transaction_id": "LATE1"}


def day(text: str) -> date:
    return date.fromisoformat(text)


def copy_of(warehouse_url: str, target: Path) -> str:
    """A copy of a DuckDB warehouse at `target`; its URL."""
    shutil.copy(warehouse_url.removeprefix("duckdb:///"), target)
    return f"duckdb:///{target}"


def run_dates(warehouse: Path, source: Path, days: Iterable[str], tag: str = "run",
              start_from: str | None = None) -> str:
    """One nightly run per date, in the order given (on a copy of the warehouse `start_from`);
    the warehouse URL."""
    url = copy_of(start_from, warehouse) if start_from else f"duckdb:///{warehouse}"
    for i, day in enumerate(days):
        run_pipeline(RunContext(f"{tag}{i}__{day}", date.fromisoformat(day), str(source), url),
                     load_policy())
    return url


def mart(url: str) -> dict[str, list[tuple]]:
    """The three mart tables without run_id (the only column that names the run)."""
    return {table: table_rows(url, table, drop=("run_id",)) for table in MART_TABLES}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_source(tmp_path_factory.mktemp("reruns") / "source", **changing_source())


@pytest.fixture(scope="module")
def nightly(tmp_path_factory: pytest.TempPathFactory, source: Path) -> str:
    """D1, D2, D3 run night after night: the reference history."""
    return run_dates(tmp_path_factory.mktemp("nightly") / "w.duckdb", source, [D1, D2, D3])


def test_nightly_history_has_every_date_and_consistent_changes(nightly):
    counts = {day: len(rows_by_client(nightly, "mart.client_segments_history", day))
              for day in (D1, D2, D3)}
    assert counts == {D1: 5, D2: 6, D3: 5}
    assert {r[0] for r in table_rows(nightly, "mart.client_segments")} == {day(D3)}
    changes = changes_table(nightly)
    assert changes == changes_from_history(nightly)
    by_key = {(c[0], c[2], c[3]): (c[1], c[4], c[5]) for c in changes}
    assert by_key[(day(D3), "C1", "wealth_tier")] == (day(D2), "mass_affluent", "hnw")
    assert by_key[(day(D2), "C4", "abc_class")] == (day(D1), "A", "C")
    assert by_key[(day(D2), "C5", "mifid_category")] == (None, None, "retail")
    assert not [c for c in changes if c[2] == "C6" and c[0] == day(D3)]  # closed: just gone


def test_rerun_of_a_past_date_replaces_its_rows_with_identical_values(tmp_path, source,
                                                                      nightly):
    url = run_dates(tmp_path / "w.duckdb", source, [D2, D1], tag="again", start_from=nightly)

    assert mart(url) == mart(nightly)
    run_ids = table_rows(url, "(select distinct as_of_date, run_id "
                              "from mart.client_segments_history) as r")
    assert [r[1] for r in run_ids] == [f"again1__{D1}", f"again0__{D2}", f"run2__{D3}"]


def test_backfill_in_reverse_order_gives_the_nightly_history(tmp_path, source, nightly):
    url = run_dates(tmp_path / "w.duckdb", source, [D3, D2, D1])

    assert mart(url) == mart(nightly)
    assert changes_table(url) == changes_from_history(url)
    assert last_published(url) == last_published_from_history(url)


def test_nightly_publish_compares_with_each_clients_kept_latest_row(tmp_path, nightly):
    """D2 and D3 of the nightly history took the nightly path (its changes match the history,
    above); the kept rows stay in step with the history, and any other publish rebuilds them."""
    assert last_published(nightly) == last_published_from_history(nightly)
    assert len(last_published(nightly)) == 6  # C6, closed before D3, keeps its D2 row
    url = copy_of(nightly, tmp_path / "w.duckdb")

    def nightly_path(as_of: str) -> bool:
        with Warehouse(url).begin() as conn:
            return is_nightly(conn, RunContext("probe", day(as_of), "", url))

    assert nightly_path("2026-06-30")
    assert not nightly_path(D3)  # a re-run of the latest date
    assert not nightly_path(D1)  # a backfill
    with Warehouse(url).begin() as conn:  # a warehouse from before the kept rows
        conn.execute(sa.text(f"delete from {LAST_PUBLISHED}"))
    assert not nightly_path("2026-06-30")


def test_late_transaction_is_picked_up_when_its_date_is_rerun(tmp_path, nightly):
    url = copy_of(nightly, tmp_path / "w.duckdb")
    tables = changing_source()
    tables["transactions"].append(LATE_TRADE)
    late_source = write_source(tmp_path / "late_source", **tables)
    before = rows_by_client(url, "mart.client_segments_history", D1)["C2"]
    assert ("C2", "abc_class") in {(c[2], c[3]) for c in changes_table(url) if c[0] == day(D2)}

    run_dates(tmp_path / "w.duckdb", late_source, [D1], tag="rerun")

    after = rows_by_client(url, "mart.client_segments_history", D1)["C2"]
    assert (before["revenue_12m_eur"], after["revenue_12m_eur"]) == (Decimal(0), Decimal(5000))
    assert (before["abc_class"], after["abc_class"]) == ("C", "A")
    assert changes_table(url) == changes_from_history(url)
    assert last_published(url) == last_published_from_history(url)
    # D2 (computed before the trade arrived, C2 already A) is now compared with D1's new
    # values: C2's move to A is listed on D1, no longer on D2.
    d2_changes = {(c[2], c[3]) for c in changes_table(url) if c[0] == day(D2)}
    assert ("C2", "abc_class") not in d2_changes

    run_dates(tmp_path / "w.duckdb", late_source, [D2, D3], tag="rerun-rest")
    always_there = run_dates(tmp_path / "fresh.duckdb", late_source, [D1, D2, D3])
    assert mart(url) == mart(always_there)


def test_a_client_back_after_a_night_away_is_compared_with_its_last_row(tmp_path, nightly):
    """C6, last published on D2 (closed before D3), published again on a later night: the
    nightly path compares it with its D2 row, as the whole history does."""
    url = copy_of(nightly, tmp_path / "w.duckdb")
    run = RunContext("back__2026-06-30", day("2026-06-30"), "", url)
    segments = run.table("model", OUTPUT_MODEL)
    with Warehouse(url).begin() as conn:  # the run's rows: D3's, and C6's of D2, changed
        conn.execute(sa.text(
            f"create table {segments} as select * from mart.client_segments_history "
            "where as_of_date = :d3 or (client_id = 'C6' and as_of_date = :d2)"),
            {"d3": day(D3), "d2": day(D2)})
        conn.execute(sa.text(f"update {segments} set as_of_date = :d, run_id = :r"),
                     {"d": run.as_of, "r": run.run_id})
        conn.execute(sa.text(f"update {segments} set abc_class = case abc_class when 'A' "
                             "then 'B' else 'A' end where client_id = 'C6'"))

    publish(run, Warehouse(url), {})

    assert changes_table(url) == changes_from_history(url)
    back = [c for c in changes_table(url) if c[0] == run.as_of and c[2] == "C6"]
    assert [(c[1], c[3]) for c in back] == [(day(D2), "abc_class")]
    assert last_published(url) == last_published_from_history(url)


def test_a_publish_drops_the_staging_tables_of_the_failed_runs_of_its_date(pipeline) -> None:
    """A failed run keeps its staging tables (its tasks may be cleared and resumed) until a run
    of the same date publishes; then they go. Its quarantine rows and ops row stay."""
    from clientseg.errors import DataQualityError
    from clientseg.runs import run_key

    def leftovers(run_id: str) -> list[dict]:
        return pipeline.query("select table_name from information_schema.tables where "
                              "table_schema = 'staging' and table_name like :k",
                              k=f"%__{run_key(run_id)}")

    bad = [{"client_id": "K1", "country": "ch"}]
    day, other_day = date(2026, 6, 30), date(2026, 5, 31)
    with pytest.raises(DataQualityError):
        pipeline(other_day, load_policy(), clients=bad)  # test__1: another date, stays
    with pytest.raises(DataQualityError):
        pipeline(day, load_policy(), clients=bad)  # test__2
    assert leftovers("test__1") and leftovers("test__2")
    pipeline(day, clients=[{"client_id": "K1"}])  # test__3 publishes day
    assert leftovers("test__1") and not leftovers("test__2") and not leftovers("test__3")
    runs = pipeline.query("select run_id, status from ops.pipeline_runs order by run_id")
    assert [tuple(r.values()) for r in runs] == [
        ("test__1", "failed"), ("test__2", "failed"), ("test__3", "published")]
    assert pipeline.query("select count(*) as n from quarantine.clients") == [{"n": 2}]
