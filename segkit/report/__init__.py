"""The report runner and the helpers report notebooks use."""

from ._config import ReportConfig, load_report_config
from ._notebook import load_report_data, sample_path, save_report_table, setup_notebook
from ._runner import NotebookRun, ReportResult, run_report
from ._sections import section, skipped_sections
from ._staging import ReportBusyError, ReportExistsError

__all__ = [
    "section",
    "skipped_sections",
    "NotebookRun",
    "ReportBusyError",
    "ReportConfig",
    "ReportExistsError",
    "ReportResult",
    "load_report_config",
    "load_report_data",
    "run_report",
    "sample_path",
    "save_report_table",
    "setup_notebook",
]
