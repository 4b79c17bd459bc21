"""Generate a realistic, deterministic source landing directory in the SOURCE.md layout.

Vectorised numpy, written in chunks (client blocks for holdings, trade months for
transactions) so a million clients with thirty million transactions stay within a few GB.
About 0.2 % of the rows of every table break the contract on purpose (the ``_*_BAD`` lists).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clientseg import vocab

HISTORY_MONTHS = 25  # transactions: trade_date in (as_of - 25 months, as_of]
FX_MONTHS = 26  # fx_rates (and holdings snapshots) start 26 months before as_of
FUTURE_DAYS = 3  # rows dated as_of + 1 .. as_of + 3
BAD_RATE = 0.002  # share of contract-breaking rows per table
BAD_CAP = 0.005  # never more than this share, even to show every kind of bad row
HOLDINGS_BLOCK = 500_000  # positions per Parquet row group
EPOCH = date(1970, 1, 1)
NEVER = 10**7  # day number standing for "no closed_date"

CURRENCIES = ("EUR", "USD", "CHF", "GBP")
FX_LEVELS = np.array([0.92, 1.05, 1.17])  # EUR per unit of USD, CHF, GBP
COUNTRY_P = {
    "CH": 0.28, "DE": 0.15, "FR": 0.10, "IT": 0.08, "GB": 0.06, "LU": 0.05, "AT": 0.05,
    "NL": 0.05, "ES": 0.05, "US": 0.04, "BE": 0.03, "PT": 0.02, "MC": 0.02, "LI": 0.02,
}  # fmt: skip
HOME_CURRENCY = {"CH": "CHF", "LI": "CHF", "GB": "GBP", "US": "USD"}  # others: EUR
ENTITY_P = {
    "corporate": 0.40, "private_investment_structure": 0.10, "other": 0.06,
    "collective_investment_scheme": 0.05, "pension_fund": 0.05, "credit_institution": 0.04,
    "investment_firm": 0.04, "insurance_undertaking": 0.03, "other_financial_institution": 0.03,
    "commodity_dealer": 0.02, "local": 0.03, "other_institutional_investor": 0.04,
    "national_government": 0.02, "regional_government": 0.03, "public_debt_body": 0.02,
    "central_bank": 0.02, "supranational": 0.02,
}  # fmt: skip
MIFID_ECP = {
    "credit_institution", "investment_firm", "insurance_undertaking",
    "collective_investment_scheme", "pension_fund", "other_financial_institution",
    "commodity_dealer", "national_government", "public_debt_body", "central_bank",
    "supranational",
}  # fmt: skip
MIFID_PRO = {"local", "other_institutional_investor", "regional_government"}
FINSA_INST = {
    "credit_institution", "investment_firm", "insurance_undertaking",
    "collective_investment_scheme", "other_financial_institution", "central_bank",
    "supranational",
}  # fmt: skip
FINSA_OPT_UP = {"pension_fund", "private_investment_structure"}
ASSET_P = {
    "cash_deposit": 0.22, "security": 0.24, "fund": 0.18, "structured_product": 0.07,
    "derivative": 0.04, "precious_metal": 0.04, "life_insurance": 0.05, "fiduciary": 0.04,
    "real_estate": 0.07, "pension": 0.05,
}  # fmt: skip
OCCUPATIONS = (
    "software engineer", "physician", "teacher", "retired", "entrepreneur", "lawyer",
    "consultant", "civil servant", "architect", "farmer", "pilot", "pharmacist", "artist",
    "homemaker", "student", "CSP 23", "CSP 37", "CSP 38", "CSP 69",
    "banker", "portfolio manager", "trader", "financial analyst",
)  # fmt: skip
FINANCE_OCCUPATIONS = 4  # the last four occupations work in the financial sector
INSTRUMENTS = ("equity", "bond", "fund", "derivative", "fx")
INSTRUMENT_P = (0.45, 0.20, 0.20, 0.08, 0.07)
MARKETS = ("XSWX", "XETR", "XPAR", "XNYS", "XLON", "OTC")
CURRENCY_MICS = np.array([[1, 2], [3, 3], [0, 0], [4, 4]])  # per CURRENCIES, two choices
OTC_SHARE = np.array([0.0, 0.4, 0.0, 0.6, 1.0])  # per INSTRUMENTS
REQUEST_STATUS_P = (0.72, 0.10, 0.10, 0.08)  # per vocab.REQUEST_STATUSES
REQUEST_CATEGORIES = tuple(c for r in vocab.REGIMES for c in vocab.REQUESTED_CATEGORIES[r])
# Requested-category probabilities per regime and client group (rows: groups of _groups).
MIFID_REQUEST_P = np.array([[0.15, 0.85, 0.0], [0.4, 0.6, 0.0], [0.4, 0.0, 0.6], [0.3, 0.3, 0.4]])
FINSA_REQUEST_P = np.array([[0.15, 0.85, 0.0], [0.3, 0.7, 0.0], [0.2, 0.2, 0.6], [0.4, 0.3, 0.3]])


@dataclass(frozen=True)
class _Bad:
    """One way to break a row: ``op`` is set (to ``value``), neg, dup or unknown (client)."""

    kind: str
    column: str
    op: str
    value: str | None = None


_CLIENT_BAD = (
    _Bad("null_id", "client_id", "set"),
    _Bad("negative_amount", "annual_income", "neg"),
    _Bad("duplicate_id", "client_id", "dup"),
    _Bad("unknown_currency", "financials_currency", "set", "XYZ"),
    _Bad("unparseable_date", "onboarding_date", "set", "2026-13-45"),
    _Bad("unparseable_number", "annual_income", "set", "12,5"),
    _Bad("outside_set", "client_type", "set", "partnership"),
    _Bad("unparseable_date", "birth_date", "set", "31/12/2025"),
    _Bad("unparseable_number", "balance_sheet_total", "set", "abc"),
    _Bad("outside_set", "entity_type", "set", "hedge_fund"),
)
_HOLDING_BAD = (
    _Bad("null_id", "client_id", "set"),
    _Bad("negative_amount", "market_value", "neg"),
    _Bad("unknown_client", "client_id", "unknown"),
    _Bad("unknown_currency", "currency", "set", "XYZ"),
    _Bad("outside_set", "asset_class", "set", "crypto"),
)
_TRANSACTION_BAD = (
    _Bad("null_id", "transaction_id", "set"),
    _Bad("negative_amount", "notional", "neg"),
    _Bad("unknown_client", "client_id", "unknown"),
    _Bad("duplicate_id", "transaction_id", "dup"),
    _Bad("unknown_currency", "currency", "set", "XYZ"),
    _Bad("unparseable_date", "trade_date", "set", "2026-13-45"),
    _Bad("unparseable_number", "notional", "set", "12,5"),
    _Bad("outside_set", "side", "set", "hold"),
    _Bad("null_id", "client_id", "set"),
    _Bad("negative_amount", "fee", "neg"),
    _Bad("unparseable_date", "trade_date", "set", "31/12/2025"),
    _Bad("unparseable_number", "fee", "set", "abc"),
    _Bad("outside_set", "status", "set", "unknown"),
)
_FX_BAD = (
    _Bad("unparseable_date", "rate_date", "set", "2026-13-45"),
    _Bad("unparseable_number", "eur_per_unit", "set", "12,5"),
    _Bad("negative_amount", "eur_per_unit", "neg"),
    _Bad("unparseable_date", "rate_date", "set", "31/12/2025"),
    _Bad("unparseable_number", "eur_per_unit", "set", "abc"),
)
_REQUEST_BAD = (
    _Bad("null_id", "request_id", "set"),
    _Bad("unknown_client", "client_id", "unknown"),
    _Bad("duplicate_id", "request_id", "dup"),
    _Bad("unparseable_date", "received_date", "set", "2026-13-45"),
    _Bad("outside_set", "status", "set", "unknown"),
    _Bad("null_id", "client_id", "set"),
    _Bad("unparseable_date", "received_date", "set", "31/12/2025"),
    _Bad("outside_set", "regime", "set", "esma"),
    _Bad("outside_set", "requested_category", "set", "vip"),
)
HOLDINGS_SCHEMA = pa.schema([
    ("client_id", pa.string()), ("as_of_date", pa.date32()), ("asset_class", pa.string()),
    ("market_value", pa.float64()), ("currency", pa.string()),
])  # fmt: skip


@dataclass
class _Clients:
    """Client attributes that the other tables depend on (index i is client ``C{i+1}``)."""

    ids: pa.Array
    width: int
    is_le: np.ndarray
    entity: np.ndarray  # index into vocab.ENTITY_TYPES, -1 for individuals
    country: np.ndarray  # index into COUNTRY_P
    home_ccy: np.ndarray  # index into CURRENCIES
    onboard: np.ndarray  # day numbers
    closed: np.ndarray  # day numbers, NEVER while open
    wealth: np.ndarray  # EUR, at the last snapshot
    weight: np.ndarray  # trading activity, 0 = never trades
    heavy: np.ndarray  # indices of heavy traders
    bad: np.ndarray  # indices whose clients row breaks the contract
    reserve: np.ndarray  # indices duplicated by bad rows; like ``bad``, referenced nowhere

    @property
    def n(self) -> int:
        return len(self.onboard)

    @property
    def no_refs(self) -> np.ndarray:
        return np.concatenate([self.bad, self.reserve])


@dataclass
class _Fx:
    """Daily rates, row per CURRENCIES index (EUR = 1), column per day from ``start``."""

    start: int
    rates: np.ndarray

    def rate(self, ccy: np.ndarray, day: np.ndarray) -> np.ndarray:
        return self.rates[ccy, day - self.start]


@dataclass
class _Month:
    """Planned transactions of one trade month."""

    label: str
    first: int
    last: int
    days: np.ndarray  # history days of the month
    p: np.ndarray  # trading-day weights of ``days``
    future: np.ndarray  # days after as_of in the month
    n_base: int = 0
    n_future: int = 0
    heavy: np.ndarray | None = None  # trades per heavy trader

    @property
    def rows(self) -> int:
        return self.n_base + self.n_future + int(self.heavy.sum())


# ---------------------------------------------------------------- small helpers


def _days(d: date) -> int:
    return (d - EPOCH).days


def _add_months(d: date, months: int) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _quarter_ends(as_of: date, fx_months: int = FX_MONTHS) -> list[date]:
    """Quarter ends from ``fx_months`` before ``as_of`` up to the last one on or before it."""
    start, ends = _add_months(as_of, -fx_months), []
    year, month = as_of.year, as_of.month - as_of.month % 3
    for _ in range(4 * (fx_months // 12 + 2)):
        if month == 0:
            year, month = year - 1, 12
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end < start:
            break
        if end <= as_of:
            ends.append(end)
        month -= 3
    return sorted(ends)


def _probs(weights: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    p = np.array([weights[name] for name in names])
    return p / p.sum()


def _split(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights``."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    if total <= 0 or cum.size == 0 or cum[-1] <= 0:
        return np.zeros(cum.size, dtype=np.int64)
    bounds = np.floor(total * cum / cum[-1] + 1e-9).astype(np.int64)
    bounds[-1] = total
    return np.diff(bounds, prepend=0)


def _n_kinds(variants: tuple[_Bad, ...]) -> int:
    return len({v.kind for v in variants})


def _bad_total(rows: int, variants: tuple[_Bad, ...]) -> int:
    """Bad rows of a table: about BAD_RATE, every kind if BAD_CAP allows."""
    return min(int(rows * BAD_CAP), max(round(rows * BAD_RATE), _n_kinds(variants)))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(names: tuple[str, ...], idx: np.ndarray) -> pa.Array:
    """Strings of ``names`` by index; index -1 is null."""
    idx = np.asarray(idx)
    return pa.array(names, pa.string()).take(pa.array(idx, mask=idx < 0))


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int64).astype("datetime64[D]"), mask=null)


def _date_text(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pc.cast(_dates(days, null), pa.string())


def _fixed(values: np.ndarray, decimals: int, null: np.ndarray | None = None) -> pa.Array:
    """Non-negative amounts as fixed-point text (``1234.50``), never in exponent notation."""
    values = np.asarray(values, dtype=np.float64)
    if null is not None:
        values = np.where(null, 0.0, values)
    scaled = np.rint(values * 10**decimals).astype(np.int64)
    whole = pc.cast(pa.array(scaled // 10**decimals, mask=null), pa.string())
    if decimals == 0:
        return whole
    frac = pc.utf8_lpad(pc.cast(pa.array(scaled % 10**decimals), pa.string()), decimals, "0")
    return pc.binary_join_element_wise(whole, frac, ".")


def _bools(codes: np.ndarray) -> pa.Array:
    """1 = true, 0 = false, -1 = null."""
    return pa.array(codes == 1, mask=codes < 0)


def _pick(rng: np.random.Generator, options: list[int], p: list[float], n: int) -> np.ndarray:
    return rng.choice(np.array(options), size=n, p=np.array(p))


# ---------------------------------------------------------------- bad rows


def _bad_values(bad: _Bad, col: pa.Array, rows: np.ndarray, rng: np.random.Generator,
                n_clients: int, width: int, dup_pool: np.ndarray | None) -> pa.Array:
    """Replacement values of ``col`` at ``rows`` for one kind of bad row."""
    k = rows.size
    if bad.op == "set":
        return pa.array([bad.value] * k, col.type)
    if bad.op == "unknown":
        return _ids("C", n_clients + 1 + rng.integers(0, n_clients + 1, k), width)
    if bad.op == "dup":
        return col.take(pa.array(rng.choice(dup_pool, k)))
    current = col.take(pa.array(rows))
    if pa.types.is_floating(col.type):
        return pc.negate(pc.fill_null(current, 1000.0))
    return pc.binary_join_element_wise("-", pc.fill_null(current, "1000"), "")


def _corrupt(table: pa.Table, rng: np.random.Generator, count: int, first: int,
             variants: tuple[_Bad, ...], n_clients: int, width: int,
             candidates: np.ndarray | None = None, dup_pool: np.ndarray | None = None,
             ) -> tuple[pa.Table, np.ndarray]:
    """Break ``count`` rows; bad row j gets variant ``(first + j) % len(variants)``.

    Returns the table and the rows whose new text needs CSV quoting.
    """
    count = min(count, table.num_rows if candidates is None else candidates.size)
    if count <= 0:
        return table, np.empty(0, dtype=np.int64)
    pool = np.arange(table.num_rows) if candidates is None else candidates
    rows = rng.choice(pool, count, replace=False)
    which = (first + np.arange(count)) % len(variants)
    if dup_pool is None and any(variants[i].op == "dup" for i in set(which.tolist())):
        dup_pool = np.setdiff1d(np.arange(table.num_rows), rows)
    quoted: list[np.ndarray] = []
    for column in dict.fromkeys(v.column for v in variants):
        mine = [i for i, v in enumerate(variants) if v.column == column]
        sel = np.isin(which, mine)
        if not sel.any():
            continue
        order = np.argsort(rows[sel])
        col_rows, col_which = rows[sel][order], which[sel][order]
        col = table.column(column).combine_chunks()
        repl = pa.nulls(col_rows.size, col.type)
        for i in mine:
            hit = col_which == i
            if hit.any():
                new = _bad_values(variants[i], col, col_rows[hit], rng, n_clients, width, dup_pool)
                repl = pc.replace_with_mask(repl, pa.array(hit), new)
                if variants[i].value and any(ch in variants[i].value for ch in ',"\r\n'):
                    quoted.append(col_rows[hit])
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[col_rows] = True
        fixed = pc.replace_with_mask(col, pa.array(mask), repl)
        table = table.set_column(table.schema.get_field_index(column), column, fixed)
    return table, np.sort(np.concatenate(quoted)) if quoted else np.empty(0, dtype=np.int64)


def _write_csv(table: pa.Table, path: Path, quoted: np.ndarray) -> None:
    """Write unquoted CSV; only the ``quoted`` rows (values holding commas) use quotes."""
    plain = pacsv.WriteOptions(include_header=False, quoting_style="none")
    needed = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with path.open("wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        start = 0
        for row in quoted.tolist():
            if row > start:
                pacsv.write_csv(table.slice(start, row - start), fh, plain)
            pacsv.write_csv(table.slice(row, 1), fh, needed)
            start = row + 1
        if start < table.num_rows:
            pacsv.write_csv(table.slice(start), fh, plain)


# ---------------------------------------------------------------- fx rates


def _fx_rates(rng: np.random.Generator, as_of_day: int, start_day: int) -> _Fx:
    """Mean-reverting daily random walk around FX_LEVELS, rounded to 6 decimals."""
    n_days = as_of_day + FUTURE_DAYS - start_day + 1
    level = np.log(FX_LEVELS)
    shocks = rng.normal(0.0, 0.004, (3, n_days))
    logs = np.empty((3, n_days))
    logs[:, 0] = level + rng.normal(0.0, 0.02, 3)
    for t in range(1, n_days):  # one step per day, all currencies at once
        logs[:, t] = logs[:, t - 1] + 0.01 * (level - logs[:, t - 1]) + shocks[:, t]
    return _Fx(start_day, np.vstack([np.ones(n_days), np.round(np.exp(logs), 6)]))


def _write_fx(out: Path, rng: np.random.Generator, fx: _Fx, c: _Clients) -> int:
    n_days = fx.rates.shape[1]
    table = pa.table({
        "rate_date": _date_text(np.repeat(fx.start + np.arange(n_days), 3)),
        "currency": _take(CURRENCIES, np.tile([1, 2, 3], n_days)),
        "eur_per_unit": _fixed(fx.rates[1:].T.ravel(), 6),
    })  # fmt: skip
    keep = np.arange(min(3 * 31, table.num_rows), table.num_rows)  # first month stays clean
    table, quoted = _corrupt(table, rng, _bad_total(table.num_rows, _FX_BAD), 0, _FX_BAD,
                             c.n, c.width, candidates=keep)
    _write_csv(table, out / "fx_rates.csv", quoted)
    return table.num_rows


# ---------------------------------------------------------------- clients


def _client_core(rng: np.random.Generator, n: int, as_of_day: int) -> _Clients:
    """Types, dates, wealth and trading activity of ``n`` clients."""
    is_le = rng.random(n) < 0.2
    n_types = len(vocab.ENTITY_TYPES)
    entity = rng.choice(n_types, n, p=_probs(ENTITY_P, vocab.ENTITY_TYPES)).astype(np.int64)
    le_idx = np.flatnonzero(is_le)
    if le_idx.size >= n_types:  # every entity type at least once
        entity[rng.choice(le_idx, n_types, replace=False)] = np.arange(n_types)
    entity[~is_le] = -1
    countries = tuple(COUNTRY_P)
    country = rng.choice(len(countries), n, p=_probs(COUNTRY_P, countries))
    home = np.array([CURRENCIES.index(HOME_CURRENCY.get(k, "EUR")) for k in countries])[country]
    onboard = as_of_day - rng.integers(0, 3653, n)
    future = rng.choice(n, min(n, max(2, round(0.01 * n))), replace=False)
    onboard[future] = as_of_day + rng.integers(1, 61, future.size)
    closed = _closed_dates(rng, onboard, as_of_day)
    wealth = np.where(is_le, rng.lognormal(np.log(2e6), 1.6, n),
                      rng.lognormal(np.log(9e4), 1.5, n))
    uhnw = ~is_le & (rng.random(n) < 0.003)
    wealth[uhnw] *= rng.uniform(40.0, 150.0, int(uhnw.sum()))
    weight = rng.lognormal(0.0, 1.4, n) * (wealth / 1e5) ** 0.1
    weight[rng.random(n) < 0.12] = 0.0
    width = max(7, len(str(2 * n + 2)))
    c = _Clients(_ids("C", np.arange(1, n + 1), width), width, is_le, entity, country, home,
                 onboard, closed, wealth, weight, np.empty(0, np.int64), np.empty(0, np.int64),
                 np.empty(0, np.int64))
    c.heavy = _heavy_traders(rng, c, as_of_day)
    _reserve_bad(rng, c)
    return c


def _closed_dates(rng: np.random.Generator, onboard: np.ndarray, as_of_day: int) -> np.ndarray:
    """About 5 % closed: mostly on or before as_of, a fifth of them after it."""
    n = onboard.size
    closed = np.full(n, NEVER, dtype=np.int64)
    sel = np.flatnonzero((rng.random(n) < 0.05) & (onboard < as_of_day - 30))
    span = as_of_day - onboard[sel]
    before = onboard[sel] + 1 + (rng.random(sel.size) * (span - 1)).astype(np.int64)
    after = as_of_day + rng.integers(1, 91, sel.size)
    closed[sel] = np.where(rng.random(sel.size) < 0.2, after, before)
    return closed


def _heavy_traders(rng: np.random.Generator, c: _Clients, as_of_day: int) -> np.ndarray:
    """About 1 % of clients, mostly individuals, trading big tickets every month."""
    ok = np.flatnonzero((c.weight > 0) & (c.onboard <= as_of_day - 400) & (c.closed == NEVER))
    count = min(ok.size, max(1, round(0.01 * c.n)))
    if count == 0:
        return np.empty(0, dtype=np.int64)
    p = np.where(c.is_le[ok], 1.0, 4.0)
    heavy = np.sort(rng.choice(ok, count, replace=False, p=p / p.sum()))
    rich = rng.random(count) < 0.5  # half of them have a big portfolio, half a small one
    c.wealth[heavy] = np.where(rich, np.maximum(c.wealth[heavy], rng.uniform(1.2e6, 5e6, count)),
                               np.minimum(c.wealth[heavy], rng.uniform(3e4, 3e5, count)))
    return heavy


def _reserve_bad(rng: np.random.Generator, c: _Clients) -> None:
    """Pick the clients whose rows break the contract among clients nothing else references."""
    pool = np.setdiff1d(np.flatnonzero(c.weight == 0), c.heavy)
    n_bad = min(_bad_total(c.n, _CLIENT_BAD), pool.size // 2)
    picked = rng.choice(pool, 2 * n_bad, replace=False) if n_bad else pool[:0]
    c.bad, c.reserve = np.sort(picked[:n_bad]), np.sort(picked[n_bad:])


def _clients_table(rng: np.random.Generator, c: _Clients, as_of_day: int) -> pa.Table:
    n, ind, le = c.n, ~c.is_le, c.is_le
    occupation = np.where(ind & (rng.random(n) >= 0.05), rng.integers(0, len(OCCUPATIONS), n), -1)
    experience = _experience(rng, c, occupation)
    figures = _le_figures(rng, c)
    fin_ccy = np.where(le, _pick(rng, [0, 1, 2, 3, -1], [0.55, 0.12, 0.25, 0.05, 0.03], n), -1)
    return pa.table({
        "client_id": c.ids,
        "client_type": _take(vocab.CLIENT_TYPES, le.astype(np.int64)),
        "entity_type": _take(vocab.ENTITY_TYPES, c.entity),
        "country": _take(tuple(COUNTRY_P), c.country),
        "birth_date": _date_text(_birth_days(rng, c, as_of_day), le | (rng.random(n) < 0.02)),
        "occupation": _take(OCCUPATIONS, occupation),
        "annual_income": _fixed(np.round(rng.lognormal(np.log(85e3), 0.8, n), -2), 0,
                                le | (rng.random(n) < 0.1)),
        "financial_sector_experience_years": _fixed(experience, 1, np.isnan(experience)),
        "investment_knowledge": _bools(_pick(rng, [-1, 0, 1], [0.1, 0.62, 0.28], n)),
        "has_professional_treasury": _bools(
            np.where(le, _pick(rng, [-1, 0, 1], [0.15, 0.55, 0.3], n), -1)),
        "balance_sheet_total": figures[0],
        "net_turnover": figures[1],
        "own_funds": figures[2],
        "financials_currency": _take(CURRENCIES, fin_ccy),
        "onboarding_date": _date_text(c.onboard),
        "closed_date": _dates(c.closed, c.closed == NEVER),
        "updated_at": _updated_at(rng, c, as_of_day),
    })  # fmt: skip


def _birth_days(rng: np.random.Generator, c: _Clients, as_of_day: int) -> np.ndarray:
    """Ages 18-95 on as_of, at least 18 at onboarding."""
    age = np.clip(rng.normal(52.0, 15.0, c.n), 18.01, 95.98)
    age = np.maximum(age, np.clip(18.01 + (as_of_day - c.onboard) / 365.25, 18.01, 95.98))
    return as_of_day - (age * 365.25).astype(np.int64)


def _experience(rng: np.random.Generator, c: _Clients, occupation: np.ndarray) -> np.ndarray:
    """Years in the financial sector: mostly 0, finance jobs more, some unknown (NaN)."""
    n = c.n
    years = np.where(rng.random(n) < 0.68, 0.0, rng.integers(1, 21, n).astype(np.float64))
    years[(years > 0) & (rng.random(n) < 0.1)] -= 0.5
    finance = occupation >= len(OCCUPATIONS) - FINANCE_OCCUPATIONS
    years[finance] = np.maximum(years[finance], rng.integers(2, 21, int(finance.sum())))
    years[rng.random(n) < 0.08] = np.nan
    h = c.heavy  # heavy traders: some experienced (opt-up granted), some not
    years[h] = np.where(rng.random(h.size) < 0.4, rng.integers(1, 15, h.size), 0.0)
    return years


def _le_figures(rng: np.random.Generator, c: _Clients) -> list[pa.Array]:
    """Balance sheet, turnover and own funds spread around the 20M / 40M / 2M thresholds."""
    n = c.n
    financial = np.isin(c.entity, [vocab.ENTITY_TYPES.index(t) for t in MIFID_ECP])
    size = rng.normal(0.0, 1.3, n) + np.where(financial, 1.0, 0.0)
    out = []
    for threshold, noise in ((20e6, 0.4), (40e6, 0.6), (2e6, 0.6)):
        values = np.round(threshold * np.exp(size + rng.normal(-0.1, noise, n)))
        values[rng.random(n) < 0.03] = threshold  # exactly on the threshold
        out.append(_fixed(values, 0, ~c.is_le | (rng.random(n) < 0.1)))
    return out


def _updated_at(rng: np.random.Generator, c: _Clients, as_of_day: int) -> pa.Array:
    """Last change: between onboarding and as_of, a few after as_of."""
    n = c.n
    low = np.minimum(np.maximum(c.onboard, as_of_day - 1100), as_of_day)
    day = low + (rng.random(n) * (as_of_day - low + 1)).astype(np.int64)
    day = np.where(c.onboard > as_of_day, as_of_day - rng.integers(0, 30, n), day)
    late = rng.choice(n, min(n, max(2, round(0.01 * n))), replace=False)
    day[late] = as_of_day + rng.integers(1, FUTURE_DAYS + 1, late.size)
    seconds = day * 86400 + rng.integers(7 * 3600, 20 * 3600, n)
    return pc.strftime(pa.array(seconds, pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")


def _write_clients(out: Path, rng: np.random.Generator, c: _Clients, as_of_day: int) -> int:
    table = _clients_table(rng, c, as_of_day)
    table, quoted = _corrupt(table, rng, c.bad.size, 0, _CLIENT_BAD, c.n, c.width,
                             candidates=c.bad, dup_pool=c.reserve)
    _write_csv(table, out / "clients.csv", quoted)
    return table.num_rows


# ---------------------------------------------------------------- holdings


def _positions(rng: np.random.Generator, c: _Clients, last_snap: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Owner, asset class, currency and EUR value (at the last snapshot) of every position."""
    n_pos = np.minimum(1 + rng.poisson(np.where(c.is_le, 3.0, 2.2)), 12)
    n_pos[rng.random(c.n) < 0.04] = 0
    n_pos[c.no_refs] = 0
    owner = np.repeat(np.arange(c.n), n_pos)
    asset = rng.choice(len(vocab.ASSET_CLASSES), owner.size, p=_probs(ASSET_P, vocab.ASSET_CLASSES))
    shown = np.flatnonzero((c.onboard[owner] <= last_snap) & (c.closed[owner] > last_snap))
    if shown.size >= len(vocab.ASSET_CLASSES):  # every asset class in the latest snapshot
        asset[rng.choice(shown, len(vocab.ASSET_CLASSES), replace=False)] = np.arange(
            len(vocab.ASSET_CLASSES))
    other = rng.choice(len(CURRENCIES), owner.size, p=[0.5, 0.25, 0.15, 0.1])
    ccy = np.where(rng.random(owner.size) < 0.65, c.home_ccy[owner], other)
    share = rng.gamma(1.0, 1.0, owner.size)
    share /= np.bincount(owner, share, minlength=c.n)[owner]
    return owner, asset, ccy, np.maximum(c.wealth[owner] * share, 50.0)


