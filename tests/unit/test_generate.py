"""Tests of the synthetic source generator (clientseg.generate)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clientseg import vocab
from clientseg.generate import generate_source

AS_OF = date(2026, 6, 30)
CURRENCIES = {"EUR", "USD", "CHF", "GBP"}
COLUMNS = {
    "clients": [
        "client_id", "client_type", "entity_type", "country", "birth_date", "occupation",
        "annual_income", "financial_sector_experience_years", "investment_knowledge",
        "has_professional_treasury", "balance_sheet_total", "net_turnover", "own_funds",
        "financials_currency", "onboarding_date", "closed_date", "updated_at",
    ],
    "holdings": ["client_id", "as_of_date", "asset_class", "market_value", "currency"],
    "transactions": [
        "transaction_id", "client_id", "trade_date", "instrument_class", "market", "side",
        "notional", "currency", "fee", "status",
    ],
    "fx_rates": ["rate_date", "currency", "eur_per_unit"],
    "categorisation_requests": [
        "request_id", "client_id", "regime", "requested_category", "received_date", "status",
    ],
}  # fmt: skip


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _read_table(root: Path, name: str) -> pd.DataFrame:
    if name == "holdings":
        return pq.read_table(root / "holdings").to_pandas()
    if name == "transactions":
        return pd.concat([_read_csv(p) for p in sorted((root / name).glob("*.csv"))],
                         ignore_index=True)
    return _read_csv(root / f"{name}.csv")


class Source:
    """A generated landing directory with its tables loaded as text (holdings typed)."""

    def __init__(self, root: Path, counts: dict[str, int]) -> None:
        self.root, self.counts = root, counts
        self.tables = {name: _read_table(root, name) for name in COLUMNS}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("source")
    return Source(root, generate_source(root, 2000, 7, AS_OF))


@pytest.fixture(scope="module")
def many_requests(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """Enough clients for > 1000 categorisation requests, few trades to stay fast."""
    root = tmp_path_factory.mktemp("many")
    return Source(root, generate_source(root, 20000, 11, AS_OF, transactions_per_client=0.2))


# ---------------------------------------------------------------- parsing helpers


def _number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _bad_number(s: pd.Series) -> pd.Series:
    return s.notna() & _number(s).isna()


def _iso(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s.str.fullmatch(r"\d{4}-\d{2}-\d{2}", na=False)),
                          format="%Y-%m-%d", errors="coerce")


def _bad_date(s: pd.Series) -> pd.Series:
    return s.notna() & _iso(s).isna()


def _outside(s: pd.Series, allowed: tuple[str, ...] | set[str]) -> pd.Series:
    return s.notna() & ~s.isin(list(allowed))


def _duplicated(s: pd.Series) -> pd.Series:
    return s.notna() & s.duplicated(keep=False)


def _unknown(s: pd.Series, clients: pd.DataFrame) -> pd.Series:
    return s.notna() & ~s.isin(set(clients["client_id"].dropna()))


def _bad_kinds(src: Source, name: str) -> dict[str, pd.Series]:
    """Rows of table ``name`` breaking the contract, by kind of breakage."""
    df, clients = src[name], src["clients"]
    if name == "clients":
        decimals = ["annual_income", "financial_sector_experience_years",
                    "balance_sheet_total", "net_turnover", "own_funds"]
        return {
            "null_id": df["client_id"].isna(),
            "duplicate_id": _duplicated(df["client_id"]),
            "negative_amount": _number(df["annual_income"]) < 0,
            "unknown_currency": _outside(df["financials_currency"], CURRENCIES),
            "unparseable_date": _bad_date(df["birth_date"]) | _bad_date(df["onboarding_date"]),
            "unparseable_number": pd.concat([_bad_number(df[c]) for c in decimals], axis=1
                                            ).any(axis=1),
            "outside_set": _outside(df["client_type"], vocab.CLIENT_TYPES)
            | _outside(df["entity_type"], vocab.ENTITY_TYPES),
        }  # fmt: skip
    if name == "holdings":
        return {
            "null_id": df["client_id"].isna(),
            "negative_amount": df["market_value"] < 0,
            "unknown_client": _unknown(df["client_id"], clients),
            "unknown_currency": _outside(df["currency"], CURRENCIES),
            "outside_set": _outside(df["asset_class"], vocab.ASSET_CLASSES),
        }
    if name == "transactions":
        return {
            "null_id": df["transaction_id"].isna() | df["client_id"].isna(),
            "duplicate_id": _duplicated(df["transaction_id"]),
            "negative_amount": (_number(df["notional"]) < 0) | (_number(df["fee"]) < 0),
            "unknown_client": _unknown(df["client_id"], clients),
            "unknown_currency": _outside(df["currency"], CURRENCIES),
            "unparseable_date": _bad_date(df["trade_date"]),
            "unparseable_number": _bad_number(df["notional"]) | _bad_number(df["fee"]),
            "outside_set": _outside(df["side"], vocab.SIDES)
            | _outside(df["status"], vocab.TRANSACTION_STATUSES),
        }  # fmt: skip
    if name == "fx_rates":
        return {
            "negative_amount": _number(df["eur_per_unit"]) <= 0,
            "unparseable_date": _bad_date(df["rate_date"]),
            "unparseable_number": _bad_number(df["eur_per_unit"]),
        }
    return {
        "null_id": df["request_id"].isna() | df["client_id"].isna(),
        "duplicate_id": _duplicated(df["request_id"]),
        "unknown_client": _unknown(df["client_id"], clients),
        "unparseable_date": _bad_date(df["received_date"]),
        "outside_set": _outside(df["regime"], vocab.REGIMES)
        | _outside(df["requested_category"], set(vocab.MIFID_CATEGORIES + vocab.FINSA_CATEGORIES))
        | _outside(df["status"], vocab.REQUEST_STATUSES),
    }  # fmt: skip


def _bad_any(src: Source, name: str) -> pd.Series:
    return pd.concat(_bad_kinds(src, name).values(), axis=1).any(axis=1)


def _valid_trades_eur(src: Source) -> pd.DataFrame:
    """Valid transactions with notional_eur and fee_eur (latest rate on or before the date)."""
    tx = src["transactions"][~_bad_any(src, "transactions")].copy()
    tx["day"] = _iso(tx["trade_date"])
    tx["notional"], tx["fee"] = _number(tx["notional"]), _number(tx["fee"])
    fx = src["fx_rates"][~_bad_any(src, "fx_rates")].copy()
    fx["day"], fx["rate"] = _iso(fx["rate_date"]), _number(fx["eur_per_unit"])
    eur = pd.DataFrame({"day": fx["day"].drop_duplicates(), "currency": "EUR", "rate": 1.0})
    rates = pd.concat([fx[["day", "currency", "rate"]], eur]).sort_values("day")
    tx = pd.merge_asof(tx.sort_values("day"), rates, on="day", by="currency")
    tx["notional_eur"], tx["fee_eur"] = tx["notional"] * tx["rate"], tx["fee"] * tx["rate"]
    return tx


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- layout


def test_layout_and_exact_columns(source: Source) -> None:
    root = source.root
    for name in ("clients", "fx_rates", "categorisation_requests"):
        header = (root / f"{name}.csv").read_text().split("\n", 1)[0]
        assert header.split(",") == COLUMNS[name]
    for path in (root / "transactions").glob("*.csv"):
        assert path.read_text().split("\n", 1)[0].split(",") == COLUMNS["transactions"]
    expected = pa.schema([("client_id", pa.string()), ("as_of_date", pa.date32()),
                          ("asset_class", pa.string()), ("market_value", pa.float64()),
                          ("currency", pa.string())])
    snapshots = sorted(p.stem for p in (root / "holdings").glob("*.parquet"))
    for stem in snapshots:
        table = pq.read_table(root / "holdings" / f"{stem}.parquet")
        assert table.schema.remove_metadata().equals(expected)
        assert set(table.column("as_of_date").to_pylist()) == {date.fromisoformat(stem)}
    assert snapshots == ["2024-06-30", "2024-09-30", "2024-12-31", "2025-03-31", "2025-06-30",
                         "2025-09-30", "2025-12-31", "2026-03-31", "2026-06-30"]
    months = sorted(p.stem for p in (root / "transactions").glob("*.csv"))
    assert months == [str(m) for m in pd.period_range("2024-05", "2026-07", freq="M")]


def test_counts_equal_rows_on_disk(source: Source) -> None:
    assert source.counts == {name: len(source[name]) for name in COLUMNS}
    assert source.counts["transactions"] == pytest.approx(2000 * 30, rel=0.05)


def test_csv_text_conventions(source: Source) -> None:
    text = (source.root / "clients.csv").read_text()
    assert "True" not in text and "true" in text and "false" in text
    updated = source["clients"]["updated_at"].dropna()
    assert updated.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}").all()
    amounts = source["transactions"]["notional"].dropna()
    assert not amounts.str.contains("e", case=False).any()


def test_snapshot_at_last_quarter_end_for_mid_quarter_as_of(tmp_path: Path) -> None:
    generate_source(tmp_path, 300, 3, date(2026, 5, 15), transactions_per_client=2.0)
    snapshots = sorted(p.stem for p in (tmp_path / "holdings").glob("*.parquet"))
    assert snapshots[-1] == "2026-03-31"
    assert snapshots[0] == "2024-03-31"
    assert max(p.stem for p in (tmp_path / "transactions").glob("*.csv")) == "2026-05"


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    args = {"n_clients": 400, "as_of": AS_OF, "transactions_per_client": 5.0}
    generate_source(tmp_path / "a", seed=5, **args)
    generate_source(tmp_path / "b", seed=5, **args)
    generate_source(tmp_path / "c", seed=6, **args)
    first, again, other = (_hashes(tmp_path / d) for d in "abc")
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[k] != other[k] for k in ("clients.csv", "transactions/2026-06.csv"))


def test_regeneration_replaces_files(tmp_path: Path) -> None:
    (tmp_path / "transactions").mkdir()
    (tmp_path / "transactions" / "1999-01.csv").write_text("stale\n")
    generate_source(tmp_path, 300, 1, AS_OF, transactions_per_client=1.0)
    assert not (tmp_path / "transactions" / "1999-01.csv").exists()


# ---------------------------------------------------------------- history and dates


def test_about_25_months_of_history(source: Source) -> None:
    tx = _valid_trades_eur(source)
    as_of = pd.Timestamp(AS_OF)
    assert tx["day"].min() > as_of - pd.DateOffset(months=25)
    assert tx["day"].min() <= as_of - pd.DateOffset(months=24)
    fx = source["fx_rates"]
    days = pd.date_range(as_of - pd.DateOffset(months=26), as_of + pd.Timedelta(days=3))
    assert len(fx) == 3 * len(days)
    assert set(fx["currency"]) == {"USD", "CHF", "GBP"}
    valid = fx[~_bad_any(source, "fx_rates")]
    assert _iso(valid["rate_date"]).min() == days[0]
    assert _iso(valid["rate_date"]).max() == days[-1]
    levels = valid.assign(r=_number(valid["eur_per_unit"])).groupby("currency")["r"].median()
    assert levels.to_dict() == pytest.approx({"USD": 0.92, "CHF": 1.05, "GBP": 1.17}, rel=0.15)


def test_rows_after_as_of_exist(source: Source) -> None:
    as_of = pd.Timestamp(AS_OF)
    trade_days = _valid_trades_eur(source)["day"]
    future = trade_days[trade_days > as_of]
    assert 0 < len(future) < 0.01 * len(trade_days)
    assert future.max() <= as_of + pd.Timedelta(days=3)
    clients = source["clients"]
    assert (_iso(clients["onboarding_date"]) > as_of).sum() > 0
    closed = _iso(clients["closed_date"])
    assert (closed > as_of).sum() > 0 and (closed <= as_of).sum() > 0
    assert (clients["updated_at"].dropna() > f"{AS_OF}T23:59:59").sum() > 0
    assert (_iso(source["categorisation_requests"]["received_date"]) > as_of).sum() > 0


def test_clients_dates_and_mix(source: Source) -> None:
    clients = source["clients"][~_bad_any(source, "clients")]
    as_of = pd.Timestamp(AS_OF)
    onboard = _iso(clients["onboarding_date"])
    assert onboard.min() >= as_of - pd.DateOffset(years=10)
    assert 0.15 < (clients["client_type"] == "legal_entity").mean() < 0.25
    assert clients["entity_type"].value_counts().index[0] == "corporate"
    ages = (as_of - _iso(clients["birth_date"])).dt.days / 365.25
    assert ages.min() >= 18 and ages.max() < 96 and ages.isna().any()
    closed_share = clients["closed_date"].notna().mean()
    assert 0.03 < closed_share < 0.08
    le = clients[clients["client_type"] == "legal_entity"]
    bst = _number(le["balance_sheet_total"])
    assert (bst >= 20e6).mean() > 0.2 and (bst < 20e6).mean() > 0.2 and bst.isna().any()
    assert set(le["financials_currency"].dropna()) == CURRENCIES
    assert le["has_professional_treasury"].eq("true").any()
    years = _number(clients["financial_sector_experience_years"])
    assert (years == 0).mean() > 0.4 and years.max() <= 20 and years.isna().any()


# ---------------------------------------------------------------- vocabularies


def test_every_vocabulary_value_present(source: Source) -> None:
    clients = source["clients"]
    assert set(vocab.ENTITY_TYPES) <= set(clients["entity_type"])
    holdings = source["holdings"]
    latest = holdings[holdings["as_of_date"] == AS_OF]
    assert set(vocab.ASSET_CLASSES) <= set(latest["asset_class"])
    tx = source["transactions"]
    assert set(vocab.TRANSACTION_STATUSES) <= set(tx["status"])
    assert {"equity", "bond", "fund", "derivative", "fx"} <= set(tx["instrument_class"])
    assert {"XSWX", "XETR", "XPAR", "XNYS", "XLON", "OTC"} <= set(tx["market"])
    assert tx["currency"].value_counts().index[0] == "EUR"
    assert 0.01 < (tx["status"] == "cancelled").mean() < 0.05
    requests = source["categorisation_requests"]
    assert set(vocab.REQUEST_STATUSES) <= set(requests["status"])
    assert requests["status"].value_counts().index[0] == "accepted"
    pairs = set(zip(requests["regime"], requests["requested_category"], strict=True))
    assert {(r, c) for r in vocab.REGIMES for c in vocab.REQUESTED_CATEGORIES[r]} <= pairs


def test_transaction_ids_look_like_ids(source: Source) -> None:
    ids = source["transactions"]["transaction_id"].dropna()
    assert ids.str.fullmatch(r"T\d{9}").all()


# ---------------------------------------------------------------- bad rows


@pytest.mark.parametrize("name", ["clients", "holdings", "transactions", "fx_rates"])
def test_every_bad_kind_present_and_share_below_one_percent(source: Source, name: str) -> None:
    kinds = _bad_kinds(source, name)
    assert [k for k, mask in kinds.items() if not mask.any()] == []
    share = _bad_any(source, name).mean()
    assert share < 0.01
    if name in ("holdings", "transactions"):
        assert 0.001 < share < 0.005


def test_bad_request_kinds_with_many_clients(many_requests: Source) -> None:
    assert len(many_requests["categorisation_requests"]) >= 1000
    for name in ("categorisation_requests", "clients"):
        kinds = _bad_kinds(many_requests, name)
        assert [k for k, mask in kinds.items() if not mask.any()] == []
        assert _bad_any(many_requests, name).mean() < 0.01


def test_small_tables_stay_below_one_percent(source: Source) -> None:
    requests = source["categorisation_requests"]
    assert len(requests) < 500
    assert _bad_any(source, "categorisation_requests").mean() < 0.01


def test_bad_client_rows_are_not_referenced(source: Source) -> None:
    """A quarantined client row must not turn other tables' rows into unknown-client rows."""
    clients = source["clients"]
    bad_ids = set(clients.loc[_bad_any(source, "clients"), "client_id"].dropna())
    assert bad_ids
    for name in ("holdings", "transactions", "categorisation_requests"):
        assert not bad_ids & set(source[name]["client_id"].dropna())


