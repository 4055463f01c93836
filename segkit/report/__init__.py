"""The report runner and the helpers report notebooks use."""

from ._manifest import compare_manifests, data_fingerprint, previous_manifest, run_manifest
from ._notebook import load_report_data, sample_path, setup_notebook
from ._runner import NotebookRun, ReportExistsError, ReportResult, load_report_config, run_report
from ._sections import section, skipped_sections

__all__ = [
    "section",
    "skipped_sections",
    "NotebookRun",
    "ReportExistsError",
    "ReportResult",
    "load_report_config",
    "load_report_data",
    "run_report",
    "sample_path",
    "setup_notebook",
]
__all__ += ["compare_manifests", "data_fingerprint", "previous_manifest", "run_manifest"]
