"""A table delivered as a folder of files is read and validated once per file (incremental.py).

Each case runs nights on one warehouse and checks what the last night read, what it published
(the same as a full read of that delivery into an empty warehouse) and what it quarantined.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import PipelineRunner
from sources import write_source, write_table

D1, D2 = date(2026, 6, 30), date(2026, 7, 1)
CLIENTS = [{"client_id": "K1"}, {"client_id": "K2"}]
JUNE = [
    {"transaction_id": "T1", "client_id": "K1", "trade_date": "2026-06-29", "fee": "10"},
    {"transaction_id": "T2", "client_id": "K2", "trade_date": "2026-06-30", "fee": "20"},
]
JULY_1 = [{"transaction_id": "T3", "client_id": "K1", "trade_date": "2026-07-01", "fee": "5"}]


def delivery(root: Path, files: dict[str, list[dict[str, Any]]],
             **tables: list[dict[str, Any]]) -> Path:
    """A landing directory whose transactions are a folder: one CSV per name of `files`."""
    write_source(root, **({"clients": CLIENTS} | tables))
    (root / "transactions.csv").unlink()
    (root / "transactions").mkdir(exist_ok=True)
    for name, rows in files.items():
        write_table(root / "transactions", "transactions", rows)
        (root / "transactions" / "transactions.csv").rename(root / "transactions" / name)
    return root


def last_run(runner: PipelineRunner) -> dict[str, Any]:
    return runner.query("select * from ops.pipeline_runs order by started_at desc limit 1")[0]


def revenue(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    return {k: float(r["revenue_12m_eur"]) for k, r in rows.items()}


def full_read(tmp_path: Path, source: Path, as_of: date) -> dict[str, float]:
    (tmp_path / "full").mkdir()
    return revenue(PipelineRunner(tmp_path / "full")(as_of, source=source))


def test_a_new_file_is_read_alone_and_the_result_equals_a_full_read(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}))
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": JUNE, "2026-07-01.csv": JULY_1})
    os.utime(night2 / "transactions" / "2026-06.csv")  # re-delivered: new mtime, same content
    published = revenue(pipeline(D2, source=night2))
    run = last_run(pipeline)
    assert run["rows_read_transactions"] == 1
    assert run["rows_used_transactions"] == 1
    assert published == {"K1": 15.0, "K2": 20.0} == full_read(tmp_path, night2, D2)


def test_a_changed_file_replaces_its_rows(pipeline: PipelineRunner, tmp_path: Path) -> None:
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}))
    corrected = [{**JUNE[0], "fee": "11"}, JUNE[1]]
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": corrected})
    published = revenue(pipeline(D1, source=night2))
    assert last_run(pipeline)["rows_read_transactions"] == 2
    assert published == {"K1": 11.0, "K2": 20.0} == full_read(tmp_path, night2, D1)


def test_a_vanished_file_no_longer_counts(pipeline: PipelineRunner, tmp_path: Path) -> None:
    pipeline(D2, source=delivery(tmp_path / "n1", {"a.csv": JUNE[:1], "b.csv": JUNE[1:]}))
    published = revenue(pipeline(D2, source=delivery(tmp_path / "n2", {"a.csv": JUNE[:1]})))
    assert last_run(pipeline)["rows_read_transactions"] == 0
    assert published == {"K1": 10.0, "K2": 0.0}


def test_an_id_delivered_before_in_another_file_is_quarantined_and_the_first_copy_kept(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}))
    resent = [{**JUNE[0], "trade_date": "2026-07-01", "fee": "99"}, *JULY_1]
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": JUNE, "2026-07-01.csv": resent})
    published = revenue(pipeline(D2, source=night2))
    run = last_run(pipeline)
    assert (run["rows_read_transactions"], run["rows_used_transactions"],
            run["rows_quarantined_transactions"]) == (2, 1, 1)
    assert published == {"K1": 15.0, "K2": 20.0}
    rejected = pipeline.query("select transaction_id, rules_broken, source_file "
                              "from quarantine.transactions")
    assert [(r["transaction_id"], r["rules_broken"]) for r in rejected] == [
        ("T1", "transaction_id: must be unique")]
    assert rejected[0]["source_file"].endswith("2026-07-01.csv")
    checked = pipeline.query(
        "select unexpected_count from ops.data_quality_results where run_id = :r and "
        "rule = 'transaction_id: must be unique'", r=run["run_id"])
    assert checked == [{"unexpected_count": 1}]  # the data-quality results count it too


def test_a_new_file_of_ids_delivered_before_counts_against_the_limit(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    """A month re-sent under a new name: every row is a duplicate, the night fails (README)."""
    from clientseg.errors import DataQualityError
    from clientseg.policy import load_policy

    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}))
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": JUNE, "2026-06-resent.csv": JUNE})
    with pytest.raises(DataQualityError, match=r"^transactions: 2 of 2 rows \(100.00%\) broke"
                       r".*rule 'transaction_id: must be unique'"):
        pipeline(D2, load_policy(), source=night2)


def test_each_file_read_is_recorded_with_its_accounting(pipeline: PipelineRunner,
                                                        tmp_path: Path) -> None:
    bad = [{"transaction_id": "T9", "client_id": "K1", "trade_date": "2026-06-30",
            "fee": "-1"}]
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE, "bad.csv": bad}))
    files = pipeline.query("select file, rows_read, rows_used, rows_quarantined "
                           "from staging.source_files order by file")
    assert [tuple(f.values()) for f in files] == [
        ("transactions/2026-06.csv", 2, 2, 0), ("transactions/bad.csv", 1, 0, 1)]


def _file_accounting(runner: PipelineRunner) -> list[tuple[Any, ...]]:
    return [tuple(f.values()) for f in runner.query(
        "select file, rows_read, rows_used, rows_quarantined, run_id "
        "from staging.source_files order by file")]


def test_a_row_waiting_for_its_client_is_used_once_the_client_is_delivered(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    """T2 of a kept file was quarantined while K2 was missing from the clients (say its row
    was broken); once K2 is delivered, the file is read again, as a full read would."""
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}, clients=CLIENTS[:1]))
    assert _file_accounting(pipeline) == [("transactions/2026-06.csv", 2, 1, 1, "test__1")]
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": JUNE, "2026-07-01.csv": JULY_1})
    published = revenue(pipeline(D2, source=night2))
    assert published == {"K1": 15.0, "K2": 20.0} == full_read(tmp_path, night2, D2)
    run = last_run(pipeline)
    assert (run["rows_read_transactions"], run["rows_used_transactions"],
            run["rows_quarantined_transactions"]) == (3, 3, 0)
    assert _file_accounting(pipeline) == [("transactions/2026-06.csv", 2, 2, 0, "test__2"),
                                          ("transactions/2026-07-01.csv", 1, 1, 0, "test__2")]


def test_a_row_still_waiting_for_its_client_leaves_its_file_kept(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": JUNE}, clients=CLIENTS[:1]))
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": JUNE, "2026-07-01.csv": JULY_1},
                      clients=CLIENTS[:1])
    assert revenue(pipeline(D2, source=night2)) == {"K1": 15.0}
    assert last_run(pipeline)["rows_read_transactions"] == 1


def test_a_row_waiting_for_an_fx_rate_is_used_once_the_rate_is_delivered(
        pipeline: PipelineRunner, tmp_path: Path) -> None:
    usd = [{**JUNE[0], "currency": "USD", "fee": "10"}, JUNE[1]]
    late_rate = [{"rate_date": "2026-06-29", "currency": "USD", "eur_per_unit": "0.5"}]
    pipeline(D1, source=delivery(tmp_path / "n1", {"2026-06.csv": usd}))
    assert _file_accounting(pipeline)[0][1:4] == (2, 1, 1)
    night2 = delivery(tmp_path / "n2", {"2026-06.csv": usd}, fx_rates=late_rate)
    published = revenue(pipeline(D2, source=night2))
    assert published == {"K1": 5.0, "K2": 20.0} == full_read(tmp_path, night2, D2)
    assert last_run(pipeline)["rows_read_transactions"] == 2
