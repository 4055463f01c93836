"""XYZ analysis of customers: who buys regularly, who now and then, and who once.

The methodology [S1, S0] defines XYZ for clients by the regularity of their purchases over the period (a
year, for example): regular (X), occasional (Y) and one-off (Z) buyers. The default method measures it as
the share of periods with a purchase. The coefficient of variation of period revenue (the demand-planning
variant) stays available as ``method="cv"``. The zero-filled customers x periods matrix comes from the
engine layer (:func:`segkit.customer_period_matrix`); the statistics are numpy over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import (
    PERIODS,
    Snapshot,
    as_of_date,
    customer_period_matrix,
    customer_summary,
    date_range,
    period_start,
    snapshot,
)
from ..io._contract import Transactions
from ._concentration import check_thresholds, transactions_of

__all__ = [
    "CV_THRESHOLDS",
    "DEMAND_PLANNING_THRESHOLDS",
    "FREQUENCY_BANDS",
    "XYZ_CLASSES",
    "XYZResult",
    "xyz",
    "xyz_window",
]

_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
METHODS = ("frequency", "cv")
#: Default bands of ``method="frequency"`` (share of periods with a purchase): X from 1/3 of the periods
#: (quarterly or more often with months), Y from 15 % (twice a year or more often); a kit convention.
FREQUENCY_BANDS = (0.33, 0.15)
#: Default CV thresholds of ``method="cv"`` for customer data (a kit convention: customers buy with empty
#: months, so their CVs are far above those of a warehouse's items).
CV_THRESHOLDS = (0.5, 1.0)
#: The demand-planning bands (X < 10 %, Y 10-25 %, Z > 25 %), a widely used option for steady B2B buying.
DEMAND_PLANNING_THRESHOLDS = (0.10, 0.25)

#: Regularity classes, then the explicit flags for customers whose CV would mislead.
XYZ_CLASSES = ("X", "Y", "Z", "short history", "no sales")
MEASURES = {"revenue": "revenue", "gross_revenue": "gross_revenue", "orders": "n_orders"}
COUNT_FROM = ("first_purchase", "window")


@dataclass
class XYZResult:
    """The outcome of :func:`segkit.xyz`.

    Attributes
    ----------
    table_ : pandas.DataFrame
        One row per customer with a purchase in the window, indexed by ``customer_id`` (sorted):
        ``first_period`` (first period counted), ``n_periods`` (periods counted), ``active_periods``
        (counted periods with a purchase), ``regularity`` (``active_periods / n_periods``), ``mean``,
        ``std``, ``cv`` (NaN for flagged customers), ``xyz_class`` (X, Y, Z, "short history" or
        "no sales").
    summary_ : pandas.DataFrame
        One row per class: ``n_customers``, ``share_customers``, ``median_regularity``, ``median_cv``.
    periods_ : pandas.DataFrame
        The customers x periods matrix of the measure; periods before a customer's first purchase
        (not counted when ``count_from="first_purchase"``) are NaN.
    window_ : (Timestamp, Timestamp)
        The window ``[start, end)``: the complete periods analysed.
    method, period, n_periods, measure, thresholds, count_from, min_periods, ddof, as_of
        The parameters used (``as_of`` resolved to a date; ``thresholds`` the bands of ``method``).
    """

    table_: pd.DataFrame
    summary_: pd.DataFrame
    periods_: pd.DataFrame
    window_: tuple[pd.Timestamp, pd.Timestamp]
    period: str
    n_periods: int
    measure: str
    thresholds: tuple[float, float]
    count_from: str
    min_periods: int
    ddof: int
    as_of: pd.Timestamp
    method: str = "frequency"

    @property
    def window_label(self) -> str:
        """The window in words, e.g. ``"12 complete months, 2024-01-01 to 2024-12-31"``."""
        start, end = self.window_
        n = len(self.periods_.columns)
        unit = self.period if n == 1 else f"{self.period}s"
        return f"{n} complete {unit}, {start.date()} to {(end - pd.Timedelta(days=1)).date()}"

    @property
    def rules_(self) -> pd.DataFrame:
        """The rules this analysis applied, each with its ``source`` (a methodology article or a kit convention)."""
        first, second = self.thresholds
        if self.method == "frequency":
            rows = [
                ("method", "regularity: share of periods with a purchase", "methodology [S1, S0]"),
                ("classes", "X regular, Y occasional, Z one-off", "methodology [S1, S0]"),
                (
                    "bands",
                    f"X from {first:.0%} of the periods, Y from {second:.0%}; one period is Z",
                    "kit convention",
                ),
            ]
        else:
            planning = (first, second) == DEMAND_PLANNING_THRESHOLDS
            rows = [
                (
                    "method",
                    "coefficient of variation of the measure per period",
                    "kit option (demand planning)",
                ),
                (
                    "bands",
                    f"X if CV <= {first:.0%}, Y if CV <= {second:.0%}, Z above",
                    "demand-planning variant" if planning else "kit convention",
                ),
            ]
        rows += [
            ("window", self.window_label, "methodology [S1] (a period such as a year)"),
            ("counted from", self.count_from.replace("_", " "), "kit convention"),
            ("short history", f"fewer than {self.min_periods} counted periods", "kit convention"),
        ]
        return pd.DataFrame(rows, columns=["rule", "setting", "source"]).set_index("rule")

    def customers(self, xyz_class: str) -> pd.Index:
        """The ids of the customers in ``xyz_class``."""
        check_choice("xyz_class", xyz_class, XYZ_CLASSES)
        return self.table_.index[self.table_["xyz_class"] == xyz_class]

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v:,}" for k, v in self.summary_["n_customers"].items())
        start, end = self.window_
        return (
            f"XYZResult({self.method}, {self.measure} per {self.period}, {start.date()}..{(end - pd.Timedelta(days=1)).date()}, "
            f"{len(self.table_):,} customers: {counts})"
        )

    def _repr_html_(self) -> str:
        return self.summary_.to_html()


def xyz_window(
    data: Transactions | pd.DataFrame,
    *,
    period: str = "month",
    n_periods: int = 12,
    as_of: Any = None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The XYZ window ``[start, end)``: the last ``n_periods`` complete periods before ``as_of``.

    ``end`` is the start of the period containing ``as_of`` (a period cut short by ``as_of`` is not
    complete, so it is left out). ``start`` is ``n_periods`` periods earlier, moved forward to the
    first period with data when the data begin later (periods before the data are unknown, not zero).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a"], "order_date": ["2023-03-10", "2024-06-20"],
    ...                    "amount": [1.0, 2.0]})
    >>> segkit.xyz_window(df)
    (Timestamp('2023-06-01 00:00:00'), Timestamp('2024-06-01 00:00:00'))
    >>> segkit.xyz_window(df, as_of="2024-07-01", n_periods=24)
    (Timestamp('2023-03-01 00:00:00'), Timestamp('2024-07-01 00:00:00'))
    """
    check_choice("period", period, tuple(PERIODS))
    n_periods = _check_int("n_periods", n_periods, minimum=2)
    tx = _unwindowed(data)
    as_of = data.as_of if isinstance(data, Snapshot) and as_of is None else as_of
    as_of = as_of_date(tx, as_of)
    end = period_start(as_of, period)
    start = pd.date_range(end=end, periods=n_periods + 1, freq=_FREQ[period])[0]
    first_data = period_start(date_range(tx)[0], period)
    start = max(start, first_data)
    if start >= end:
        raise ParameterError(
            f"There is no complete {period} before as_of={as_of.date()} (the data start on "
            f"{date_range(tx)[0].date()}). Pick a later as_of or a shorter period."
        )
    return start, end


