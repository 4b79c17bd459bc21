"""The measurement windows of RULES.md (Measures): the twelve months ending on D and the ones
before them."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta


def window_params(as_of: date, months: int) -> dict[str, date]:
    """Bounds of the window (window_start, as_of] and the previous one (RULES.md, Measures)."""
    return {
        "as_of": as_of,
        "day_after_as_of": as_of + timedelta(days=1),
        "window_start": as_of - relativedelta(months=months),
        "previous_window_start": as_of - relativedelta(months=2 * months),
    }
