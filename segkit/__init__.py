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
    "read_transactions",
    "sample_path",
    "setup_notebook",
]

# Analyses: one block per module, each adding its names to __all__.
# --- abc_xyz (issue 3) ---
# --- rfm (issue 4) ---
# --- personas (issue 5) ---
# --- cohorts_churn (issue 6) ---
from ._status import STATUSES, client_base, customer_status, inactivity_threshold, status_transitions

__all__ += ["STATUSES", "client_base", "customer_status", "inactivity_threshold", "status_transitions"]
# --- report runner ---
from ._report import NotebookRun, ReportExistsError, ReportResult, load_report_config, run_report

__all__ += ["NotebookRun", "ReportExistsError", "ReportResult", "load_report_config", "run_report"]
