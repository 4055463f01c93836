"""Plots for the CRM half: loyalty radar, CSI/NPS with intervals, the activity x capacity matrix, the base
structure and the renew index.

Every function takes the result to draw first, keyword options after, an optional ``ax`` (a new figure is
created when it is None) and returns the matplotlib Axes, as seaborn does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from .._errors import ParameterError, check_choice
from .._plotting import axes_or_new as _axes
from ..i18n import label as vocabulary_label
from ._loyalty import LoyaltyScores, loyalty_profile
from ._matrix import QUADRANT_STRATEGIES

__all__ = [
    "plot_activity_capacity",
    "plot_base_structure",
    "plot_loyalty_radar",
    "plot_renew_index",
    "plot_satisfaction",
]

_QUADRANT_COLOURS = dict(zip(QUADRANT_STRATEGIES, sns.color_palette("deep", 4), strict=True))


def plot_loyalty_radar(
    data: LoyaltyScores | pd.DataFrame,
    *,
    by: pd.Series | None = None,
    customer: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Radar chart of the loyalty types: the base's mean profile, one line per group, or one customer.

    Parameters
    ----------
    data : LoyaltyScores or DataFrame
        Scores from :func:`segkit.loyalty_scores`, or a profile table (rows = lines, columns = types).
    by : Series, optional
        Group label per customer id (a static segment, an RFM segment, a persona).
    customer : str, optional
        Draw this customer's scores instead.
    """
    if isinstance(data, LoyaltyScores):
        if customer is not None:
            if customer not in data.scores.index:
                raise ParameterError(f"customer {customer!r} is not in the loyalty scores.")
            profile = data.scores.loc[[customer], data.types].fillna(0.0)
        else:
            profile = loyalty_profile(data, by)
    else:
        profile = data
    types = list(profile.columns)
    if len(types) < 3:
        raise ParameterError(f"A radar needs at least three loyalty types; got {types}.")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.5, 5.5), subplot_kw={"projection": "polar"})
    angles = np.linspace(0, 2 * np.pi, len(types), endpoint=False)
    closed = np.concatenate([angles, angles[:1]])
    for (label, row), colour in zip(profile.iterrows(), sns.color_palette("deep", len(profile)), strict=True):
        values = np.concatenate([row.to_numpy(dtype=float), row.to_numpy(dtype=float)[:1]])
        ax.plot(closed, values, color=colour, label=str(label))
        ax.fill(closed, values, color=colour, alpha=0.1)
    ax.set_xticks(angles)
    ax.set_xticklabels(types)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_title("Loyalty profile (0-100 per type)")
    if len(profile) > 1:
        ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.1), fontsize="small")
    return ax


def plot_satisfaction(table: pd.DataFrame, *, metric: str = "csi", ax: Axes | None = None) -> Axes:
    """CSI or NPS per group with its confidence interval; small samples are drawn hollow.

    The CSI axis is logarithmic with a reference line at 1 (as many detractors as attractors); the NPS
    axis runs from -100 to 100 with a line at 0.
    """
    check_choice("metric", metric, ("csi", "nps"))
    ax = _axes(ax, figsize=(7, 0.5 * len(table) + 1.5))
    y = np.arange(len(table))
    value = table[metric].astype(float).to_numpy()
    low, high = (
        table[f"{metric}_low"].astype(float).to_numpy(),
        table[f"{metric}_high"].astype(float).to_numpy(),
    )
    if metric == "csi":
        finite = np.concatenate([value, low, high])
        finite = finite[np.isfinite(finite) & (finite > 0)]
        cap = float(finite.max() * 2) if finite.size else 10.0
        value, high = np.minimum(value, cap), np.minimum(high, cap)
        low = np.maximum(low, min(float(finite.min()) / 2, 0.1) if finite.size else 0.1)
    small = table["small_sample"].to_numpy(dtype=bool)
    ax.hlines(y, low, high, color="grey")
    ax.scatter(value[~small], y[~small], color="C0", zorder=3, label="enough answers")
    ax.scatter(value[small], y[small], facecolor="white", edgecolor="C0", zorder=3, label="small sample")
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in table.index])
    if metric == "csi":
        ax.set_xscale("log")
        ax.axvline(1, color="C3", linestyle="--", linewidth=1)
        ax.set_xlabel("CSI = share of 8-10 / share of 1-3 (log scale; should be well above 1)")
    else:
        ax.set_xlim(-100, 100)
        ax.axvline(0, color="C3", linestyle="--", linewidth=1)
        ax.set_xlabel("NPS = % promoters (9-10) - % detractors (0-6)")
    ax.set_ylabel(table.index.name or "")
    ax.legend(fontsize="small")
    return ax


