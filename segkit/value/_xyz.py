"""XYZ analysis of customers: who buys regularly, who now and then, and who once.

The methodology [S1, S0] defines XYZ for clients by the regularity of their purchases over the period (a
year, for example): regular (X), occasional (Y) and one-off (Z) buyers. The default method measures it as
the share of periods with a purchase. The coefficient of variation of period revenue (the demand-planning
variant) stays available as ``method="cv"``. The per-customer statistics are one aggregate over the
snapshot's customer x period table (:func:`segkit.engine.customer_period_table`): the periods without a
purchase are zeros, so they enter the mean and the spread arithmetically (their number is known from the
customer's counted span) and no customers x periods matrix is built; only one row per customer comes back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import (
    PERIODS,
    Snapshot,
    as_of_date,
    customer_period_table,
    date_range,
    period_ordinal,
    period_start,
    snapshot,
)
from ..io._contract import Transactions
from ._concentration import check_thresholds, transactions_of
from ._rows import Rows

__all__ = [
    "CV_THRESHOLDS",
    "DEMAND_PLANNING_THRESHOLDS",
    "FREQUENCY_BANDS",
    "XYZ_CLASSES",
    "XYZResult",
    "xyz",
    "xyz_window",
]

#: Exact sums of whole cents (and of their squares) in the engine.
_EXACT = "decimal(38, 0)"
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
        (not counted when ``count_from="first_purchase"``) are NaN. Built from the engine on first use
        (the classes never need it; it holds customers x periods numbers).
    window_ : (Timestamp, Timestamp)
        The window ``[start, end)``: the complete periods analysed.
    method, period, n_periods, measure, thresholds, count_from, min_periods, ddof, as_of
        The parameters used (``as_of`` resolved to a date; ``thresholds`` the bands of ``method``).
    """

    table_: pd.DataFrame
    summary_: pd.DataFrame
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
    # The compact customer keys of ``table_``'s rows (ascending, as the ids are) and their class codes
    # (index into XYZ_CLASSES), for ABC-XYZ; it also builds ``periods_`` on first use.
    _rows: Rows | None = field(default=None, repr=False, compare=False)
    # The cached result a copy was made from (the snapshot references it weakly; see ABCResult).
    _origin: XYZResult | None = field(default=None, repr=False, compare=False)

    @property
    def periods_(self) -> pd.DataFrame | None:
        """The customers x periods matrix of the measure (NaN before a customer's counted periods)."""
        return None if self._rows is None else self._rows.extra()

    def detached(self) -> XYZResult:
        """A copy whose tables and ``periods_`` are its own, for a result kept in a snapshot's cache.

        :func:`segkit.xyz` and :func:`segkit.abc_xyz` hand out copies of the one cached result: editing
        the copy a caller got never changes what a later call returns. ``periods_`` is still built once
        (from the engine) and copied for each result on its first use.
        """
        return replace(
            self,
            table_=self.table_.copy(),
            summary_=self.summary_.copy(),
            _rows=None if self._rows is None else self._rows.detached(),
            _origin=self,
        )

    @property
    def window_label(self) -> str:
        """The window in words, e.g. ``"12 complete months, 2024-01-01 to 2024-12-31"``."""
        start, end = self.window_
        n = period_ordinal(end, self.period) - period_ordinal(start, self.period)
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
    params = xyz_params(method, period, n_periods, measure, thresholds, count_from, min_periods, ddof)
    tx = _unwindowed(data)
    as_of = data.as_of if isinstance(data, Snapshot) and as_of is None else as_of
    snap = snapshot(tx, as_of=as_of)
    return cached_xyz(snap, *params).detached()


def xyz_params(
    method: str,
    period: str,
    n_periods: Any,
    measure: str,
    thresholds: Any,
    count_from: str,
    min_periods: Any,
    ddof: Any,
) -> tuple[str, str, int, str, tuple[float, float], str, int, int]:
    """The parameters of :func:`xyz` checked, in the order :func:`cached_xyz` takes them."""
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
    return method, period, n_periods, measure, (high, low), count_from, min_periods, int(ddof)


def cached_xyz(
    snap: Snapshot,
    method: str,
    period: str,
    n_periods: int,
    measure: str,
    bands: tuple[float, float],
    count_from: str,
    min_periods: int,
    ddof: int,
) -> XYZResult:
    """The XYZ of a snapshot with checked parameters, computed once per snapshot while it is in use.

    The same object while it (or a copy of it) is alive; one every caller dropped is computed again.
    """
    key = ("xyz", method, period, n_periods, measure, bands, count_from, min_periods, ddof)
    args = (method, period, n_periods, measure, *bands, count_from, min_periods, ddof)
    return snap.shared(key, lambda: _xyz(snap, *args))