def xyz(
    data: Transactions | pd.DataFrame | Snapshot,
    *,
    method: str = "frequency",
    period: str = "month",
    n_periods: int = 12,
    measure: str = "revenue",
    thresholds: tuple[float, float] | None = None,
    count_from: str = "first_purchase",
    min_periods: int | None = None,
    ddof: int = 0,
    as_of: Any = None,
) -> XYZResult:
    """XYZ analysis: class customers as regular (X), occasional (Y) or one-off (Z) buyers.

    Parameters
    ----------
    data : Transactions, DataFrame or Snapshot
        Canonical transactions, or a :func:`segkit.snapshot` without a window (its date applies).
    method : {"frequency", "cv"}
        ``"frequency"`` (default, the methodology's definition for clients): the **regularity**, the share
        of counted periods in which the customer bought (``active_periods / n_periods``). X if it is at
        least ``thresholds[0]``, Y if at least ``thresholds[1]``, Z below; a customer with a purchase in a
        single period is Z (a one-off buyer) whatever the share. ``"cv"``: the coefficient of variation of
        the measure per period (std / mean); X if CV <= ``thresholds[0]``, Y if <= ``thresholds[1]``, Z above.
    period : {"month", "week", "quarter", "day", "year"}
        Period length; months by default.
    n_periods : int
        How many complete periods before ``as_of`` make the window (12). See :func:`segkit.xyz_window`.
    measure : {"revenue", "gross_revenue", "orders"}
        What ``method="cv"`` measures per period: net revenue (returns subtracted in the period they
        happen), purchases only (``"gross_revenue"``), or the number of orders. The frequency method counts
        periods with a purchase order whatever the measure.
    thresholds : (float, float), optional
        The bands of ``method``. Default for ``"frequency"``: :data:`FREQUENCY_BANDS` = (0.33, 0.15), X from
        a purchase in a third of the periods (quarterly or more often in months), Y from 15 % (twice a
        year); a kit convention. Default for ``"cv"``: :data:`CV_THRESHOLDS` = (0.5, 1.0), which fit
        customers' month-to-month buying; :data:`DEMAND_PLANNING_THRESHOLDS` = (0.10, 0.25) is the
        demand-planning variant, which puts nearly every customer in Z.
    count_from : {"first_purchase", "window"}
        Where each customer's periods start. ``"first_purchase"`` (default): from the later of the window
        start and the period of the customer's first purchase, so a customer who joined three months ago
        is judged on three months, not on nine empty months before it existed. ``"window"``: every
        customer is measured over the whole window.
    min_periods : int, optional
        Customers with fewer counted periods get the flag ``"short history"`` instead of a class.
        Default: half the window, rounded up (6 of 12 months), and at least 2.
    ddof : {0, 1}
        Delta degrees of freedom of the std of ``method="cv"``. Default 0, the population std (the
        counted periods are the customer's whole history in the window). 1 is Excel's STDEV.S.
    as_of : date-like, optional
        Analysis date; defaults to the day after the last transaction.

    Returns
    -------
    XYZResult
        ``.table_`` (per customer: periods counted, active periods, regularity, mean, std, CV, class),
        ``.summary_``, ``.periods_``, ``.window_``.

    Notes
    -----
    * Customers on the table are those with a purchase in the window; periods without purchases count as
      zeros. Both statistics are computed for everyone; ``method`` decides which one classes.
    * No customer is X by accident: a customer with fewer than ``min_periods`` counted periods is
      flagged ``"short history"``, and one whose net revenue in the window is zero or negative (returns
      cancel the purchases) is flagged ``"no sales"``; their ``cv`` is NaN.
    * A value exactly on a band gets the steadier class.

    Examples
    --------
    Four buyers over twelve months: every month, every quarter, twice a year and once.

    >>> import pandas as pd, segkit
    >>> def orders(customer, months):
    ...     return [(customer, f"2024-{m:02d}-10", 100.0) for m in months]
    >>> rows = (orders("monthly", range(1, 13)) + orders("quarterly", [1, 4, 7, 10])
    ...         + orders("twice", [3, 9]) + orders("once", [2]))
    >>> df = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    >>> r = segkit.xyz(df, as_of="2025-01-01")
    >>> r.table_[["n_periods", "active_periods", "regularity", "xyz_class"]]
                 n_periods  active_periods  regularity xyz_class
    customer_id
    monthly             12              12    1.000000         X
    once                11               1    0.090909         Z
    quarterly           12               4    0.333333         X
    twice               10               2    0.200000         Y

    The CV method on the same data, with the demand-planning bands:

    >>> segkit.xyz(df, method="cv", thresholds=segkit.DEMAND_PLANNING_THRESHOLDS,
    ...            as_of="2025-01-01").table_["xyz_class"].tolist()
    ['X', 'Z', 'Z', 'Z']
    """
    check_choice("method", method, METHODS)
    check_choice("period", period, tuple(PERIODS))
    check_choice("measure", measure, tuple(MEASURES))
    check_choice("count_from", count_from, COUNT_FROM)
    check_choice("ddof", ddof, (0, 1))
    if thresholds is None:
        thresholds = FREQUENCY_BANDS if method == "frequency" else CV_THRESHOLDS
    if method == "frequency":
        high, low = _check_bands(thresholds)
    else:
        low, high = check_thresholds("thresholds", thresholds, upper_inclusive=False)
    n_periods = _check_int("n_periods", n_periods, minimum=2)
    if min_periods is None:
        min_periods = max(2, math.ceil(n_periods / 2))
    min_periods = _check_int("min_periods", min_periods, minimum=ddof + 1)
    if min_periods > n_periods:
        raise ParameterError(f"min_periods ({min_periods}) cannot exceed n_periods ({n_periods}).")

    tx = _unwindowed(data)
    as_of = data.as_of if isinstance(data, Snapshot) and as_of is None else as_of
    snap = snapshot(tx, as_of=as_of)
    # ABC-XYZ asks for the same XYZ as the XYZ page: computed once per snapshot, each caller gets a copy.
    key = ("xyz", method, period, n_periods, measure, tuple(thresholds), count_from, min_periods, ddof)
    args = (method, period, n_periods, measure, high, low, count_from, min_periods, ddof)
    result = snap.cached(key, lambda: _xyz(tx, snap.as_of, *args))
    return replace(
        result, table_=result.table_.copy(), summary_=result.summary_.copy(), periods_=result.periods_.copy()
    )


