"""The data dictionary (include/columns.yaml): the document is current, placeholders expand."""

from __future__ import annotations

from pathlib import Path

from clientseg.contract import SOURCE_TABLES
from clientseg.data_dictionary import DOC_FILE, by_name, comment_statements, main


def test_docs_data_dictionary_is_generated_from_columns_yaml() -> None:
    assert main(["--check"]) == 0, "run: .venv/bin/python -m clientseg.data_dictionary"


def test_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "dictionary.md"
    stale.write_text(DOC_FILE.read_text().replace("| rows_published |", "| rows_pub |"))
    assert main(["--check", "--out", str(stale)]) == 1


def test_per_table_columns_expand_in_source_table_order() -> None:
    names = [c.name for c in by_name()["ops.pipeline_runs"].columns]
    first = SOURCE_TABLES[0].name
    start = names.index(f"rows_read_{first}")
    expected = [f"rows_{kind}_{t.name}" for t in SOURCE_TABLES
                for kind in ("read", "used", "quarantined")]
    assert names[start:start + len(expected)] == expected
    assert not any("{table}" in n for n in names)


def test_comments_quote_identifiers_and_escape_quotes() -> None:
    statements = comment_statements(by_name()["ops.data_quality_results"])
    assert 'comment on column ops.data_quality_results."table" is ' in "\n".join(statements)
    meaning = by_name()["mart.client_segments_history"].columns[1].meaning  # client's id
    assert "'" in meaning
    assert any(meaning.replace("'", "''") in s for s in comment_statements(
        by_name()["mart.client_segments_history"]))
