"""Plots of the CLV models and their holdout checks (seaborn style: data first, keyword-only, return Axes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .._errors import ParameterError
from .._plotting import axes_or_new
from ._models import BetaGeoModel
from ._validation import HoldoutValidation

__all__ = [
    "plot_cumulative_tracking",
    "plot_frequency_recency_matrix",
    "plot_holdout_by_frequency",
    "plot_p_alive_calibration",
]


def plot_frequency_recency_matrix(
    model: BetaGeoModel,
    *,
    kind: str = "expected",
    t: float = 1.0,
    max_frequency: int | None = None,
    T: float | None = None,
    unit: str = "time units",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of expected purchases in the next ``t`` (``kind="expected"``) or of P(alive), by frequency
    (rows, most frequent at the top) and recency (columns), for a customer observed for ``T`` time units.

    ``T`` defaults to the longest customer history fitted; ``max_frequency`` to 30; ``unit`` names the
    model's time unit in the labels ("weeks" for ``btyd_summary(..., time_scale=7)``).
    """
    import seaborn as sns

    grid = model.matrix(kind=kind, t=t, max_frequency=max_frequency, T=T)
    grid = grid.iloc[::-1]
    ax = axes_or_new(ax, figsize=(9, 6))
    label = f"expected purchases in the next {t:.3g} {unit}" if kind == "expected" else "P(alive)"
    sns.heatmap(
        grid,
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=1 if kind == "p_alive" else None,
        cbar_kws={"label": label},
        xticklabels=max(1, len(grid.columns) // 10),
        yticklabels=max(1, len(grid.index) // 10),
    )
    ax.set_xticklabels([f"{float(x.get_text()):g}" for x in ax.get_xticklabels()])
    ax.set_xlabel(f"recency: {unit} from the first to the last purchase")
    ax.set_ylabel("frequency: repeat purchases")
    title = "P(alive)" if kind == "p_alive" else f"Expected purchases in the next {t:.3g} {unit}"
    ax.set_title(f"{title}, customers observed for T = {grid.columns.max():g} {unit}")
    return ax


def plot_holdout_by_frequency(
    validation: HoldoutValidation, *, unit: str = "time units", ax: Axes | None = None
) -> Axes:
    """Mean holdout purchases per calibration frequency group: actual, BG/NBD, and the past-rate baseline;
    ``unit`` names the model's time unit in the labels."""
    _check_validation(validation)
    table = validation.by_frequency.loc[validation.by_frequency["customers"] > 0]
    ax = axes_or_new(ax)
    pos = np.arange(len(table))
    styles = (
        ("actual", "actual", "-o", "black"),
        ("model", "BG/NBD", "--s", "C0"),
        ("baseline", "past rate", ":^", "C3"),
    )
    for col, label, fmt, color in styles:
        ax.plot(pos, table[col].to_numpy(), fmt, color=color, label=label)
    ax.set_xticks(pos, table.index.astype(str))
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel(f"mean purchases in the holdout ({validation.duration:.3g} {unit})")
    ax.set_title("Holdout purchases by calibration frequency")
    ax.legend()
    return ax


def plot_cumulative_tracking(tracking: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Actual and expected cumulative repeat purchases over time (:func:`segkit.cumulative_tracking`), with
    the calibration end marked."""
    if not isinstance(tracking, pd.DataFrame) or not {"actual", "expected", "part"} <= set(tracking.columns):
        raise ParameterError("tracking must be the output of segkit.cumulative_tracking.")
    ax = axes_or_new(ax)
    ax.plot(tracking.index, tracking["actual"], color="black", label="actual")
    ax.plot(tracking.index, tracking["expected"], "--", color="C0", label="BG/NBD")
    holdout = tracking.index[tracking["part"] == "holdout"]
    if len(holdout):
        ax.axvline(holdout[0], color="grey", linestyle=":", label="calibration end")
    ax.set_xlabel("date")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Cumulative repeat purchases: actual versus model")
    ax.legend()
    return ax


def plot_p_alive_calibration(validation: HoldoutValidation, *, ax: Axes | None = None) -> Axes:
    """Predicted probability of a holdout purchase against the observed share who bought, by bin."""
    _check_validation(validation)
    table = validation.p_alive_calibration
    ax = axes_or_new(ax, figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    sizes = 20 + 200 * table["customers"] / table["customers"].max()
    ax.scatter(table["predicted"], table["observed"], s=sizes, color="C0", label="bins (size: customers)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability of a holdout purchase")
    ax.set_ylabel("observed share who bought")
    ax.set_title("Calibration of the purchase probability")
    ax.legend(loc="upper left")
    return ax


def _check_validation(validation: HoldoutValidation) -> None:
    if not isinstance(validation, HoldoutValidation):
        raise ParameterError(
            f"validation must be the output of segkit.holdout_validation; got {type(validation).__name__}."
        )