def _holdings_chunk(c: _Clients, owner: np.ndarray, asset: np.ndarray, ccy: np.ndarray,
                    values: np.ndarray, day: int) -> pa.Table:
    """Rows of one snapshot for positions whose owner is a client on ``day``."""
    rows = np.flatnonzero((c.onboard[owner] <= day) & (c.closed[owner] > day))
    return pa.table({
        "client_id": c.ids.take(pa.array(owner[rows])),
        "as_of_date": _dates(np.full(rows.size, day)),
        "asset_class": _take(vocab.ASSET_CLASSES, asset[rows]),
        "market_value": pa.array(np.round(values[rows], 2)),
        "currency": _take(CURRENCIES, ccy[rows]),
    }, schema=HOLDINGS_SCHEMA)  # fmt: skip


def _write_holdings(out: Path, rng: np.random.Generator, c: _Clients, snaps: list[date],
                    fx: _Fx) -> int:
    days = np.array([_days(s) for s in snaps])
    owner, asset, ccy, value_eur = _positions(rng, c, int(days[-1]))
    blocks = [slice(b, min(b + HOLDINGS_BLOCK, owner.size))
              for b in range(0, max(owner.size, 1), HOLDINGS_BLOCK)]
    sizes = [int(((c.onboard[owner[b]] <= d) & (c.closed[owner[b]] > d)).sum())
             for b in blocks for d in days]
    bad = _split(_bad_total(sum(sizes), _HOLDING_BAD), np.array(sizes))
    first = np.concatenate([[0], np.cumsum(bad)])
    writers = [pq.ParquetWriter(out / "holdings" / f"{s.isoformat()}.parquet", HOLDINGS_SCHEMA)
               for s in snaps]
    try:
        for bi, (block, brng) in enumerate(zip(blocks, rng.spawn(len(blocks)), strict=True)):
            o, cc = owner[block], ccy[block]
            cash = (asset[block] == 0)[:, None]  # cash barely moves, the rest drifts up
            steps = brng.normal(np.where(cash, 0.0, 0.01), np.where(cash, 0.01, 0.07),
                                (o.size, days.size))
            walk = np.cumsum(steps, axis=1)
            units = value_eur[block] / fx.rate(cc, np.full(o.size, days[-1]))
            values = units[:, None] * np.exp(walk - walk[:, -1:])  # in currency, drifting
            for si, day in enumerate(days):
                k = bi * days.size + si
                table = _holdings_chunk(c, o, asset[block], cc, values[:, si], int(day))
                table, _ = _corrupt(table, brng, int(bad[k]), int(first[k]), _HOLDING_BAD,
                                    c.n, c.width)
                writers[si].write_table(table)
    finally:
        for writer in writers:
            writer.close()
    return sum(sizes)


