"""The report runner and the helpers report notebooks use."""

from .._lazy import attach
from ._exports import export_csv, export_customer_lists, export_workbook
from ._format import (
    HtmlBlock,
    column_label,
    downloads_html,
    findings_html,
    format_table,
    key_figures_html,
    list_title,
    notice_html,
    page_description,
    page_title,
    pages_html,
    parameters_html,
    persona_cards,
    persona_descriptions,
    report_title,
    segment_cards,
    show_table,
    warnings_html,
)
from ._manifest import compare_manifests, data_fingerprint, previous_manifest, run_manifest
from ._narrative import check_narrative, select_language
from ._notebook import load_report_data, sample_path, save_report_table, setup_notebook
from ._sections import section, skipped_sections
from ._staging import ReportBusyError, ReportExistsError
from ._summary import save_summary_figures

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
    "save_summary_figures",
    "setup_notebook",
]

# Imported on first use: the configuration model needs pydantic, which a notebook never does (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_config": ["ReportConfig", "load_report_config"],
        "_runner": ["NotebookRun", "ReportResult", "run_report"],
    },
)
__all__ += ["check_narrative", "select_language"]
__all__ += ["compare_manifests", "data_fingerprint", "previous_manifest", "run_manifest"]
# Readable tables, cards, index parts and exports in the reader's language.
__all__ += [
    "HtmlBlock",
    "column_label",
    "downloads_html",
    "export_csv",
    "export_customer_lists",
    "export_workbook",
    "findings_html",
    "format_table",
    "key_figures_html",
    "list_title",
    "notice_html",
    "page_description",
    "page_title",
    "pages_html",
    "parameters_html",
    "persona_cards",
    "persona_descriptions",
    "report_title",
    "segment_cards",
    "show_table",
    "warnings_html",
]
