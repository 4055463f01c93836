"""The engine layer: transactions into per-customer and per-period aggregates, as Ibis expressions run on DuckDB."""

from ._aggregates import (
    PERIODS,
    as_of_date,
    customer_days,
    customer_periods,
    customer_summary,
    period_start,
    period_totals,
)

__all__ = [
    "PERIODS",
    "as_of_date",
    "customer_days",
    "customer_periods",
    "customer_summary",
    "period_start",
    "period_totals",
]
from ._window import AnalysisWindow, analysis_window

__all__ += ["AnalysisWindow", "analysis_window"]
