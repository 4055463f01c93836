"""Customer status at a date (new, active, reactivated, at risk, churned) and the client-base view.

Definitions used throughout segkit's churn analyses (cohorts, churn rate, survival, churn risk):

* **Inactivity threshold** ``T`` (days): explicit, or derived from the base's own rhythm as the 90th
  percentile of the gaps between consecutive purchase days (pooled over all repeat customers, before the
  as-of date). The derived value is always reported.
* **Churned (lapsed)** as of a date: no purchase for *more than* ``T`` days (``recency_days > T``).
  A customer is **current** otherwise.
* **Reactivated**: came back after a lapse longer than ``T`` (a gap of more than ``T`` days between two
  purchase days) and that comeback purchase is recent.
* Recency is counted in whole days from the last purchase day to the as-of date, so a purchase the day
  before the as-of date has recency 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, check_choice, data_error
from .._validation import DateLike, Interval, validate_params
from ..engine import Snapshot, customer_main_value, customer_summary, period_ordinal, period_start, snapshot
from ..engine._table import datetimes
from ..io import Transactions

__all__ = [
    "STATUSES",
    "client_base",
    "customer_status",
    "inactivity_threshold",
    "status_transitions",
]

#: Customer statuses, in the order tables show them; the first four form the current base.
STATUSES = ("new", "active", "reactivated", "at_risk", "churned")
_CURRENT = STATUSES[:4]
_DEFAULT_QUANTILE = 0.9
_NOT_YET = "not_yet_customer"
_BASES = ("current", "lapsed")
_DAYS = [Interval(int, 1, None)]


Data = Transactions | pd.DataFrame | Snapshot


@validate_params(quantile=[Interval(float, 0, 1, closed="neither")], as_of=[None, "date"])
def inactivity_threshold(
    data: Data, *, as_of: DateLike | None = None, quantile: float = _DEFAULT_QUANTILE
) -> int:
    """Derive the inactivity threshold from the base's inter-purchase times.

    A gap is the number of days between two consecutive purchase days of one customer; gaps of all repeat
    customers before ``as_of`` are pooled and the ``quantile`` (90th percentile by default) is taken,
    rounded up to whole days. "90 % of the time a returning customer comes back within T days", so a
    customer silent for longer than ``T`` is unlikely to return. Frequent buyers contribute more gaps, so
    the pooled percentile leans towards their rhythm; pass an explicit threshold when the business has a
    natural one (a subscription term, a season).

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    as_of : date-like, optional
        Only purchases before this date are used (default: the day after the last transaction).
    quantile : float, default 0.9
        Which percentile of the gaps to use, in (0, 1).

    Returns
    -------
    int
        The threshold in days (at least 1).

    Raises
    ------
    DataContractError
        When no customer bought on two different days before ``as_of`` (there is no gap to learn from).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b"],
    ...     "order_date": ["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-05", "2024-03-05"],
    ...     "amount": [10.0, 10.0, 10.0, 5.0, 5.0],
    ... })
    >>> segkit.inactivity_threshold(df)  # gaps 10, 20 and 60 days
    52
    >>> segkit.inactivity_threshold(df, quantile=0.5)
    20
    """
    snap = snapshot(data, as_of=as_of)
    return snap.cached(("inactivity_threshold", float(quantile)), lambda: _threshold(snap, float(quantile)))


def _threshold(snap: Snapshot, quantile: float, before: pd.Timestamp | None = None) -> int:
    gaps = snap.gaps()
    if before is not None:
        # A gap belongs to the purchase day that ends it: the gaps seen at ``before`` end before it.
        gaps = gaps.filter(gaps.day_number < period_ordinal(before, "day"))
    counts = snap.to_pandas(gaps.group_by("gap_days").aggregate(n=gaps.count()).order_by("gap_days"))
    if counts.empty:
        date = snap.as_of if before is None else before
        summary = customer_summary(snap.at(date))
        raise data_error(
            "customer_id",
            f"no customer bought on two different days before {date.date()}, so there are no gaps "
            "between purchases to derive the inactivity threshold from",
            int(summary["n_purchase_days"].sum()),
            summary.index[:5],
            "Pass inactivity_days=... explicitly (e.g. 90 or 180).",
        )
    value = _quantile(counts["gap_days"].to_numpy(), counts["n"].to_numpy(), quantile)
    return max(1, int(np.ceil(value)))


def _quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``numpy.quantile`` (linear) of ``values`` repeated ``counts`` times, from the counts alone.

    The engine returns the distribution of gaps (a few thousand distinct values), not one row per gap;
    the two order statistics around the quantile are found on the cumulative counts and interpolated by
    numpy itself, so the result is bit-for-bit what numpy gives on the full list.
    """
    n = int(counts.sum())
    position = (n - 1) * q
    lo = int(np.floor(position))
    cumulative = np.cumsum(counts)
    at = np.searchsorted(cumulative, [lo, min(lo + 1, n - 1)], side="right")
    return float(np.quantile(values[at].astype(float), position - lo))


