"""Plots for the overview notebook: the business over time."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from .._errors import ParameterError
from .._plotting import axes_or_new
from ..engine._aggregates import period_totals
from ..io._contract import Transactions

__all__ = ["plot_period_totals"]


def plot_period_totals(
    data: Transactions | pd.DataFrame,
    *,
    period: str = "month",
    as_of: Any = None,
    ax: Axes | None = None,
) -> Axes:
    """Revenue per period as bars, with active and new customers as lines on a second axis.

    Parameters
    ----------
    data : Transactions or DataFrame
        Transactions, or a frame from :func:`segkit.period_totals` (then ``period`` and ``as_of`` are
        ignored).
    period : {"day", "week", "month", "quarter", "year"}
        Period length when ``data`` is transactions.
    as_of : date-like, optional
        Analysis date when ``data`` is transactions.
    ax : matplotlib Axes, optional
        Where to draw the bars; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The revenue axes (the customer axis is its twin). A period the as-of date cuts short is drawn
        hatched, so a half month does not read as a slump.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...                    "order_date": ["2024-01-05", "2024-02-06", "2024-03-01"],
    ...                    "amount": [10.0, 20.0, 5.0]})
    >>> ax = segkit.plot_period_totals(df)
    >>> [float(round(p.get_height(), 1)) for p in ax.patches]
    [10.0, 20.0, 5.0]
    """
    totals = data if _is_totals(data) else period_totals(data, period=period, as_of=as_of)
    if totals.empty:
        raise ParameterError("There are no periods to plot; check as_of and the data's date range.")
    ax = axes_or_new(ax, (10, 4.5))
    labels = _labels(totals["period"])
    x = range(len(totals))
    bars = ax.bar(x, totals["revenue"], color="#4c72b0", label="revenue")
    for bar, complete in zip(bars, totals["complete"], strict=True):
        if not complete:
            bar.set_hatch("//")
            bar.set_alpha(0.5)
    ax.set_ylabel("revenue")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xticks(list(x), labels, rotation=45, ha="right")
    twin = ax.twinx()
    twin.plot(list(x), totals["active_customers"], color="#dd8452", marker="o", label="active customers")
    twin.plot(list(x), totals["new_customers"], color="#55a868", marker=".", label="new customers")
    twin.set_ylabel("customers")
    twin.grid(False)
    handles = [bars, *twin.get_lines()]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper left")
    ax.set_title("Revenue and customers per period")
    return ax


def _is_totals(data: Any) -> bool:
    return isinstance(data, pd.DataFrame) and {"period", "revenue", "active_customers", "complete"} <= set(
        data.columns
    )


def _labels(periods: pd.Series) -> list[str]:
    starts = pd.to_datetime(periods)
    if len(starts) > 1 and (starts.diff().dropna() >= pd.Timedelta(days=28)).all():
        return list(starts.dt.strftime("%Y-%m"))
    return list(starts.dt.strftime("%Y-%m-%d"))
