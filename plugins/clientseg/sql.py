"""Rendering of the SQL files in include/sql (Jinja: table names, policy values, dialect)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from clientseg.paths import SQL_DIR


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SQL_DIR),
        # Compiled templates kept on disk (the user's private directory under the system's
        # temporary one, keyed by the template's source): each task is a new process.
        bytecode_cache=jinja2.FileSystemBytecodeCache(pattern="clientseg_%s.cache"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, *, dialect: str, **context: Any) -> str:
    """Render `template` (a path under include/sql) for `dialect`."""
    return _environment().get_template(template).render(dialect=dialect, **context)


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of strings from the validated policy: ('a', 'b')."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"
