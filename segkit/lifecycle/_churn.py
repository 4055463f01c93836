"""Churn rate per period (and annualised), and a churn-risk model trained and tested out of time.

Definitions (see :mod:`segkit.lifecycle._status` for the inactivity threshold ``T``):

* A customer is **active at a date** when they bought within the ``T`` days before it (recency <= T);
  otherwise they are churned (lapsed) at that date.
* **Churn rate of a period** = customers active at the period's start who are no longer active at its
  end (no purchase for more than ``T`` days by then), over customers active at the start. Customers won
  or won back during the period do not enter the ratio. It is annualised as ``1 - (1 - c) ** n`` with ``n``
  periods per year (52 weeks, 12 months, 4 quarters).
* **Churn label** for the risk model at a cut-off date: no purchase in the next ``H`` days,
  ``[cutoff, cutoff + H)``. Features use only transactions before the cut-off (the engine is called with
  ``as_of=cutoff``), so nothing after the cut-off can leak into them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, check_choice
from .._progress import stages
from .._validation import DateLike, Interval, Options, validate_fit_params, validate_params
from ..engine import Snapshot, customer_summary, period_end, period_ordinal, snapshot
from ..io import Transactions
from ._status import activity_stretches, customer_groups, resolve_threshold

Data = Transactions | pd.DataFrame | Snapshot

__all__ = [
    "ChurnEvaluation",
    "ChurnModel",
    "churn_features",
    "churn_labels",
    "churn_rate",
    "churn_summary",
]

#: Periods per year used to annualise a churn rate.
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}


# ----------------------------------------------------------------------------------------------------
# churn rate per period
# ----------------------------------------------------------------------------------------------------


@validate_params(
    period=[Options(("week", "month", "quarter", "year"))],
    inactivity_days=[None, Interval(int, 1, None)],
    as_of=[None, "date"],
)
def churn_rate(
    data: Data,
    *,
    period: str = "month",
    inactivity_days: int | None = None,
    by: Any = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Churn rate per period, annualised, overall or by segment.

    A customer is active at a date when they bought within the inactivity threshold ``T`` before it.
    The churn rate of a period is the share of customers active at its start who are not active at its
    end (they reached more than ``T`` days without a purchase during the period). Only periods that lie
    wholly before ``as_of`` and start at least ``T`` days after the first transaction are reported: before
    that, customers who bought before the data begins would be missing from "active at the start".

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    period : {"month", "week", "quarter", "year"}
        Period length.
    inactivity_days : int, optional
        Threshold ``T``; ``None`` derives it (90th percentile of the gaps between purchase days before
        ``as_of``, see :func:`segkit.inactivity_threshold`).
    by : None, "cohort", "channel", "category", mapping or Series, optional
        Segment customers: by acquisition quarter, main channel or category, or a mapping from customer
        id to a segment or persona label (customers without a label are left out; their number is in
        ``attrs["customers_without_segment"]``).
    as_of : date-like, optional
        Analysis date; default the day after the last transaction.

    Returns
    -------
    pandas.DataFrame
        One row per period (and segment): ``period`` (start), the segment column when ``by`` is given
        (named after ``by`` when it is a string, else ``segment``), ``active_at_start``, ``churned``,
        ``churn_rate`` and ``annualised_churn_rate``. ``attrs`` holds ``inactivity_days``,
        ``threshold_source``, ``as_of``, ``period``, ``segment_column`` and ``customers_without_segment``;
        :func:`churn_summary` pools the periods into one rate per segment.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c", "c", "c"],
    ...     "order_date": ["2024-01-05", "2024-02-20", "2024-03-25", "2024-01-20", "2024-02-25",
    ...                    "2024-02-01", "2024-03-01", "2024-04-20"],
    ...     "amount": 10.0,
    ... })
    >>> segkit.churn_rate(df, inactivity_days=31, as_of="2024-06-01")
          period  active_at_start  churned  churn_rate  annualised_churn_rate
    0 2024-03-01                3        1    0.333333               0.992293
    1 2024-04-01                2        1    0.500000               0.999756
    2 2024-05-01                1        1    1.000000               1.000000

    All three bought in the 31 days before 1 March; ``b`` (last purchase 25 February) passes 31 days of
    silence during March. ``a`` (last purchase 25 March) churns in April, ``c`` (20 April) in May.
    Periods before 5 February + 31 days are not reported: history before them is too short.
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    threshold, source = resolve_threshold(snap, inactivity_days)
    groups, n_missing = customer_groups(snap, by)

    first_day = snap.first_date.normalize()
    starts = snap.calendar(period)
    ends = period_end(starts, period)
    usable = (starts >= first_day + pd.Timedelta(days=threshold)) & (ends <= as_of)
    if not usable.any():
        raise ParameterError(
            f"No {period} lies wholly before as_of={as_of.date()} and starts at least inactivity_days="
            f"{threshold} after the first transaction ({first_day.date()}), so no churn rate can be measured. "
            "Use a shorter period, a smaller inactivity_days, or more history."
        )
    codes, labels = pd.factorize(groups, sort=True)
    n_groups = len(labels)
    active, churned = _boundary_counts(snap, threshold, period, starts, groups.index, codes, n_groups)
    keep = np.flatnonzero(usable)
    starts, active, churned = starts[keep], active[keep], churned[keep]
    seg_col = by if isinstance(by, str) else "segment"
    out = pd.DataFrame(
        {
            "period": np.repeat(starts.values, n_groups),
            seg_col: np.tile(np.asarray(labels, dtype=object), len(starts)),
            "active_at_start": active.ravel(),
            "churned": churned.ravel(),
        }
    )
    if by is None:
        out = out.drop(columns=seg_col)
    out = _add_rates(out, period)
    out.attrs.update(
        as_of=as_of,
        period=period,
        inactivity_days=threshold,
        threshold_source=source,
        segment_column=None if by is None else seg_col,
        customers_without_segment=n_missing,
    )
    return out


def _boundary_counts(
    snap: Snapshot,
    threshold: int,
    period: str,
    starts: pd.DatetimeIndex,
    customers: pd.Index,
    codes: np.ndarray,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per period start and group: customers active at the start, and those of them inactive at the end.

    Period starts are numbered by :func:`segkit.period_ordinal`. A stretch of activity (see
    :func:`activity_stretches`) makes its customer active at the period starts with numbers from
    ``ordinal(first_day) + 1`` to ``ordinal(last_day + T)``; a customer churns in period ``k`` when a
    stretch's last active start is ``k`` and the next stretch does not resume at ``k + 1``. The engine
    turns stretches into these ranges; numpy only adds the ranges up per group on the few period starts.
    """
    st = activity_stretches(snap, threshold)
    st = st.mutate(
        lo=period_ordinal(st.first_day, period) + 1,
        hi=period_ordinal(st.last_day + ibis.interval(days=threshold), period),
    )
    st = st.filter(st.lo <= st.hi)
    following = st.lo.lead().over(ibis.window(group_by="ckey", order_by="stretch"))
    st = st.mutate(ends=following.isnull() | (following != st.hi + 1))
    # Every customer with a purchase day has a stretch, so the dense rank of the key is the customer's
    # position in the customer summary (sorted by key): stretches find their group without matching ids.
    position = ibis.dense_rank().over(order_by="ckey")
    ranges = snap.to_pandas(st.select("lo", "hi", "ends", position=position))
    origin = period_ordinal(starts[0], period)
    rows = _positions(snap, customers)[ranges["position"].to_numpy(dtype=np.int64)]
    inside = rows >= 0
    group = codes[rows[inside]]
    n = len(starts)
    lo = np.clip(ranges["lo"].to_numpy(dtype=np.int64)[inside] - origin, 0, n)
    last = ranges["hi"].to_numpy(dtype=np.int64)[inside] - origin
    hi = np.clip(last, -1, n - 1)
    # A difference array over period starts: +1 where a range begins, -1 just after it ends.
    delta = np.zeros((n + 1, n_groups), dtype=np.int64)
    np.add.at(delta, (lo, group), 1)
    np.add.at(delta, (hi + 1, group), -1)
    active = np.cumsum(delta, axis=0)[:n]
    churned = np.zeros((n, n_groups), dtype=np.int64)
    # A range still open at the last period start (or later) has not ended within the data.
    ends = ranges["ends"].to_numpy(dtype=bool)[inside] & (last >= 0) & (last < n) & (hi >= lo)
    np.add.at(churned, (hi[ends], group[ends]), 1)
    return active, churned


