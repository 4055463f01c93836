"""Deterministic synthetic transactions with planted customer types, for demos, notebooks and tests.

:func:`make_transactions` works like scikit-learn's ``make_blobs``: it returns the data (one row per order
line) and the ground truth (one row per customer, with the behaviour type each customer was generated
from), so every analysis in segkit can be checked against a known answer.

The committed sample ``data/sample_transactions.csv`` / ``data/sample_customers.csv`` is regenerated,
byte-identically, from the repository root with::

    python -m segkit.datasets data/

(defaults ``--n-customers 2000 --seed 42``). The bytes depend on numpy's random streams, so a numpy
release that changes ``Generator.gamma``/``poisson``/``lognormal`` may change the sample; rerun the
command and commit the result if ``tests/test_datasets.py`` reports a mismatch after an upgrade.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._errors import ParameterError

try:
    # The same text dtype segkit's canonical table uses, so frames from here compare equal to it.
    _STR_DTYPE: Any = pd.StringDtype(na_value=np.nan)
except TypeError:  # pragma: no cover - pandas < 2.3 has no "str" dtype
    _STR_DTYPE = object

__all__ = [
    "B2B_CATEGORIES",
    "B2B_CHANNELS",
    "B2B_TYPES",
    "CATEGORIES",
    "CHANNELS",
    "CUSTOMER_COLUMNS",
    "REGIONS",
    "SHOP_HOURS",
    "TRANSACTION_COLUMNS",
    "TRUE_TYPES",
    "make_b2b_transactions",
    "make_transactions",
    "write_b2b_sample",
    "write_samples",
]

#: Column order of the transactions frame (and of ``sample_transactions.csv``).
TRANSACTION_COLUMNS = (
    "customer_id",
    "order_id",
    "order_date",
    "amount",
    "quantity",
    "margin",
    "category",
    "channel",
)
#: Column order of the ground-truth customers frame (and of ``sample_customers.csv``).
CUSTOMER_COLUMNS = (
    "customer_id",
    "true_type",
    "region",
    "favourite_category",
    "preferred_channel",
    "first_purchase",
    "dropout_date",
    "purchase_rate",
    "spend_level",
    "margin_rate",
)
#: The planted behaviour types, in the order of their generation codes.
TRUE_TYPES = ("loyal_high", "regular", "one_off", "churned", "new", "seasonal")
CATEGORIES = ("clothing", "electronics", "home", "beauty", "sports")
CHANNELS = ("online", "store", "phone")
REGIONS = ("north", "south", "east", "west", "central")
#: Orders are timestamped within ``[open, close)`` hours of the day.
SHOP_HOURS = (9, 20)

#: The planted client types of the B2B sample (``kind="b2b"``).
B2B_TYPES = ("monthly", "quarterly", "occasional", "one_off", "churned")
B2B_CATEGORIES = ("raw materials", "components", "packaging", "equipment", "services")
B2B_CHANNELS = ("manager", "portal", "edi")
_B2B_SHARES = np.array([0.35, 0.25, 0.20, 0.10, 0.10])
# Median order value per type in roubles; a heavy per-client multiplier gives the Pareto shape of a
# distributor's base (a few large accounts, a long tail of small ones).
_B2B_CHEQUE = np.array([120_000.0, 250_000.0, 150_000.0, 600_000.0, 110_000.0])
_B2B_SIGMA = 1.2
# Share of clients on bad terms (deep discounts, high cost to serve); mostly small, rarely buying clients.
_B2B_UNPROFITABLE = 0.12
_B2B_UNIT_PRICE = np.array([800.0, 2_500.0, 300.0, 45_000.0, 15_000.0])

_LOYAL, _REGULAR, _ONE_OFF, _CHURNED, _NEW, _SEASONAL = range(len(TRUE_TYPES))
_TYPE_SHARES = np.array([0.10, 0.25, 0.25, 0.20, 0.10, 0.10])
# Mean purchase rate in orders per month (for seasonal: per in-season month); the per-customer rate is
# gamma distributed around it so that customers of one type differ in how often they buy. Seasonal
# customers mostly place one or two orders a season (gift shopping), which keeps them apart from regular
# customers now that customers of every type are won all along the window.
_RATE_MEAN = np.array([2.0, 0.6, 0.0, 1.3, 1.2, 0.6])
# Loyal customers are the steadiest buyers: a tighter gamma keeps most of them at 1.3-2.7 orders a month.
_RATE_SHAPE = np.array([12.0, 5.0, 5.0, 5.0, 5.0, 5.0])
# Typical order value per type; a heavy-tailed per-customer multiplier on top gives the Pareto shape.
_SPEND = np.array([130.0, 55.0, 35.0, 70.0, 45.0, 120.0])
_SPEND_SIGMA = 0.35
_BASKET_SIGMA = 0.25
# Channel preference differs by type the way it tends to in retail: new customers arrive online, the
# most loyal ones are store regulars.
_CHANNEL_P = np.array(
    [
        [0.35, 0.55, 0.10],
        [0.45, 0.45, 0.10],
        [0.55, 0.35, 0.10],
        [0.40, 0.45, 0.15],
        [0.70, 0.25, 0.05],
        [0.50, 0.40, 0.10],
    ]
)
_CATEGORY_P = np.array([0.30, 0.15, 0.25, 0.15, 0.15])
_REGION_P = np.array([0.22, 0.25, 0.18, 0.20, 0.15])
# Relative basket value and typical unit price per category (electronics: fewer, dearer items).
_CATEGORY_VALUE = np.array([1.0, 1.35, 1.1, 0.75, 0.9])
_UNIT_PRICE = np.array([30.0, 90.0, 35.0, 15.0, 35.0])
# Clothing comes back far more often than beauty products; the mix averages about 1.5 % of orders.
_RETURN_P = np.array([0.025, 0.012, 0.010, 0.006, 0.012])
# Monthly purchase intensity (Jan..Dec): a summer dip and a Black-Friday/Christmas peak that every type
# follows, so aggregate monthly revenue shows the seasonality.
_MONTH_INTENSITY = np.array([0.90, 0.85, 0.95, 1.00, 1.00, 0.85, 0.75, 0.78, 1.00, 1.05, 1.35, 1.60])
# Gift baskets are somewhat larger too.
_MONTH_VALUE = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.08, 1.15])
_WEEKDAY_INTENSITY = np.array([0.95, 0.95, 0.95, 1.0, 1.1, 1.15, 0.9])  # Monday..Sunday
_HOUR_WEIGHTS = np.array([0.6, 0.8, 1.0, 1.1, 1.0, 0.9, 0.9, 1.0, 1.2, 1.2, 0.9])  # 9:00..19:00
_NEGATIVE_MARGIN_SHARE = 0.04
# Acquisition. Every day of the window wins new customers along one curve: a milder version of the
# purchase seasonality (more first purchases in the gift season, fewer in summer) times a growth trend;
# each type is won along it within its own window and with its own drift (_acquisition_profiles).
_ACQUISITION_SEASONALITY = 0.5  # share of the purchase seasonality's amplitude
_ACQUISITION_GROWTH = 0.3  # growth of the curve per year
# New customers are the ones won in the last _NEW_DAYS days. Every other type is won from the start of the
# window until this many days before its end: one-off and regular customers until the new customers'
# window, loyal ones until about six months before the end (with fewer months their high frequency does
# not show yet), churners early enough to buy for _CHURN_MIN_DAYS and then stay silent for
# _CHURN_SILENT_DAYS, seasonal customers (the day they join; their first purchase is the next season)
# during all but the last year.
_NEW_DAYS = 90
_CHURN_MIN_DAYS = 120
_CHURN_SILENT_DAYS = 122
_ACQUIRED_UNTIL = {
    "loyal_high": 180,
    "regular": _NEW_DAYS,
    "one_off": _NEW_DAYS,
    "churned": _CHURN_MIN_DAYS + _CHURN_SILENT_DAYS,
    "seasonal": 365,
}
# A type's share of each day's new customers at the end of its window relative to the start. The
# long-lived types make up more of the early months' new customers (the window opens on a going concern).
# Together with the growth of the curve, the number of customers won per month drifts down gently: in the
# default window about a quarter fewer a month in the second year than in the first.
_ACQUISITION_DRIFT = {"loyal_high": 0.5, "regular": 0.5, "one_off": 1.0, "churned": 0.3, "seasonal": 1.0}
# While the seasonal customers make their first purchases, the other types are won less, down to this
# share of the curve, so the gift season is a peak of new customers rather than a doubling.
_IN_SEASON_SHARE = 0.5
_DAYS_PER_MONTH = 365.25 / 12
_UNCAPPED = np.iinfo(np.int64).max

_CSV_OPTIONS: dict[str, Any] = {
    "index": False,
    "float_format": "%.2f",
    "date_format": "%Y-%m-%d %H:%M:%S",
    "lineterminator": "\n",
}


def make_transactions(
    n_customers: int = 2000,
    *,
    seed: int = 0,
    start: str | _dt.date = "2023-01-01",
    end: str | _dt.date = "2024-12-31",
    kind: str = "retail",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a synthetic customer base's transactions together with its ground truth.

    ``kind="retail"`` (default) is the shop described below. ``kind="b2b"`` is a distributor's base in
    the methodology's world (see :func:`make_b2b_transactions`): a few hundred business clients ordering
    monthly or quarterly with large cheques, and an unprofitable tail.

    Six behaviour types are planted, in fixed shares (largest-remainder rounding, so the counts are
    exact): ``loyal_high`` (10 %, 1.5-3 orders a month, high baskets, active to the end of the window),
    ``regular`` (25 %, about 0.3-0.8 orders a month, active to the end), ``one_off`` (25 %, exactly one
    order, before the last 90 days), ``churned`` (20 %, buying for at least four months, then fewer and
    smaller orders until they stop at ``dropout_date``, at least four months before ``end``), ``new``
    (10 %, first order in the last 90 days, 1-4 orders) and ``seasonal`` (10 %, 1-3 orders in the
    November-December season they are won in and in most later ones, and very rarely otherwise).

    Every month of the window wins new customers, with a peak in the gift season, a dip in summer and a
    gentle downward drift (in the default window about a quarter fewer a month in the second year).
    Regular and one-off customers are won from the start of the window until its last 90 days, loyal ones
    until about six months and churners until about eight months before ``end`` (the long-lived types
    making up more of the early months' new customers); seasonal customers join during all but the last
    year of the window and make their first purchase in the next season. So part of every month's new
    customers buy again, and a customer with one purchase so far may be a one-off buyer or the start of a
    longer relationship.

    Purchase rates are gamma distributed within a type, order values carry a lognormal per-customer
    multiplier (so the top 20 % of customers bring roughly three quarters of revenue), and every purchase time is
    thinned by a monthly intensity curve (summer low, November-December high). About 1.5 % of orders
    get a later, possibly partial, return row. About 4 % of customers have a negative margin rate
    (deep discounts, high service cost), so their total margin is negative.

    Parameters
    ----------
    n_customers : int, default 2000
        Number of customers; each one has at least one purchase.
    seed : int, default 0
        Seed of the :func:`numpy.random.default_rng` generator; the same seed gives equal frames.
    start, end : str or date, default "2023-01-01", "2024-12-31"
        First and last calendar day of the window (both inclusive; timestamps fall within shop hours
        of those days). The window must span at least a year so every type fits.
    kind : {"retail", "b2b"}, default "retail"
        The shop described here, or the B2B client base of :func:`make_b2b_transactions` (its own types,
        ids, categories and channels; same columns).

    Returns
    -------
    transactions : pandas.DataFrame
        One row per order line (one line per order), sorted by ``order_date`` then ``order_id``:
        ``customer_id`` (str, ``"C00042"``), ``order_id`` (str, ``"O0000123"``; the return of that
        order is ``"R0000123"``), ``order_date`` (datetime64), ``amount`` (float, cents, negative for
        returns), ``quantity`` (int, negative for returns), ``margin`` (float, cents: ``amount`` times
        the customer's ``margin_rate``), ``category`` (one of :data:`CATEGORIES`) and ``channel``
        (one of :data:`CHANNELS`).
    customers : pandas.DataFrame
        One row per customer, sorted by ``customer_id``: ``true_type`` (one of :data:`TRUE_TYPES`),
        ``region``, ``favourite_category``, ``preferred_channel``, ``first_purchase`` (timestamp of the
        first order), ``dropout_date`` (churners only, NaT otherwise; no orders on or after it),
        ``purchase_rate`` (orders per month; per in-season month for ``seasonal``; 0 for ``one_off``),
        ``spend_level`` (typical order value) and ``margin_rate``.

    Raises
    ------
    ValueError
        (:class:`segkit.ParameterError`) for a bad ``n_customers``, ``seed``, ``start`` or ``end``.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.datasets import make_transactions
    >>> tx, customers = make_transactions(500, seed=1)
    >>> list(tx.columns)
    ['customer_id', 'order_id', 'order_date', 'amount', 'quantity', 'margin', 'category', 'channel']
    >>> customers.shape
    (500, 10)
    >>> customers["true_type"].value_counts().sort_index().to_dict()
    {'churned': 100, 'loyal_high': 50, 'new': 50, 'one_off': 125, 'regular': 125, 'seasonal': 50}
    >>> bool(customers["customer_id"].isin(tx["customer_id"]).all())
    True
    >>> tx["order_date"].min() >= pd.Timestamp("2023-01-01")
    True
    >>> tx.equals(make_transactions(500, seed=1)[0])
    True
    """
    if kind not in ("retail", "b2b"):
        raise ParameterError(f"kind must be 'retail' or 'b2b'; got {kind!r}.")
    if kind == "b2b":
        return make_b2b_transactions(n_customers, seed=seed, start=start, end=end)
    n = _check_n_customers(n_customers)
    seed = _check_seed(seed)
    first_day, last_day = _check_window(start, end)
    rng = np.random.default_rng(seed)
    cal = _Calendar(first_day, last_day)
    horizon = cal.horizon

    # --- customers -----------------------------------------------------------------------------------
    counts = _largest_remainder(_TYPE_SHARES, n)
    ctype = rng.permutation(np.repeat(np.arange(len(TRUE_TYPES)), counts))
    # Per-customer parameters are drawn for every customer whatever the type (and then ignored where
    # meaningless), which keeps the generator branch-free and vectorised.
    rate = rng.gamma(_RATE_SHAPE[ctype], _RATE_MEAN[ctype] / _RATE_SHAPE[ctype])
    rate = np.where(ctype == _ONE_OFF, 0.0, np.round(np.maximum(rate, 0.05), 2))
    multiplier = rng.lognormal(-(_SPEND_SIGMA**2) / 2, _SPEND_SIGMA, n)
    spend = np.round(np.maximum(_SPEND[ctype] * multiplier, 5.0), 2)
    margin_rate = np.round(rng.uniform(0.15, 0.40, n), 2)
    n_negative = int(round(_NEGATIVE_MARGIN_SHARE * n))
    losers = rng.choice(n, size=n_negative, replace=False)
    margin_rate[losers] = np.round(rng.uniform(-0.30, -0.05, n_negative), 2)
    region = rng.choice(len(REGIONS), size=n, p=_REGION_P)
    favourite = rng.choice(len(CATEGORIES), size=n, p=_CATEGORY_P)
    favourite_share = rng.uniform(0.6, 0.85, n)
    channel_u = rng.random(n)
    preferred = (channel_u[:, None] > np.cumsum(_CHANNEL_P[ctype], axis=1)).sum(axis=1)
    preferred = np.minimum(preferred, len(CHANNELS) - 1)
    channel_share = rng.uniform(0.7, 0.95, n)

    # First purchases follow the acquisition curve, each type within its window (_acquisition_profiles);
    # for seasonal customers this is the day they join, and their first purchase is the next season.
    first = _sample_rows(_acquisition_profiles(cal, counts), ctype, rng.random(n))
    # Churners stop for good at least ~4 months before the end, after at least ~4 months of buying.
    earliest = first + _CHURN_MIN_DAYS
    dropout = rng.integers(earliest, np.maximum(horizon - _CHURN_SILENT_DAYS, earliest), endpoint=True)
    dropout = np.where(ctype == _CHURNED, dropout, horizon + 1)

    # Seasonal customers take part in the first Nov-Dec season after they join and in most later ones.
    seasons = cal.seasons()
    n_seasons = len(seasons)
    eligible = seasons[:, 1] >= first[:, None]
    joins = eligible & (rng.random((n, n_seasons)) < 0.9)
    joins[np.arange(n), n_seasons - np.maximum(eligible.sum(axis=1), 1)] = True
    season_lo = np.maximum(seasons[:, 0], first[:, None])
    season_hi = np.broadcast_to(seasons[:, 1], (n, n_seasons))
    season_day = cal.sample_days(np.minimum(season_lo, season_hi), season_hi, rng.random((n, n_seasons)))
    is_seasonal = ctype == _SEASONAL
    first = np.where(is_seasonal, season_day[np.arange(n), joins.argmax(axis=1)], first)

    # --- order process -------------------------------------------------------------------------------
    # Each customer buys in one or more "segments" (an interval of days with a rate and a cap on the
    # number of orders). Every segment except the off-season one has a forced order, which is how each
    # customer gets at least one purchase and a known first purchase.
    plain = np.flatnonzero(~is_seasonal)
    seg_cust = [plain]
    seg_lo = [first[plain]]
    seg_hi = [np.where(ctype[plain] == _ONE_OFF, first[plain], np.minimum(dropout[plain] - 1, horizon))]
    seg_cap = [np.select([ctype[plain] == _ONE_OFF, ctype[plain] == _NEW], [1, 4], _UNCAPPED)]
    seg_forced = [first[plain]]
    seg_offseason = [np.zeros(plain.size, dtype=bool)]
    s_cust, s_idx = np.nonzero(joins & is_seasonal[:, None])
    seg_cust.append(s_cust)
    seg_lo.append(season_lo[s_cust, s_idx])
    seg_hi.append(seasons[s_idx, 1])
    seg_cap.append(np.full(s_cust.size, 3))
    seg_forced.append(season_day[s_cust, s_idx])
    seg_offseason.append(np.zeros(s_cust.size, dtype=bool))
    off = np.flatnonzero(is_seasonal)
    seg_cust.append(off)
    seg_lo.append(first[off])
    seg_hi.append(np.full(off.size, horizon))
    seg_cap.append(np.full(off.size, _UNCAPPED))
    seg_forced.append(np.full(off.size, -1))
    seg_offseason.append(np.ones(off.size, dtype=bool))

    s_cust = np.concatenate(seg_cust)
    s_lo = np.concatenate(seg_lo)
    s_hi = np.concatenate(seg_hi)
    s_cap = np.concatenate(seg_cap)
    s_forced = np.concatenate(seg_forced)
    s_off = np.concatenate(seg_offseason)
    # "Almost only" in season: a seasonal customer's off-season rate is a few percent of a regular's.
    s_rate = np.where(s_off, 0.015, rate[s_cust]) / _DAYS_PER_MONTH

    # Poisson process with intensity rate * calendar weight, drawn by inverse CDF of the weights and
    # then thinned by each customer's own trend (churners' decline, seasonal customers' off-season).
    n_cand = rng.poisson(s_rate * cal.mass(s_lo, s_hi))
    cand_seg = np.repeat(np.arange(s_cust.size), n_cand)
    cand_day = cal.sample_days(s_lo[cand_seg], s_hi[cand_seg], rng.random(cand_seg.size))
    accept = _trend(cand_day, first[s_cust[cand_seg]], dropout[s_cust[cand_seg]])
    accept = np.where(ctype[s_cust[cand_seg]] == _CHURNED, accept, 1.0)
    accept = np.where(s_off[cand_seg], ~cal.in_season[cand_day], accept)
    keep = rng.random(cand_seg.size) < accept
    has_forced = np.flatnonzero(s_forced >= 0)
    o_seg = np.concatenate([has_forced, cand_seg[keep]])
    o_day = np.concatenate([s_forced[has_forced], cand_day[keep]])
    o_forced = np.concatenate([np.ones(has_forced.size, bool), np.zeros(int(keep.sum()), bool)])
    # Enforce the per-segment caps, always keeping the forced order and a random subset of the rest;
    # only the few capped segments (one_off, new, seasonal) need the sort.
    capped = np.flatnonzero(s_cap[o_seg] < _UNCAPPED)
    capped = capped[np.lexsort((rng.random(capped.size), ~o_forced[capped], o_seg[capped]))]
    over = capped[_rank_within_groups(o_seg[capped]) >= s_cap[o_seg[capped]]]
    kept = np.ones(o_seg.size, dtype=bool)
    kept[over] = False
    o_seg, o_day = o_seg[kept], o_day[kept]
    o_cust = s_cust[o_seg]
    m = o_cust.size

    # --- order lines ---------------------------------------------------------------------------------
    o_sec = _time_of_day(rng, m)
    o_cat = np.where(
        rng.random(m) < favourite_share[o_cust],
        favourite[o_cust],
        (favourite[o_cust] + rng.integers(1, len(CATEGORIES), m)) % len(CATEGORIES),
    )
    o_channel = np.where(
        rng.random(m) < channel_share[o_cust],
        preferred[o_cust],
        (preferred[o_cust] + rng.integers(1, len(CHANNELS), m)) % len(CHANNELS),
    )
    # Churners' baskets shrink along with their purchase frequency.
    shrink = np.where(
        ctype[o_cust] == _CHURNED, 0.45 + 0.55 * _trend(o_day, first[o_cust], dropout[o_cust]), 1.0
    )
    value = (
        spend[o_cust]
        * rng.lognormal(-(_BASKET_SIGMA**2) / 2, _BASKET_SIGMA, m)
        * shrink
        * _MONTH_VALUE[cal.month[o_day] - 1]
        * _CATEGORY_VALUE[o_cat]
    )
    o_amount = np.round(np.maximum(value, 2.0), 2)
    o_qty = np.clip(rng.poisson(o_amount / _UNIT_PRICE[o_cat]), 1, 99).astype(np.int64)
    o_margin = np.round(o_amount * margin_rate[o_cust], 2)

    # --- returns -------------------------------------------------------------------------------------
    lag = 1 + rng.poisson(8, m)
    returned = rng.random(m) < _RETURN_P[o_cat]
    # A return after the window (or after a churner stopped) has not happened yet / would contradict
    # the dropout date, so those orders are simply not returned.
    returned &= o_day + lag <= np.minimum(horizon, dropout[o_cust] - 1)
    r_src = np.flatnonzero(returned)
    r_qty = rng.integers(1, o_qty[r_src], endpoint=True)
    r_amount = -np.round(o_amount[r_src] * r_qty / o_qty[r_src], 2)
    r_sec = _time_of_day(rng, r_src.size)

    # --- assemble ------------------------------------------------------------------------------------
    # Order numbers follow purchase time, as a shop's order counter would. Sorting one packed int64 key
    # is much faster than a multi-key lexsort, and (seconds in the window) x (rows) stays far below
    # 2**63 for any base that fits in memory.
    o_ts = cal.timestamps(o_day, o_sec)
    o_rel = o_ts.astype(np.int64) - cal.epoch_s
    chrono = np.argsort(o_rel * n + o_cust, kind="stable")
    number = np.empty(m, dtype=np.int64)
    number[chrono] = np.arange(1, m + 1)
    src = np.concatenate([np.arange(m), r_src])
    is_ret = np.concatenate([np.zeros(m, dtype=np.int64), np.ones(r_src.size, dtype=np.int64)])
    r_ts = cal.timestamps(o_day[r_src] + lag[r_src], r_sec)
    ts = np.concatenate([o_ts, r_ts])
    amount = np.concatenate([o_amount, r_amount])
    qty = np.concatenate([o_qty, -r_qty])
    margin = np.concatenate([o_margin, np.round(r_amount * margin_rate[o_cust[r_src]], 2)])
    # "O..." sorts before "R..." and equal-width numbers sort like integers, so this key orders rows
    # exactly by (order_date, order_id).
    rel = ts.astype(np.int64) - cal.epoch_s
    row = np.argsort((rel * 2 + is_ret) * (m + 1) + number[src], kind="stable")

    cust_ids = _text(_ids("C", np.arange(1, n + 1), 5))
    prefix = np.where(is_ret[row] == 1, ord("R"), ord("O"))
    order_ids = _ids(prefix, number[src][row], 7)
    unit = _datetime_unit()
    transactions = pd.DataFrame(
        {
            "customer_id": _take(cust_ids, o_cust[src][row]),
            "order_id": _text(order_ids),
            "order_date": ts[row].astype(f"datetime64[{unit}]"),
            "amount": amount[row],
            "quantity": qty[row],
            "margin": margin[row],
            "category": _take(_text(CATEGORIES), o_cat[src][row]),
            "channel": _take(_text(CHANNELS), o_channel[src][row]),
        }
    )

    first_ts = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_ts, o_cust, o_ts.astype(np.int64))
    dropout_ts = cal.timestamps(np.minimum(dropout, horizon), np.zeros(n, np.int64))
    customers = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "true_type": _take(_text(TRUE_TYPES), ctype),
            "region": _take(_text(REGIONS), region),
            "favourite_category": _take(_text(CATEGORIES), favourite),
            "preferred_channel": _take(_text(CHANNELS), preferred),
            "first_purchase": first_ts.astype("datetime64[s]").astype(f"datetime64[{unit}]"),
            "dropout_date": np.where(ctype == _CHURNED, dropout_ts, np.datetime64("NaT", "s")).astype(
                f"datetime64[{unit}]"
            ),
            "purchase_rate": rate,
            "spend_level": spend,
            "margin_rate": margin_rate,
        }
    )
    return transactions, customers