def activity_stretches(snap: Snapshot, threshold: int) -> ir.Table:
    """Each customer's stretches of activity: runs of purchase days with no gap longer than ``threshold``.

    Columns ``ckey`` (the snapshot's compact customer key; :meth:`Snapshot.customer_frame` and
    :meth:`Snapshot.with_ids` bring the ids back), ``stretch`` (1 = the first customer life), ``first_day`` and ``last_day``
    (dates of the stretch's first and last purchase). A customer is *active* at a date ``b`` exactly when
    some stretch has ``first_day < b <= last_day + threshold``; stretch ``k + 1`` starts with the
    comeback after the ``k``-th lapse. Built from the snapshot's purchase gaps, so status, churn rate and
    survival all use the one gap definition.
    """

    def build() -> ir.Table:
        days = snap.purchase_days()
        # ifelse, not a cast: PostgreSQL cannot cast a boolean to bigint.
        starts = (days.gap_days.isnull() | (days.gap_days > threshold)).ifelse(1, 0)
        days = days.mutate(new=starts)
        window = ibis.cumulative_window(group_by="ckey", order_by="day_number")
        days = days.mutate(stretch=days.new.sum().over(window))
        stretches = days.group_by(["ckey", "stretch"]).aggregate(
            first_day=days.day.min(), last_day=days.day.max()
        )
        return stretches

    return snap.materialize(("activity_stretches", int(threshold)), build)


def resolve_threshold(
    snap: Snapshot, inactivity_days: Any, *, before: pd.Timestamp | None = None
) -> tuple[int, str]:
    """The inactivity threshold to use and a sentence saying where it came from.

    A derived threshold learns from the gaps before ``before`` when given (an earlier cut-off, read from
    this snapshot's purchase days), otherwise before the snapshot's as-of date.
    """
    if inactivity_days is None:
        if before is None or before >= snap.as_of:
            value, date = inactivity_threshold(snap), snap.as_of
        else:
            key = ("inactivity_threshold", _DEFAULT_QUANTILE, before)
            value, date = snap.cached(key, lambda: _threshold(snap, _DEFAULT_QUANTILE, before)), before
        return value, (
            f"derived: 90th percentile of the gaps between purchase days before {date.date()}, "
            f"rounded up ({value} days)"
        )
    return inactivity_days, f"given: {inactivity_days} days"