def _positions(snap: Snapshot, customers: pd.Index) -> np.ndarray:
    """For each customer of the summary (in key order), its row in ``customers``, or -1 when absent."""
    everyone = customer_summary(snap).index
    if everyone.equals(customers):
        return np.arange(len(everyone))
    return customers.get_indexer(everyone)


def churn_summary(rates: pd.DataFrame) -> pd.DataFrame:
    """Pool a :func:`churn_rate` table over its periods: one churn rate per segment.

    The pooled rate is total churned over total active at the start of the periods (so busy periods
    weigh more than an unweighted mean of the rates would let them), annualised like the per-period one.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> rates = pd.DataFrame({"period": pd.to_datetime(["2024-03-01", "2024-04-01"]),
    ...                       "active_at_start": [30, 10], "churned": [3, 3]})
    >>> rates.attrs.update(period="month", segment_column=None)
    >>> segkit.churn_summary(rates)
       periods  active_at_start  churned  churn_rate  annualised_churn_rate
    0        2               40        6        0.15               0.857758
    """
    period = rates.attrs.get("period")
    if period not in PERIODS_PER_YEAR or not {"active_at_start", "churned"} <= set(rates.columns):
        raise ParameterError(
            "churn_summary needs the table returned by segkit.churn_rate (with its attrs); got a frame with "
            f"columns {list(rates.columns)[:8]} and period {period!r}."
        )
    seg = rates.attrs.get("segment_column")
    keys = seg if seg is not None else np.zeros(len(rates), dtype=int)
    out = rates.groupby(keys).agg(
        periods=("period", "size"), active_at_start=("active_at_start", "sum"), churned=("churned", "sum")
    )
    out = out.reset_index() if seg is not None else out.reset_index(drop=True)
    return _add_rates(out, period)


def _add_rates(frame: pd.DataFrame, period: str) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = frame["churned"] / frame["active_at_start"].where(frame["active_at_start"] > 0)
    frame["churn_rate"] = rate
    frame["annualised_churn_rate"] = 1 - (1 - rate) ** PERIODS_PER_YEAR[period]
    return frame


# ----------------------------------------------------------------------------------------------------
# features and labels at a cut-off
# ----------------------------------------------------------------------------------------------------

