"""Which clients a run classifies, and in which version (RULES.md, first paragraphs), end to end.

- open on D: onboarding_date <= D and (closed_date is null or closed_date > D);
- the version of a client row used for D: the latest updated on or before D (any time that day),
  else the earliest the warehouse has loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from conftest import PipelineRunner

D = date(2026, 6, 30)

OPEN_CLIENTS = [
    pytest.param("onboarded_on_d", {"onboarding_date": "2026-06-30"}, True),
    pytest.param("onboarded_after_d", {"onboarding_date": "2026-07-01"}, False),
    pytest.param("closed_on_d", {"closed_date": "2026-06-30"}, False),
    pytest.param("closed_day_after_d", {"closed_date": "2026-07-01"}, True),
    pytest.param("closed_before_d", {"closed_date": "2026-06-29"}, False),
    pytest.param("never_closed", {"closed_date": None}, True),
    pytest.param("open_for_one_day", {"onboarding_date": "2026-06-30",
                                      "closed_date": "2026-07-01"}, True),
]


@pytest.fixture(scope="module")
def open_on_d(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The client_ids published for D, one run over every case of OPEN_CLIENTS (each trades)."""
    clients = [{"client_id": p.values[0], **p.values[1]} for p in OPEN_CLIENTS]
    runner = PipelineRunner(tmp_path_factory.mktemp("open_clients"))
    return set(runner(D, clients=clients, transactions=[
        {"client_id": c["client_id"], "trade_date": "2026-06-01"} for c in clients]))


@pytest.mark.parametrize(("client_id", "client", "published"), OPEN_CLIENTS,
                         ids=[p.values[0] for p in OPEN_CLIENTS])
def test_open_clients(open_on_d: set[str], client_id: str, client: dict,
                      published: bool) -> None:
    assert (client_id in open_on_d) == published


# Deliveries of the clients table: v1 before 2026-03-01, v2 from then on.
V1 = [
    {"client_id": "K1", "country": "CH", "updated_at": "2026-01-10T09:00:00"},
    {"client_id": "K2", "country": "CH", "updated_at": "2026-01-10T09:00:00"},
]
V2 = [
    # changed late on 2026-03-01: that day's run already uses it
    {"client_id": "K1", "country": "DE", "updated_at": "2026-03-01T23:59:00"},
    # closed as of 2026-02-20, but only known from 2026-03-01: runs before see it open
    {"client_id": "K2", "country": "AT", "closed_date": "2026-02-20",
     "updated_at": "2026-03-01T00:00:00"},
    # first loaded with a version newer than any run's D below: that one is used
    {"client_id": "K3", "country": "FR", "updated_at": "2026-03-01T12:00:00"},
]
# The runs, in this order, on one warehouse: (as_of, delivery).
RUNS = [
    (date(2026, 1, 31), V1),
    (date(2026, 3, 1), V2),
    (date(2026, 2, 28), V2),
    (date(2025, 12, 31), V2),
    (date(2026, 3, 2), V2),
]
VERSIONS = [
    pytest.param(date(2026, 1, 31), "K1", "CH", id="K1_v1_first_run"),
    pytest.param(date(2026, 3, 1), "K1", "DE", id="K1_v2_updated_late_on_d"),
    pytest.param(date(2026, 2, 28), "K1", "CH", id="K1_v1_day_before_v2"),
    pytest.param(date(2025, 12, 31), "K1", "CH", id="K1_earliest_when_all_newer_than_d"),
    pytest.param(date(2026, 3, 2), "K1", "DE", id="K1_v2_day_after"),
    pytest.param(date(2026, 1, 31), "K2", "CH", id="K2_v1_first_run"),
    pytest.param(date(2026, 3, 1), "K2", None, id="K2_closed_in_v2"),
    pytest.param(date(2026, 2, 28), "K2", "CH", id="K2_still_open_in_v1"),
    pytest.param(date(2025, 12, 31), "K2", "CH", id="K2_earliest_when_all_newer_than_d"),
    pytest.param(date(2026, 1, 31), "K3", None, id="K3_not_delivered_yet"),
    pytest.param(date(2026, 2, 28), "K3", "FR", id="K3_only_version_newer_than_d"),
    pytest.param(date(2026, 3, 1), "K3", "FR", id="K3_only_version"),
]


@pytest.fixture(scope="module")
def versions_runner(tmp_path_factory: pytest.TempPathFactory) -> PipelineRunner:
    return PipelineRunner(tmp_path_factory.mktemp("versions"))


