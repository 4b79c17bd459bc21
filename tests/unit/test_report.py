"""The run report (`clientseg report`): its figures equal the mart's, it is self-contained, and
the GX Data Docs beside it hold every run's validations."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner, lenient_policy

from clientseg.cli import main
from clientseg.errors import PipelineError
from clientseg.report import write_report
from clientseg.report.queries import load_report_data
from clientseg.report_text import REPORTS_ENV
from clientseg.runs import RunContext
from clientseg.steps import run_step, step_report
from clientseg.warehouse import Warehouse

FIRST, LATEST = date(2026, 5, 31), date(2026, 6, 30)
BAD_CLIENT = "<img src=x>"
# Revenue 70, 20, 6, 4 and 0 (T = 100): A, A (S = 70 < 80), B (S = 90 < 95), C (S = 96), C.
CLIENTS = [
    {"client_id": "R70"}, {"client_id": "R20"}, {"client_id": "R06"}, {"client_id": "R04"},
    {"client_id": "BANK", "client_type": "legal_entity", "entity_type": "credit_institution"},
    {"client_id": "NEW", "onboarding_date": "2026-06-15"},  # open on LATEST only
    {"client_id": "GONE", "closed_date": "2026-06-10"},  # open on FIRST only
]
TRADES = [
    {"client_id": "R70", "trade_date": "2026-05-02", "fee": "70"},
    {"client_id": "R20", "trade_date": "2026-05-03", "fee": "15"},
    {"client_id": "R20", "trade_date": "2026-05-04", "fee": "5"},
    {"client_id": "R06", "trade_date": "2026-05-05", "fee": "6"},
    {"client_id": "R04", "trade_date": "2026-05-06", "fee": "4"},
    {"client_id": BAD_CLIENT, "trade_date": "2026-05-06"},  # quarantined: unknown client
]
# BANK (per se ECP) opts down to professional between the two dates.
REQUESTS = [{"client_id": "BANK", "requested_category": "professional",
             "received_date": "2026-06-05"}]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs (FIRST, LATEST) in one DuckDB file; the LATEST report in its default place."""
    root = tmp_path_factory.mktemp("report")
    runner = PipelineRunner(root)
    tables = {"clients": CLIENTS, "transactions": TRADES, "categorisation_requests": REQUESTS}
    runner(FIRST, **tables)
    write_report(runner.url, FIRST, root / "first")  # Data Docs of the first run
    runner(LATEST, **tables)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(REPORTS_ENV, raising=False)
        path = write_report(runner.url)  # as-of: the latest published date
    return {"runner": runner, "root": root, "path": path, "html": path.read_text()}


def svg(html: str, title: str) -> str:
    """The chart whose <title> starts with `title`."""
    match = re.search(r"<svg[^>]*><title>" + re.escape(title) + r".*?</svg>", html, re.S)
    assert match, f"no chart titled {title!r}"
    return match.group(0)


def cells(chart: str) -> dict[tuple[str, str], int]:
    """A heat grid's cells: (row, column) -> clients, from each cell's tooltip."""
    found = re.findall(r"<title>([^<]*) / ([^<]*): (\d+) clients</title>", chart)
    return {(unescape(r), unescape(c)): int(n) for r, c, n in found}


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_report_is_written_next_to_the_warehouse_for_the_latest_date(run):
    assert run["path"] == run["root"] / "reports" / "2026-06-30" / "index.html"
    assert "Client segmentation, as of 2026-06-30" in run["html"]


def test_report_is_self_contained(run):
    html = run["html"]
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", html)
    for href in re.findall(r"href='([^']*)'", html):
        if not href.startswith("#"):
            from urllib.parse import unquote

            assert (run["path"].parent / unquote(href)).resolve().is_file(), href


def test_abc_counts_equal_the_mart(run):
    mart = {r["abc_class"]: r["n"] for r in run["runner"].query(
        "select abc_class, count(*) as n from mart.client_segments_history "
        "where as_of_date = :d group by 1", d=LATEST)}
    # NEW has no revenue: C; BANK none either: C.
    assert mart == {"A": 2, "B": 1, "C": 3}
    table = re.search(r"<th>ABC class</th>.*?</table>", run["html"], re.S).group(0)
    shown = dict(re.findall(r"<tr><td>([ABC])</td><td class=n>(\d+)</td>", table))
    assert {k: int(v) for k, v in shown.items()} == mart