def _xyz(
    tx: Transactions,
    as_of: pd.Timestamp,
    method: str,
    period: str,
    n_periods: int,
    measure: str,
    high: float,
    low: float,
    count_from: str,
    min_periods: int,
    ddof: int,
) -> XYZResult:
    start, end = xyz_window(tx, period=period, n_periods=n_periods, as_of=as_of)
    column = MEASURES[measure]
    grid = customer_period_matrix(
        tx, period=period, as_of=end, start=start, metrics=tuple(dict.fromkeys((column, "n_orders")))
    )
    wide, orders_wide = grid[column], grid["n_orders"]
    if wide.empty:
        raise ParameterError(
            f"No customer bought anything in the XYZ window {start.date()}..{(end - pd.Timedelta(days=1)).date()}. "
            "Pick another as_of or a longer n_periods."
        )
    wide.index = wide.index.astype("str")
    counted = _counted_mask(tx, wide, period=period, as_of=as_of, count_from=count_from)
    table = _statistics(wide.to_numpy(dtype=float, copy=True), counted, ddof=ddof)
    table.index = wide.index
    active = ((orders_wide.to_numpy() > 0) & counted).sum(axis=1)
    table.insert(1, "active_periods", active.astype("int64"))
    table.insert(2, "regularity", active / table["n_periods"].to_numpy())
    table.insert(0, "first_period", _first_counted(wide.columns, counted))
    # The measure over the counted periods is zero or negative: returns cancel the purchases.
    no_sales = table["mean"].to_numpy() <= 0
    if method == "frequency":
        table["xyz_class"] = _frequency_classes(table, high, low, min_periods, no_sales)
        bands = (high, low)
    else:
        table["xyz_class"] = _classes(table, low, high, min_periods, no_sales)
        bands = (low, high)
    periods = wide.where(counted)
    periods.columns = pd.DatetimeIndex(periods.columns, name="period")
    return XYZResult(
        table_=table,
        summary_=_summary(table),
        periods_=periods,
        window_=(start, end),
        period=period,
        n_periods=n_periods,
        measure=measure,
        thresholds=bands,
        count_from=count_from,
        min_periods=min_periods,
        ddof=ddof,
        as_of=as_of,
        method=method,
    )