def _resolve_at_risk(at_risk_days: Any, threshold: int) -> int:
    if at_risk_days is None:
        return max(1, threshold // 2)
    value = at_risk_days
    if value > threshold:
        raise ParameterError(
            f"at_risk_days must not exceed the inactivity threshold ({threshold} days); got {value}. "
            "A customer silent for longer than the threshold is churned, not at risk."
        )
    return value


@validate_params(as_of=[None, "date"], inactivity_days=[None, *_DAYS], at_risk_days=[None, *_DAYS])
def customer_status(
    data: Data,
    *,
    as_of: DateLike | None = None,
    inactivity_days: int | None = None,
    at_risk_days: int | None = None,
) -> pd.DataFrame:
    """Each customer's status at the as-of date: new, active, reactivated, at risk or churned.

    With ``T`` the inactivity threshold and ``R`` the at-risk threshold (``T // 2`` by default), a
    customer with ``r`` days since the last purchase is, checked in this order:

    * ``churned`` (lapsed) when ``r > T``: no purchase for more than the threshold;
    * ``at_risk`` when ``R < r <= T``: silent for longer than usual but not lapsed yet;
    * ``new`` when the first purchase is within the last ``R`` days;
    * ``reactivated`` when the customer came back after a lapse (a gap of more than ``T`` days between
      two purchase days) and the comeback purchase is within the last ``R`` days;
    * ``active`` otherwise (bought within the last ``R`` days, a customer for longer).

    So new, reactivated and active customers all bought recently, and the at-risk group is the one to
    win back before it lapses.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    as_of : date-like, optional
        Status date (purchases before it count); default the day after the last transaction.
    inactivity_days : int, optional
        The threshold ``T``; ``None`` derives it with :func:`inactivity_threshold` (90th percentile of
        the gaps between purchase days before ``as_of``).
    at_risk_days : int, optional
        The threshold ``R`` (1 to ``T``); default ``T // 2``. It is also the "recent" window for new and
        reactivated customers.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``status`` (ordered categorical over :data:`STATUSES`), ``base``
        (categorical, ``"current"`` or ``"lapsed"``), ``first_purchase``, ``last_purchase``, ``recency_days``,
        ``n_orders``, ``revenue`` (net, lifetime), ``n_lapses`` (how many times the customer stayed away
        for more than ``T`` days and came back) and ``last_comeback`` (purchase day that ended the latest
        lapse, NaT if none). ``attrs`` holds ``as_of``, ``inactivity_days``, ``at_risk_days`` and
        ``threshold_source`` (how the threshold was obtained).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["new", "act", "act", "back", "back", "risk", "gone"],
    ...     "order_date": ["2024-06-20", "2024-04-01", "2024-06-10", "2023-10-01", "2024-06-25",
    ...                    "2024-05-01", "2024-01-15"],
    ...     "amount": 10.0,
    ... })
    >>> st = segkit.customer_status(df, as_of="2024-07-01", inactivity_days=90)
    >>> st[["status", "recency_days", "n_lapses"]]
                      status  recency_days  n_lapses
    customer_id
    act               active            21         0
    back         reactivated             6         1
    gone             churned           168         0
    new                  new            11         0
    risk             at_risk            61         0
    >>> st.attrs["at_risk_days"]
    45
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    threshold, source = resolve_threshold(snap, inactivity_days)
    at_risk = _resolve_at_risk(at_risk_days, threshold)
    summary = customer_summary(snap, copy=False)  # read only: the statuses go into a frame of their own
    days = snap.purchase_days()
    lapse = days.gap_days > threshold
    # The day that ends a lapse is the comeback; the latest one is what "reactivated" looks at. Grouping
    # all purchase days gives one row per customer with a purchase, the customers of the summary in the
    # same order, so the two line up without an alignment on ids.
    lapses = days.group_by("ckey").aggregate(
        n_lapses=days.count(where=lapse), last_comeback=days.day.max(where=lapse).cast("timestamp")
    )
    lapses = snap.customer_frame(lapses)
    if len(lapses) != len(summary) or (len(summary) and lapses.index[-1] != summary.index[-1]):
        lapses = lapses.reindex(summary.index)
    n_lapses = pd.Series(lapses["n_lapses"].fillna(0).to_numpy(dtype="int64"), index=summary.index)
    comeback = pd.Series(datetimes(lapses["last_comeback"]).to_numpy(), index=summary.index)

    recency = summary["recency_days"].to_numpy()
    since_first = (as_of - summary["first_purchase"].dt.normalize()).dt.days.to_numpy()
    since_comeback = (as_of - comeback).dt.days.to_numpy()  # NaN where there was no lapse
    # Status codes (positions in STATUSES), not a million labels to hash back into categories.
    code = np.select(
        [recency > threshold, recency > at_risk, since_first <= at_risk, since_comeback <= at_risk],
        [STATUSES.index(name) for name in ("churned", "at_risk", "new", "reactivated")],
        default=STATUSES.index("active"),
    ).astype(np.int8)
    churned = code == STATUSES.index("churned")
    out = pd.DataFrame(
        {
            "status": pd.Categorical.from_codes(code, categories=STATUSES, ordered=True),
            # Two labels as codes: a text per customer costs tens of bytes times the size of the base.
            "base": pd.Categorical.from_codes(churned.astype(np.int8), categories=_BASES),
            "first_purchase": summary["first_purchase"],
            "last_purchase": summary["last_purchase"],
            "recency_days": summary["recency_days"],
            "n_orders": summary["n_orders"],
            "revenue": summary["revenue"],
            "n_lapses": n_lapses.astype("int64"),
            "last_comeback": comeback.astype("datetime64[ns]"),
        },
        index=summary.index,
    )
    out.attrs.update(as_of=as_of, inactivity_days=threshold, at_risk_days=at_risk, threshold_source=source)
    return out


@validate_params(as_of=[None, "date"], inactivity_days=[None, *_DAYS], at_risk_days=[None, *_DAYS])
def client_base(
    data: Data,
    *,
    as_of: DateLike | None = None,
    inactivity_days: int | None = None,
    at_risk_days: int | None = None,
) -> pd.DataFrame:
    """The client base split the way the methodology works with it: the current base and the lapsed one.

    Current customers (new, active, reactivated, at risk) are served and developed; churned ones are a
    separate base for win-back campaigns. Statuses are those of :func:`customer_status`.

    Parameters
    ----------
    data, as_of, inactivity_days, at_risk_days
        As in :func:`customer_status`.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``base``, ``status``), with one total row per base (status ``"total"``) and a grand
        total (``("all", "total")``). Columns: ``customers``, ``share_of_base`` (within the row's base),
        ``share_of_all``, ``revenue`` (net, lifetime), ``revenue_share``, ``revenue_per_customer`` and
        ``median_recency_days``. ``attrs`` carries the thresholds as in :func:`customer_status`.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "c"],
    ...     "order_date": ["2024-06-20", "2024-05-01", "2024-01-01", "2024-06-25"],
    ...     "amount": [10.0, 30.0, 20.0, 40.0],
    ... })
    >>> base = segkit.client_base(df, as_of="2024-07-01", inactivity_days=90)
    >>> base[["customers", "share_of_all", "revenue"]]
                         customers  share_of_all  revenue
    base    status
    current new                  1      0.333333     10.0
            active               0      0.000000      0.0
            reactivated          1      0.333333     60.0
            at_risk              1      0.333333     30.0
            total                3      1.000000    100.0
    lapsed  churned              0      0.000000      0.0
            total                0      0.000000      0.0
    all     total                3      1.000000    100.0
    """
    status = customer_status(data, as_of=as_of, inactivity_days=inactivity_days, at_risk_days=at_risk_days)
    by_status = status.groupby("status", observed=False).agg(
        customers=("revenue", "size"),
        revenue=("revenue", "sum"),
        median_recency_days=("recency_days", "median"),
    )
    rows = []
    for base, members in (("current", list(_CURRENT)), ("lapsed", ["churned"])):
        part = by_status.loc[members]
        rows.append(part.assign(base=base).rename_axis("status").reset_index())
        in_base = status["status"].isin(members)
        rows.append(_total_row(base, status.loc[in_base]))
    rows.append(_total_row("all", status))
    out = pd.concat(rows, ignore_index=True)
    out["status"] = out["status"].astype(str)
    n_all = max(len(status), 1)
    revenue_all = status["revenue"].sum()
    base_size = out["base"].map(out.loc[out["status"] == "total"].set_index("base")["customers"])
    out["share_of_base"] = out["customers"] / base_size.where(base_size > 0)
    out["share_of_all"] = out["customers"] / n_all
    out["revenue_share"] = out["revenue"] / revenue_all if revenue_all else np.nan
    out["revenue_per_customer"] = out["revenue"] / out["customers"].where(out["customers"] > 0)
    out["revenue"] = out["revenue"].round(2)
    out = out.set_index(["base", "status"])[
        [
            "customers",
            "share_of_base",
            "share_of_all",
            "revenue",
            "revenue_share",
            "revenue_per_customer",
            "median_recency_days",
        ]
    ]
    out["customers"] = out["customers"].astype("int64")
    out.attrs.update(status.attrs)
    return out


def _total_row(base: str, members: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "base": [base],
            "status": ["total"],
            "customers": [len(members)],
            "revenue": [members["revenue"].sum()],
            "median_recency_days": [members["recency_days"].median()],
        }
    )


@validate_params(as_of=[None, "date"], inactivity_days=[None, *_DAYS], at_risk_days=[None, *_DAYS])
def status_transitions(
    data: Data,
    *,
    previous: DateLike,
    as_of: DateLike | None = None,
    inactivity_days: int | None = None,
    at_risk_days: int | None = None,
) -> pd.DataFrame:
    """How customers moved between statuses from an earlier date to the as-of date.

    Both statuses use the same thresholds; a derived threshold is learnt once, at the later date.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    previous : date-like
        The earlier status date (must be before ``as_of``).
    as_of, inactivity_days, at_risk_days
        As in :func:`customer_status`.

    Returns
    -------
    pandas.DataFrame
        Customer counts with the status at ``previous`` as rows (plus ``"not_yet_customer"`` for
        customers acquired in between) and the status at ``as_of`` as columns.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c"],
    ...     "order_date": ["2024-01-05", "2024-06-20", "2024-01-10", "2024-06-01"],
    ...     "amount": 10.0,
    ... })
    >>> m = segkit.status_transitions(df, previous="2024-05-01", as_of="2024-07-01", inactivity_days=60)
    >>> m.loc[["churned", "not_yet_customer"], ["new", "reactivated", "churned"]]
    status_now        new  reactivated  churned
    status_before
    churned             0            1        1
    not_yet_customer    1            0        0
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    earlier = snap.at(previous)
    previous = earlier.as_of
    if previous >= as_of:
        raise ParameterError(f"previous must be before as_of ({as_of.date()}); got {previous.date()}.")
    threshold, _ = resolve_threshold(snap, inactivity_days)
    now = customer_status(snap, inactivity_days=threshold, at_risk_days=at_risk_days)
    before = customer_status(earlier, inactivity_days=threshold, at_risk_days=at_risk_days)
    # Counted on the status codes: the customers of ``before`` are found among today's once, and the
    # pairs of codes are counted in one pass (no text statuses aligned on a million ids).
    rows = np.full(len(now), len(STATUSES), dtype=np.int64)  # not yet a customer at ``previous``
    at = now.index.get_indexer(before.index)
    known = at >= 0
    rows[at[known]] = before["status"].cat.codes.to_numpy()[known]
    pairs = rows * len(STATUSES) + now["status"].cat.codes.to_numpy()
    counts = np.bincount(pairs, minlength=(len(STATUSES) + 1) * len(STATUSES))
    table = pd.DataFrame(
        counts.reshape(len(STATUSES) + 1, len(STATUSES)),
        index=pd.Index([*STATUSES, _NOT_YET], name="status_before").astype(str),
        columns=pd.Index(STATUSES, name="status_now").astype(str),
    )
    table.attrs.update(now.attrs, previous=previous)
    return table