def test_rfm_grid_cells_equal_the_mart(run):
    mart = {(str(r["r_score"]), str(r["f_score"])): r["n"] for r in run["runner"].query(
        "select r_score, f_score, count(*) as n from mart.client_segments_history "
        "where as_of_date = :d and r_score is not null group by 1, 2", d=LATEST)}
    grid = cells(svg(run["html"], "RFM grid"))
    assert len(grid) == 25
    assert {k: v for k, v in grid.items() if v} == mart
    assert sum(grid.values()) == 4  # the four clients with a trade


def test_pareto_curve_points_are_the_cumulative_revenue_shares(run):
    data = load_report_data(Warehouse(run["runner"].url), LATEST)
    # 6 open clients ranked 70, 20, 6, 4, 0, 0 (ties by client_id).
    expected = [(0, 0), (100 / 6, 70), (200 / 6, 90), (50, 96), (400 / 6, 100), (500 / 6, 100),
                (100, 100)]
    assert [v for point in data.pareto for v in point] == pytest.approx(
        [v for point in expected for v in point])
    assert data.total_revenue_eur == pytest.approx(100)
    chart = svg(run["html"], "Pareto curve of 12-month revenue")
    assert "A/B cut 80%" in chart and "B/C cut 95%" in chart
    assert "Share of clients, ranked by 12-month revenue (%)" in chart
    assert "Cumulative share of revenue, EUR (%)" in chart


def test_migration_matrix_compares_with_the_previous_as_of_date(run):
    mifid = cells(svg(run["html"], "MiFID II category: 2026-05-31 to 2026-06-30"))
    assert {k: v for k, v in mifid.items() if v} == {
        ("retail", "retail"): 4,
        ("eligible_counterparty", "professional"): 1,  # BANK opted down
        ("(none)", "retail"): 1,  # NEW
        ("retail", "(none)"): 1,  # GONE
    }
    finsa = cells(svg(run["html"], "FinSA category: 2026-05-31 to 2026-06-30"))
    assert finsa[("(none)", "retail")] == 1 and finsa[("retail", "(none)")] == 1  # NEW, GONE
    assert sum(finsa.values()) == 7
    abc = cells(svg(run["html"], "ABC class: 2026-05-31 to 2026-06-30"))
    assert abc[("(none)", "C")] == 1 and abc[("C", "(none)")] == 1  # NEW, GONE
    assert sum(abc.values()) == 7  # the clients open on either date


def test_count_charts_show_every_value_of_their_vocabulary_with_zero_clients(run):
    """No client is uhnw, none is a champion: the bars are there, at 0, not left out."""
    tiers = svg(run["html"], "Clients per wealth tier")
    assert re.search(r">uhnw</text><rect[^>]*width='0\.0'", tiers)
    assert ">champions</text>" in svg(run["html"], "Clients per RFM segment")


def test_first_as_of_date_has_no_migration(run, tmp_path):
    path = write_report(run["runner"].url, FIRST, tmp_path, data_docs=False)
    html = path.read_text()
    assert path == tmp_path / "index.html"
    assert "No earlier as-of date in the warehouse" in html
    assert "MiFID II category:" not in html


def test_quality_section_shows_quarantined_rows_escaped(run):
    html = run["html"]
    quarantine = re.search(r"<th>source table</th>.*?</table>", html, re.S).group(0)
    assert "<tr><td>transactions</td><td class=n>6</td><td class=n>5</td><td class=n>1</td>" \
        in quarantine
    assert "Rows quarantined per source table" in html
    assert "read incrementally (new or changed files only)" in html
    assert BAD_CLIENT not in html and "&lt;img src=x&gt;" in html


