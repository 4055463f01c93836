"""Customer value: concentration (Lorenz, Pareto), ABC, XYZ and the ABC-XYZ matrix."""

from .._lazy import attach
from ._abc import (
    ABC_CLASSES,
    D_ACTION,
    METHODOLOGY_THRESHOLDS,
    PARETO_THRESHOLDS,
    ABCResult,
    abc,
    abc_rules,
)
from ._abc_xyz import ABCXYZResult, abc_xyz, default_strategies
from ._concentration import Concentration, as_percent, concentration, pareto_curve
from ._portrait import abc_portrait
from ._xyz import (
    CV_THRESHOLDS,
    DEMAND_PLANNING_THRESHOLDS,
    FREQUENCY_BANDS,
    XYZ_CLASSES,
    XYZResult,
    xyz,
    xyz_window,
)

__all__ = [
    "ABCResult",
    "ABCXYZResult",
    "ABC_CLASSES",
    "CV_THRESHOLDS",
    "DEMAND_PLANNING_THRESHOLDS",
    "FREQUENCY_BANDS",
    "Concentration",
    "XYZResult",
    "XYZ_CLASSES",
    "abc",
    "abc_rules",
    "abc_portrait",
    "D_ACTION",
    "METHODOLOGY_THRESHOLDS",
    "PARETO_THRESHOLDS",
    "abc_xyz",
    "as_percent",
    "concentration",
    "default_strategies",
    "pareto_curve",
    "plot_abc_xyz_heatmap",
    "plot_cv_distribution",
    "plot_pareto",
    "plot_regularity",
    "plot_period_totals",
    "xyz",
    "xyz_window",
]

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_plots": ["plot_abc_xyz_heatmap", "plot_cv_distribution", "plot_pareto", "plot_regularity"],
        "_overview_plots": ["plot_period_totals"],
    },
)
