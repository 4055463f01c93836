"""Acquisition cohorts: retention, revenue and LTV matrices by periods since the first purchase.

A customer's **cohort** is the period (month by default) of their first purchase. A customer is **active
in period k** when they made at least one purchase (not a return) in the k-th period after the cohort
period (k = 0 is the acquisition period itself, so every customer is active in it). Cells whose calendar
period starts on or after the as-of date have not been observed yet and are NaN, never 0. A cell is
**mature** when its whole period lies before the as-of date; the as-of date may cut the last period short,
and such partial cells are shown but left out of the average curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import check_choice
from .._validation import DateLike, Options, validate_params
from ..engine import Snapshot, customer_period_table, period_end, period_ordinal, snapshot
from ..io import Transactions

__all__ = ["COHORT_PERIODS", "CohortResult", "cohorts"]

#: Period lengths a cohort analysis accepts.
COHORT_PERIODS = ("week", "month", "quarter")
_KINDS = (
    "active",
    "retention",
    "unbounded_retention",
    "revenue",
    "revenue_relative",
    "ltv",
)


@dataclass(frozen=True)
class CohortResult:
    """Cohort matrices (cohort x periods since acquisition); see :func:`cohorts` for the definitions.

    Every matrix is indexed by ``cohort`` (the start of the acquisition period) with columns
    ``period_number`` 0, 1, 2, ... (0 = the acquisition period). Unobserved cells are NaN.

    Attributes
    ----------
    period : str
        Period length ("week", "month" or "quarter").
    as_of : pandas.Timestamp
        Analysis date.
    sizes_ : pandas.Series
        Customers acquired per cohort (cohorts without customers are left out).
    active_ : pandas.DataFrame
        Customers of the cohort with a purchase in period k.
    retention_ : pandas.DataFrame
        N-period retention: ``active_ / sizes_`` (so column 0 is 1.0).
    unbounded_retention_ : pandas.DataFrame
        Share of the cohort with a purchase in period k or any later period up to the as-of date.
    revenue_ : pandas.DataFrame
        Net revenue (returns deducted) of the cohort's customers in period k.
    revenue_relative_ : pandas.DataFrame
        ``revenue_`` divided by the cohort's period-0 revenue.
    ltv_ : pandas.DataFrame
        Cumulative net revenue up to and including period k per acquired customer (the LTV curve).
    mature_ : pandas.DataFrame
        True where the cell's whole period lies before the as-of date.
    average_curve_ : pandas.DataFrame
        Indexed by ``period_number``: ``retention``, ``unbounded_retention``, ``revenue_relative`` and
        ``ltv`` averaged over the cohorts whose cell is mature, weighted by cohort size (by period-0
        revenue for ``revenue_relative``), plus ``cohorts`` and ``customers`` (how many contribute).
    """

    period: str
    as_of: pd.Timestamp
    sizes_: pd.Series
    active_: pd.DataFrame
    retention_: pd.DataFrame
    unbounded_retention_: pd.DataFrame
    revenue_: pd.DataFrame
    revenue_relative_: pd.DataFrame
    ltv_: pd.DataFrame
    mature_: pd.DataFrame
    average_curve_: pd.DataFrame

    def matrix(self, kind: str = "retention") -> pd.DataFrame:
        """One of the matrices by name: "active", "retention", "unbounded_retention", "revenue",
        "revenue_relative" or "ltv"."""
        check_choice("kind", kind, _KINDS)
        return getattr(self, f"{kind}_")

    def __repr__(self) -> str:
        return (
            f"CohortResult(period={self.period!r}, as_of={self.as_of.date()}, "
            f"{len(self.sizes_)} cohorts, {int(self.sizes_.sum()):,} customers)"
        )


@validate_params(period=[Options(COHORT_PERIODS)], as_of=[None, "date"])
def cohorts(
    data: Transactions | pd.DataFrame | Snapshot, *, period: str = "month", as_of: DateLike | None = None
) -> CohortResult:
    """Build the cohort matrices: active customers, N-period and unbounded retention, revenue and LTV.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    period : {"month", "week", "quarter"}
        Cohort and column period; weeks start on Monday.
    as_of : date-like, optional
        Analysis date (transactions before it are used); default the day after the last transaction.

    Returns
    -------
    CohortResult
        See its attributes. Definitions:

        * cohort = period of the customer's first purchase; customers whose only rows are returns have no
          cohort;
        * active in period k = at least one purchase in the k-th period after the cohort period;
        * N-period retention = active in period k / cohort size; unbounded retention = active in period k
          *or later* / cohort size (it depends on the as-of date: later periods still to come are unseen);
        * revenue is net of returns; returns booked before a customer's first purchase are not counted;
        * cells of periods starting on or after ``as_of`` are NaN; the average curve uses mature cells
          only, weighted by cohort size, so young cohorts neither drag it down nor count as much as big
          ones.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "c"],
    ...     "order_date": ["2024-01-05", "2024-03-02", "2024-01-20", "2024-02-10", "2024-03-15"],
    ...     "amount": [100.0, 50.0, 40.0, 30.0, 20.0],
    ... })
    >>> res = segkit.cohorts(df, as_of="2024-04-01")
    >>> res.sizes_.to_dict()
    {Timestamp('2024-01-01 00:00:00'): 2, Timestamp('2024-02-01 00:00:00'): 1}
    >>> res.retention_
    period_number    0    1    2
    cohort
    2024-01-01     1.0  0.0  0.5
    2024-02-01     1.0  1.0  NaN
    >>> res.ltv_
    period_number     0     1     2
    cohort
    2024-01-01     70.0  70.0  95.0
    2024-02-01     30.0  50.0   NaN
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    starts = snap.calendar(period)
    n_periods = len(starts)
    cells, lasts = _cohort_cells(snap, period)
    origin = period_ordinal(starts[0], period)
    j = cells["cohort"].to_numpy(dtype=np.int64) - origin
    k = cells["period_number"].to_numpy(dtype=np.int64)
    sums = {name: np.zeros((n_periods, n_periods)) for name in ("active", "later", "revenue")}
    sums["active"][j, k] = cells["active"].to_numpy(dtype=float)
    sums["revenue"][j, k] = cells["revenue"].to_numpy(dtype=float)
    # "Active in k or later": a customer whose last active period number is L counts for k = 0..L.
    by_last = np.zeros((n_periods, n_periods))
    lj = lasts["cohort"].to_numpy(dtype=np.int64) - origin
    by_last[lj, lasts["last_number"].to_numpy(dtype=np.int64)] = lasts["customers"].to_numpy(dtype=float)
    sums["later"] = np.flip(np.cumsum(np.flip(by_last, axis=1), axis=1), axis=1)
    sizes = by_last.sum(axis=1).astype(np.int64)

    # Cell (j, k) covers calendar period j + k: observed if it exists on the grid, mature if it is complete.
    j, k = np.meshgrid(np.arange(n_periods), np.arange(n_periods), indexing="ij")
    n_complete = int((period_end(starts, period) <= as_of).sum())
    observed = j + k < n_periods
    mature = j + k < n_complete
    keep = sizes > 0
    labels = dict(
        index=pd.Index(starts[keep], name="cohort"), columns=pd.RangeIndex(n_periods, name="period_number")
    )

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(np.where(observed, values, np.nan)[keep], **labels)

    size_col = sizes[:, None].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum_revenue = np.cumsum(sums["revenue"], axis=1)
        period0 = sums["revenue"][:, :1]
        matrices = {
            "active": sums["active"],
            "retention": sums["active"] / size_col,
            "unbounded_retention": sums["later"] / size_col,
            "revenue": np.round(sums["revenue"], 2),
            "revenue_relative": np.where(
                period0 > 0, sums["revenue"] / np.where(period0 > 0, period0, 1), np.nan
            ),
            "ltv": cum_revenue / size_col,
        }
    frames = {name: frame(values) for name, values in matrices.items()}
    average = _average_curve(sums, cum_revenue, sizes, mature)
    # Trailing columns that no cohort has observed would only be NaN.
    last = int(observed[keep].sum(axis=1).max())
    frames = {name: f.iloc[:, :last] for name, f in frames.items()}
    mature_frame = pd.DataFrame(mature[keep], **labels).iloc[:, :last]
    return CohortResult(
        period=period,
        as_of=as_of,
        sizes_=pd.Series(sizes[keep], index=labels["index"], name="customers"),
        active_=frames["active"],
        retention_=frames["retention"],
        unbounded_retention_=frames["unbounded_retention"],
        revenue_=frames["revenue"],
        revenue_relative_=frames["revenue_relative"],
        ltv_=frames["ltv"],
        mature_=mature_frame,
        average_curve_=average,
    )