def test_data_docs_hold_every_run_rendered_one_after_the_other(run):
    docs = run["root"] / "data_docs"
    index = (docs / "index.html").read_text()
    assert "test__1" in index and "test__2" in index
    pages = sorted(docs.glob("validations/source/transactions/*/*/transactions.html"))
    assert [p.parents[1].name for p in pages] == ["test__1", "test__2"]
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", pages[-1].read_text()))
    assert "Status: Failed" in page
    assert "client_id__unknown Status Expectation Observed Value values must be null. " \
        "1 unexpected values found. ≈16.67% of 6 total rows." in page
    assert "../../data_docs/index.html" in run["html"]
    assert "data_docs/validations/source/transactions/test__2/" in run["html"]


def test_data_docs_are_not_rendered_twice(run):
    docs = run["root"] / "data_docs" / "validations"
    before = {p: p.stat().st_mtime_ns for p in docs.rglob("*.html")}
    write_report(run["runner"].url, LATEST, run["root"] / "again")
    assert {p: p.stat().st_mtime_ns for p in docs.rglob("*.html")} == before


def test_cli_report_writes_out_dir_index(run, tmp_path, capsys):
    code = main(["report", "--warehouse", run["runner"].url, "--out", str(tmp_path / "out"),
                 "--as-of", "2026-05-31"])
    assert code == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "out" / "index.html")
    assert "as of 2026-05-31" in (tmp_path / "out" / "index.html").read_text()


def test_cli_report_without_a_published_run_fails_with_one_line(run, tmp_path, capsys):
    code = main(["report", "--warehouse", run["runner"].url, "--out", str(tmp_path),
                 "--as-of", "2026-01-31"])
    assert code == 1
    assert capsys.readouterr().err == "clientseg report: no published run for as-of date " \
        "2026-01-31\n"
    assert not Path(tmp_path / "index.html").exists()


def test_a_report_that_cannot_be_written_whole_leaves_the_previous_one(run, tmp_path):
    """The page is written aside, then renamed: a write that fails (here: a folder in the way of
    the page's temporary file; in life, a full disk) leaves the previous report as it was."""
    path = write_report(run["runner"].url, LATEST, tmp_path, data_docs=False)
    before = path.read_text()
    (tmp_path / f".{path.name}.partial").mkdir()
    with pytest.raises(IsADirectoryError):
        write_report(run["runner"].url, FIRST, tmp_path, data_docs=False)
    assert path.read_text() == before


def test_report_step_failure_leaves_the_run_published(run, tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv(REPORTS_ENV, str(blocker))  # the report's folder cannot be made
    context = RunContext("test__2", LATEST, "unused", run["runner"].url)
    with pytest.raises(PipelineError, match="^report not written: .*Not a directory"):
        run_step(step_report, context, lenient_policy(), {"segments": {}})
    [row] = run["runner"].query(
        "select status, error from ops.pipeline_runs where run_id = 'test__2'")
    assert row == {"status": "published", "error": None}


def test_the_data_quality_report_sits_next_to_the_warehouse(run: dict[str, Any]) -> None:
    """data_quality_<D>.md in reports/ beside the DuckDB file, as the HTML report: two
    warehouses never write over each other's."""
    text = (run["root"] / "reports" / f"data_quality_{LATEST}.md").read_text()
    assert text.startswith(f"# Data quality, as of {LATEST} (run ")
    assert "| transactions | client_id: must exist in clients |" in text


def test_the_data_quality_report_is_written_when_the_data_fails_the_run(
        pipeline: PipelineRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from clientseg.errors import DataQualityError
    from clientseg.policy import load_policy

    monkeypatch.delenv(REPORTS_ENV, raising=False)
    with pytest.raises(DataQualityError):
        pipeline(LATEST, load_policy(), clients=[{"client_id": "K1", "country": "ch"}])
    text = (pipeline.root / "reports" / f"data_quality_{LATEST}.md").read_text()
    assert "| clients | country: must be an upper-case ISO 3166-1 alpha-2 code | " in text


def test_the_run_summary_counts_a_null_value_as_the_report_does(run: dict[str, Any]) -> None:
    """BANK, a legal entity, has no wealth tier: `(none)` in ops.pipeline_runs.summary too."""
    import json

    [row] = run["runner"].query("select summary from ops.pipeline_runs where as_of_date = :d",
                                d=LATEST)
    assert json.loads(row["summary"])["segments"]["wealth_tier"]["(none)"] == 1