def make_b2b_transactions(
    n_customers: int = 300,
    *,
    seed: int = 0,
    start: str | _dt.date = "2023-01-01",
    end: str | _dt.date = "2024-12-31",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A B2B client base: regular monthly or quarterly orders, large cheques and an unprofitable tail.

    Five planted types in fixed shares: ``monthly`` (35 %, an order in about nine months of ten, near
    the same day of the month), ``quarterly`` (25 %, an order in about nine quarters of ten),
    ``occasional`` (20 %, two to five orders a year at random), ``one_off`` (10 %, a single order) and
    ``churned`` (10 %, monthly buyers who stop for good at least four months before ``end``). Orders fall
    on working days (Monday to Friday). Order values are large (medians of 110,000-250,000 rub per order for the regular types, 600,000 for one-off projects)
    with a lognormal per-client multiplier, so a few accounts bring most of the revenue. About 12 % of
    clients, mostly the small ones, are on bad terms: a margin rate from -10 % to +3 %; the others earn
    12-35 %. There are no returns. Deterministic for a given ``seed``.

    Returns
    -------
    transactions, customers : pandas.DataFrame
        The columns of :data:`TRANSACTION_COLUMNS` (ids ``"B0042"`` / ``"S000123"``, categories from
        :data:`B2B_CATEGORIES`, channels from :data:`B2B_CHANNELS`) and of :data:`CUSTOMER_COLUMNS`
        (``true_type`` from :data:`B2B_TYPES`; ``purchase_rate`` in orders per month).

    Examples
    --------
    >>> from segkit.datasets import make_transactions
    >>> tx, clients = make_transactions(200, seed=3, kind="b2b")
    >>> clients["true_type"].value_counts().sort_index().to_dict()
    {'churned': 20, 'monthly': 70, 'occasional': 40, 'one_off': 20, 'quarterly': 50}
    >>> bool(tx["order_date"].dt.dayofweek.max() <= 4), bool(tx.equals(make_transactions(200, seed=3, kind="b2b")[0]))
    (True, True)
    """
    n = _check_n_customers(n_customers)
    seed = _check_seed(seed)
    first_day, last_day = _check_window(start, end)
    rng = np.random.default_rng(seed)
    months = pd.date_range(first_day.replace(day=1), last_day, freq="MS")
    n_months = len(months)
    counts = _largest_remainder(_B2B_SHARES, n)
    ctype = rng.permutation(np.repeat(np.arange(len(B2B_TYPES)), counts))
    monthly, quarterly, occasional, one_off, churned = range(len(B2B_TYPES))
    spend = np.round(_B2B_CHEQUE[ctype] * rng.lognormal(-(_B2B_SIGMA**2) / 2, _B2B_SIGMA, n), 2)
    # The unprofitable tail: drawn with weights favouring small clients and rare buyers.
    weight = 1.0 / spend * np.where(np.isin(ctype, [occasional, one_off]), 3.0, 1.0)
    losers = rng.choice(n, size=int(round(_B2B_UNPROFITABLE * n)), replace=False, p=weight / weight.sum())
    margin_rate = np.round(rng.uniform(0.12, 0.35, n), 2)
    margin_rate[losers] = np.round(rng.uniform(-0.10, 0.03, losers.size), 2)
    # Clients join during the first year mostly (a going concern), some later.
    join = np.minimum(rng.geometric(0.12, n) - 1, n_months - 1)
    stop = np.full(n, n_months)
    stop[ctype == churned] = rng.integers(np.minimum(join[ctype == churned] + 4, n_months - 5), n_months - 4)
    day_of_month = rng.integers(1, 28, n)
    phase = rng.integers(0, 3, n)
    region = rng.choice(len(REGIONS), size=n, p=_REGION_P)
    favourite = rng.choice(len(B2B_CATEGORIES), size=n)
    channel = rng.choice(len(B2B_CHANNELS), size=n, p=[0.5, 0.3, 0.2])

    m_idx = np.arange(n_months)[None, :]
    active = (m_idx >= join[:, None]) & (m_idx < stop[:, None])
    u = rng.random((n, n_months))
    buys = np.zeros((n, n_months), dtype=bool)
    regular = np.isin(ctype, [monthly, churned])[:, None]
    buys |= regular & active & (u < 0.9)
    q = (ctype == quarterly)[:, None] & active & ((m_idx - join[:, None] - phase[:, None]) % 3 == 0)
    buys |= q & (u < 0.9)
    occ_rate = rng.uniform(2, 5, n) / 12
    buys |= (ctype == occasional)[:, None] & active & (u < occ_rate[:, None])
    # Everyone has a first order in the month they join; one-off clients only that one.
    buys[np.arange(n), join] = True
    buys[ctype == one_off] = False
    buys[np.flatnonzero(ctype == one_off), join[ctype == one_off]] = True
    rate = np.round(buys.sum(axis=1) / np.maximum(stop - join, 1), 2)

    cust, month = np.nonzero(buys)
    jitter = rng.integers(-3, 4, cust.size)
    day = np.clip(day_of_month[cust] + jitter, 1, 28)
    dates = months[month] + pd.to_timedelta(day - 1, unit="D")
    # Weekend orders move to Monday, as an office would place them.
    weekday = dates.dayofweek.to_numpy()
    dates = dates + pd.to_timedelta(np.where(weekday >= 5, 7 - weekday, 0), unit="D")
    dates = dates + pd.to_timedelta(rng.integers(9 * 3600, 18 * 3600, cust.size), unit="s")
    keep = (dates >= first_day) & (dates < last_day + pd.Timedelta(days=1))
    cust, dates = cust[keep], dates[keep]
    cat = np.where(
        rng.random(cust.size) < 0.7, favourite[cust], rng.integers(0, len(B2B_CATEGORIES), cust.size)
    )
    amount = np.round(spend[cust] * rng.lognormal(-0.02, 0.2, cust.size), 2)
    qty = np.maximum(1, np.round(amount / _B2B_UNIT_PRICE[cat])).astype(np.int64)
    order = np.lexsort((cust, dates.to_numpy()))
    cust, dates, cat, amount, qty = cust[order], dates[order], cat[order], amount[order], qty[order]
    unit = _datetime_unit()
    cust_ids = _text(_ids("B", np.arange(1, n + 1), 4))
    transactions = pd.DataFrame(
        {
            "customer_id": _take(cust_ids, cust),
            "order_id": _text(_ids("S", np.arange(1, cust.size + 1), 6)),
            "order_date": dates.to_numpy().astype(f"datetime64[{unit}]"),
            "amount": amount,
            "quantity": qty,
            "margin": np.round(amount * margin_rate[cust], 2),
            "category": _take(_text(B2B_CATEGORIES), cat),
            "channel": _take(_text(B2B_CHANNELS), channel[cust]),
        }
    )
    first = transactions.groupby("customer_id", sort=True)["order_date"].min()
    dropout = np.where(
        ctype == churned, months[np.minimum(stop, n_months - 1)].to_numpy(), np.datetime64("NaT", "ns")
    )
    customers = pd.DataFrame(
        {
            "customer_id": cust_ids,
            "true_type": _take(_text(B2B_TYPES), ctype),
            "region": _take(_text(REGIONS), region),
            "favourite_category": _take(_text(B2B_CATEGORIES), favourite),
            "preferred_channel": _take(_text(B2B_CHANNELS), channel),
            "first_purchase": first.reindex(pd.Index(cust_ids)).to_numpy().astype(f"datetime64[{unit}]"),
            "dropout_date": dropout.astype(f"datetime64[{unit}]"),
            "purchase_rate": rate,
            "spend_level": spend,
            "margin_rate": margin_rate,
        }
    )
    return transactions, customers


#: File names of the committed B2B sample.
B2B_FILES = ("b2b_transactions.csv", "b2b_customers.csv")
B2B_SAMPLE = {"n_customers": 300, "seed": 7}


def write_b2b_sample(out_dir: str | Path = "data") -> tuple[Path, Path]:
    """Write the B2B sample (300 clients, seed 7) as ``b2b_transactions.csv`` and ``b2b_customers.csv``."""
    transactions, customers = make_b2b_transactions(**B2B_SAMPLE)
    out = _output_folder(out_dir)
    paths = (out / B2B_FILES[0], out / B2B_FILES[1])
    for frame, path in zip((transactions, customers), paths, strict=True):
        path.write_bytes(frame.to_csv(None, **_CSV_OPTIONS).encode("utf-8"))
    return paths


def _output_folder(out_dir: str | Path) -> Path:
    """``out_dir`` as a folder, made if missing; a file of that name is an error naming it."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError(
            f"{str(out)!r} is a file, not a folder: give a folder to write the sample data into."
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_samples(
    out_dir: str | Path = "data", *, n_customers: int = 2000, seed: int = 42
) -> tuple[Path, Path]:
    """Write ``sample_transactions.csv`` and ``sample_customers.csv`` into ``out_dir``.

    The B2B sample (:func:`write_b2b_sample`) is written next to them when the defaults are used, so
    ``segkit sample-data`` regenerates both.

    The output is byte-identical for the same arguments (fixed column order, ``%.2f`` money,
    ``%Y-%m-%d %H:%M:%S`` dates, ``\\n`` line ends, UTF-8), which is what lets a test compare the
    committed sample against a fresh regeneration. This is what ``python -m segkit.datasets`` runs.

    Returns
    -------
    tuple of Path
        The transactions and customers file paths.
    """
    transactions, customers = make_transactions(n_customers, seed=seed)
    out = _output_folder(out_dir)
    paths = (out / "sample_transactions.csv", out / "sample_customers.csv")
    for frame, path in zip((transactions, customers), paths, strict=True):
        # Rendering to text first and writing bytes keeps the platform's newline translation out.
        path.write_bytes(frame.to_csv(None, **_CSV_OPTIONS).encode("utf-8"))
    if (n_customers, seed) == (2000, 42):
        write_b2b_sample(out)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: ``python -m segkit.datasets OUT_DIR [--n-customers N] [--seed S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m segkit.datasets",
        description="Write the synthetic sample_transactions.csv and sample_customers.csv.",
    )
    parser.add_argument("out_dir", type=Path, help="output folder, e.g. data/")
    parser.add_argument("--n-customers", type=int, default=2000, help="number of customers (default 2000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    args = parser.parse_args(argv)
    try:
        paths = write_samples(args.out_dir, n_customers=args.n_customers, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


# --- helpers -----------------------------------------------------------------------------------------


class _Calendar:
    """Day grid of the window with purchase-intensity weights, and sampling on it."""

    def __init__(self, first_day: pd.Timestamp, last_day: pd.Timestamp) -> None:
        days = pd.date_range(first_day, last_day, freq="D")
        self.first_day = first_day
        self.horizon = len(days) - 1
        self.month = days.month.to_numpy()
        self.in_season = self.month >= 11
        weights = _MONTH_INTENSITY[self.month - 1] * _WEEKDAY_INTENSITY[days.day_of_week.to_numpy()]
        # Normalised to mean 1 so a rate in orders/day keeps its meaning as an average over the window.
        weights = weights / weights.mean()
        self._cum = np.concatenate([[0.0], np.cumsum(weights)])
        # Relative number of first purchases per day (see _acquisition_profiles).
        season = 1 + _ACQUISITION_SEASONALITY * (_MONTH_INTENSITY[self.month - 1] - 1)
        trend = (1 + _ACQUISITION_GROWTH) ** (np.arange(self.horizon + 1) / 365.25)
        self.acquisition = season * _WEEKDAY_INTENSITY[days.day_of_week.to_numpy()] * trend
        self.epoch_s = int((first_day - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1))

    def mass(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Sum of the weights of days ``lo..hi`` (inclusive)."""
        return self._cum[hi + 1] - self._cum[lo]

    def sample_days(self, lo: np.ndarray, hi: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Days in ``lo..hi`` drawn with probability proportional to their weight (inverse CDF)."""
        base = self._cum[lo]
        day = np.searchsorted(self._cum, base + u * (self._cum[hi + 1] - base), side="right") - 1
        return np.clip(day, lo, hi)

    def seasons(self) -> np.ndarray:
        """``(n, 2)`` inclusive day ranges of the November-December seasons inside the window."""
        days = np.flatnonzero(self.in_season)
        breaks = np.flatnonzero(np.diff(days) > 1) + 1
        return np.array([[block[0], block[-1]] for block in np.split(days, breaks)], dtype=np.int64)

    def timestamps(self, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """``datetime64[s]`` for day indices plus seconds after midnight."""
        return (self.epoch_s + day.astype(np.int64) * 86_400 + seconds).astype("datetime64[s]")


def _acquisition_profiles(cal: _Calendar, counts: np.ndarray) -> np.ndarray:
    """``(types, days)`` probabilities of each type's first-purchase day (the join day for seasonal).

    Each type is won along the calendar's acquisition curve within its window (``_ACQUIRED_UNTIL``, the
    last ``_NEW_DAYS`` days for new customers), weighted by its drift. Seasonal customers make their first
    purchase in the first season after they join; on those days the other types are won less (never
    below ``_IN_SEASON_SHARE`` of the curve), so that all first purchases together stay close to the curve.
    """
    horizon = cal.horizon
    day = np.arange(horizon + 1)
    curve = cal.acquisition
    new_from = horizon - _NEW_DAYS + 1
    weights = np.zeros((len(TRUE_TYPES), horizon + 1))
    for code, name in enumerate(TRUE_TYPES):
        if name != "new":
            last = horizon - _ACQUIRED_UNTIL[name]
            drift = 1 + (_ACQUISITION_DRIFT[name] - 1) * day / max(last, 1)
            weights[code] = np.where(day <= last, curve * drift, 0.0)
    weights[_NEW, new_from:] = curve[new_from:]
    # A seasonal customer joins in time for a season (on the first day if the window allows no other).
    seasons = cal.seasons()
    weights[_SEASONAL, seasons[-1, 1] + 1 :] = 0.0
    weights[_SEASONAL, 0] += weights[_SEASONAL].sum() == 0
    profiles = weights / weights.sum(axis=1, keepdims=True)

    # Expected first purchases of the seasonal customers per day, and the expected first purchases of all
    # the other types before the new customers' window if they followed the curve.
    joined_by = np.cumsum(profiles[_SEASONAL])[seasons[:, 1]]
    seasonal = np.zeros(horizon + 1)
    for (lo, hi), share in zip(seasons, np.diff(joined_by, prepend=0.0), strict=True):
        seasonal[lo : hi + 1] = counts[_SEASONAL] * share * curve[lo : hi + 1] / curve[lo : hi + 1].sum()
    seasonal[new_from:] = 0.0
    others = [_LOYAL, _REGULAR, _ONE_OFF, _CHURNED]
    expected = np.where(day < new_from, curve, 0.0)
    expected *= (counts[others].sum() + seasonal.sum()) / expected.sum()
    damping = np.maximum(expected - seasonal, _IN_SEASON_SHARE * expected) / np.maximum(expected, 1e-12)
    damped = weights[others] * damping
    profiles[others] = damped / damped.sum(axis=1, keepdims=True)
    return profiles


def _sample_rows(weights: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column drawn from ``weights[row]`` with probability proportional to its weights (inverse CDF)."""
    n_cols = weights.shape[1]
    cum = np.cumsum(weights.ravel())
    end = (row + 1) * n_cols - 1
    base = np.where(row > 0, cum[np.maximum(row * n_cols - 1, 0)], 0.0)
    col = np.searchsorted(cum, base + u * (cum[end] - base), side="right") - row * n_cols
    return np.clip(col, 0, n_cols - 1)


def _trend(day: np.ndarray, first: np.ndarray, dropout: np.ndarray) -> np.ndarray:
    """A churner's activity level: 1 at the first purchase, falling linearly to 0.2 at dropout."""
    progress = (day - first) / np.maximum(dropout - first, 1)
    return 1.0 - 0.8 * np.clip(progress, 0.0, 1.0)


def _time_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight within shop hours, with lunchtime and after-work peaks."""
    hour = SHOP_HOURS[0] + rng.choice(_HOUR_WEIGHTS.size, size=size, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    return hour * 3600 + rng.integers(0, 3600, size)


def _rank_within_groups(sorted_keys: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal keys."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(sorted_keys.size), 0))
    return np.arange(sorted_keys.size) - start_pos


def _ids(prefix: str | np.ndarray, numbers_: np.ndarray, min_width: int) -> np.ndarray:
    """Zero-padded ids such as ``C00042`` as a numpy unicode array, wide enough for the largest number.

    ``prefix`` is one letter, or an array of ASCII codes giving each id its own letter. The ids are
    assembled as an ASCII byte matrix, several times faster than formatting millions of strings.
    """
    width = max(min_width, len(str(int(numbers_.max())))) if numbers_.size else min_width
    buf = np.empty((numbers_.size, width + 1), dtype=np.uint8)
    buf[:, 0] = ord(prefix) if isinstance(prefix, str) else prefix
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    buf[:, 1:] = numbers_.astype(np.int64)[:, None] // powers % 10 + ord("0")
    return buf.view(f"S{width + 1}").ravel().astype(f"U{width + 1}")


def _text(values: Sequence[str] | np.ndarray) -> Any:
    """Strings in pandas' ``str`` dtype (the default from pandas 3), object before pandas 2.3."""
    as_object = np.asarray(values, dtype=object)
    return as_object if _STR_DTYPE is object else pd.array(as_object, dtype=_STR_DTYPE)


def _take(values: Any, codes: np.ndarray) -> Any:
    """``values[codes]`` for an object array or a pandas extension array alike."""
    return values[codes] if isinstance(values, np.ndarray) else values.take(codes)


def _datetime_unit() -> str:
    """The resolution ``read_csv``/``to_datetime`` give on this pandas (ns on 2.x, us on 3.x).

    Matching it means a frame read back from the CSV compares equal to the generated one.
    """
    return np.datetime_data(pd.to_datetime(pd.Series(["2000-01-01 00:00:00"])).dtype)[0]


def _largest_remainder(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` that are as close as possible to ``shares * n``."""
    raw = shares * n
    counts = np.floor(raw).astype(np.int64)
    extra = np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]
    counts[extra] += 1
    return counts


def _check_n_customers(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ParameterError(f"n_customers must be a positive int, got {value!r}")
    return int(value)


def _check_seed(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ParameterError(f"seed must be a non-negative int, got {value!r}")
    return int(value)


def _check_window(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    days = []
    for name, value in (("start", start), ("end", end)):
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if isinstance(value, bool) or pd.isna(stamp) or stamp.tz is not None or stamp != stamp.normalize():
            raise ParameterError(f"{name} must be a calendar date such as '2023-01-01', got {value!r}")
        days.append(stamp)
    if (days[1] - days[0]).days < 364:
        raise ParameterError(
            f"end must be at least a year after start so every customer type fits, got start={start!r}, "
            f"end={end!r}"
        )
    return days[0], days[1]


if __name__ == "__main__":
    main()
from .crm import make_crm  # noqa: E402, F401  (the sample CRM lives in segkit.crm)