#: Plain-words meaning of every churn feature ({w} is the trend window in days).
FEATURE_MEANINGS = {
    "recency_days": "days since the last purchase",
    "tenure_days": "days since the first purchase",
    "purchase_days": "number of days with a purchase",
    "purchases_per_month": "purchase days per month since the first purchase",
    "mean_gap_days": "average days between purchases",
    "last_gap_days": "days between the last two purchases",
    "overdue_ratio": "days since the last purchase / average gap",
    "purchase_days_recent": "purchase days in the last {w} days",
    "purchase_days_before": "purchase days in the {w} days before that",
    "revenue_recent": "spend in the last {w} days",
    "revenue_before": "spend in the {w} days before that",
    "basket_trend": "average basket in the last {w2} days / overall",
    "avg_order_value": "average order value",
    "revenue": "net revenue to date",
    "return_share": "share of spend returned",
    "margin_rate": "margin as a share of net revenue",
    "n_categories": "number of product categories bought",
    "n_channels": "number of sales channels used",
}


def _check_cutoff(snap: Snapshot, cutoff: Any, name: str = "cutoff") -> Snapshot:
    """The snapshot at the cut-off date (features see only what happened before it)."""
    if cutoff is None:
        raise ParameterError(
            f"{name} is required: the date at which features are computed, e.g. '2024-07-01'."
        )
    try:
        return snap.at(cutoff)
    except ParameterError as exc:
        raise ParameterError(str(exc).replace("as_of", name, 1)) from exc


_POSITIVE_DAYS = [Interval(int, 1, None)]


@validate_params(window_days=_POSITIVE_DAYS)
def churn_features(data: Data, *, cutoff: DateLike, window_days: int = 90) -> pd.DataFrame:
    """Per-customer churn features from transactions before ``cutoff`` only.

    Every aggregate comes from the engine called with ``as_of=cutoff``, which filters
    ``order_date < cutoff`` before anything else; transactions on or after the cut-off cannot change a
    single value.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    cutoff : date-like
        Features are computed as of this date.
    window_days : int, default 90
        Length of the recent window for the trend features (last ``w`` days versus the ``w`` before).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with a purchase before the cut-off), one column per feature
        (see ``FEATURE_MEANINGS``; ``margin_rate``, ``n_categories`` and ``n_channels`` only when the data
        has those columns) plus ``revenue_12m`` (purchases in the last 365 days, shown with scores, not a
        feature). Features are NaN where undefined (gaps of a one-purchase customer).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "b"],
    ...                    "order_date": ["2024-01-01", "2024-03-01", "2024-05-31", "2024-05-01"],
    ...                    "amount": [30.0, 20.0, 10.0, 50.0]})
    >>> f = segkit.churn_features(df, cutoff="2024-06-01", window_days=30)
    >>> f[["recency_days", "purchase_days", "mean_gap_days", "revenue_recent"]]
                 recency_days  purchase_days  mean_gap_days  revenue_recent
    customer_id
    a                       1              3           75.5            10.0
    b                      31              1            NaN             0.0
    """
    window = window_days
    snap = snapshot(data)
    date = _check_cutoff(snap, cutoff).as_of
    return _cutoff_features(_covering(snap, date), date, window).copy()


def _covering(snap: Snapshot, date: pd.Timestamp) -> Snapshot:
    """A snapshot that sees everything before ``date``: ``snap`` itself when its as-of date is no earlier.

    Aggregates at an earlier cut-off are then the snapshot's own tables filtered to days before it (a
    cut-off is a whole day, so filtering purchase or order days equals filtering the lines), and a model
    that visits several dates reads one set of shared tables instead of rebuilding them per date.
    """
    return snap if date <= snap.as_of else snap.at(date)


def _cutoff_features(
    snap: Snapshot, cutoff: pd.Timestamp, window: int, within: int | None = None
) -> pd.DataFrame:
    """The features at ``cutoff``, shared while a caller holds them (not kept by the snapshot).

    A model visits three cut-offs (training, evaluation, scoring) and needs each one once; kept for the
    snapshot's life they would hold three frames the size of the base, gigabytes for millions of
    customers, long after the model has used them.
    """
    key = ("churn_features", cutoff, window, within)
    return snap.shared(key, lambda: _features(snap, cutoff, window, within))


