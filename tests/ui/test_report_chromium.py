"""The report in a real browser: headless Chromium (Debian's `chromium` package) lays out
every chart of the page with a size and visible marks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from conftest import PipelineRunner

from clientseg.report import write_report

AS_OF = date(2026, 6, 30)
CHART_TITLES = [
    "Pareto curve of 12-month revenue, as of 2026-06-30",
    "RFM grid: clients per R x F cell, as of 2026-06-30",
    "Clients per ABC class", "Clients per RFM segment",
    "Clients per wealth tier (individuals; (none): legal entities)",
    "Clients per MiFID II category", "Clients per FinSA category",
    "Rows quarantined per source table, run of 2026-06-30",
    "Run duration, extract to publish (latest runs)",
]  # fmt: skip
# Loads the report in a frame and writes each chart's rendered size and drawn marks as JSON.
HARNESS = """<!DOCTYPE html><html><body>
<iframe id="r" src="{src}" width="1200" height="900"></iframe><pre id="out">pending</pre>
<script>
document.getElementById("r").addEventListener("load", () => {{
  const doc = document.getElementById("r").contentDocument;
  const charts = [...doc.querySelectorAll("svg.chart")].map(svg => {{
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll("path, rect, line")].filter(e => {{
      const b = e.getBBox(); return b.width > 0 || b.height > 0; }}).length;
    return {{title: svg.querySelector("title").textContent, width: box.width,
             height: box.height, marks: marks}};
  }});
  document.getElementById("out").textContent = JSON.stringify(charts);
}});
</script></body></html>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail("headless Chromium is missing: install Debian's package with "
                "`apt-get install -y chromium` (`make browser` does it)")


def headless(*args: str) -> str:
    out = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                          "--allow-file-access-from-files", "--virtual-time-budget=10000",
                          *args], capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runner = PipelineRunner(tmp_path_factory.mktemp("chromium"))
    runner(AS_OF, clients=[{"client_id": f"C{i}"} for i in range(8)],
           transactions=[{"client_id": f"C{i}", "trade_date": f"2026-06-{i + 1:02d}",
                          "fee": str(10 * (i + 1))} for i in range(6)])
    return write_report(runner.url, AS_OF, runner.root / "report", data_docs=False)


def test_chromium_parses_every_chart_into_the_dom(report):
    dom = headless("--dump-dom", report.as_uri())
    assert dom.count("<svg") >= 5
    titles = re.findall(r"<svg[^>]*><title>([^<]*)</title>", dom)
    assert set(CHART_TITLES) <= set(titles)


def test_chromium_lays_out_every_chart_with_visible_marks(report, tmp_path):
    harness = tmp_path / "harness.html"
    harness.write_text(HARNESS.format(src=report.as_uri()))
    dom = headless("--dump-dom", harness.as_uri())
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found and found.group(1) != "pending", "the report did not load in Chromium"
    charts = {c["title"]: c for c in json.loads(found.group(1))}
    assert set(CHART_TITLES) <= set(charts)
    for title, chart in charts.items():
        assert chart["width"] >= 300 and chart["height"] >= 100, title
        assert chart["marks"] >= 2, title  # at least one bar, cell or curve, and an axis
    assert charts["RFM grid: clients per R x F cell, as of 2026-06-30"]["marks"] == 25
