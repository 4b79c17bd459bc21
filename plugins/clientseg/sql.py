"""Rendering of the SQL files in include/sql (Jinja: table names, policy values, dialect)."""

from __future__ import annotations

import contextlib
import hashlib
from functools import cache
from typing import Any

import jinja2

from clientseg.paths import SQL_DIR


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept on disk, as each task is a new process: in the user's private
    directory under the system's temporary one, checked against each template's source. A
    template that cannot be stored (a full disk) is compiled again next time."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


# How the templates compile; part of the cache's file names, so that compiled code of other
# options or another Jinja release is never read back (the cache checks only the source).
_OPTIONS = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
_OPTIONS_KEY = hashlib.sha1(repr((jinja2.__version__, _OPTIONS)).encode()).hexdigest()[:12]


def _bytecode_cache(directory: str | None = None) -> jinja2.BytecodeCache | None:
    """The cache, or none when its directory cannot be made (compiled every time)."""
    try:
        return _BytecodeCache(directory, pattern=f"clientseg_{_OPTIONS_KEY}_%s.cache")
    except (OSError, RuntimeError):
        return None


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(SQL_DIR),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        **_OPTIONS,
    )


def render(template: str, *, dialect: str, **context: Any) -> str:
    """Render `template` (a path under include/sql) for `dialect`."""
    return _environment().get_template(template).render(dialect=dialect, **context)


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of strings from the validated policy: ('a', 'b')."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"
