"""Plots for ABC, XYZ and the ABC-XYZ matrix, seaborn style: ``data`` first, ``ax=`` optional, Axes back.

Every plot accepts either a result object (:class:`ABCResult`, :class:`XYZResult`, :class:`ABCXYZResult`),
the table it holds, or the transactions themselves (the analysis then runs with its defaults).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from .._plotting import axes_or_new as _axes
from ._abc import METHODOLOGY_THRESHOLDS, ABCResult
from ._abc_xyz import ABCXYZResult, abc_xyz
from ._concentration import check_thresholds, cumulative_classes, pareto_curve, to_cents
from ._xyz import CV_THRESHOLDS, XYZResult, xyz

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with segkit
    from matplotlib.axes import Axes

__all__ = ["plot_abc_xyz_heatmap", "plot_cv_distribution", "plot_pareto", "plot_regularity"]

#: One colour per class, shared by the plots so A is always the same colour.
CLASS_COLORS = {
    "A": "#2a9d8f",
    "B": "#e9c46a",
    "C": "#f4a261",
    "D": "#e76f51",
    "X": "#2a9d8f",
    "Y": "#e9c46a",
    "Z": "#e76f51",
}


def _percent(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0))


# --------------------------------------------------------------------------------------------------
# Pareto / Lorenz
# --------------------------------------------------------------------------------------------------


def _curve_and_classes(
    data: Any, *, value: str, as_of: Any, thresholds: Any
) -> tuple[pd.DataFrame, tuple[float, float] | None]:
    """The ranked curve with an ``abc_class`` column, and the thresholds to draw (None: not cumulative)."""
    if isinstance(data, ABCResult):
        lines = data.thresholds if data.method == "cumulative" else None
        return data.table_, lines if thresholds is None else check_thresholds("thresholds", thresholds)
    if isinstance(data, pd.DataFrame) and {"cumulative_share", "customer_share", "value"} <= set(
        data.columns
    ):
        curve = data
    else:
        curve = pareto_curve(data, value=value, as_of=as_of)
    lines = check_thresholds("thresholds", METHODOLOGY_THRESHOLDS if thresholds is None else thresholds)
    if "abc_class" not in curve.columns:
        curve = curve.assign(abc_class=cumulative_classes(to_cents(curve["value"].to_numpy()), lines))
    return curve, lines


def plot_pareto(
    data: Any,
    *,
    value: str = "revenue",
    as_of: Any = None,
    thresholds: tuple[float, float] | None = None,
    kind: str = "pareto",
    ax: Axes | None = None,
) -> Axes:
    """The Pareto curve with the A/B/C bands, or the Lorenz curve with the Gini coefficient.

    Parameters
    ----------
    data : ABCResult, DataFrame, Transactions or Series
        An :func:`segkit.abc` result (its classes give the bands, whatever the method), a
        :func:`segkit.pareto_curve` frame, or the data to pass to :func:`segkit.pareto_curve`.
    value : {"revenue", "margin"}
        Used only when ``data`` is transactions.
    as_of : date-like, optional
        Used only when ``data`` is transactions.
    thresholds : (float, float), optional
        Cumulative-share thresholds drawn as horizontal lines (and used for the bands when ``data`` has no
        classes). Default: the result's, else the methodology's (0.75, 0.95).
    kind : {"pareto", "lorenz"}
        ``"pareto"``: customers from the largest (x) against the cumulative share of value (y), with the
        classes as coloured bands. ``"lorenz"``: the same data from the smallest customer, against the
        line of perfect equality; the area between them is half the Gini coefficient.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> ax = segkit.plot_pareto(pd.Series({"a": 60.0, "b": 25.0, "c": 10.0, "d": 5.0}))
    >>> ax.get_ylabel()
    'cumulative share of revenue'
    """
    check_choice("kind", kind, ("pareto", "lorenz"))
    curve, lines = _curve_and_classes(data, value=value, as_of=as_of, thresholds=thresholds)
    what = str(curve.attrs.get("value", value))
    ax = _axes(ax)
    if kind == "lorenz":
        return _draw_lorenz(ax, curve, what)
    x = np.r_[0.0, curve["customer_share"].to_numpy()]
    y = np.r_[0.0, curve["cumulative_share"].to_numpy()]
    n = len(curve)
    classes = curve["abc_class"].to_numpy()
    placed: list[tuple[float, int]] = []  # label centres and their rows
    for cls in ("A", "B", "C", "D"):
        members = np.flatnonzero(classes == cls)
        if members.size == 0:
            continue
        lo, hi = members.min() / n, (members.max() + 1) / n
        ax.axvspan(lo, hi, color=CLASS_COLORS[cls], alpha=0.18, lw=0)
        share_value = float(curve["share"].to_numpy()[members].sum())
        # Narrow or overlapping bands (group D spreads across the others) put their labels one row up.
        centre = (lo + hi) / 2
        row = min(
            r for r in range(len(placed) + 1) if all(abs(c - centre) > 0.15 or pr != r for c, pr in placed)
        )
        placed.append((centre, row))
        ax.text(
            centre,
            0.04 + 0.14 * row,
            f"{cls}\n{members.size / n:.0%} cust.\n{share_value:.0%} {what}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.plot(x, y, color="#264653", lw=2, label="cumulative share")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="all customers equal")
    if lines is not None:
        for t in lines:
            ax.axhline(t, color="grey", ls="--", lw=0.8)
            ax.text(1.0, t, f" {t:.0%}", va="center", ha="left", fontsize=8, color="grey")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="share of customers (largest first)",
        ylabel=f"cumulative share of {what}",
    )
    _percent(ax.xaxis)
    _percent(ax.yaxis)
    ax.set_title(f"Pareto curve of {what} with ABC classes")
    ax.legend(loc="center right", fontsize=8)
    return ax


def _draw_lorenz(ax: Axes, curve: pd.DataFrame, what: str) -> Axes:
    share = np.sort(curve["share"].to_numpy())  # smallest first
    n = len(share)
    x = np.arange(n + 1) / n
    y = np.r_[0.0, np.cumsum(share)]
    y[-1] = 1.0
    gini = max(0.0, 1.0 - float((y[1:] + y[:-1]).sum()) / n)
    ax.fill_between(x, y, x, color="#2a9d8f", alpha=0.2, lw=0, label=f"Gini = {gini:.2f}")
    ax.plot(x, y, color="#264653", lw=2, label="Lorenz curve")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="all customers equal")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="share of customers (smallest first)",
        ylabel=f"cumulative share of {what}",
    )
    _percent(ax.xaxis)
    _percent(ax.yaxis)
    ax.set_title(f"Lorenz curve of {what}")
    ax.legend(loc="upper left", fontsize=8)
    return ax


# --------------------------------------------------------------------------------------------------
# CV distribution
# --------------------------------------------------------------------------------------------------


def plot_cv_distribution(
    data: Any,
    *,
    thresholds: tuple[float, float] | None = None,
    bins: int = 40,
    max_cv: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Histogram of the customers' coefficients of variation, coloured by X/Y/Z, with the thresholds.

    Parameters
    ----------
    data : XYZResult, DataFrame or Transactions
        An :func:`segkit.xyz` result, a table with a ``cv`` column (and ``xyz_class``), or the
        transactions (then :func:`segkit.xyz` runs with its defaults).
    thresholds : (float, float), optional
        The X/Y and Y/Z CV thresholds to draw; default the result's when it used ``method="cv"``, else
        :data:`segkit.CV_THRESHOLDS` (the colours then show those thresholds, not the result's classes).
    bins : int
        Number of histogram bins.
    max_cv : float, optional
        Right end of the x axis (larger CVs are piled into the last bin); default the largest CV.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Customers flagged "short history" or "no sales" have no CV; their number is in the title.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> table = pd.DataFrame({"cv": [0.05, 0.2, 0.8, 1.5, None]})
    >>> segkit.plot_cv_distribution(table).get_title()
    'CV distribution: 4 customers classified, 1 without a CV'
    """
    if isinstance(data, XYZResult):
        table, default = data.table_, data.thresholds if data.method == "cv" else CV_THRESHOLDS
    elif isinstance(data, pd.DataFrame) and "cv" in data.columns:
        table, default = data, CV_THRESHOLDS
    else:
        result = xyz(data, method="cv")
        table, default = result.table_, result.thresholds
    low, high = check_thresholds(
        "thresholds", default if thresholds is None else thresholds, upper_inclusive=False
    )
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ParameterError(f"bins must be a positive whole number; got {bins!r}.")
    cv = pd.to_numeric(table["cv"], errors="coerce").to_numpy(dtype=float)
    finite = np.isfinite(cv)
    values = cv[finite]
    classes = np.where(values <= low + 1e-12, "X", np.where(values <= high + 1e-12, "Y", "Z"))
    top = float(max_cv) if max_cv is not None else (float(values.max()) if values.size else 1.0)
    top = max(top, high * 1.2)
    edges = np.linspace(0.0, top, bins + 1)
    ax = _axes(ax)
    bottom = np.zeros(bins)
    for cls in ("X", "Y", "Z"):
        counts, _ = np.histogram(np.clip(values[classes == cls], 0.0, top), bins=edges)
        ax.bar(
            edges[:-1],
            counts,
            width=np.diff(edges),
            bottom=bottom,
            align="edge",
            color=CLASS_COLORS[cls],
            edgecolor="white",
            lw=0.3,
            label=f"{cls} ({int((classes == cls).sum()):,})",
        )
        bottom += counts
    # Threshold lines go in the legend: on a wide CV axis 10 % and 25 % are too close for text labels.
    for t, label, style in ((low, "X | Y", "--"), (high, "Y | Z", ":")):
        ax.axvline(t, color="#264653", ls=style, lw=1.2, label=f"{label} threshold {t:.0%}")
    _percent(ax.xaxis)
    ax.set(xlim=(0, top), xlabel="coefficient of variation (std / mean per period)", ylabel="customers")
    ax.set_title(
        f"CV distribution: {values.size:,} customers classified, {int((~finite).sum()):,} without a CV"
    )
    ax.legend(fontsize=8)
    return ax