def _cohort_cells(snap: Snapshot, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort x period-number totals, aggregated in the engine from the customer x period table.

    Returns the cells (``cohort`` and ``period_number`` as period ordinals and offsets, ``active``
    customers with a purchase, net ``revenue`` of the cohort's customers from their first period on) and,
    per cohort, how many customers have each last active period number (``last_number``).
    """
    p = customer_period_table(snap, period)
    p = p.mutate(number=period_ordinal(p.period, period), bought=p.n_orders > 0)
    firsts = p.group_by("ckey").aggregate(
        cohort=p.number.min(where=p.bought), last=p.number.max(where=p.bought)
    )
    firsts = firsts.filter(firsts.cohort.notnull())
    joined = p.join(firsts, "ckey")
    # Returns booked before a customer's first purchase belong to no cohort period.
    joined = joined.filter(joined.number >= joined.cohort)
    cells = joined.group_by(["cohort", (joined.number - joined.cohort).name("period_number")]).aggregate(
        active=joined.count(where=joined.bought), revenue=joined.revenue.sum()
    )
    lasts = firsts.group_by(["cohort", (firsts["last"] - firsts.cohort).name("last_number")]).aggregate(
        customers=firsts.count()
    )
    return snap.to_pandas(cells), snap.to_pandas(lasts)


def _average_curve(
    sums: dict[str, np.ndarray], cum_revenue: np.ndarray, sizes: np.ndarray, mature: np.ndarray
) -> pd.DataFrame:
    """Cohort-size weighted averages per period number, over mature cells only."""
    weight = np.where(mature, sizes[:, None], 0)
    customers = weight.sum(axis=0)
    period0 = np.where(mature, sums["revenue"][:, :1], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "retention": np.where(mature, sums["active"], 0).sum(axis=0) / customers,
                "unbounded_retention": np.where(mature, sums["later"], 0).sum(axis=0) / customers,
                "revenue_relative": np.where(mature, sums["revenue"], 0).sum(axis=0) / period0.sum(axis=0),
                "ltv": np.where(mature, cum_revenue, 0).sum(axis=0) / customers,
                "cohorts": (mature & (sizes[:, None] > 0)).sum(axis=0),
                "customers": customers,
            },
            index=pd.RangeIndex(len(customers), name="period_number"),
        )
    return out.loc[out["customers"] > 0]
