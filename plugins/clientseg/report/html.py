"""The run report as one self-contained HTML page: inline CSS and SVG, no script, no network."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from html import escape

from clientseg import vocab
from clientseg.report import charts
from clientseg.report.queries import ReportData

CSS = """
body { font-family: system-ui, sans-serif; color: #1f2933; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid
#d9dee3; padding-bottom: .2rem; } .meta { color: #52606d; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
figure { margin: 0; } svg.chart { max-width: 100%; height: auto; background: #fff; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #d9dee3; padding: .25rem .55rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.fail { color: #b42318; font-weight: bold; } .ok { color: #17663a; }
"""
ORDERS: dict[str, Sequence[str]] = {
    "abc_class": vocab.ABC_CLASSES, "rfm_segment": vocab.RFM_SEGMENTS,
    "wealth_tier": vocab.WEALTH_TIERS, "gap_segment": vocab.GAP_SEGMENTS,
    "service_level": [str(s) for s in vocab.SERVICE_LEVELS],
    "mifid_category": vocab.MIFID_CATEGORIES, "finsa_category": vocab.FINSA_CATEGORIES,
}  # fmt: skip
TITLES = {
    "abc_class": "Clients per ABC class",
    "rfm_segment": "Clients per RFM segment",
    "wealth_tier": "Clients per wealth tier (individuals; (none): legal entities)",
    "gap_segment": "Clients per Growth/Active/Passive segment",
    "service_level": "Clients per service level",
    "mifid_category": "Clients per MiFID II category",
    "finsa_category": "Clients per FinSA category",
}
NONE = vocab.NONE


def ordered(attribute: str, values: Iterable[str]) -> list[str]:
    """Values in vocabulary order, then any others, then (none)."""
    order = list(ORDERS.get(attribute, ()))
    present = set(values)
    known = [v for v in order if v in present]
    rest = sorted(v for v in present if v not in order and v != NONE)
    return known + rest + ([NONE] if NONE in present else [])


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int]) -> str:
    head = "".join(f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(
        f"<td{' class=n' if i in numeric else ''}>{escape(_cell(v))}</td>"
        for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _link(href: str | None, text: str) -> str:
    return f"<a href='{escape(href)}'>{escape(text)}</a>" if href else escape(text)


def pareto_section(data: ReportData, cuts: Sequence[tuple[str, float]]) -> str:
    abc = data.counts["abc_class"]
    clients = data.clients or 1
    ends, total = [], 0
    for cls in vocab.ABC_CLASSES:
        total += abc.get(cls, (0, 0.0))[0]
        ends.append((cls, 100.0 * total / clients))
    chart = charts.pareto_chart(data.pareto, cuts, ends,
                                f"Pareto curve of 12-month revenue, as of {data.as_of}")
    rows = [(cls, abc.get(cls, (0, 0.0))[0], abc.get(cls, (0, 0.0))[1],
             f"{100 * abc.get(cls, (0, 0.0))[1] / data.total_revenue_eur:.1f}%"
             if data.total_revenue_eur else "-") for cls in vocab.ABC_CLASSES]
    return ("<h2 id='pareto'>Revenue concentration (ABC)</h2>"
            f"<p>Total 12-month revenue: EUR {data.total_revenue_eur:,.2f} from "
            f"{data.clients:,} open clients. The dashed lines are the A/B and B/C cuts of the "
            "policy; the dotted lines mark where each class ends among the ranked clients.</p>"
            f"<div class='charts'><figure>{chart}</figure>"
            + _table(["ABC class", "clients", "revenue 12m (EUR)", "share of revenue"], rows,
                     {1, 2, 3}) + "</div>")


def rfm_section(data: ReportData) -> str:
    scores = [str(s) for s in range(1, 6)]
    values = {(str(r), str(f)): n for (r, f), n in data.rfm.items()}
    chart = charts.heat_grid(f"RFM grid: clients per R x F cell, as of {data.as_of}",
                             scores[::-1], scores, values, "R score (5 = most recent trade)",
                             "F score (5 = most trades in 12 months)")
    return ("<h2 id='rfm'>RFM grid</h2>"
            f"<div class='charts'><figure>{chart}</figure></div>"
            f"<p>{data.no_activity:,} clients without any trade (segment no_activity) are "
            "not on the grid.</p>")


def counts_section(data: ReportData) -> str:
    figures = []
    for attribute, values in data.counts.items():  # every value of a vocabulary, 0 included
        shown = ordered(attribute, [*values, *ORDERS.get(attribute, ())])
        items = [(v, float(values[v][0]) if v in values else 0.0) for v in shown]
        figures.append("<figure>" + charts.bar_chart(TITLES.get(attribute, attribute), items,
                                                      "clients") + "</figure>")
    return ("<h2 id='segments'>Clients per segment, wealth tier and category</h2>"
            "<div class='charts'>" + "".join(figures) + "</div>")


def migration_section(data: ReportData) -> str:
    if data.previous_as_of is None:
        return ("<h2 id='migration'>Migration since the previous as-of date</h2>"
                "<p>No earlier as-of date in the warehouse: nothing to compare with.</p>")
    figures = []
    for attribute, cells in data.migrations.items():
        values = {(old or NONE, new or NONE): n for (old, new), n in cells.items()}
        olds = ordered(attribute, {o for o, _ in values})
        news = ordered(attribute, {n for _, n in values})
        name = {"mifid_category": "MiFID II category", "finsa_category": "FinSA category",
                "abc_class": "ABC class"}.get(attribute, attribute)
        figures.append("<figure>" + charts.heat_grid(
            f"{name}: {data.previous_as_of} to {data.as_of}", olds, news, values,
            f"on {data.previous_as_of}", f"on {data.as_of}") + "</figure>")
    return ("<h2 id='migration'>Migration since the previous as-of date</h2>"
            f"<p>Clients per (old, new) value between {data.previous_as_of} and {data.as_of}; "
            f"{NONE} means the client was not open on that date. The changes themselves are "
            "listed in <code>mart.client_category_changes</code>.</p>"
            "<div class='charts'>" + "".join(figures) + "</div>")


def quality_section(data: ReportData, docs_links: dict[str, str]) -> str:
    run = data.run
    tables = list(run.tables)
    rows = [(t, run.tables[t]["read"], run.tables[t]["used"], run.tables[t]["quarantined"])
            for t in tables]
    chart = charts.bar_chart(f"Rows quarantined per source table, run of {data.as_of}",
                             [(t, float(run.tables[t]["quarantined"] or 0)) for t in tables],
                             "rows quarantined")
    results = [(_link(docs_links.get(q.table), q.table), q.rule, q.expectation,
                "<span class=ok>yes</span>" if q.success else "<span class=fail>NO</span>",
                f"{q.rows_checked:,}", f"{q.unexpected_count:,}",
                escape(", ".join(q.samples[:3]))) for q in data.quality]
    result_rows = "".join("<tr>" + "".join(
        f"<td{' class=n' if i in (4, 5) else ''}>{c if i in (0, 3, 6) else escape(c)}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in results)
    failed = sum(not q.success for q in data.quality)
    docs = docs_links.get("index")
    return ("<h2 id='quality'>Data quality</h2>"
            f"<p>{len(data.quality)} rules checked, {failed} with rows that broke them. "
            f"Great Expectations Data Docs: {_link(docs, 'every run, every table')}. "
            "Rejected rows are in <code>quarantine.&lt;table&gt;</code> with the run id "
            f"<code>{escape(run.run_id)}</code>. Rows read are this run's: a table delivered "
            "as a folder of files is read incrementally (new or changed files only), so an "
            "unchanged table reads 0 rows while every stored row is still used.</p>"
            f"<div class='charts'><figure>{chart}</figure>"
            + _table(["source table", "rows read", "rows used", "rows quarantined"], rows,
                     {1, 2, 3}) + "</div>"
            "<table><thead><tr><th>table</th><th>rule</th><th>expectation</th><th>ok</th>"
            "<th class=n>rows checked</th><th class=n>unexpected</th><th>e.g.</th></tr>"
            f"</thead><tbody>{result_rows}</tbody></table>")


def timings_section(data: ReportData) -> str:
    runs = [r for r in data.runs if r.seconds is not None][::-1]
    chart = charts.bar_chart("Run duration, extract to publish (latest runs)",
                             [(f"{r.as_of_date} {r.status}", r.seconds or 0.0) for r in runs],
                             "seconds", "{:,.1f} s")
    rows = [(r.run_id, str(r.as_of_date), r.status, str(r.started_at)[:19],
             str(r.finished_at)[:19] if r.finished_at else "",
             f"{r.seconds:,.1f}" if r.seconds is not None else "", r.rows_published,
             r.rows_quarantined) for r in data.runs]
    return ("<h2 id='timings'>Run timings</h2>"
            f"<div class='charts'><figure>{chart}</figure></div>"
            + _table(["run", "as-of date", "status", "started (UTC)", "finished (UTC)",
                      "seconds", "rows published", "rows quarantined"], rows, {5, 6, 7}))


def render_page(data: ReportData, cuts: Sequence[tuple[str, float]],
                docs_links: dict[str, str]) -> str:
    """The whole page; every value from the warehouse is escaped."""
    run = data.run
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Client segmentation report, as of {data.as_of}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>Client segmentation, as of {data.as_of}</h1>"
        f"<p class='meta'>Run <code>{escape(run.run_id)}</code>, {escape(run.status)}, "
        f"{data.clients:,} open clients published; generated {generated}.</p>"
        "<p>Contents: <a href='#pareto'>revenue concentration</a> · <a href='#rfm'>RFM grid</a>"
        " · <a href='#segments'>segments</a> · <a href='#migration'>migration</a> · "
        "<a href='#quality'>data quality</a> · <a href='#timings'>run timings</a></p>"
        + pareto_section(data, cuts) + rfm_section(data) + counts_section(data)
        + migration_section(data) + quality_section(data, docs_links) + timings_section(data)
        + "</body></html>\n")