def plot_regularity(data: Any, *, ax: Axes | None = None) -> Axes:
    """Customers by the share of periods with a purchase, coloured by X/Y/Z, with the bands.

    Parameters
    ----------
    data : XYZResult or Transactions
        An :func:`segkit.xyz` result with ``method="frequency"``, or the transactions (then
        :func:`segkit.xyz` runs with its defaults).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a"] * 3 + ["b"], "amount": [1.0] * 4,
    ...                    "order_date": ["2024-01-05", "2024-02-05", "2024-03-05", "2024-01-09"]})
    >>> segkit.plot_regularity(segkit.xyz(df, n_periods=3, as_of="2024-04-01")).get_title()
    'Regularity: 2 customers classified (months with a purchase / months counted)'
    """
    result = data if isinstance(data, XYZResult) else xyz(data)
    if result.method != "frequency":
        raise ParameterError(
            "plot_regularity shows the frequency method; this result used method='cv'. "
            "Use segkit.plot_cv_distribution for it, or compute segkit.xyz(data, method='frequency')."
        )
    table = result.table_.loc[result.table_["xyz_class"].isin(["X", "Y", "Z"])]
    edges = np.linspace(0.0, 1.0, 13)
    ax = _axes(ax)
    bottom = np.zeros(len(edges) - 1)
    for cls in ("X", "Y", "Z"):
        share = table.loc[table["xyz_class"] == cls, "regularity"].to_numpy(dtype=float)
        counts, _ = np.histogram(np.clip(share, 0.0, 1.0 - 1e-9), bins=edges)
        ax.bar(
            edges[:-1],
            counts,
            width=np.diff(edges),
            bottom=bottom,
            align="edge",
            color=CLASS_COLORS[cls],
            edgecolor="white",
            lw=0.3,
            label=f"{cls} ({share.size:,})",
        )
        bottom += counts
    x_from, y_from = result.thresholds
    for t, label, style in ((x_from, "X from", "--"), (y_from, "Y from", ":")):
        ax.axvline(t, color="#264653", ls=style, lw=1.2, label=f"{label} {t:.0%}")
    _percent(ax.xaxis)
    unit = f"{result.period}s"
    ax.set(xlim=(0, 1), xlabel=f"share of {unit} with a purchase", ylabel="customers")
    ax.set_title(f"Regularity: {len(table):,} customers classified ({unit} with a purchase / {unit} counted)")
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------------------------------
# ABC-XYZ heatmap
# --------------------------------------------------------------------------------------------------