def _features(snap: Snapshot, cutoff: pd.Timestamp, window: int, within: int | None = None) -> pd.DataFrame:
    """The features at ``cutoff`` from the purchase and order days before it, in one engine query.

    ``within``: only the customers whose last purchase day is at most that many days before the cut-off
    (the current customers), filtered in the engine so that the lapsed ones never reach pandas.
    """
    day0 = period_ordinal(cutoff, "day")
    days = snap.purchase_days()
    days = days.filter(days.day_number < day0)
    age = day0 - days.day_number  # days before the cut-off (1 = the day before)
    spend = days.revenue
    recent, before, basket = age <= window, (age > window) & (age <= 2 * window), age <= 2 * window
    per_days = days.group_by("ckey").aggregate(
        n_days=days.count(),
        first_day=days.day_number.min(),
        last_day=days.day_number.max(),
        # The previous purchase day of the last one is the second-to-last purchase day.
        prev_day=days.prev_day_number.max(),
        spend=spend.sum(),
        n_recent=days.count(where=recent),
        n_before=days.count(where=before),
        spend_recent=spend.sum(where=recent),
        spend_before=spend.sum(where=before),
        n_basket=days.count(where=basket),
        spend_basket=spend.sum(where=basket),
        spend_12m=spend.sum(where=age <= 365),
    )
    if within is not None:
        per_days = per_days.filter(day0 - per_days.last_day <= within)
    per_orders, mixes = _order_totals(snap, cutoff)
    # Every customer with a purchase day has a purchase order: the inner join keeps exactly them.
    expr = per_days.join(per_orders, "ckey")
    agg = snap.customer_frame(expr)
    for name, column in mixes.items():
        if name in agg:
            bits = pd.to_numeric(agg[name], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
            agg[name] = np.bitwise_count(bits.view(np.uint64))
        else:
            agg[name] = _distinct_values(snap, cutoff, column).reindex(agg.index).fillna(0)

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(agg[name], errors="coerce").fillna(0).to_numpy(dtype=float)

    def cents(name: str) -> np.ndarray:
        return np.round(col(name), 2)

    n_days = col("n_days")
    first_day, last_day, prev_day = col("first_day"), col("last_day"), col("prev_day")
    recency, tenure = day0 - last_day, day0 - first_day
    revenue, gross, returned = cents("revenue"), cents("gross_revenue"), cents("returns_amount")
    repeat = n_days > 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.where(repeat, (last_day - first_day) / np.maximum(n_days - 1, 1), np.nan)
        basket_recent = col("spend_basket") / col("n_basket")
        basket_all = col("spend") / n_days
        out = pd.DataFrame(
            {
                "recency_days": recency,
                "tenure_days": tenure,
                "purchase_days": n_days,
                "purchases_per_month": n_days / np.maximum(tenure, 30.0) * (365.25 / 12),
                "mean_gap_days": mean_gap,
                "last_gap_days": np.where(repeat, last_day - prev_day, np.nan).astype(float),
                "overdue_ratio": recency / mean_gap,
                "purchase_days_recent": col("n_recent"),
                "purchase_days_before": col("n_before"),
                "revenue_recent": col("spend_recent"),
                "revenue_before": col("spend_before"),
                "basket_trend": basket_recent / basket_all,
                "avg_order_value": np.round(gross / col("n_orders"), 2),
                "revenue": revenue,
                "return_share": returned / np.where(gross > 0, gross, np.nan),
            },
            index=agg.index,
        )
        if "margin" in agg:
            out["margin_rate"] = cents("margin") / np.where(revenue > 0, revenue, np.nan)
        for name in mixes:
            out[name] = col(name)
    for name in (
        "recency_days",
        "tenure_days",
        "purchase_days",
        "purchase_days_recent",
        "purchase_days_before",
    ):
        out[name] = out[name].astype("int64")
    out["revenue_12m"] = np.round(col("spend_12m"), 2)
    out.attrs.update(cutoff=cutoff, window_days=window)
    return out


def _order_totals(snap: Snapshot, cutoff: pd.Timestamp) -> tuple[ir.Table, dict[str, str]]:
    """Per-customer order totals before ``cutoff`` (what :func:`segkit.customer_summary` gives at it).

    Returns the ``ckey``-keyed expression and the mix counts the data call for (``n_categories``,
    ``n_channels`` -> column); those without a bit set in the order-day table are not in the expression.
    """
    od = snap.order_days()
    od = od.filter(od.day < cutoff.date())
    buy, ret = ~od.is_return, od.is_return
    metrics: dict[str, ir.Value] = {
        "n_orders": od.orders.sum(where=buy),
        "revenue": od.amount.sum(),
        "gross_revenue": od.amount.sum(where=buy),
        "returns_amount": -od.amount.sum(where=ret).coalesce(0),
    }
    if "margin" in od.columns:
        metrics["margin"] = od.margin.sum()
    mixes = {
        name: col for col, name in (("category", "n_categories"), ("channel", "n_channels")) if snap.has(col)
    }
    for name, column in mixes.items():
        if f"bits_{column}" in od.columns:
            # Distinct values bought = the set bits of the OR of one-bit codes (counted by the caller).
            metrics[name] = od[f"bits_{column}"].bit_or(where=buy)
    return od.group_by("ckey").aggregate(**metrics), mixes


def _distinct_values(snap: Snapshot, cutoff: pd.Timestamp, column: str) -> pd.Series:
    """Distinct values of ``column`` per customer's purchase lines before ``cutoff`` (no bit set for it)."""
    t = snap.at(cutoff).table()
    t = t.filter(~t.is_return)
    frame = snap.customer_frame(t.group_by("customer_id").aggregate(n=t[column].nunique()))
    return frame["n"]


@validate_params(horizon_days=_POSITIVE_DAYS)
def churn_labels(data: Data, *, cutoff: DateLike, horizon_days: int = 90) -> pd.Series:
    """Churn label of every customer with a purchase before ``cutoff``: no purchase in ``[cutoff, cutoff + H)``.

    Only transactions before ``cutoff + horizon_days`` are read, and a customer's label depends on
    whether they have a purchase day on or after the cut-off and before that date.

    Raises
    ------
    ParameterError
        When the label window reaches past the last transaction day (the label would be unknown).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                    "order_date": ["2024-01-01", "2024-02-15", "2024-01-10", "2024-05-01"],
    ...                    "amount": 10.0})
    >>> segkit.churn_labels(df, cutoff="2024-02-01", horizon_days=30).to_dict()
    {'a': 0, 'b': 1}
    """
    horizon = horizon_days
    snap = snapshot(data)
    data_end = snap.as_of
    cutoff = _check_cutoff(snap, cutoff).as_of
    end = cutoff + pd.Timedelta(days=horizon)
    if end > data_end:
        raise ParameterError(
            f"cutoff={cutoff.date()} plus horizon_days={horizon} reaches {end.date()}, past the data "
            f"(last transaction day {(data_end - pd.Timedelta(days=1)).date()}); the churn label "
            f"needs the whole window. Use a cut-off on or before {(data_end - pd.Timedelta(days=horizon)).date()}."
        )
    return _labels(snap, cutoff, horizon).copy()


def _labels(snap: Snapshot, cutoff: pd.Timestamp, horizon: int) -> pd.Series:
    """Labels from the snapshot's purchase days (its as-of date covers ``cutoff + horizon``)."""

    def build() -> pd.Series:
        start = period_ordinal(cutoff, "day")
        days = snap.purchase_days()
        days = days.filter(days.day_number < start + horizon)
        seen = days.group_by("ckey").aggregate(
            n_before=days.count(where=days.day_number < start),
            n_after=days.count(where=days.day_number >= start),
        )
        frame = snap.customer_frame(seen.filter(seen.n_before > 0))
        churned = pd.to_numeric(frame["n_after"], errors="coerce").fillna(0).to_numpy() == 0
        return pd.Series(churned.astype("int64"), index=frame.index, name="churned")

    # Shared, not kept: like the features, labels are needed once per cut-off (see _cutoff_features).
    return snap.shared(("churn_labels", cutoff, horizon), build)


# ----------------------------------------------------------------------------------------------------
# churn-risk model
# ----------------------------------------------------------------------------------------------------

_ESTIMATORS = ("logistic", "boosting")


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    """Compress long tails (revenue, tenure) so a linear model is not driven by a few large customers."""
    return np.sign(values) * np.log1p(np.abs(values))


def _make_estimator(estimator: Any, random_state: int | None) -> Any:
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if isinstance(estimator, str):
        check_choice("estimator", estimator, _ESTIMATORS)
        if estimator == "logistic":
            return make_pipeline(
                SimpleImputer(strategy="median", add_indicator=True),
                FunctionTransformer(_signed_log1p),
                StandardScaler(),
                LogisticRegression(max_iter=5000),
            )
        return HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            random_state=random_state,
        )
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
        raise ParameterError(
            "estimator must be 'logistic', 'boosting' or a scikit-learn classifier with fit and predict_proba; "
            f"got {type(estimator).__name__}."
        )
    return clone(estimator)


