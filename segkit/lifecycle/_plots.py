"""Plots for cohorts and churn: retention heatmap and curves, churn rate over time, survival, calibration.

Every function takes the result to draw first, keyword options after, an optional ``ax`` (a new figure is
created when it is None) and returns the matplotlib Axes, as seaborn does.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from .._errors import ParameterError, check_choice
from .._plotting import axes_or_new as _axes
from ._churn import ChurnEvaluation
from ._cohorts import CohortResult, cohorts
from ._status import period_label
from ._survival import SurvivalResult

__all__ = [
    "plot_calibration",
    "plot_churn_rate",
    "plot_retention_curves",
    "plot_retention_heatmap",
    "plot_survival",
]

_SHARE_KINDS = ("retention", "unbounded_retention", "revenue_relative")
_TITLES = {
    "active": "Active customers",
    "retention": "Retention (bought in period k)",
    "unbounded_retention": "Unbounded retention (bought in period k or later)",
    "revenue": "Net revenue",
    "revenue_relative": "Revenue relative to period 0",
    "ltv": "Cumulative revenue per acquired customer (LTV)",
}


def _as_cohorts(data: Any, period: str) -> CohortResult:
    return data if isinstance(data, CohortResult) else cohorts(data, period=period)


def plot_retention_heatmap(
    data: Any,
    *,
    kind: str = "retention",
    period: str = "month",
    max_cohorts: int | None = 24,
    annot: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a cohort matrix: cohorts down, periods since acquisition across.

    Unobserved cells stay blank; hatched cells belong to the period the as-of date cuts short.

    Parameters
    ----------
    data : CohortResult, Transactions or DataFrame
        A :func:`segkit.cohorts` result, or transactions to compute one from (with ``period``).
    kind : {"retention", "unbounded_retention", "revenue_relative", "active", "revenue", "ltv"}
        Which matrix to draw.
    period : str
        Used only when ``data`` is transactions.
    max_cohorts : int or None, default 24
        Draw the latest cohorts only (None = all).
    annot : bool
        Write the values into the cells.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-05", "2024-02-02", "2024-02-10"], "amount": 10.0})
    >>> ax = segkit.plot_retention_heatmap(segkit.cohorts(df))
    >>> ax.get_ylabel()
    'cohort'
    """
    check_choice("kind", kind, tuple(_TITLES))
    res = _as_cohorts(data, period)
    matrix = res.matrix(kind)
    mature = res.mature_
    if max_cohorts is not None:
        matrix, mature = matrix.iloc[-max_cohorts:], mature.iloc[-max_cohorts:]
    matrix = matrix.loc[:, matrix.notna().any()]
    ax = _axes(ax, (min(2 + 0.45 * matrix.shape[1], 12), min(1.5 + 0.3 * len(matrix), 8)))
    share = kind in _SHARE_KINDS
    fmt = ".0%" if share else (".0f" if kind in ("active", "ltv") else ",.0f")
    cells: Any = annot and matrix.shape[1] <= 30
    if cells and share and matrix.shape[1] > 15:
        # Narrow cells: percentages without the sign ("36" for 36 %); the colour bar shows the unit.
        cells, fmt = (matrix * 100).to_numpy(), ".0f"
    sns.heatmap(
        matrix.set_axis(period_label(matrix.index, res.period)),
        annot=cells,
        fmt=fmt,
        cmap="YlGnBu",
        vmin=0,
        vmax=1 if kind == "retention" else None,
        linewidths=0.5,
        cbar_kws={"format": PercentFormatter(1.0, decimals=0)} if share else None,
        annot_kws={"fontsize": 7 if matrix.shape[1] > 15 else 8},
        ax=ax,
    )
    partial = matrix.notna().to_numpy() & ~mature.loc[:, matrix.columns].to_numpy()
    for i, j in zip(*np.nonzero(partial), strict=True):
        ax.add_patch(Rectangle((j, i), 1, 1, fill=False, hatch="///", edgecolor="grey", linewidth=0))
    ax.grid(False)  # the notebook theme's grid would cut through the cells
    ax.set_xlabel(f"{res.period}s since the first purchase")
    ax.set_ylabel("cohort")
    note = " (hatched: period cut short by the as-of date)" if partial.any() else ""
    ax.set_title(f"{_TITLES[kind]} by {res.period}ly cohort{note}")
    return ax


