"""Great Expectations Core: the suites of expectations/ run on bounded pandas chunks."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd

from clientseg.paths import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)


ROW_ID = "_row_id"


@dataclass
class ExpectationOutcome:
    """One expectation's result summed over every chunk of a table."""

    expectation: str
    column: str
    rule: str
    rows_checked: int = 0
    unexpected_count: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.unexpected_count == 0


def suite_json(table: str) -> dict[str, Any]:
    """The suite of `table` as stored under expectations/ (name, meta, expectations)."""
    return json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())


@cache
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@cache
def _batch_definition(table: str) -> Any:
    asset = _context().data_sources.add_pandas(f"source_{table}").add_dataframe_asset(table)
    return asset.add_batch_definition_whole_dataframe(f"{table}_chunk")


@cache
def load_suite(table: str) -> Any:
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_json(table))


def validate_chunk(table: str, frame: pd.DataFrame, outcomes: dict[str, ExpectationOutcome]
                   ) -> dict[int, list[str]]:
    """Validate one chunk (with a `_row_id` column); return the rules each failing row broke."""
    batch = _batch_definition(table).get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(load_suite(table), result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]})
    broken: dict[int, list[str]] = {}
    for res in result.results:
        config = res.expectation_config
        if res.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {config.type} on {table} raised: "
                               f"{res.exception_info.get('exception_message')}")
        rule = config.meta.get("rule", config.type)
        column = config.kwargs["column"].split("__")[0]
        outcome = outcomes.setdefault(rule, ExpectationOutcome(config.type, column, rule))
        outcome.rows_checked += len(frame)
        outcome.unexpected_count += int(res.result.get("unexpected_count") or 0)
        samples = [str(v) for v in res.result.get("partial_unexpected_list") or []]
        outcome.samples = (outcome.samples + samples)[:5]
        for index in res.result.get("unexpected_index_list") or []:
            broken.setdefault(int(index[ROW_ID]), []).append(rule)
    return broken
