"""Customer lifetime value: the BTYD summary, BG/NBD and Gamma-Gamma models, CLV, validation and joins."""

from .._lazy import attach
from ._joins import StatusReconciliation, clv_by_group, join_segments, reconcile_status
from ._simulate import simulate_summary
from ._summary import btyd_summary

__all__ = [
    "BetaGeoModel",
    "FitError",
    "GammaGammaModel",
    "HoldoutValidation",
    "ParetoNBDModel",
    "SpendDependenceWarning",
    "StatusReconciliation",
    "btyd_summary",
    "clv_by_group",
    "cumulative_tracking",
    "customer_value",
    "holdout_validation",
    "join_segments",
    "plot_cumulative_tracking",
    "plot_frequency_recency_matrix",
    "plot_holdout_by_frequency",
    "plot_p_alive_calibration",
    "reconcile_status",
    "simulate_summary",
]

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_models": [
            "BetaGeoModel",
            "FitError",
            "GammaGammaModel",
            "ParetoNBDModel",
            "SpendDependenceWarning",
        ],
        "_plots": [
            "plot_cumulative_tracking",
            "plot_frequency_recency_matrix",
            "plot_holdout_by_frequency",
            "plot_p_alive_calibration",
        ],
        "_validation": ["HoldoutValidation", "cumulative_tracking", "holdout_validation"],
        "_value": ["customer_value"],
    },
)