@pytest.fixture(scope="module")
def runs(versions_runner: PipelineRunner) -> dict[date, dict[str, Any]]:
    """The published rows of every run of RUNS, by as_of and client_id."""
    return {as_of: versions_runner(as_of, clients=clients) for as_of, clients in RUNS}


@pytest.mark.parametrize(("as_of", "client_id", "country"), VERSIONS)
def test_version_used(runs: dict[date, dict[str, Any]], as_of: date, client_id: str,
                      country: str | None) -> None:
    """The published country tells the version (None: the client is not published)."""
    row = runs[as_of].get(client_id)
    assert (row and row["country"]) == country


def test_every_version_kept(runs: dict[date, dict[str, Any]],
                           versions_runner: PipelineRunner) -> None:
    """The warehouse keeps each (client_id, updated_at) once, whatever the deliveries repeat."""
    rows = versions_runner.query("select client_id, country, cast(updated_at as text) as updated_at"
                        " from staging.client_versions order by client_id, updated_at")
    assert [tuple(r.values()) for r in rows] == [
        ("K1", "CH", "2026-01-10 09:00:00"),
        ("K1", "DE", "2026-03-01 23:59:00"),
        ("K2", "CH", "2026-01-10 09:00:00"),
        ("K2", "AT", "2026-03-01 00:00:00"),
        ("K3", "FR", "2026-03-01 12:00:00"),
    ]


# A delivery that changes a row but not its updated_at: the delivered row replaces the stored
# version of that key (a correction in the source; a row without updated_at has no other way).
SAME_KEY_RUNS = [
    (date(2026, 6, 1), [
        {"client_id": "N1", "country": "CH", "updated_at": None},
        {"client_id": "S1", "country": "CH", "updated_at": "2026-05-01T08:00:00"},
    ]),
    (date(2026, 6, 30), [
        {"client_id": "N1", "country": "DE", "closed_date": "2026-06-15", "updated_at": None},
        {"client_id": "S1", "country": "FR", "updated_at": "2026-05-01T08:00:00"},
    ]),
    (date(2026, 7, 1), [  # the first content delivered again: it is the current one again
        {"client_id": "N1", "country": "CH", "updated_at": None},
        {"client_id": "S1", "country": "CH", "updated_at": "2026-05-01T08:00:00"},
    ]),
    (date(2026, 7, 2), [  # S1's current row is quarantined: its stored version is not used
        {"client_id": "N1", "country": "CH", "updated_at": None},
        {"client_id": "S1", "country": "ch", "updated_at": "2026-07-02T08:00:00"},
    ]),
]


@pytest.fixture(scope="module")
def same_key_runner(tmp_path_factory: pytest.TempPathFactory) -> PipelineRunner:
    return PipelineRunner(tmp_path_factory.mktemp("same_key"))


@pytest.fixture(scope="module")
def same_key_runs(same_key_runner: PipelineRunner) -> list[tuple[list[Any], list[Any]]]:
    """Per run of SAME_KEY_RUNS: the published (client_id, country) and the stored versions."""
    result = []
    for as_of, clients in SAME_KEY_RUNS:
        published = same_key_runner(as_of, clients=clients)
        stored = same_key_runner.query("select client_id, country from staging.client_versions"
                                       " order by client_id")
        result.append((sorted((c, r["country"]) for c, r in published.items()),
                       [tuple(r.values()) for r in stored]))
    return result


@pytest.mark.parametrize(("run", "published"), [
    pytest.param(0, [("N1", "CH"), ("S1", "CH")], id="first_delivery"),
    pytest.param(1, [("S1", "FR")], id="corrected_same_updated_at_and_closed_without_updated_at"),
    pytest.param(2, [("N1", "CH"), ("S1", "CH")], id="first_content_delivered_again"),
    pytest.param(3, [("N1", "CH")], id="current_row_quarantined"),
])
def test_a_changed_row_with_the_same_updated_at_is_used(
        same_key_runs: list[tuple[list[Any], list[Any]]], run: int, published: list) -> None:
    assert same_key_runs[run][0] == published


def test_a_changed_row_with_the_same_updated_at_replaces_its_version(
        same_key_runs: list[tuple[list[Any], list[Any]]]) -> None:
    """One stored version per (client_id, updated_at), a null updated_at included."""
    assert [stored for _, stored in same_key_runs] == [
        [("N1", "CH"), ("S1", "CH")], [("N1", "DE"), ("S1", "FR")], [("N1", "CH"), ("S1", "CH")],
        [("N1", "CH"), ("S1", "CH")]]
