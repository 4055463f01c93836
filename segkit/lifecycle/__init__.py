"""The customer lifecycle: cohorts, status, churn, survival and churn risk."""

from .._lazy import attach
from ._churn import ChurnEvaluation, ChurnModel, churn_features, churn_labels, churn_rate, churn_summary
from ._cohorts import CohortResult, cohorts
from ._status import STATUSES, client_base, customer_status, inactivity_threshold, status_transitions
from ._survival import SurvivalResult, churn_durations, survival_curves

__all__ = [
    "ChurnEvaluation",
    "ChurnModel",
    "CohortResult",
    "STATUSES",
    "SurvivalResult",
    "churn_durations",
    "churn_features",
    "churn_labels",
    "churn_rate",
    "churn_summary",
    "client_base",
    "cohorts",
    "customer_status",
    "inactivity_threshold",
    "plot_calibration",
    "plot_churn_rate",
    "plot_retention_curves",
    "plot_retention_heatmap",
    "plot_survival",
    "status_transitions",
    "survival_curves",
]

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_plots": [
            "plot_calibration",
            "plot_churn_rate",
            "plot_retention_curves",
            "plot_retention_heatmap",
            "plot_survival",
        ],
    },
)
