"""Errors that end a run with a one-line reason (file, column, rule), never a bare trace."""

from __future__ import annotations


class PipelineError(Exception):
    """A run cannot publish; str(error) is the one-line reason shown to operators."""


class SourceError(PipelineError):
    """A source table is missing, unreadable or does not have the contract's columns."""


class DataQualityError(PipelineError):
    """Too many rows of a table broke the contract (above validation.max_bad_row_share)."""

    counts: dict[str, dict[str, int]]  # rows_read and rows_quarantined per table


class OutputCheckError(PipelineError):
    """The computed rows failed the output checks; nothing was published."""


def first_line(exc: BaseException) -> str:
    """A driver's error as one line: the first line of the database's own message (`orig` of a
    SQLAlchemy error) or of the error, else its type."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def redact(location: str) -> str:
    """A source or warehouse location fit to show: a URL's user and password become `***`
    (the host is what follows the last `@` before the path); a path is shown as it is."""
    scheme, sep, rest = location.partition("://")
    netloc, slash, path = rest.partition("/")
    if not sep or "@" not in netloc:
        return location
    return f"{scheme}://***@{netloc.rpartition('@')[2]}{slash}{path}"
