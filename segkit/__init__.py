"""segkit: analyse a customer base by segments, from notebooks or as a scheduled report.

The implementation lives in private modules, one per concept; everything public is re-exported here.
"""

from ._contract import CANONICAL_COLUMNS, QualityReport, Transactions, read_transactions
from ._engine import (
    PERIODS,
    as_of_date,
    customer_days,
    customer_periods,
    customer_summary,
    period_start,
    period_totals,
)
from ._errors import DataContractError, ParameterError, SegkitError
from ._notebook import load_report_data, sample_path, setup_notebook
from ._overview_plots import plot_period_totals

__version__ = "0.1.0"

__all__ = [
    "CANONICAL_COLUMNS",
    "PERIODS",
    "DataContractError",
    "ParameterError",
    "QualityReport",
    "SegkitError",
    "Transactions",
    "as_of_date",
    "customer_days",
    "customer_periods",
    "customer_summary",
    "load_report_data",
    "period_start",
    "period_totals",
    "plot_period_totals",
    "read_transactions",
    "sample_path",
    "setup_notebook",
]

# Analyses: one block per module, each adding its names to __all__.
# --- abc_xyz (issue 3) ---
from ._abc import ABC_CLASSES, ABCResult, abc
from ._abc_plots import plot_abc_xyz_heatmap, plot_cv_distribution, plot_pareto
from ._abc_xyz import ABCXYZResult, abc_xyz, default_strategies
from ._concentration import Concentration, as_percent, concentration, pareto_curve
from ._xyz import XYZ_CLASSES, XYZResult, xyz, xyz_window

__all__ += ["ABC_CLASSES", "ABCResult", "ABCXYZResult", "Concentration", "XYZ_CLASSES", "XYZResult", "abc"]
__all__ += ["abc_xyz", "as_percent", "concentration", "default_strategies", "pareto_curve"]
__all__ += ["plot_abc_xyz_heatmap", "plot_cv_distribution", "plot_pareto", "xyz", "xyz_window"]
# --- rfm (issue 4) ---
from ._btyd import btyd_summary
from ._migration import (
    MigrationBaseline,
    SegmentMigration,
    migration_baseline,
    previous_segments,
    save_segments,
    segment_migration,
)
from ._rfm import RFMResult, rfm
from ._rfm_plots import plot_migration, plot_rfm_heatmap, plot_score_distributions, plot_segment_sizes
from ._segments import SegmentScheme, default_scheme, rfm_segments, segment_summary, validate_scheme

__all__ += [
    "MigrationBaseline",
    "RFMResult",
    "SegmentMigration",
    "SegmentScheme",
    "btyd_summary",
    "default_scheme",
    "migration_baseline",
    "plot_migration",
    "plot_rfm_heatmap",
    "plot_score_distributions",
    "plot_segment_sizes",
    "previous_segments",
    "rfm",
    "rfm_segments",
    "save_segments",
    "segment_migration",
    "segment_summary",
    "validate_scheme",
]
# --- personas (issue 5) ---
from ._features import BEHAVIOUR_FEATURES, customer_features
from ._persona_plots import (
    plot_persona_heatmap,
    plot_persona_k_scores,
    plot_persona_projection,
    plot_persona_sizes,
)
from ._personas import Personas, personas

__all__ += [
    "BEHAVIOUR_FEATURES",
    "Personas",
    "customer_features",
    "personas",
    "plot_persona_heatmap",
    "plot_persona_k_scores",
    "plot_persona_projection",
    "plot_persona_sizes",
]
# --- cohorts_churn (issue 6) ---
from ._churn import ChurnEvaluation, ChurnModel, churn_features, churn_labels, churn_rate, churn_summary
from ._cohort_plots import (
    plot_calibration,
    plot_churn_rate,
    plot_retention_curves,
    plot_retention_heatmap,
    plot_survival,
)
from ._cohorts import CohortResult, cohorts
from ._status import STATUSES, client_base, customer_status, inactivity_threshold, status_transitions
from ._survival import SurvivalResult, churn_durations, survival_curves

__all__ += ["STATUSES", "ChurnEvaluation", "ChurnModel", "CohortResult", "SurvivalResult", "churn_durations"]
__all__ += ["churn_features", "churn_labels", "churn_rate", "churn_summary", "client_base", "cohorts"]
__all__ += ["customer_status", "inactivity_threshold", "plot_calibration", "plot_churn_rate"]
__all__ += ["plot_retention_curves", "plot_retention_heatmap", "plot_survival", "status_transitions"]
__all__ += ["survival_curves"]
# --- report runner ---
from ._report import NotebookRun, ReportExistsError, ReportResult, load_report_config, run_report

__all__ += ["NotebookRun", "ReportExistsError", "ReportResult", "load_report_config", "run_report"]
