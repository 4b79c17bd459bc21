"""The data dictionary: every mart and ops column with its type and meaning (include/columns.yaml).

One source of truth for the warehouse's COMMENT ON statements and for docs/data_dictionary.md:
`python -m clientseg.data_dictionary` rewrites the document, `--check` fails when it is stale.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from clientseg.contract import SOURCE_TABLES
from clientseg.paths import INCLUDE, PROJECT_ROOT

COLUMNS_FILE = INCLUDE / "columns.yaml"
DOC_FILE = PROJECT_ROOT / "docs" / "data_dictionary.md"
PER_TABLE = "{table}"


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class TableDoc:
    name: str  # schema-qualified: mart.client_segments
    description: str
    columns: tuple[ColumnDoc, ...]


def _expand(columns: dict[str, dict[str, str]]) -> list[ColumnDoc]:
    """Columns in order; a run of `..{table}..` columns repeats per source table, table-major."""
    out: list[ColumnDoc] = []
    group: list[tuple[str, dict[str, str]]] = []

    def flush() -> None:
        for table in SOURCE_TABLES:
            out.extend(ColumnDoc(n.replace(PER_TABLE, table.name), s["type"],
                                 s["meaning"].replace(PER_TABLE, table.name)) for n, s in group)
        group.clear()

    for name, spec in columns.items():
        if set(spec) != {"type", "meaning"}:
            raise ValueError(f"{COLUMNS_FILE}: column {name} needs exactly type and meaning")
        if PER_TABLE in name:
            group.append((name, spec))
            continue
        flush()
        out.append(ColumnDoc(name, spec["type"], spec["meaning"]))
    flush()
    return out


@cache
def tables() -> tuple[TableDoc, ...]:
    """Every documented table of include/columns.yaml, in file order."""
    raw = yaml.safe_load(COLUMNS_FILE.read_text(encoding="utf-8"))
    return tuple(TableDoc(name, spec["description"], tuple(_expand(spec["columns"])))
                 for name, spec in raw.items())


def by_name() -> dict[str, TableDoc]:
    return {t.name: t for t in tables()}


def columns_of(table: str) -> str:
    """`"a", "b", ...`: a documented table's columns in order, for statements that name them
    (an upgraded table has added columns last, so `insert ... select *` would misplace them)."""
    return ", ".join(f'"{c.name}"' for c in by_name()[table].columns)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements(table: TableDoc) -> list[str]:
    """COMMENT ON the table and each of its columns (same syntax on DuckDB and PostgreSQL)."""
    statements = [f"comment on table {table.name} is {_literal(table.description)}"]
    statements += [f'comment on column {table.name}."{c.name}" is {_literal(c.meaning)}'
                   for c in table.columns]
    return statements


def render_markdown() -> str:
    """docs/data_dictionary.md: one section per table, one row per column."""
    lines = [
        "# Data dictionary",
        "",
        "Every column of the `mart` (what BI tools and compliance read) and `ops` (what data",
        "engineers monitor) schemas. Generated from `include/columns.yaml` by",
        "`python -m clientseg.data_dictionary`; the same texts are the warehouse's",
        "`COMMENT ON` column comments. Do not edit by hand.",
    ]
    for table in tables():
        lines += ["", f"## {table.name}", "", table.description, "",
                  "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| {c.name} | {c.type} | {c.meaning.replace('|', '/')} |"
                  for c in table.columns]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clientseg.data_dictionary",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOC_FILE, help="where to write the document")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the document differs from include/columns.yaml")
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run python -m clientseg.data_dictionary", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
