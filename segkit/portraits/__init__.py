"""Clustering-based personas and the behaviour features behind them."""

from ._features import BEHAVIOUR_FEATURES, customer_features
from ._personas import Personas, personas
from ._plots import plot_persona_heatmap, plot_persona_k_scores, plot_persona_projection, plot_persona_sizes

__all__ = [
    "BEHAVIOUR_FEATURES",
    "Personas",
    "customer_features",
    "personas",
    "plot_persona_heatmap",
    "plot_persona_k_scores",
    "plot_persona_projection",
    "plot_persona_sizes",
]