def _top_share(y: np.ndarray, score: np.ndarray, share: float = 0.1) -> float:
    """Expected share of all churners among the top ``share`` of customers by ``score``.

    Customers tied at the cut-off score are taken in proportion (what a random tie-break gives on
    average), so a coarse score such as recency in days is neither favoured nor penalised by ties.
    """
    n_top = max(1, int(np.ceil(share * len(y))))
    order = np.sort(score)[::-1]
    cut = order[n_top - 1]
    above = score > cut
    tied = score == cut
    take = (n_top - above.sum()) / tied.sum()
    caught = y[above].sum() + take * y[tied].sum()
    return float(caught / y.sum()) if y.sum() else float("nan")


def _ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    capture = _top_share(y, score)
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "top_decile_capture": capture,
        "top_decile_lift": capture / 0.1,
    }


def _risk_groups(y: np.ndarray, proba: np.ndarray, index: pd.Index, n_groups: int = 10) -> pd.DataFrame:
    """Equal-size groups by predicted risk (1 = riskiest): predicted versus observed churn share."""
    frame = pd.DataFrame({"churned": y, "predicted": proba}, index=index)
    order = frame.sort_values(["predicted"], ascending=False, kind="stable")
    order["risk_group"] = np.arange(len(order)) * n_groups // max(len(order), 1) + 1
    table = order.groupby("risk_group").agg(
        customers=("churned", "size"),
        mean_predicted=("predicted", "mean"),
        observed_churn_share=("churned", "mean"),
    )
    base = y.mean() if len(y) else np.nan
    table["lift"] = table["observed_churn_share"] / base
    caught = order.groupby("risk_group")["churned"].sum().cumsum()
    table["cumulative_capture"] = caught / max(y.sum(), 1)
    return table.reset_index()


@dataclass(frozen=True)
class ChurnEvaluation:
    """Out-of-time evaluation of a :class:`ChurnModel` at a later cut-off.

    Attributes
    ----------
    cutoff : pandas.Timestamp
        Evaluation cut-off; labels come from ``[cutoff, cutoff + horizon_days)``.
    horizon_days : int
        Label horizon ``H``.
    metrics : pandas.DataFrame
        Indexed by ``ranking`` ("churn model", "recency only"): ``roc_auc``, ``top_decile_capture`` (share
        of all churners found among the 10 % riskiest customers) and ``top_decile_lift`` (capture / 0.1).
    calibration : pandas.DataFrame
        For each ranking, ten equal-size risk groups (1 = riskiest): ``customers``, ``mean_predicted``
        probability, ``observed_churn_share``, ``lift`` and ``cumulative_capture``. The recency-only
        probabilities come from a logistic curve on recency fitted at the training cut-off.
    scores : pandas.DataFrame
        Per evaluated customer: ``churned`` (label), ``churn_risk``, ``recency_days``, ``recency_risk``.
    """

    cutoff: pd.Timestamp
    horizon_days: int
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    scores: pd.DataFrame

    @property
    def n_customers(self) -> int:
        """Customers evaluated (current customers at the cut-off)."""
        return len(self.scores)

    @property
    def churn_share(self) -> float:
        """Share of evaluated customers who did not buy within the horizon."""
        return float(self.scores["churned"].mean())

    def __repr__(self) -> str:
        auc = self.metrics["roc_auc"]
        return (
            f"ChurnEvaluation(cutoff={self.cutoff.date()}, horizon_days={self.horizon_days}, "
            f"{self.n_customers:,} customers, churn share {self.churn_share:.1%}, ROC AUC model "
            f"{auc['churn model']:.3f} vs recency only {auc['recency only']:.3f})"
        )


