"""XYZ analysis of customers: who buys steadily, and who does not.

The coefficient of variation (CV = std / mean) of each customer's revenue (or order count) per period,
over the last complete periods before the as-of date. The per-customer, per-period grid comes from the
engine layer (:func:`segkit.customer_periods` with zero-filled periods); the statistics are numpy over the
customers x periods matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine._aggregates import (
    _PANDAS_FREQ,
    PERIODS,
    as_of_date,
    customer_periods,
    customer_summary,
    period_start,
)
from ..io._contract import Transactions, as_transactions
from ._concentration import check_thresholds

__all__ = ["XYZ_CLASSES", "XYZResult", "xyz", "xyz_window"]

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
        ``first_period`` (first period counted), ``n_periods`` (periods counted), ``mean``, ``std``,
        ``cv`` (NaN for flagged customers), ``xyz_class`` (X, Y, Z, "short history" or "no sales").
    summary_ : pandas.DataFrame
        One row per class: ``n_customers``, ``share_customers``, ``median_cv``.
    periods_ : pandas.DataFrame
        The customers x periods matrix of the measure; periods before a customer's first purchase
        (not counted when ``count_from="first_purchase"``) are NaN.
    window_ : (Timestamp, Timestamp)
        The window ``[start, end)``: the complete periods analysed.
    period, n_periods, measure, thresholds, count_from, min_periods, ddof, as_of
        The parameters used (``as_of`` resolved to a date).
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

    @property
    def window_label(self) -> str:
        """The window in words, e.g. ``"12 complete months, 2024-01-01 to 2024-12-31"``."""
        start, end = self.window_
        n = len(self.periods_.columns)
        unit = self.period if n == 1 else f"{self.period}s"
        return f"{n} complete {unit}, {start.date()} to {(end - pd.Timedelta(days=1)).date()}"

    def customers(self, xyz_class: str) -> pd.Index:
        """The ids of the customers in ``xyz_class``."""
        check_choice("xyz_class", xyz_class, XYZ_CLASSES)
        return self.table_.index[self.table_["xyz_class"] == xyz_class]

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v:,}" for k, v in self.summary_["n_customers"].items())
        start, end = self.window_
        return (
            f"XYZResult({self.measure} per {self.period}, {start.date()}..{(end - pd.Timedelta(days=1)).date()}, "
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
    tx = as_transactions(data)
    as_of = as_of_date(tx, as_of)
    end = period_start(as_of, period)
    start = pd.date_range(end=end, periods=n_periods + 1, freq=_PANDAS_FREQ[period])[0]
    first_data = period_start(tx.data["order_date"].min(), period)
    start = max(start, first_data)
    if start >= end:
        raise ParameterError(
            f"There is no complete {period} before as_of={as_of.date()} (the data start on "
            f"{tx.data['order_date'].min().date()}). Pick a later as_of or a shorter period."
        )
    return start, end


def xyz(
    data: Transactions | pd.DataFrame,
    *,
    period: str = "month",
    n_periods: int = 12,
    measure: str = "revenue",
    thresholds: tuple[float, float] = (0.10, 0.25),
    count_from: str = "first_purchase",
    min_periods: int | None = None,
    ddof: int = 0,
    as_of: Any = None,
) -> XYZResult:
    """XYZ analysis: class customers by how steadily they buy (coefficient of variation per period).

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    period : {"month", "week", "quarter", "day", "year"}
        Period length; months by default.
    n_periods : int
        How many complete periods before ``as_of`` make the window (12). See :func:`segkit.xyz_window`.
    measure : {"revenue", "gross_revenue", "orders"}
        Net revenue per period (returns subtracted in the period they happen; the ABC value),
        purchases only (``"gross_revenue"``: buying regularity without returns), or the number of orders.
    thresholds : (float, float)
        CV thresholds: X if CV <= first, Y if CV <= second, Z above. Default 10 % / 25 %, the classic
        values for steady B2B or replenishment buying. Retail customers buy irregularly (a few orders a
        year, many empty months), so the classic values put nearly everyone in Z; wider thresholds such
        as (0.5, 1.0) then give a useful split. :func:`segkit.plot_cv_distribution` shows where the
        CVs fall.
    count_from : {"first_purchase", "window"}
        Where each customer's periods start. ``"first_purchase"`` (default): from the later of the window
        start and the period of the customer's first purchase, so a customer who joined three months ago
        is judged on three months, not on nine empty months before it existed (that would call every new
        customer irregular). ``"window"``: every customer is measured over the whole window.
    min_periods : int, optional
        Customers with fewer counted periods get the flag ``"short history"`` instead of a class.
        Default: half the window, rounded up (6 of 12 months), and at least 2.
    ddof : {0, 1}
        Delta degrees of freedom of the std. Default 0, the **population** std: the counted periods are
        the customer's whole history in the window, not a sample of it (this is also the textbook XYZ
        formula). Use 1 for the sample std (Excel's STDEV.S).
    as_of : date-like, optional
        Analysis date; defaults to the day after the last transaction.

    Returns
    -------
    XYZResult
        ``.table_`` (per customer: periods counted, mean, std, CV, class), ``.summary_``, ``.periods_``,
        ``.window_``.

    Notes
    -----
    * Periods without purchases count as zeros.
    * Customers on the table are those with a purchase in the window. Their CV is
      ``std / mean`` over the counted periods; X if CV <= ``thresholds[0]``, Y if CV <= ``thresholds[1]``,
      Z otherwise (a CV equal to a threshold gets the steadier class).
    * No customer is X by accident: a customer with fewer than ``min_periods`` counted periods is
      flagged ``"short history"``, and one whose mean is zero or negative (returns cancel the purchases)
      is flagged ``"no sales"``; their ``cv`` is NaN.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["steady"] * 4 + ["once"] + ["new"],
    ...     "order_date": ["2024-01-10", "2024-02-10", "2024-03-10", "2024-04-10", "2024-01-20", "2024-04-02"],
    ...     "amount": [100.0, 100.0, 100.0, 100.0, 400.0, 50.0],
    ... })
    >>> r = segkit.xyz(df, n_periods=4, as_of="2024-05-01")
    >>> r.table_[["n_periods", "mean", "std", "cv", "xyz_class"]]
                 n_periods   mean        std        cv      xyz_class
    customer_id
    new                  1   50.0   0.000000       NaN  short history
    once                 4  100.0 173.205081  1.732051              Z
    steady               4  100.0   0.000000  0.000000              X
    """
    check_choice("period", period, tuple(PERIODS))
    check_choice("measure", measure, tuple(MEASURES))
    check_choice("count_from", count_from, COUNT_FROM)
    check_choice("ddof", ddof, (0, 1))
    low, high = check_thresholds("thresholds", thresholds, upper_inclusive=False)
    n_periods = _check_int("n_periods", n_periods, minimum=2)
    if min_periods is None:
        min_periods = max(2, math.ceil(n_periods / 2))
    min_periods = _check_int("min_periods", min_periods, minimum=ddof + 1)
    if min_periods > n_periods:
        raise ParameterError(f"min_periods ({min_periods}) cannot exceed n_periods ({n_periods}).")

    tx = as_transactions(data)
    as_of = as_of_date(tx, as_of)
    start, end = xyz_window(tx, period=period, n_periods=n_periods, as_of=as_of)
    grid = customer_periods(tx, period=period, as_of=end, start=start, fill_zeros=True)
    if grid.empty:
        raise ParameterError(
            f"No customer bought anything in the XYZ window {start.date()}..{(end - pd.Timedelta(days=1)).date()}. "
            "Pick another as_of or a longer n_periods."
        )
    wide = grid.pivot(index="customer_id", columns="period", values=MEASURES[measure]).sort_index()
    wide.index = wide.index.astype("str")
    counted = _counted_mask(tx, wide, period=period, end=end, count_from=count_from)
    table = _statistics(wide.to_numpy(dtype=float, copy=True), counted, ddof=ddof)
    table.index = wide.index
    table.insert(0, "first_period", _first_counted(wide.columns, counted))
    table["xyz_class"] = _classes(table, low, high, min_periods)
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
        thresholds=(low, high),
        count_from=count_from,
        min_periods=min_periods,
        ddof=ddof,
        as_of=as_of,
    )


def _check_int(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name} must be a whole number >= {minimum}; got {value!r}.")
    return int(value)


def _counted_mask(
    tx: Transactions, wide: pd.DataFrame, *, period: str, end: pd.Timestamp, count_from: str
) -> np.ndarray:
    """Which (customer, period) cells count: all, or those from the customer's first purchase on."""
    shape = wide.shape
    if count_from == "window":
        return np.ones(shape, dtype=bool)
    firsts = customer_summary(tx, as_of=end)["first_purchase"].reindex(wide.index)
    period_starts = pd.DatetimeIndex(wide.columns)
    period_ends = period_starts + pd.tseries.frequencies.to_offset(_PANDAS_FREQ[period])
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


def _classes(table: pd.DataFrame, low: float, high: float, min_periods: int) -> np.ndarray:
    cv = table["cv"].to_numpy()
    # A tiny tolerance so that a CV of exactly 10 % computed as 0.10000000000000002 stays X.
    eps = 1e-12
    classes = np.where(cv <= low + eps, "X", np.where(cv <= high + eps, "Y", "Z")).astype(object)
    no_sales = table["mean"].to_numpy() <= 0
    short = table["n_periods"].to_numpy() < min_periods
    classes[no_sales] = "no sales"
    classes[short] = "short history"
    table.loc[no_sales | short, "cv"] = np.nan
    return pd.array(classes, dtype="str")


def _summary(table: pd.DataFrame) -> pd.DataFrame:
    grouped = table.groupby("xyz_class")
    out = pd.DataFrame({"n_customers": grouped.size(), "median_cv": grouped["cv"].median()}).reindex(
        list(XYZ_CLASSES)
    )
    out["n_customers"] = out["n_customers"].fillna(0).astype("int64")
    out.insert(1, "share_customers", out["n_customers"] / max(len(table), 1))
    out.index.name = "xyz_class"
    return out
