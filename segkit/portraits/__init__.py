"""Clustering-based personas and the behaviour features behind them."""

from .._lazy import attach
from ._features import BEHAVIOUR_FEATURES, customer_features

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

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_personas": ["Personas", "personas"],
        "_plots": [
            "plot_persona_heatmap",
            "plot_persona_k_scores",
            "plot_persona_projection",
            "plot_persona_sizes",
        ],
    },
)
