"""Plots of fitted personas: feature heatmap, PCA projection, size against revenue, scores per k.

Every function takes a fitted :class:`segkit.Personas` first, draws on ``ax`` (a new figure when None)
and returns the Axes. Persona colours come from one palette indexed by persona number, so a persona has
the same colour in every plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from sklearn.decomposition import PCA

from .._errors import ParameterError, check_choice
from .._plotting import axes_or_new as _axes
from ._features import FEATURE_LABELS
from ._personas import Personas

__all__ = ["plot_persona_heatmap", "plot_persona_k_scores", "plot_persona_projection", "plot_persona_sizes"]


def _fitted(personas: Any) -> Personas:
    if not isinstance(personas, Personas) or not hasattr(personas, "labels_"):
        raise ParameterError(
            f"Expected a fitted segkit.Personas (segkit.personas(tx) or Personas().fit(tx)); got "
            f"{type(personas).__name__}."
        )
    return personas


def _palette(k: int) -> list[Any]:
    return sns.color_palette("tab10" if k <= 10 else "husl", k)


def plot_persona_heatmap(
    personas: Personas,
    *,
    features: Sequence[str] | None = None,
    annotate: str = "index",
    ax: Axes | None = None,
    cmap: str = "RdBu_r",
) -> Axes:
    """Heatmap of standardised feature means by persona (colour), annotated with the index vs the base.

    Parameters
    ----------
    personas : Personas
        A fitted :class:`segkit.Personas`.
    features : list of str, optional
        Numeric features to show; default all numeric features of the feature table.
    annotate : {"index", "z", "none"}
        Cell text: the index against the base (100 = base average), the standardised mean, or nothing.
    ax : matplotlib Axes, optional
    cmap : str
        A diverging colormap; the colour scale is centred on the base (0).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> p = segkit.personas(make_transactions(400, seed=2)[0], k_range=(3, 4), n_resamples=0)
    >>> ax = segkit.plot_persona_heatmap(p)
    >>> len(ax.get_yticklabels()) == p.k_
    True
    """
    p = _fitted(personas)
    check_choice("annotate", annotate, ("index", "z", "none"))
    z = p.zscores_
    cols = list(z.columns) if features is None else list(features)
    unknown = [c for c in cols if c not in z.columns]
    if unknown:
        raise ParameterError(
            f"features: {unknown} are not numeric features of the personas; use {list(z.columns)}."
        )
    data = z[cols].copy()
    data.index = p.names_.to_numpy()
    data.columns = [FEATURE_LABELS.get(c, c) for c in cols]
    if annotate == "index":
        text = p.profiles_[[f"{c}_index" for c in cols]].to_numpy()
        annot: Any = np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.0f}")(text)
        fmt = ""
    elif annotate == "z":
        annot, fmt = True, ".1f"
    else:
        annot, fmt = False, ""
    ax = _axes(ax, (1.3 * len(cols) + 3.5, 0.6 * len(data) + 1.8))
    limit = max(1.0, float(np.nanmax(np.abs(data.to_numpy()))))
    sns.heatmap(
        data,
        ax=ax,
        cmap=cmap,
        center=0,
        vmin=-limit,
        vmax=limit,
        annot=annot,
        fmt=fmt,
        linewidths=0.5,
        cbar_kws={"label": "standardised mean (0 = base)"},
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", labelrotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    title = "Persona profiles: colour = standardised mean"
    ax.set_title(title + (", numbers = index vs base (100)" if annotate == "index" else ""))
    return ax


def plot_persona_projection(
    personas: Personas,
    *,
    sample_size: int = 3000,
    ax: Axes | None = None,
    alpha: float = 0.5,
) -> Axes:
    """2-D PCA projection of the prepared features, one colour per persona, centres marked.

    Parameters
    ----------
    personas : Personas
        A fitted :class:`segkit.Personas`.
    sample_size : int
        Customers drawn (with the personas' ``random_state``) to keep the scatter readable.
    ax : matplotlib Axes, optional
    alpha : float
        Point transparency.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> p = segkit.personas(make_transactions(400, seed=2)[0], k_range=(3, 4), n_resamples=0)
    >>> ax = segkit.plot_persona_projection(p)
    >>> ax.get_xlabel().startswith("PC1")
    True
    """
    p = _fitted(personas)
    if not isinstance(sample_size, int) or sample_size < 10:
        raise ParameterError(f"sample_size must be an int >= 10; got {sample_size!r}.")
    prepare = p.pipeline_.named_steps["prepare"]
    Z = prepare.transform(p.features_[p.feature_names_])
    rng = np.random.default_rng(p.random_state)
    rows = (
        np.arange(len(Z))
        if len(Z) <= sample_size
        else np.sort(rng.choice(len(Z), sample_size, replace=False))
    )
    n_comp = min(2, Z.shape[1])
    pca = PCA(n_components=n_comp, random_state=p.random_state).fit(Z[rows])
    xy = pca.transform(Z[rows])
    centres = pca.transform(p.pipeline_.named_steps["cluster"].cluster_centers_)
    if n_comp == 1:  # a single feature: spread along one axis
        xy = np.column_stack([xy[:, 0], np.zeros(len(xy))])
        centres = np.column_stack([centres[:, 0], np.zeros(len(centres))])
    ax = _axes(ax, (9, 6))
    colours = _palette(p.k_)
    labels = p.labels_.to_numpy()[rows]
    for persona, name in p.names_.items():
        mask = labels == persona
        ax.scatter(xy[mask, 0], xy[mask, 1], s=8, alpha=alpha, color=colours[persona], label=name)
        ax.scatter(
            *centres[persona], s=180, marker="X", color=colours[persona], edgecolor="black", linewidth=1
        )
    ratios = list(pca.explained_variance_ratio_) + [0.0]
    ax.set_xlabel(f"PC1 ({ratios[0]:.0%} of variance)")
    ax.set_ylabel(f"PC2 ({ratios[1]:.0%} of variance)")
    ax.set_title("Personas in two dimensions (PCA of the prepared features; X = persona centre)")
    ax.legend(loc="best", fontsize="small", markerscale=2, frameon=True)
    return ax


def plot_persona_sizes(personas: Personas, *, ax: Axes | None = None) -> Axes:
    """Bars of each persona's share of customers next to its share of revenue.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> p = segkit.personas(make_transactions(400, seed=2)[0], k_range=(3, 4), n_resamples=0)
    >>> ax = segkit.plot_persona_sizes(p)
    >>> len(ax.patches) >= 2 * p.k_
    True
    """
    p = _fitted(personas)
    prof = p.profiles_
    columns = {"share_customers": "share of customers"}
    if "share_revenue" in prof.columns and prof["share_revenue"].notna().all():
        columns["share_revenue"] = "share of revenue"
    long = (
        prof[list(columns)]
        .rename(columns=columns)
        .assign(persona=p.names_.to_numpy())
        .melt(id_vars="persona", var_name="measure", value_name="share")
    )
    ax = _axes(ax, (9, 0.55 * p.k_ + 2))
    sns.barplot(
        data=long,
        y="persona",
        x="share",
        hue="measure",
        ax=ax,
        palette=["#9ecae1", "#08519c"][: len(columns)],
    )
    for container in ax.containers:
        ax.bar_label(
            container, labels=[f"{v:.0%}" for v in container.datavalues], padding=2, fontsize="small"
        )
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlim(0, float(long["share"].max()) * 1.18)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("Persona size against revenue")
    ax.legend(title="", loc="lower right")
    return ax


def plot_persona_k_scores(personas: Personas, *, ax: Axes | None = None) -> Axes:
    """Silhouette (higher is better) and Davies-Bouldin (lower is better) per k, the chosen k marked.

    Returns
    -------
    matplotlib Axes
        The silhouette axes; Davies-Bouldin is drawn on a twin axis.

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> p = segkit.personas(make_transactions(400, seed=2)[0], k_range=(3, 5), n_resamples=0)
    >>> ax = segkit.plot_persona_k_scores(p)
    >>> ax.get_xlabel()
    'number of personas k'
    """
    p = _fitted(personas)
    scores: pd.DataFrame = p.k_scores_
    ax = _axes(ax, (8, 4))
    ks = scores.index.to_numpy()
    ax.plot(ks, scores["silhouette"], marker="o", color="#08519c", label="silhouette (higher = better)")
    twin = ax.twinx()
    twin.plot(
        ks, scores["davies_bouldin"], marker="s", color="#d94801", label="Davies-Bouldin (lower = better)"
    )
    twin.grid(False)
    ax.axvline(p.k_, color="grey", linestyle="--", linewidth=1)
    ax.set_xticks(ks)
    ax.set_xlabel("number of personas k")
    ax.set_ylabel("silhouette")
    twin.set_ylabel("Davies-Bouldin")
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_title(f"Choosing k: chosen k = {p.k_}")
    return ax
