"""The run report: one self-contained HTML page per as-of date, and GX Data Docs beside it.

Where (for the warehouse `duckdb:///DIR/x.duckdb`, else the project's data/ folder, ROOT):
ROOT/reports/<D>/index.html (or $CLIENTSEG_REPORTS_DIR/<D>/index.html; the Markdown
data-quality report beside <D>/: report_text.py), ROOT/data_docs/
(the Data Docs site) and ROOT/gx/ (the GX project holding the stored validation results).
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from urllib.parse import quote

from clientseg.policy import Policy, load_policy
from clientseg.report_text import outputs_root, reports_dir
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)


def report_path(warehouse_url: str, as_of: date, out_dir: Path | None = None) -> Path:
    """OUT/index.html if `out_dir` is given, else <reports folder>/<D>/index.html."""
    if out_dir is not None:
        return out_dir / "index.html"
    return reports_dir(warehouse_url) / as_of.isoformat() / "index.html"


def _relative(target: Path, start: Path) -> str:
    return quote(os.path.relpath(target, start))


def write_report(warehouse_url: str, as_of: date | None = None, out_dir: Path | None = None,
                 policy: Policy | None = None, data_docs: bool = True) -> Path:
    """Write the report of `as_of` (default: the latest published date); return its path.

    With `data_docs`, first bring the GX Data Docs up to date and link the report to them.
    """
    from clientseg.report.html import render_page
    from clientseg.report.queries import latest_as_of, load_report_data

    wh = Warehouse(warehouse_url)
    as_of = as_of or latest_as_of(wh)
    data = load_report_data(wh, as_of)
    path = report_path(warehouse_url, as_of, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    links: dict[str, str] = {}
    if data_docs:
        from clientseg.report.data_docs import build_data_docs

        pages = build_data_docs(wh, outputs_root(warehouse_url), data.run.run_id)
        links = {name: _relative(page, path.parent) for name, page in pages.items()}
    abc = (policy or load_policy())["value_segments"]["abc"]
    cuts = [("A/B cut", 100 * float(abc["a_share"])), ("B/C cut", 100 * float(abc["b_share"]))]
    partial = path.with_name(f".{path.name}.partial")  # whole or not at all (a full disk)
    try:
        partial.write_text(render_page(data, cuts, links), encoding="utf-8")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    log.info("report for %s: %s", as_of, path)
    return path
