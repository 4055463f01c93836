"""Customer lifetime value: the BTYD summary, BG/NBD and Gamma-Gamma models, CLV, validation and joins."""

from ._joins import StatusReconciliation, clv_by_group, join_segments, reconcile_status
from ._models import BetaGeoModel, FitError, GammaGammaModel, ParetoNBDModel, SpendDependenceWarning
from ._plots import (
    plot_cumulative_tracking,
    plot_frequency_recency_matrix,
    plot_holdout_by_frequency,
    plot_p_alive_calibration,
)
from ._simulate import simulate_summary
from ._summary import btyd_summary
from ._validation import HoldoutValidation, cumulative_tracking, holdout_validation
from ._value import customer_value

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