def _unwindowed(data: Any) -> Transactions:
    # XYZ has its own window (the last n_periods complete periods); a snapshot's window would fight it.
    if isinstance(data, Snapshot) and data.start is not None:
        raise ParameterError(
            f"xyz counts the last n_periods complete periods itself; the snapshot given starts on "
            f"{data.start.date()}. Pass a snapshot without window= (or the transactions) and set n_periods."
        )
    return transactions_of(data)


def _check_bands(bands: Any) -> tuple[float, float]:
    """Frequency bands (X from, Y from) with 1 >= X > Y > 0."""
    try:
        x_from, y_from = (float(b) for b in bands)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"thresholds for method='frequency' must be two shares (X from, Y from) such as (0.33, 0.15); "
            f"got {bands!r}."
        ) from exc
    if not (0.0 < y_from < x_from <= 1.0):
        raise ParameterError(
            f"thresholds for method='frequency' must satisfy 1 >= X band > Y band > 0 (shares of periods "
            f"with a purchase), such as (0.33, 0.15); got {bands!r}."
        )
    return x_from, y_from


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name} must be a whole number >= {minimum}; got {value!r}.")
    return int(value)


def _counted_mask(
    tx: Transactions, wide: pd.DataFrame, *, period: str, as_of: pd.Timestamp, count_from: str
) -> np.ndarray:
    """Which (customer, period) cells count: all, or those from the customer's first purchase on."""
    shape = wide.shape
    if count_from == "window":
        return np.ones(shape, dtype=bool)
    # Every customer on the grid bought before the window's end, so the first purchase before ``as_of``
    # is the first purchase before that end too: the summary every analysis shares serves, no new scan.
    firsts = customer_summary(tx, as_of=as_of)["first_purchase"].reindex(wide.index)
    period_starts = pd.DatetimeIndex(wide.columns)
    period_ends = period_starts + pd.tseries.frequencies.to_offset(_FREQ[period])
    # A period counts once the customer has bought: its end is after the first purchase.
    first = firsts.to_numpy(dtype="datetime64[ns]")[:, None]
    return period_ends.to_numpy(dtype="datetime64[ns]")[None, :] > first