# ----------------------------------------------------------------------------------------------------
# customer groups shared by churn rate and survival curves
# ----------------------------------------------------------------------------------------------------

_PERIOD_LABEL = {"week": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def period_label(starts: pd.Series | pd.DatetimeIndex, period: str) -> pd.Index:
    """Readable labels of period starts: '2024-03' (month), '2024-Q1', '2024' or the week's Monday."""
    starts = pd.DatetimeIndex(starts)
    if period == "quarter":
        return pd.Index([f"{ts.year}-Q{(ts.month - 1) // 3 + 1}" for ts in starts])
    return pd.Index(starts.strftime(_PERIOD_LABEL.get(period, "%Y-%m-%d")))


def customer_groups(
    data: Data, by: Any, *, as_of: DateLike | None = None, period: str = "quarter"
) -> tuple[pd.Series, int]:
    """Label every customer with a purchase before ``as_of`` for a ``by=`` argument.

    ``by`` may be None (one group, ``"all"``), ``"cohort"`` (the ``period`` of the first purchase),
    ``"channel"``/``"category"`` (the customer's main value, see :func:`segkit.customer_main_value`)
    or a mapping / Series from customer id to a label (a segment or persona). Returns the labels (string
    Series indexed by customer id; customers without a label left out) and how many were left out.
    """
    snap = snapshot(data, as_of=as_of)
    summary = customer_summary(snap, copy=False)  # read only
    customers = summary.index
    if by is None:
        return pd.Series("all", index=customers, dtype="str"), 0
    if isinstance(by, str):
        if by == "cohort":
            starts = period_start(summary["first_purchase"], period)
            return pd.Series(period_label(starts, period), index=customers, dtype="str"), 0
        check_choice("by", by, ("cohort", "channel", "category"))
        if not snap.has(by):
            raise ParameterError(
                f"by={by!r}: the data has no {by!r} column. Use by='cohort' or pass a mapping from customer "
                "id to segment."
            )
        labels = customer_main_value(snap, by).reindex(customers)
    elif isinstance(by, pd.Series | Mapping):
        mapping = pd.Series(by) if isinstance(by, Mapping) else by
        mapping.index = mapping.index.astype(str)
        if mapping.index.has_duplicates:
            dup = mapping.index[mapping.index.duplicated()]
            raise ParameterError(
                f"by: the mapping lists {dup.nunique():,} customer ids more than once (e.g. "
                f"{list(dup[:3])}); give one label per customer."
            )
        labels = mapping.reindex(customers)
    else:
        raise ParameterError(
            f"by must be None, 'cohort', 'channel', 'category' or a mapping/Series from customer id to a "
            f"label; got {type(by).__name__}."
        )
    labels = labels.dropna().astype("str")
    missing = len(customers) - len(labels)
    if labels.empty:
        raise DataContractError(
            f"by: none of the {len(customers):,} customers has a label (e.g. customer ids "
            f"{list(customers[:3])}). Check that the mapping is indexed by the same customer ids."
        )
    return labels, missing