def plot_abc_xyz_heatmap(
    data: Any,
    *,
    by: str = "count",
    cmap: str = "YlGnBu",
    ax: Axes | None = None,
) -> Axes:
    """The 3 x 3 ABC-XYZ matrix as a heatmap of customer counts or revenue, with shares in each cell.

    Parameters
    ----------
    data : ABCXYZResult, DataFrame or Transactions
        An :func:`segkit.abc_xyz` result, its ``matrix_`` table, or the transactions (then
        :func:`segkit.abc_xyz` runs with its defaults).
    by : {"count", "revenue", "margin", "quantity"}
        What the colour and the numbers show; ``"margin"`` needs a profit ABC, ``"quantity"`` an ABC in
        units (``value="quantity"``).
    cmap : str
        Matplotlib colour map.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> matrix = pd.DataFrame({"abc_class": list("AAB"), "xyz_class": list("XZY"), "in_matrix": True,
    ...                        "n_customers": [2, 1, 5], "share_customers": [0.25, 0.125, 0.625],
    ...                        "revenue": [80.0, 10.0, 10.0], "share_revenue": [0.8, 0.1, 0.1]})
    >>> ax = segkit.plot_abc_xyz_heatmap(matrix, by="revenue")
    >>> ax.get_title()
    'ABC-XYZ matrix: revenue (share of total)'
    """
    import seaborn as sns

    if isinstance(data, ABCXYZResult):
        matrix = data.matrix_
    elif isinstance(data, pd.DataFrame) and {"abc_class", "xyz_class", "n_customers"} <= set(data.columns):
        matrix = data
    else:
        matrix = abc_xyz(data).matrix_
    allowed = ["count"] + [c for c in ("revenue", "margin", "quantity") if c in matrix.columns]
    check_choice("by", by, allowed)
    column, share = ("n_customers", "share_customers") if by == "count" else (by, f"share_{by}")
    cells = matrix.loc[matrix["abc_class"].isin(list("ABC")) & matrix["xyz_class"].isin(list("XYZ"))]

    def grid(col: str) -> pd.DataFrame:
        out = cells.pivot_table(index="abc_class", columns="xyz_class", values=col, aggfunc="sum")
        return out.reindex(index=list("ABC"), columns=list("XYZ")).fillna(0.0).astype(float)

    values, shares = grid(column), grid(share)
    labels = np.array(
        [
            [f"{v:,.0f}\n({s:.1%})" for v, s in zip(vr, sr, strict=True)]
            for vr, sr in zip(values.to_numpy(), shares.to_numpy(), strict=True)
        ]
    )
    ax = _axes(ax, figsize=(6, 4.5))
    sns.heatmap(values, annot=labels, fmt="", cmap=cmap, cbar=True, linewidths=1, linecolor="white", ax=ax)
    what = "customers" if by == "count" else by
    ax.set(xlabel="XYZ (regularity)", ylabel="ABC (importance)")
    ax.set_title(f"ABC-XYZ matrix: {what} (share of total)")
    ax.tick_params(axis="y", rotation=0)
    return ax