# ---------------------------------------------------------------- realism


def test_holdings_only_for_onboarded_clients(source: Source) -> None:
    clients = source["clients"][~_bad_any(source, "clients")]
    onboard = dict(zip(clients["client_id"], _iso(clients["onboarding_date"]), strict=True))
    holdings = source["holdings"].dropna(subset=["client_id"])
    holdings = holdings[holdings["client_id"].isin(onboard)]
    assert (holdings["client_id"].map(onboard) <= pd.to_datetime(holdings["as_of_date"])).all()
    per_snapshot = holdings.groupby("as_of_date")["client_id"].nunique()
    assert per_snapshot.is_monotonic_increasing and per_snapshot.iloc[0] < per_snapshot.iloc[-1]
    positions = holdings.groupby(["as_of_date", "client_id"]).size()
    assert positions.mean() > 2


def test_skewed_activity_and_heavy_traders(source: Source) -> None:
    tx = _valid_trades_eur(source)
    as_of = pd.Timestamp(AS_OF)
    window = tx[(tx["status"] == "executed") & (tx["day"] > as_of - pd.DateOffset(months=12))
                & (tx["day"] <= as_of)]
    revenue = window.groupby("client_id")["fee_eur"].sum().sort_values(ascending=False)
    top = revenue.iloc[: len(revenue) // 10].sum() / revenue.sum()
    assert top > 0.5
    significant = window[window["notional_eur"] >= 50_000].groupby("client_id").size()
    heavy = (significant >= 40).sum()
    assert 10 <= heavy <= 60  # about 10 per 1000 clients
    trading = set(tx["client_id"])
    assert len(set(source["clients"]["client_id"].dropna()) - trading) > 100


def test_opt_up_candidates_request_professional(source: Source) -> None:
    tx = _valid_trades_eur(source)
    significant = tx[(tx["status"] == "executed") & (tx["notional_eur"] >= 50_000)]
    heavy = set(significant.groupby("client_id").size().loc[lambda s: s >= 40].index)
    clients = source["clients"].set_index("client_id", drop=False)
    requests = source["categorisation_requests"]
    opt_up = requests[(requests["regime"] == "mifid")
                      & (requests["requested_category"] == "professional")
                      & requests["client_id"].isin(clients.index)]
    types = clients.loc[opt_up["client_id"], "client_type"]
    assert (types == "individual").any() and heavy & set(opt_up["client_id"])
    le_requests = requests[requests["client_id"].isin(
        clients.index[clients["client_type"] == "legal_entity"])]
    assert le_requests["requested_category"].nunique() >= 3


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        generate_source(Path("/nonexistent"), 0, 1, AS_OF)


def test_history_dates_are_in_window(source: Source) -> None:
    requests = source["categorisation_requests"]
    received = _iso(requests["received_date"]).dropna()
    assert received.min() > pd.Timestamp(AS_OF - timedelta(days=800))
    assert np.isfinite(_number(source["transactions"]["fee"]).dropna()).all()