def _xyz(
    snap: Snapshot,
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
    as_of = snap.as_of
    start, end = xyz_window(snap.transactions, period=period, n_periods=n_periods, as_of=as_of)
    column = MEASURES[measure]
    stats = _period_statistics(
        snap, period=period, start=start, end=end, column=column, count_from=count_from
    )
    if stats.empty:
        raise ParameterError(
            f"No customer bought anything in the XYZ window {start.date()}..{(end - pd.Timedelta(days=1)).date()}. "
            "Pick another as_of or a longer n_periods."
        )
    keys = stats.pop("ckey").to_numpy(dtype=np.int64)
    offset = stats["offset"].to_numpy(dtype=np.int64)
    table = _statistics(
        stats, n_window=period_ordinal(end, period) - period_ordinal(start, period), ddof=ddof
    )
    starts = pd.date_range(start, end, freq=_FREQ[period], inclusive="left").to_numpy(dtype="datetime64[ns]")
    table.insert(0, "first_period", starts[offset])
    # The measure over the counted periods is zero or negative: returns cancel the purchases.
    no_sales = table["mean"].to_numpy() <= 0
    if method == "frequency":
        codes = _frequency_classes(table, high, low, min_periods, no_sales)
        bands = (high, low)
    else:
        codes = _classes(table, low, high, min_periods, no_sales)
        bands = (low, high)
    # Shared label objects (one per class), not a text copy per customer.
    table["xyz_class"] = np.asarray(XYZ_CLASSES, dtype=object)[codes]
    return XYZResult(
        table_=table,
        summary_=_summary(table, codes),
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
        _rows=Rows(
            keys,
            codes,
            build=lambda: _periods_matrix(snap, period, start, end, column, keys, table.index, offset),
        ),
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


def _window_rows(
    snap: Snapshot, period: str, start: pd.Timestamp, end: pd.Timestamp, column: str
) -> ir.Table:
    """The snapshot's customer x period rows as (``ckey``, period number ``p``, measure ``x``, ``bought``)."""
    table = customer_period_table(snap, period)
    return table.select(
        "ckey",
        p=period_ordinal(table.period, period) - period_ordinal(start, period),
        x=table[column].cast("float64"),
        bought=table.n_orders > 0,
    )


def _period_statistics(
    snap: Snapshot, *, period: str, start: pd.Timestamp, end: pd.Timestamp, column: str, count_from: str
) -> pd.DataFrame:
    """Per customer with a purchase order in ``[start, end)``: the sums XYZ needs over its counted periods.

    One engine query over the snapshot's customer x period table (one row per customer and period with
    any line; the other periods are zeros). Period numbers count from the window start (0) to ``n`` (the
    window's end). A customer's periods count from ``offset``: the window start, or with
    ``count_from="first_purchase"`` the period of its first purchase before ``as_of`` when that is later.
    Returned per customer (sorted by id, ``ckey`` alongside): ``offset``, ``total`` (sum of the measure over
    the counted periods), ``squares`` (sum of the squared deviations from the mean over all counted periods,
    the zero periods included arithmetically), ``n_rows`` and ``active`` (counted periods with a purchase
    order).
    """
    n = period_ordinal(end, period) - period_ordinal(start, period)
    rows = _window_rows(snap, period, start, end, column)
    inside = (rows.p >= 0) & (rows.p < n)
    per = rows.group_by("ckey").aggregate(
        first=rows.p.min(where=rows.bought), in_window=rows.count(where=rows.bought & inside)
    )
    per = per.filter(per.in_window > 0)
    # Every period of the window counts, or those from the first purchase on (a customer who joined three
    # months ago is judged on three months): the methodology's zero periods start there.
    offset = ibis.literal(0, "int64") if count_from == "window" else ibis.greatest(per["first"], 0)
    per = per.select("ckey", offset=offset.cast("int64"))
    counted = rows.filter(inside).join(per, "ckey")
    counted = counted.filter(counted.p >= counted.offset)
    # Period totals are whole cents (the customer x period table rounds them), so in cents they are
    # integers, and DECIMAL sums of them and of their squares are exact: the spread comes out the same to
    # the last bit whatever order the engine's threads add the rows in (float sums do not), and exact
    # integers keep k * sum(x^2) - (sum x)^2 free of cancellation for steady buyers.
    cents = (counted.x * 100).round().cast(_EXACT)
    sums = counted.group_by("ckey").aggregate(
        offset=counted.offset.max(),
        total=cents.sum(),
        sum_squares=(cents * cents).sum(),
        n_rows=counted.count(),
        active=counted.count(where=counted.bought),
    )
    k = n - sums.offset
    # k times the sum of squared deviations from the mean over all k counted periods (the zeros included).
    spread = k.cast(_EXACT) * sums.sum_squares - sums.total * sums.total
    stats = sums.select(
        "ckey",
        "offset",
        total=sums.total.cast("float64") / 100,
        squares=spread.cast("float64") / k.cast("float64") / 10_000,
        n_rows="n_rows",
        active="active",
    )
    out = snap.customer_frame(stats.mutate(key=stats.ckey))
    return out.rename(columns={"key": "ckey"})


def _statistics(stats: pd.DataFrame, *, n_window: int, ddof: int) -> pd.DataFrame:
    """Periods counted, active periods, regularity, mean, std and CV from the per-customer sums."""
    k = n_window - stats["offset"].to_numpy(dtype=np.int64)
    total = stats["total"].to_numpy(dtype=float)
    active = stats["active"].to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / k
        squares = stats["squares"].to_numpy(dtype=float)
        std = np.sqrt(np.maximum(squares, 0.0) / (k - ddof))
        cv = std / mean
    return pd.DataFrame(
        {
            "n_periods": k,
            "active_periods": active,
            "regularity": active / k,
            "mean": mean,
            "std": std,
            "cv": cv,
        },
        index=stats.index,
    )


def _periods_matrix(
    snap: Snapshot,
    period: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    column: str,
    keys: np.ndarray,
    ids: pd.Index,
    offset: np.ndarray,
) -> pd.DataFrame:
    """The customers x periods matrix of the measure, NaN before each customer's counted periods."""
    n = period_ordinal(end, period) - period_ordinal(start, period)
    rows = _window_rows(snap, period, start, end, column)
    frame = snap.to_pandas(rows.filter((rows.p >= 0) & (rows.p < n)).select("ckey", "p", "x"))
    ckey = frame["ckey"].to_numpy(dtype=np.int64)
    at = np.searchsorted(keys, ckey).clip(max=max(len(keys) - 1, 0))
    found = keys[at] == ckey if len(keys) else np.zeros(len(ckey), dtype=bool)
    matrix = np.zeros((len(keys), n), dtype=float)
    matrix[at[found], frame["p"].to_numpy(dtype=np.int64)[found]] = frame["x"].to_numpy(dtype=float)[found]
    matrix[np.arange(n)[None, :] < offset[:, None]] = np.nan
    columns = pd.date_range(start, end, freq=_FREQ[period], inclusive="left", name="period")
    return pd.DataFrame(matrix, index=ids.copy(), columns=columns)


def _classes(
    table: pd.DataFrame, low: float, high: float, min_periods: int, no_sales: np.ndarray
) -> np.ndarray:
    """Class codes (index into XYZ_CLASSES) of the CV method; NaN-s the CV of flagged customers."""
    cv = table["cv"].to_numpy()
    # A tiny tolerance so that a CV of exactly 10 % computed as 0.10000000000000002 stays X.
    eps = 1e-12
    codes = np.where(cv <= low + eps, 0, np.where(cv <= high + eps, 1, 2)).astype(np.int8)
    no_sales = no_sales | (table["mean"].to_numpy() <= 0)
    return _flag(table, codes, no_sales, min_periods)


def _frequency_classes(
    table: pd.DataFrame, x_from: float, y_from: float, min_periods: int, no_sales: np.ndarray
) -> np.ndarray:
    """Class codes (index into XYZ_CLASSES) of the frequency method; NaN-s the CV of flagged customers."""
    share = table["regularity"].to_numpy()
    eps = 1e-12  # 4 of 12 months is 0.333...; a share on a band gets the steadier class
    codes = np.where(share >= x_from - eps, 0, np.where(share >= y_from - eps, 1, 2)).astype(np.int8)
    # One period with a purchase is a one-off buyer, however short the counted history after it.
    codes[table["active_periods"].to_numpy() <= 1] = 2
    return _flag(table, codes, no_sales, min_periods)


def _flag(table: pd.DataFrame, codes: np.ndarray, no_sales: np.ndarray, min_periods: int) -> np.ndarray:
    short = table["n_periods"].to_numpy() < min_periods
    codes[no_sales] = XYZ_CLASSES.index("no sales")
    codes[short] = XYZ_CLASSES.index("short history")
    flagged = no_sales | short
    if flagged.any():
        cv = table["cv"].to_numpy(dtype=float, copy=True)
        cv[flagged] = np.nan
        table["cv"] = cv
    return codes


def _summary(table: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Per class: customers, their share, median regularity and CV (NaN CVs skipped, as pandas does)."""
    regularity = table["regularity"].to_numpy(dtype=float)
    cv = table["cv"].to_numpy(dtype=float)
    rows = {}
    for code, label in enumerate(XYZ_CLASSES):
        members = codes == code
        reg, var = regularity[members], cv[members]
        var = var[~np.isnan(var)]
        rows[label] = (
            int(members.sum()),
            float(np.median(reg)) if reg.size else np.nan,
            float(np.median(var)) if var.size else np.nan,
        )
    out = pd.DataFrame.from_dict(
        rows, orient="index", columns=["n_customers", "median_regularity", "median_cv"]
    )
    out["n_customers"] = out["n_customers"].astype("int64")
    out.insert(1, "share_customers", out["n_customers"] / max(len(table), 1))
    out.index.name = "xyz_class"
    return out