def _statistics(values: np.ndarray, counted: np.ndarray, *, ddof: int) -> pd.DataFrame:
    k = counted.sum(axis=1)
    masked = np.where(counted, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = masked.sum(axis=1) / k
        deviations = np.where(counted, values - mean[:, None], 0.0)
        std = np.sqrt((deviations**2).sum(axis=1) / (k - ddof))
        cv = std / mean
    return pd.DataFrame({"n_periods": k.astype("int64"), "mean": mean, "std": std, "cv": cv})


def _first_counted(periods: pd.Index, counted: np.ndarray) -> pd.Series:
    starts = pd.DatetimeIndex(periods).to_numpy(dtype="datetime64[ns]")
    return pd.Series(starts[counted.argmax(axis=1)]).to_numpy()


def _classes(
    table: pd.DataFrame, low: float, high: float, min_periods: int, no_sales: np.ndarray
) -> np.ndarray:
    cv = table["cv"].to_numpy()
    # A tiny tolerance so that a CV of exactly 10 % computed as 0.10000000000000002 stays X.
    eps = 1e-12
    classes = np.where(cv <= low + eps, "X", np.where(cv <= high + eps, "Y", "Z")).astype(object)
    no_sales = no_sales | (table["mean"].to_numpy() <= 0)
    short = table["n_periods"].to_numpy() < min_periods
    classes[no_sales] = "no sales"
    classes[short] = "short history"
    table.loc[no_sales | short, "cv"] = np.nan
    return pd.array(classes, dtype="str")


def _frequency_classes(
    table: pd.DataFrame, x_from: float, y_from: float, min_periods: int, no_sales: np.ndarray
) -> np.ndarray:
    share = table["regularity"].to_numpy()
    eps = 1e-12  # 4 of 12 months is 0.333...; a share on a band gets the steadier class
    classes = np.where(share >= x_from - eps, "X", np.where(share >= y_from - eps, "Y", "Z")).astype(object)
    # One period with a purchase is a one-off buyer, however short the counted history after it.
    classes[table["active_periods"].to_numpy() <= 1] = "Z"
    short = table["n_periods"].to_numpy() < min_periods
    classes[no_sales] = "no sales"
    classes[short] = "short history"
    table.loc[no_sales | short, "cv"] = np.nan
    return pd.array(classes, dtype="str")


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    grouped = table.groupby("xyz_class")
    out = pd.DataFrame(
        {
            "n_customers": grouped.size(),
            "median_regularity": grouped["regularity"].median(),
            "median_cv": grouped["cv"].median(),
        }
    ).reindex(list(XYZ_CLASSES))
    out["n_customers"] = out["n_customers"].fillna(0).astype("int64")
    out.insert(1, "share_customers", out["n_customers"] / max(len(table), 1))
    out.index.name = "xyz_class"
    return out