def plot_retention_curves(
    data: Any,
    *,
    kind: str = "retention",
    period: str = "month",
    max_cohorts: int | None = 12,
    average: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """One line per cohort across periods since acquisition, plus the size-weighted average curve.

    Parameters
    ----------
    data : CohortResult, Transactions or DataFrame
        A :func:`segkit.cohorts` result, or transactions to compute one from (with ``period``).
    kind : {"retention", "unbounded_retention", "revenue_relative", "ltv"}
        Which matrix to draw.
    max_cohorts : int or None, default 12
        Draw the latest cohorts only (None = all).
    average : bool
        Add the average curve (mature cells only, weighted by cohort size) as a thick black line.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-05", "2024-02-02", "2024-02-10"], "amount": 10.0})
    >>> ax = segkit.plot_retention_curves(segkit.cohorts(df, as_of="2024-04-01"))
    >>> [line.get_label() for line in ax.get_lines()]
    ['2024-01', '2024-02', 'average']
    """
    check_choice("kind", kind, ("retention", "unbounded_retention", "revenue_relative", "ltv"))
    res = _as_cohorts(data, period)
    matrix = res.matrix(kind)
    if max_cohorts is not None:
        matrix = matrix.iloc[-max_cohorts:]
    ax = _axes(ax)
    colours = sns.color_palette("crest", n_colors=max(len(matrix), 1))
    labels = period_label(matrix.index, res.period)
    for colour, label, (_, row) in zip(colours, labels, matrix.iterrows(), strict=True):
        row = row.dropna()
        ax.plot(row.index, row.to_numpy(), marker="o", markersize=3, linewidth=1.2, color=colour, label=label)
    if average and kind in res.average_curve_:
        curve = res.average_curve_[kind]
        ax.plot(curve.index, curve.to_numpy(), color="black", linewidth=3, label="average")
    if kind != "ltv":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(f"{res.period}s since the first purchase")
    ax.set_ylabel(_TITLES[kind])
    ax.set_title(f"{_TITLES[kind]} by {res.period}ly cohort")
    ax.legend(fontsize=8, ncol=2 if len(matrix) > 6 else 1, loc="best")
    return ax


def plot_churn_rate(rates: pd.DataFrame, *, annualised: bool = False, ax: Axes | None = None) -> Axes:
    """Churn rate per period (one line per segment when the table has one).

    Parameters
    ----------
    rates : DataFrame
        The table returned by :func:`segkit.churn_rate`.
    annualised : bool
        Draw the annualised rate instead of the per-period one.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-05", "2024-03-02", "2024-02-10"], "amount": 10.0})
    >>> ax = segkit.plot_churn_rate(segkit.churn_rate(df, inactivity_days=20, as_of="2024-06-01"))
    >>> ax.get_ylabel()
    'churn rate per month'
    """
    if "churn_rate" not in rates or "period" not in rates:
        raise ParameterError("rates must be the table returned by segkit.churn_rate.")
    column = "annualised_churn_rate" if annualised else "churn_rate"
    seg = rates.attrs.get("segment_column")
    ax = _axes(ax)
    sns.lineplot(data=rates, x="period", y=column, hue=seg, marker="o", ax=ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=9))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    period = rates.attrs.get("period", "period")
    ax.set_ylabel("annualised churn rate" if annualised else f"churn rate per {period}")
    ax.set_xlabel(f"{period} (start)")
    threshold = rates.attrs.get("inactivity_days")
    ax.set_title(f"Churn rate over time (churned = no purchase for more than {threshold} days)")
    ax.set_ylim(bottom=0)
    return ax


def plot_survival(result: SurvivalResult, *, ci: bool = True, ax: Axes | None = None) -> Axes:
    """Kaplan-Meier curves: share of customers not yet churned by days since their first purchase.

    Parameters
    ----------
    result : SurvivalResult
        From :func:`segkit.survival_curves`.
    ci : bool
        Shade the 95 % confidence band.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                    "order_date": ["2024-01-01", "2024-01-21", "2024-03-01", "2024-06-10"],
    ...                    "amount": 10.0})
    >>> res = segkit.survival_curves(df, inactivity_days=30, as_of="2024-07-01", min_customers=1)
    >>> segkit.plot_survival(res).get_xlabel()
    'days since the first purchase'
    """
    if not isinstance(result, SurvivalResult):
        raise ParameterError("result must be what segkit.survival_curves returns.")
    ax = _axes(ax)
    colours = sns.color_palette(n_colors=len(result.summary_))
    for colour, (name, curve) in zip(colours, result.curves_.groupby("group", sort=True), strict=True):
        label = f"{name} (n={result.summary_.loc[name, 'customers']:,})"
        ax.step(curve["days"], curve["survival"], where="post", color=colour, label=label)
        if ci:
            ax.fill_between(
                curve["days"], curve["ci_lower"], curve["ci_upper"], step="post", color=colour, alpha=0.15
            )
    ax.axvline(result.inactivity_days + 1, color="grey", linestyle=":", linewidth=1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("days since the first purchase")
    ax.set_ylabel("share not yet churned")
    ax.set_title(
        f"Time to churn (churned = no purchase for more than {result.inactivity_days} days; "
        "dotted: earliest possible churn)"
    )
    ax.legend(fontsize=8)
    return ax


def plot_calibration(evaluation: ChurnEvaluation, *, ax: Axes | None = None) -> Axes:
    """Calibration plot: predicted churn probability against the observed churn share, per risk group.

    Points on the diagonal mean the probabilities can be read as shares; the out-of-time base rate
    (a season with more or fewer purchases) shifts all points together.

    Parameters
    ----------
    evaluation : ChurnEvaluation
        From :meth:`segkit.ChurnModel.evaluate`.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> table = pd.DataFrame({"ranking": ["churn model"] * 2, "risk_group": [1, 2], "customers": [10, 10],
    ...                       "mean_predicted": [0.6, 0.2], "observed_churn_share": [0.5, 0.1]})
    >>> ev = segkit.ChurnEvaluation(pd.Timestamp("2024-10-01"), 90, pd.DataFrame(), table, pd.DataFrame())
    >>> segkit.plot_calibration(ev).get_xlabel()
    'predicted churn probability (mean of the risk group)'
    """
    if not isinstance(evaluation, ChurnEvaluation):
        raise ParameterError("evaluation must be what ChurnModel.evaluate returns.")
    ax = _axes(ax, (5.5, 5))
    table = evaluation.calibration
    sns.lineplot(
        data=table, x="mean_predicted", y="observed_churn_share", hue="ranking", marker="o", sort=True, ax=ax
    )
    top = float(np.nanmax(table[["mean_predicted", "observed_churn_share"]].to_numpy())) * 1.05 or 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("predicted churn probability (mean of the risk group)")
    ax.set_ylabel("observed churn share")
    ax.set_title(
        f"Calibration out of time (cut-off {evaluation.cutoff.date()}, {evaluation.horizon_days} days)"
    )
    ax.legend(fontsize=8)
    return ax
