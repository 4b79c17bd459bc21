"""Great Expectations Data Docs for every run's validations, rebuilt from ops.data_quality_results.

The pipeline validates with an ephemeral GX context, chunk by chunk, and keeps the summed
results per rule in ops.data_quality_results. Here each run's results become one GX
validation result per source table (the suite's expectation configurations, with the run's
counts and sample values), stored in a file-backed GX project (`<root>/gx/`), and GX's own
site builder renders them as the Data Docs site `<root>/data_docs/index.html`. Runs already
in the store are not rendered again.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import sqlalchemy as sa

from clientseg.expectations import suite_json
from clientseg.warehouse import Warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
log = logging.getLogger(__name__)

SITE = "clientseg"


def _context(root: Path) -> Any:
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(root))
    if SITE not in (context.list_data_docs_sites() or {}):
        context.add_data_docs_site(SITE, {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(root / "data_docs")},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        })
    return context


def _suite(table: str) -> dict[str, Any] | None:
    """The suite that checked `table` (`output.client_segments`: expectations/output/...)."""
    try:
        return suite_json(table.replace(".", "/"))
    except FileNotFoundError:
        log.warning("data docs: no suite under expectations/ for %s; not rendered", table)
        return None


def _keys(run_id: str, table: str, run_time: datetime) -> Any:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    return ValidationResultIdentifier(
        ExpectationSuiteIdentifier(name=_suite(table)["name"]),
        RunIdentifier(run_name=run_id, run_time=run_time.replace(tzinfo=UTC)), table)


def _suite_result(table: str, as_of: Any, run_id: str, run_time: datetime,
                  rows: list[dict[str, Any]]) -> Any:
    """One GX validation result of `table`'s suite from the run's rows, matched by rule."""
    import json

    from great_expectations.core import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = _suite(table)
    by_rule = {r["rule"]: r for r in rows}
    results = []
    for expectation in suite["expectations"]:
        row = by_rule.get(expectation["meta"]["rule"])
        if row is None:
            continue
        checked, unexpected = int(row["rows_checked"]), int(row["unexpected_count"])
        samples = json.loads(row["details"] or "{}").get("sample_unexpected", [])
        results.append(ExpectationValidationResult(
            success=bool(row["success"]),
            expectation_config=ExpectationConfiguration(
                type=expectation["type"], kwargs=expectation["kwargs"], meta=expectation["meta"]),
            result={"element_count": checked, "unexpected_count": unexpected,
                    "unexpected_percent": 100.0 * unexpected / checked if checked else 0.0,
                    "partial_unexpected_list": samples, "missing_count": 0}))
    passed = sum(r.success for r in results)
    return ExpectationSuiteValidationResult(
        success=passed == len(results), results=results, suite_name=suite["name"],
        statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                    "unsuccessful_expectations": len(results) - passed,
                    "success_percent": 100.0 * passed / len(results) if results else 100.0},
        meta={"run_id": RunIdentifier(run_name=run_id, run_time=run_time.replace(tzinfo=UTC)),
              "validation_time": run_time.isoformat(),
              "active_batch_definition": {"datasource_name": "source",
                                          "data_connector_name": "clientseg",
                                          "data_asset_name": table,
                                          "batch_identifiers": {"as_of_date": str(as_of)}},
              "batch_spec": {"data_asset_name": table}, "batch_markers": {}})


def _marker(run_id: str, table: str, run_time: datetime) -> tuple[str, str, str]:
    """What identifies a rendered result: a retried validation has a later run time."""
    if run_time.tzinfo is not None:
        run_time = run_time.astimezone(UTC).replace(tzinfo=None)
    return run_id, table, run_time.isoformat(timespec="seconds")


def build_data_docs(wh: Warehouse, root: Path, run_id: str | None = None) -> dict[str, Path]:
    """Render every run of ops.data_quality_results not yet in the Data Docs under `root`.

    Returns the site's index page ("index") and, per table, the page of `run_id` (default:
    the latest run with results).
    """
    context = _context(root)
    store = context.validation_results_store
    keys = store.list_keys()
    done = {_marker(k.run_id.run_name, k.batch_identifier, k.run_id.run_time) for k in keys}
    new_keys = []
    with wh.begin() as conn:
        results = conn.execute(sa.text(
            'select run_id, "table", max(checked_at) as run_time from ops.data_quality_results '
            'group by run_id, "table" order by run_time')).all()
        for run, table, run_time in results:
            if _marker(run, table, run_time) in done or _suite(table) is None:
                continue
            rows = [dict(r._mapping) for r in conn.execute(sa.text(
                "select as_of_date, rule, success, rows_checked, unexpected_count, details "
                'from ops.data_quality_results where run_id = :r and "table" = :t'),
                {"r": run, "t": table})]
            key = _keys(run, table, run_time)
            store.set(key, _suite_result(table, rows[0]["as_of_date"], run, run_time, rows))
            new_keys.append(key)
    if new_keys or not (root / "data_docs" / "index.html").exists():
        context.build_data_docs(site_names=[SITE], resource_identifiers=new_keys or None)
        log.info("data docs: %d validation results rendered", len(new_keys))
    pages = {"index": root / "data_docs" / "index.html"}
    run_id = run_id or (results[-1].run_id if results else None)
    latest: dict[str, Any] = {}
    for key in [*keys, *new_keys]:
        if key.run_id.run_name == run_id and (
                key.batch_identifier not in latest
                or key.run_id.run_time > latest[key.batch_identifier].run_id.run_time):
            latest[key.batch_identifier] = key
    for table, key in latest.items():
        url = context.get_docs_sites_urls(resource_identifier=key, site_name=SITE)[0]
        pages[table] = Path(unquote(urlparse(url["site_url"]).path))
    return pages
