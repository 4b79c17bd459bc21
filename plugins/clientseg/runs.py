"""One run's identity and the names of the warehouse tables it works in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RunContext:
    """What every task needs: run id, as-of date, source and warehouse locations."""

    run_id: str
    as_of: date
    source: str
    warehouse_url: str

    @property
    def key(self) -> str:
        """A short, stable suffix for this run's staging tables."""
        return run_key(self.run_id)

    def table(self, kind: str, name: str) -> str:
        """`staging.<kind>_<name>__<key>`: raw, check, rejects, typed tables and models."""
        return f"staging.{kind}_{name}__{self.key}"


def run_key(run_id: str) -> str:
    """The suffix of the staging tables of the run `run_id`."""
    return hashlib.sha1(run_id.encode()).hexdigest()[:10]