def plot_activity_capacity(matrix: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """The activity x capacity matrix: one point per customer (jittered), the boundaries, the quadrants."""
    ax = _axes(ax, figsize=(7, 5))
    rng = np.random.default_rng(0)  # fixed jitter: the same picture on every run
    jitter = rng.uniform(-0.2, 0.2, (len(matrix), 2))
    for quadrant, colour in _QUADRANT_COLOURS.items():
        part = matrix["quadrant"] == quadrant
        ax.scatter(
            matrix.loc[part, "activity"] + jitter[part.to_numpy(), 0],
            matrix.loc[part, "capacity"] + jitter[part.to_numpy(), 1],
            s=14,
            color=colour,
            label=f"{quadrant}: {QUADRANT_STRATEGIES[quadrant]}",
        )
    a, c = matrix.attrs.get("activity_threshold"), matrix.attrs.get("capacity_threshold")
    if a is not None:
        ax.axvline(a - 0.5, color="grey", linestyle="--", linewidth=1)
    if c is not None:
        ax.axhline(c - 0.5, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("activity: client-initiated requests + orders in the period")
    ax.set_ylabel("capacity: manager's rating (1-5)")
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("Activity x capacity")
    return ax


def plot_base_structure(structure: pd.DataFrame, *, value: str = "entities", ax: Axes | None = None) -> Axes:
    """Stacked bars of a two-level :func:`segkit.base_structure` table (first level = bars)."""
    check_choice("value", value, ("entities", "revenue_12m"))
    if structure.index.nlevels != 2:
        raise ParameterError("plot_base_structure needs base_structure(..., by=(outer, inner)), two levels.")
    table = structure[value].unstack(fill_value=0)
    # The states under the names the tables give them ("active" is a current customer here, not the
    # customer status of the same name), so a plot in any language matches the table beside it.
    if table.columns.name == "state":
        table.columns = pd.Index([vocabulary_label("base_state", c) for c in table.columns], name="state")
    if table.index.name == "state":
        table.index = pd.Index([vocabulary_label("base_state", c) for c in table.index], name="state")
    ax = _axes(ax, figsize=(7, 4))
    table.plot(kind="barh", stacked=True, ax=ax, color=sns.color_palette("deep", table.shape[1]))
    ax.set_xlabel(
        {"entities": "entities (customers and leads)", "revenue_12m": "net revenue, last 12 months"}[value]
    )
    ax.legend(fontsize="small", title=table.columns.name)
    return ax


def plot_renew_index(renew: pd.DataFrame, *, top: int = 15, ax: Axes | None = None) -> Axes:
    """The ``top`` refused leads by renew index, their three ratings stacked."""
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ParameterError(f"top must be a positive int; got {top!r}.")
    head = renew.loc[renew["rated"]].head(top).iloc[::-1]
    ax = _axes(ax, figsize=(7, 0.35 * len(head) + 1.5))
    left = np.zeros(len(head))
    labels: Any = head["lead_id"].astype(str)
    for col, colour in zip(
        ("brand_strength", "order_attractiveness", "closeness"), sns.color_palette("deep", 3), strict=True
    ):
        ax.barh(labels, head[col].astype(float), left=left, color=colour, label=col.replace("_", " "))
        left += head[col].astype(float).to_numpy()
    ax.set_xlim(0, 15)
    ax.set_xlabel("renew index (3-15)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return ax