@validate_fit_params(
    horizon_days=_POSITIVE_DAYS,
    inactivity_days=[None, *_POSITIVE_DAYS],
    window_days=[None, *_POSITIVE_DAYS],
    max_customers=[None, Interval(int, 20, None)],
    random_state=[None, Interval(int, 0, 2**32 - 1)],
)
class ChurnModel:
    """Churn-risk scores: the probability that a current customer makes no purchase in the next ``H`` days.

    The model is trained at a past cut-off on current customers (those who bought within the inactivity
    threshold before it), with features from transactions before the cut-off only
    (:func:`churn_features`) and the label "no purchase in ``[cutoff, cutoff + H)``"
    (:func:`churn_labels`). :meth:`evaluate` tests it out of time at a later cut-off against ranking
    customers by recency alone; :meth:`score` ranks today's current customers.

    Parameters
    ----------
    horizon_days : int, default 90
        Label horizon ``H``: churned = no purchase within this many days after the cut-off.
    inactivity_days : int, optional
        Threshold defining current customers (recency <= T); ``None`` derives it at the training cut-off
        from data before it (see :func:`segkit.inactivity_threshold`) and keeps it for evaluation and
        scoring.
    window_days : int, optional
        Window of the trend features (default: ``horizon_days``).
    estimator : {"logistic", "boosting"} or scikit-learn classifier, default "logistic"
        "logistic": median imputation with missing-value indicators, signed log transform, scaling and a
        logistic regression; robust on bases of a few hundred customers and well calibrated in time.
        "boosting": a regularised histogram gradient-boosting classifier, which can pick up interactions
        on large bases. Any classifier with ``predict_proba`` (and handling NaN) may be passed.
    max_customers : int or None, default 100_000
        At most this many of the current customers at the training cut-off train the estimator; on a
        larger base a random sample of them does (drawn with ``random_state``), and the permutation
        importance is measured on at most 20,000 of those. A kit convention: a few hundred thousand
        customers fit no better than a hundred thousand, while the fit and the importance grow with every
        one of them (on a 1M-customer base they took minutes). Evaluation and scoring always use every
        current customer. ``None`` trains on all of them.
    random_state : int, default 0
        Seed for the training sample, the estimator and the permutation importance.

    Attributes
    ----------
    cutoff_ : pandas.Timestamp
        Training cut-off.
    inactivity_days_ : int
        Threshold used for the population, and ``threshold_source_`` saying how it was obtained.
    feature_names_ : list of str
        Features used (those constant at the training cut-off, e.g. ``return_share`` without returns, are
        left out).
    n_customers_ : int
        Current customers at the training cut-off; ``churn_share_`` is the share of them labelled churned.
    n_training_ : int
        Customers the estimator was trained on (``n_customers_`` or a sample of ``max_customers``).
    estimator_ : scikit-learn classifier
        The fitted model.
    importance_ : pandas.DataFrame
        Features by permutation importance on the training data (mean drop in ROC AUC when the feature is
        shuffled), with ``meaning`` and ``effect`` in plain words.

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> tx, _ = make_transactions(600, seed=3)
    >>> model = segkit.ChurnModel(horizon_days=90).fit(tx, cutoff="2024-07-01")
    >>> model.importance_.columns.tolist()
    ['meaning', 'effect', 'importance']
    >>> ev = model.evaluate(tx, cutoff="2024-10-01")
    >>> ev.metrics.columns.tolist()
    ['roc_auc', 'top_decile_capture', 'top_decile_lift']
    >>> scores = model.score(tx)
    >>> scores.columns.tolist()[:3], bool(scores["churn_risk"].is_monotonic_decreasing)
    (['churn_risk', 'risk_rank', 'recency_days'], True)
    """

    def __init__(
        self,
        horizon_days: int = 90,
        *,
        inactivity_days: int | None = None,
        window_days: int | None = None,
        estimator: Any = "logistic",
        max_customers: int | None = 100_000,
        random_state: int | None = 0,
    ) -> None:
        self.horizon_days = horizon_days
        self.inactivity_days = inactivity_days
        self.window_days = window_days
        self.estimator = estimator
        self.max_customers = max_customers
        self.random_state = random_state

    # -- data -----------------------------------------------------------------------------------------

    def _window(self) -> int:
        return self.horizon_days if self.window_days is None else self.window_days

    def _current(self, snap: Snapshot, cutoff: pd.Timestamp, threshold: int) -> pd.DataFrame:
        """Features of the customers current at ``cutoff`` (bought within the threshold before it).

        ``snap`` sees at least everything before ``cutoff``; the features are its tables filtered to the
        days before the cut-off, so training, evaluation and scoring share one set of tables.
        """
        return _cutoff_features(snap, cutoff, self._window(), within=threshold)

    def _labelled(
        self, snap: Snapshot, cutoff: pd.Timestamp, threshold: int
    ) -> tuple[pd.DataFrame, pd.Series]:
        features = self._current(snap, cutoff, threshold)
        labels = _labels(snap, cutoff, self.horizon_days).reindex(features.index)
        return features, labels

    def _matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise DataContractError(
                f"The data lacks what the model was trained with: features {missing} need the columns the "
                "training data had (margin, category, channel). Score data with the same columns, or refit."
            )
        return features[self.feature_names_]

    def _risk(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted churn risk of each row, in blocks: the feature matrix of the whole base is never copied.

        Each customer's prediction depends on its own row only, so the blocks give exactly the result of
        one call.
        """
        self._matrix(features.iloc[:0])  # the missing-feature error, even for no rows
        risk = np.empty(len(features), dtype=float)
        for start in range(0, len(features), _PREDICT_BLOCK):
            block = self._matrix(features.iloc[start : start + _PREDICT_BLOCK])
            risk[start : start + len(block)] = self.estimator_.predict_proba(block)[:, 1]
        return risk

    # -- fitting --------------------------------------------------------------------------------------

    def _cutoff(self, snap: Snapshot, cutoff: Any, periods_back: int) -> pd.Timestamp:
        """Resolve a cut-off whose label window ends by the snapshot's date (default: ``periods_back`` horizons before)."""
        horizon = self.horizon_days
        as_of = snap.as_of
        if cutoff is None:
            cutoff = as_of - pd.Timedelta(days=periods_back * horizon)
        cutoff = _check_cutoff(snap, cutoff).as_of
        if cutoff + pd.Timedelta(days=horizon) > as_of:
            raise ParameterError(
                f"cutoff={cutoff.date()} plus horizon_days={horizon} ends after as_of={as_of.date()}: the labels "
                f"would use transactions the report does not see. Use a cut-off on or before "
                f"{(as_of - pd.Timedelta(days=horizon)).date()}."
            )
        return cutoff

    def fit(self, data: Data, *, cutoff: DateLike | None = None, as_of: DateLike | None = None) -> ChurnModel:
        """Train at ``cutoff``, by default ``2 * horizon_days`` before ``as_of``.

        ``as_of`` (default: the day after the last transaction) is the report date: the label window
        ``[cutoff, cutoff + horizon_days)`` must end by it, and the default cut-off leaves one more horizon
        for :meth:`evaluate`.

        Raises
        ------
        DataContractError
            When the current customers at the cut-off are too few or all have the same label.
        """
        with stages("churn model", total=3) as done:
            self._fit(data, cutoff, as_of, done)
        return self

    def _fit(self, data: Data, cutoff: DateLike | None, as_of: DateLike | None, done: Callable) -> None:
        snap = snapshot(data, as_of=as_of)
        cutoff = self._cutoff(snap, cutoff, periods_back=2)
        threshold, source = resolve_threshold(snap, self.inactivity_days, before=cutoff)
        features, labels = self._labelled(snap, cutoff, threshold)
        done("features")
        _check_labels(labels, cutoff)
        # A feature that is constant at the cut-off (no returns in the data, one channel) carries nothing.
        self.feature_names_ = [
            c for c in features.columns if c in FEATURE_MEANINGS and features[c].nunique(dropna=True) > 1
        ]
        n_current, churn_share = len(labels), float(labels.mean())
        rng = np.random.default_rng(self.random_state)
        train = _sample(len(labels), self.max_customers, rng)
        features, labels = features.iloc[train], labels.iloc[train]
        X, y = features[self.feature_names_], labels.to_numpy()
        from threadpoolctl import threadpool_limits

        # On a few thousand customers, starting OpenMP threads costs more than it saves (3x slower on the
        # 2-core machines the kit targets), and one thread keeps the fit reproducible.
        with threadpool_limits(limits=1):
            self.estimator_ = _make_estimator(self.estimator, self.random_state).fit(X, y)
            done("fit")
            self.recency_curve_ = _recency_curve(features["recency_days"], y)
            measured = _sample(len(y), _MAX_IMPORTANCE, rng)
            self.importance_ = self._importance(X.iloc[measured], y[measured])
            done("importance")
        self.cutoff_ = cutoff
        self.inactivity_days_ = threshold
        self.threshold_source_ = source
        self.n_customers_ = n_current
        self.n_training_ = len(y)
        self.churn_share_ = churn_share

    def _importance(self, X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
        from sklearn.inspection import permutation_importance

        result = permutation_importance(
            self.estimator_, X, y, scoring="roc_auc", n_repeats=5, random_state=self.random_state
        )
        risk = pd.Series(self.estimator_.predict_proba(X)[:, 1], index=X.index)
        # Direction in words: the rank correlation between a feature and the predicted risk.
        rho = X.rank().corrwith(risk.rank())
        effect = np.select(
            [rho > 0.1, rho < -0.1],
            ["higher → more risk", "higher → less risk"],
            default="no simple direction",
        )
        window = self._window()
        out = pd.DataFrame(
            {
                "meaning": [FEATURE_MEANINGS[f].format(w=window, w2=2 * window) for f in X.columns],
                "effect": effect,
                "importance": result.importances_mean,
            },
            index=pd.Index(X.columns, name="feature"),
        )
        return out.sort_values("importance", ascending=False, kind="stable")

    # -- evaluation and scoring -----------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            raise ParameterError("This ChurnModel is not fitted yet; call model.fit(data, cutoff=...) first.")

    def evaluate(
        self, data: Data, *, cutoff: DateLike | None = None, as_of: DateLike | None = None
    ) -> ChurnEvaluation:
        """Test out of time at a later ``cutoff`` (default: ``horizon_days`` before ``as_of``).

        The evaluation cut-off must be at least ``horizon_days`` after the training cut-off, so the
        evaluation labels come from days the training labels never saw, and its label window must end by
        ``as_of`` (default: the day after the last transaction).
        """
        self._check_fitted()
        snap = snapshot(data, as_of=as_of)
        cutoff = self._cutoff(snap, cutoff, periods_back=1)
        earliest = self.cutoff_ + pd.Timedelta(days=self.horizon_days)
        if cutoff < earliest:
            raise ParameterError(
                f"cutoff={cutoff.date()} is less than horizon_days={self.horizon_days} after the training "
                f"cut-off {self.cutoff_.date()}, so evaluation and training labels would overlap. Use a cut-off "
                f"on or after {earliest.date()} (or fit at an earlier cut-off)."
            )
        features, labels = self._labelled(snap, cutoff, self.inactivity_days_)
        _check_labels(labels, cutoff)
        y = labels.to_numpy()
        risk = self._risk(features)
        recency = features["recency_days"].to_numpy(dtype=float)
        recency_risk = _recency_proba(self.recency_curve_, recency)
        metrics = pd.DataFrame(
            [_ranking_metrics(y, risk), _ranking_metrics(y, recency)],
            index=pd.Index(["churn model", "recency only"], name="ranking"),
        )
        calibration = pd.concat(
            [
                _risk_groups(y, risk, features.index).assign(ranking="churn model"),
                _risk_groups(y, recency_risk, features.index).assign(ranking="recency only"),
            ],
            ignore_index=True,
        )
        calibration = calibration[["ranking", *calibration.columns[:-1]]]
        scores = pd.DataFrame(
            {"churned": y, "churn_risk": risk, "recency_days": recency, "recency_risk": recency_risk},
            index=features.index,
        )
        return ChurnEvaluation(cutoff, self.horizon_days, metrics, calibration, scores)

    def score(self, data: Data, *, as_of: DateLike | None = None) -> pd.DataFrame:
        """Rank the current customers at ``as_of`` by churn risk (riskiest first).

        Returns
        -------
        pandas.DataFrame
            Indexed by ``customer_id``: ``churn_risk`` (probability of no purchase in the next
            ``horizon_days``), ``risk_rank`` (1 = riskiest), ``recency_days``, ``purchase_days``,
            ``revenue`` (net, to date), ``revenue_12m`` (purchases in the last 365 days),
            ``avg_order_value`` and ``value_at_risk`` (``churn_risk * revenue_12m``: the yearly revenue
            expected to be lost). ``attrs`` holds ``as_of``, ``horizon_days`` and ``inactivity_days``.
        """
        self._check_fitted()
        snap = snapshot(data, as_of=as_of)
        as_of = snap.as_of
        features = self._current(snap, as_of, self.inactivity_days_)
        if features.empty:
            raise DataContractError(
                f"No customer bought within the {self.inactivity_days_} days before {as_of.date()}, so there is "
                "no current customer to score. Check as_of."
            )
        risk = self._risk(features)
        out = features[["recency_days", "purchase_days", "revenue", "revenue_12m", "avg_order_value"]].copy()
        out.insert(0, "churn_risk", risk)
        out["value_at_risk"] = (out["churn_risk"] * out["revenue_12m"]).round(2)
        out = out.sort_values(["churn_risk", "revenue_12m"], ascending=[False, False], kind="stable")
        out.insert(1, "risk_rank", np.arange(1, len(out) + 1))
        for col in ("recency_days", "purchase_days"):
            out[col] = out[col].astype("int64")
        out.attrs.update(as_of=as_of, horizon_days=self.horizon_days, inactivity_days=self.inactivity_days_)
        return out

    def __repr__(self) -> str:
        state = f", fitted at {self.cutoff_.date()}" if hasattr(self, "cutoff_") else ""
        return f"ChurnModel(horizon_days={self.horizon_days}, estimator={self.estimator!r}{state})"


#: Customers the permutation importance is measured on at most (a kit convention, see ``max_customers``):
#: the ranking of a handful of features is stable on far fewer, and each of its many predictions costs
#: a pass over them.
_MAX_IMPORTANCE = 20_000

#: Rows predicted at once when scoring (a memory bound, not a result: predictions are row by row).
_PREDICT_BLOCK = 250_000


def _sample(n: int, limit: int | None, rng: np.random.Generator) -> np.ndarray:
    """Positions of at most ``limit`` of ``n`` rows: all of them, or a random subset kept in order."""
    if limit is None or n <= limit:
        return np.arange(n)
    return np.sort(rng.choice(n, size=limit, replace=False))


def _check_labels(labels: pd.Series, cutoff: pd.Timestamp) -> None:
    n = len(labels)
    if n < 20 or labels.nunique() < 2:
        churned = int(labels.sum())
        raise DataContractError(
            f"At cutoff {cutoff.date()} there are {n:,} current customers, {churned:,} of whom churned within "
            "the horizon: a churn model needs at least 20 customers and both outcomes. Pick another cut-off, "
            "a longer inactivity_days or a different horizon_days."
        )


def _recency_curve(recency: pd.Series, y: np.ndarray) -> Any:
    """Logistic curve of churn on log recency: gives the recency-only ranking probabilities to calibrate."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(np.log1p(recency.to_numpy(dtype=float))[:, None], y)


def _recency_proba(curve: Any, recency: np.ndarray) -> np.ndarray:
    return curve.predict_proba(np.log1p(np.asarray(recency, dtype=float))[:, None])[:, 1]