# ---------------------------------------------------------------- transactions


def _weekday_weight(days: np.ndarray) -> np.ndarray:
    return np.where((days + 3) % 7 >= 5, 0.05, 1.0)  # 1970-01-01 was a Thursday


def _plan_months(rng: np.random.Generator, c: _Clients, start_day: int, as_of_day: int,
                 per_client: float) -> list[_Month]:
    """Trade months with their base, heavy-trader and after-as_of trade counts."""
    hist = np.arange(start_day + 1, as_of_day + 1)
    fut = np.arange(as_of_day + 1, as_of_day + FUTURE_DAYS + 1)
    h_month = hist.astype("datetime64[D]").astype("datetime64[M]")
    f_month = fut.astype("datetime64[D]").astype("datetime64[M]")
    months = []
    for m in np.unique(np.concatenate([h_month, f_month])):
        first = int(m.astype("datetime64[D]").astype(np.int64))
        last = int((m + 1).astype("datetime64[D]").astype(np.int64)) - 1
        days = hist[h_month == m]
        w = _weekday_weight(days)
        months.append(_Month(str(m), first, last, days, w / w.sum() if w.size else w,
                             fut[f_month == m]))
    target = round(c.n * per_client)
    wsum = np.array([_weekday_weight(m.days).sum() for m in months])
    for m, lam in zip(months, wsum, strict=True):
        m.heavy = rng.poisson(6.0 * lam / 21.74, c.heavy.size)
    base = max(0, target - sum(int(m.heavy.sum()) for m in months))
    n_future = _split(max(3, round(target * 3e-4)) if target else 0,
                      np.array([m.future.size for m in months]))
    for m, nb, nf in zip(months, _split(base, wsum), n_future, strict=True):
        m.n_base, m.n_future = int(nb), int(nf)
    return months


