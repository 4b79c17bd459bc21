"""Publish: replace the as-of date's rows in the mart, all at once or not at all."""

from __future__ import annotations

import logging
from collections.abc import Callable

from clientseg import vocab
from clientseg.runlog import mark_published
from clientseg.runs import RunContext
from clientseg.transform import OUTPUT_MODEL
from clientseg.warehouse import Warehouse

log = logging.getLogger(__name__)

# The statements of one publish, in order, all in one transaction.
STEPS = (
    "publish/history_delete.sql",
    "publish/history_insert.sql",
    "publish/latest_delete.sql",
    "publish/latest_insert.sql",
    "publish/changes_delete.sql",
    "publish/changes_insert.sql",
)


def publish(run: RunContext, wh: Warehouse, counts: dict[str, object],
            between_steps: Callable[[str], None] | None = None) -> int:
    """Publish the run's rows; `between_steps` is a hook called after each statement (tests)."""
    segments = run.table("model", OUTPUT_MODEL)
    with wh.begin() as conn:
        for step in STEPS:
            wh.run(conn, step, {"as_of": run.as_of}, segments=segments,
                   attributes=vocab.CHANGE_ATTRIBUTES)
            if between_steps:
                between_steps(step)
        published = wh.count(conn, segments)
        mark_published(conn, run, published, counts)
    log.info("published %d rows for %s", published, run.as_of)
    return published
