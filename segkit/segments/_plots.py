"""RFM plots: mean monetary by R x F, segment sizes against revenue, and the score distributions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .._errors import ParameterError, check_choice
from .._plotting import axes_or_new as _axes
from ._migration import SegmentMigration
from ._rfm import RFMResult
from ._segments import segment_summary

__all__ = ["plot_migration", "plot_rfm_heatmap", "plot_score_distributions", "plot_segment_sizes"]

_SCORES = ("r_score", "f_score", "m_score")


def _table(data: RFMResult | pd.DataFrame, needed: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    if isinstance(data, RFMResult):
        table, bins = data.table_, data.bins_
    elif isinstance(data, pd.DataFrame):
        table = data
        present = [c for c in _SCORES if c in table.columns]
        bins = int(table[present].max().max()) if present and len(table) else 5
    else:
        raise ParameterError(
            f"data must be a segkit.RFMResult or its table (DataFrame); got {type(data).__name__}."
        )
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ParameterError(f"The RFM table lacks column(s) {missing}; pass segkit.rfm(...) or its table_.")
    return table, bins


def plot_rfm_heatmap(
    data: RFMResult | pd.DataFrame,
    *,
    x: str = "f_score",
    y: str = "r_score",
    value: str = "monetary",
    agg: str = "mean",
    annot: bool = True,
    cmap: str = "YlGnBu",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a value (mean monetary by default) over two scores, R on the rows and F on the columns.

    Cells without customers stay blank. The best scores are at the top right.

    Parameters
    ----------
    data : RFMResult or DataFrame
        :func:`segkit.rfm` output or its table (or :func:`segkit.rfm_segments` output).
    x, y : str
        Score columns on the horizontal and vertical axes.
    value : str
        Column to aggregate in each cell, e.g. ``"monetary"``, ``"frequency"`` or ``"recency_days"``.
    agg : {"mean", "median", "sum", "count"}
        How to aggregate; ``"count"`` shows the number of customers.
    annot : bool
        Write the values in the cells.
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
    >>> t = pd.DataFrame({"r_score": [1, 2, 2], "f_score": [1, 1, 2], "m_score": [1, 1, 2],
    ...                   "monetary": [10.0, 20.0, 40.0]})
    >>> ax = segkit.plot_rfm_heatmap(t)
    >>> ax.get_title()
    'Mean monetary by r_score and f_score'
    """
    import seaborn as sns

    check_choice("agg", agg, ("mean", "median", "sum", "count"))
    table, bins = _table(data, (x, y, value))
    scores = range(1, bins + 1)
    grid = (
        table.pivot_table(index=y, columns=x, values=value, aggfunc=agg, observed=True)
        .reindex(index=scores[::-1], columns=scores)
        .astype(float)
    )
    ax = _axes(ax)
    fmt = ".0f" if agg == "count" else ",.0f"
    sns.heatmap(
        grid, annot=annot, fmt=fmt, cmap=cmap, linewidths=0.5, cbar_kws={"label": f"{agg} {value}"}, ax=ax
    )
    ax.set_title(f"{agg.capitalize()} {value} by {y} and {x}")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    return ax


def plot_segment_sizes(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    palette: Any = None,
) -> Axes:
    """Horizontal bars: each segment's share of customers next to its share of revenue.

    Parameters
    ----------
    data : DataFrame
        :func:`segkit.rfm_segments` output (one row per customer) or :func:`segkit.segment_summary`
        output (``customers_share`` and ``revenue_share`` columns).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    palette : optional
        Seaborn palette for the two bars.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> summary = pd.DataFrame({"customers_share": [0.2, 0.8], "revenue_share": [0.6, 0.4]},
    ...                        index=pd.Index(["Champions", "Lost"], name="segment"))
    >>> ax = segkit.plot_segment_sizes(summary)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Champions', 'Lost']
    """
    import seaborn as sns

    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data must be a segment table or a segment summary; got {type(data).__name__}.")
    summary = data if {"customers_share", "revenue_share"} <= set(data.columns) else segment_summary(data)
    if "revenue_share" not in summary.columns:
        raise ParameterError("The segment table has no revenue or monetary column to compute revenue shares.")
    long = (
        summary[["customers_share", "revenue_share"]]
        .rename(columns={"customers_share": "customers", "revenue_share": "revenue"})
        .rename_axis("segment")
        .reset_index()
        .melt(id_vars="segment", var_name="share of", value_name="share")
    )
    long["share"] = long["share"].fillna(0.0) * 100
    ax = _axes(ax, (9, max(3.0, 0.45 * len(summary) + 1)))
    sns.barplot(data=long, y="segment", x="share", hue="share of", orient="h", palette=palette, ax=ax)
    ax.set_xlabel("share, %")
    ax.set_ylabel("")
    ax.set_title("Segments: share of customers vs share of revenue")
    return ax


def plot_score_distributions(
    data: RFMResult | pd.DataFrame,
    *,
    ax: Axes | None = None,
    palette: Any = None,
) -> Axes:
    """Number of customers per score, side by side for R, F and M.

    Empty scores show as gaps (zero bars), which is how heavy ties look.

    Parameters
    ----------
    data : RFMResult or DataFrame
        :func:`segkit.rfm` output or its table.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    palette : optional
        Seaborn palette for the three dimensions.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> t = pd.DataFrame({"r_score": [1, 2, 2], "f_score": [1, 1, 1], "m_score": [1, 2, 2]})
    >>> ax = segkit.plot_score_distributions(t)
    >>> ax.get_xlabel()
    'score'
    """
    import seaborn as sns

    table, bins = _table(data, _SCORES)
    scores = np.arange(1, bins + 1)
    counts = pd.DataFrame(
        {
            name: table[col].value_counts().reindex(scores, fill_value=0).to_numpy()
            for name, col in zip(("R", "F", "M"), _SCORES, strict=True)
        },
        index=pd.Index(scores, name="score"),
    )
    long = counts.reset_index().melt(id_vars="score", var_name="dimension", value_name="customers")
    ax = _axes(ax)
    sns.barplot(data=long, x="score", y="customers", hue="dimension", palette=palette, ax=ax)
    ax.set_xlabel("score")
    ax.set_ylabel("customers")
    ax.set_title("Customers per score")
    return ax


def plot_migration(
    migration: SegmentMigration,
    *,
    normalize: bool = True,
    cmap: str = "Blues",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of the transition matrix: rows are segments before, columns segments after.

    Parameters
    ----------
    migration : SegmentMigration
        The result of :func:`segkit.segment_migration`.
    normalize : bool
        Show row shares in % (where each segment's customers went) instead of counts.
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
    >>> m = segkit.segment_migration(pd.Series({"a": "New", "b": "Lost"}), pd.Series({"a": "Lost", "c": "New"}))
    >>> segkit.plot_migration(m).get_ylabel()
    'segment before'
    """
    import seaborn as sns

    if not isinstance(migration, SegmentMigration):
        raise ParameterError(
            f"migration must be the result of segkit.segment_migration(...); got {type(migration).__name__}."
        )
    grid = migration.shares_ * 100 if normalize else migration.counts_
    ax = _axes(ax, (10, max(4.0, 0.45 * len(grid) + 1.5)))
    label = "share of the row, %" if normalize else "customers"
    sns.heatmap(
        grid.astype(float), annot=True, fmt=".0f", cmap=cmap, linewidths=0.5, cbar_kws={"label": label}, ax=ax
    )
    ax.set_xlabel("segment after")
    ax.set_ylabel("segment before")
    ax.set_title("Segment migration" + (" (row shares, %)" if normalize else " (customers)"))
    return ax