def _sample_clients(rng: np.random.Generator, c: _Clients, m: _Month, k: int) -> np.ndarray:
    """Clients of ``k`` trades, by activity weight, among clients of the month."""
    weight = c.weight * ((c.onboard <= m.last) & (c.closed > m.first))
    cdf = np.cumsum(weight)
    if k == 0 or cdf[-1] <= 0:
        return np.empty(0, dtype=np.int64)
    return np.minimum(np.searchsorted(cdf, rng.random(k) * cdf[-1], side="right"), c.n - 1)


def _trades_table(rng: np.random.Generator, c: _Clients, m: _Month, fx: _Fx, first_id: int,
                  width: int) -> pa.Table:
    base = _sample_clients(rng, c, m, m.n_base + m.n_future)
    nb = min(m.n_base, base.size)
    heavy_clients = np.repeat(c.heavy, m.heavy)
    client = np.concatenate([base, heavy_clients])
    day = np.concatenate([
        rng.choice(m.days, nb, p=m.p) if nb else np.empty(0, np.int64),
        rng.choice(m.future, base.size - nb) if base.size > nb else np.empty(0, np.int64),
        rng.choice(m.days, heavy_clients.size, p=m.p) if heavy_clients.size else
        np.empty(0, np.int64),
    ])  # fmt: skip
    is_heavy = np.arange(client.size) >= base.size
    order = np.argsort(day, kind="stable")
    client, day, is_heavy = client[order], day[order], is_heavy[order]
    k = client.size
    instrument = rng.choice(len(INSTRUMENTS), k, p=INSTRUMENT_P)
    other = rng.choice(len(CURRENCIES), k, p=[0.55, 0.2, 0.15, 0.1])
    ccy = np.where(rng.random(k) < 0.5, c.home_ccy[client], other)
    market = CURRENCY_MICS[ccy, rng.integers(0, 2, k)]
    market[rng.random(k) < OTC_SHARE[instrument]] = MARKETS.index("OTC")
    scale = np.clip(c.wealth[client] * 0.01, 1e3, 1.5e5)
    notional_eur = np.where(is_heavy, 5.5e4 * np.exp(np.abs(rng.normal(0.0, 0.8, k))),
                            np.maximum(rng.lognormal(np.log(scale), 0.9), 100.0))
    fee_eur = notional_eur * np.exp(rng.uniform(np.log(0.001), np.log(0.01), k))
    rate = fx.rate(ccy, day)
    return pa.table({
        "transaction_id": _ids("T", first_id + 1 + np.arange(k), width),
        "client_id": c.ids.take(pa.array(client)),
        "trade_date": _date_text(day),
        "instrument_class": _take(INSTRUMENTS, instrument),
        "market": _take(MARKETS, market),
        "side": _take(vocab.SIDES, (rng.random(k) >= 0.55).astype(np.int64)),
        "notional": _fixed(notional_eur / rate, 2),
        "currency": _take(CURRENCIES, ccy),
        "fee": _fixed(np.maximum(fee_eur / rate, 0.01), 2),
        "status": _take(vocab.TRANSACTION_STATUSES, (rng.random(k) < 0.03).astype(np.int64)),
    })  # fmt: skip


def _write_transactions(out: Path, rng: np.random.Generator, c: _Clients, fx: _Fx,
                        start_day: int, as_of_day: int, per_client: float) -> int:
    months = _plan_months(rng, c, start_day, as_of_day, per_client)
    sizes = np.array([m.rows for m in months])
    bad = _split(_bad_total(int(sizes.sum()), _TRANSACTION_BAD), sizes)
    width = max(9, len(str(int(sizes.sum()))))
    written = first_bad = 0
    for m, mrng, n_bad in zip(months, rng.spawn(len(months)), bad, strict=True):
        table = _trades_table(mrng, c, m, fx, written, width)
        table, quoted = _corrupt(table, mrng, int(n_bad), first_bad, _TRANSACTION_BAD,
                                 c.n, c.width)
        _write_csv(table, out / "transactions" / f"{m.label}.csv", quoted)
        written += table.num_rows
        first_bad += int(n_bad)
    return written


# ---------------------------------------------------------------- categorisation requests


def _requesters(rng: np.random.Generator, c: _Clients, as_of_day: int) -> np.ndarray:
    """About 5 % of clients: heavy and wealthy individuals, legal entities, others."""
    ok = c.onboard <= as_of_day
    ok[c.no_refs] = False
    ind = ok & ~c.is_le
    heavy = np.intersect1d(c.heavy, np.flatnonzero(ind))
    wealthy = np.setdiff1d(np.flatnonzero(ind & (c.wealth >= 6e5)), c.heavy)
    les = np.flatnonzero(ok & c.is_le)
    chosen = np.concatenate([heavy[rng.random(heavy.size) < 0.5],
                             wealthy[rng.random(wealthy.size) < 0.2],
                             les[rng.random(les.size) < 0.12]])
    rest = np.setdiff1d(np.flatnonzero(ind), chosen)
    n_rest = int(np.clip(round(0.05 * c.n) - chosen.size, 0, rest.size))
    return np.concatenate([chosen, rng.choice(rest, n_rest, replace=False)])


def _groups(c: _Clients, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Request-probability groups per regime: 0 individual, 1-3 by entity type."""
    names = np.array(vocab.ENTITY_TYPES + ("",))[c.entity[who]]
    mifid = np.select([~c.is_le[who], np.isin(names, list(MIFID_ECP)),
                       np.isin(names, list(MIFID_PRO))], [0, 1, 2], 3)
    finsa = np.select([~c.is_le[who], np.isin(names, list(FINSA_INST)),
                       np.isin(names, list(FINSA_OPT_UP))], [0, 1, 2], 3)
    return mifid, finsa


def _first_requests(rng: np.random.Generator, c: _Clients, who: np.ndarray, start_day: int,
                    as_of_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regime, category index (within the regime) and received day of each first request."""
    k = who.size
    regime = rng.integers(0, 2, k)
    mifid, finsa = _groups(c, who)
    p = np.where(regime[:, None] == 0, MIFID_REQUEST_P[mifid], FINSA_REQUEST_P[finsa])
    category = np.minimum((rng.random(k)[:, None] >= np.cumsum(p, axis=1)).sum(axis=1), 2)
    wealthy = ~c.is_le[who] & (c.wealth[who] >= 6e5)
    category[wealthy] = 1
    heavy = np.isin(who, c.heavy) & ~c.is_le[who]
    regime[heavy], category[heavy] = 0, 1  # MiFID opt-up with a year of heavy trading behind
    low = np.where(heavy, start_day + 370, start_day + 1)
    day = low + (rng.random(k) * (as_of_day + 21 - low)).astype(np.int64)
    return regime, category, np.maximum(day, c.onboard[who])


def _requests_table(rng: np.random.Generator, c: _Clients, start_day: int, as_of_day: int
                    ) -> pa.Table:
    who = _requesters(rng, c, as_of_day)
    regime, category, day = _first_requests(rng, c, who, start_day, as_of_day)
    status = rng.choice(4, who.size, p=REQUEST_STATUS_P)
    again = rng.random(who.size) < 0.25  # a later request on the same subject
    who = np.concatenate([who, who[again]])
    regime = np.concatenate([regime, regime[again]])
    category = np.concatenate([category, category[again]])
    day = np.concatenate([day, day[again] + rng.integers(20, 400, int(again.sum()))])
    status = np.concatenate([status, rng.choice(4, int(again.sum()), p=[0.3, 0.15, 0.05, 0.5])])
    if who.size >= 10:  # every regime/category pair and every status at least once
        forced = rng.choice(who.size, 10, replace=False)
        regime[forced[:6]], category[forced[:6]] = np.repeat([0, 1], 3), np.tile([0, 1, 2], 2)
        status[forced[6:]] = np.arange(4)
    order = np.lexsort((who, day))
    width = max(7, len(str(2 * who.size)))
    return pa.table({
        "request_id": _ids("R", np.arange(1, who.size + 1), width),
        "client_id": c.ids.take(pa.array(who[order])),
        "regime": _take(vocab.REGIMES, regime[order]),
        "requested_category": _take(REQUEST_CATEGORIES, (3 * regime + category)[order]),
        "received_date": _date_text(day[order]),
        "status": _take(vocab.REQUEST_STATUSES, status[order]),
    })  # fmt: skip


def _write_requests(out: Path, rng: np.random.Generator, c: _Clients, start_day: int,
                    as_of_day: int) -> int:
    table = _requests_table(rng, c, start_day, as_of_day)
    table, quoted = _corrupt(table, rng, _bad_total(table.num_rows, _REQUEST_BAD), 0,
                             _REQUEST_BAD, c.n, c.width)
    _write_csv(table, out / "categorisation_requests.csv", quoted)
    return table.num_rows


# ---------------------------------------------------------------- entry point


def _prepare(out: Path) -> None:
    """Create the layout and remove files of an earlier generation."""
    for sub, pattern in (("holdings", "*.parquet"), ("transactions", "*.csv")):
        (out / sub).mkdir(parents=True, exist_ok=True)
        for old in (out / sub).glob(pattern):
            old.unlink()


def generate_source(out_dir: Path, n_clients: int, seed: int, as_of: date,
                    transactions_per_client: float = 30.0,
                    history_months: int = HISTORY_MONTHS) -> dict[str, int]:
    """Write a SOURCE.md-layout landing directory; return rows written per table.

    ``history_months`` of transactions (FX rates and holdings one month more); the benchmark
    uses 49 to show that a nightly run does not grow with the length of history.

    The counts include the rows that break the contract on purpose.
    """
    if n_clients < 1 or transactions_per_client < 0:
        raise ValueError("n_clients must be >= 1 and transactions_per_client >= 0")
    out = Path(out_dir)
    _prepare(out)
    as_of = date(as_of.year, as_of.month, as_of.day)
    as_of_day = _days(as_of)
    start_day = _days(_add_months(as_of, -history_months))
    r_clients, r_fx, r_holdings, r_trades, r_requests = np.random.default_rng(seed).spawn(5)
    fx_months = history_months + FX_MONTHS - HISTORY_MONTHS
    fx = _fx_rates(r_fx, as_of_day, _days(_add_months(as_of, -fx_months)))
    c = _client_core(r_clients, n_clients, as_of_day)
    return {
        "clients": _write_clients(out, r_clients, c, as_of_day),
        "holdings": _write_holdings(out, r_holdings, c, _quarter_ends(as_of, fx_months), fx),
        "transactions": _write_transactions(out, r_trades, c, fx, start_day, as_of_day,
                                            transactions_per_client),
        "fx_rates": _write_fx(out, r_fx, fx, c),
        "categorisation_requests": _write_requests(out, r_requests, c, start_day, as_of_day),
    }
