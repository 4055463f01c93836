"""The engine layer: transactions into per-customer and per-period aggregates.

The aggregates are Ibis expressions, run where the data lives (DuckDB, PostgreSQL, Spark).
"""

from ._aggregates import (
    PERIODS,
    as_of_date,
    customer_days,
    customer_gaps,
    customer_main_value,
    customer_mix,
    customer_period_matrix,
    customer_period_table,
    customer_periods,
    customer_summary,
    customer_window_totals,
    known_customers,
    last_purchase_and_revenue,
    period_start,
    period_totals,
)
from ._snapshot import Snapshot, snapshot
from ._table import calendar, date_range, period_end, period_ordinal
from ._window import AnalysisWindow, analysis_window

__all__ = [
    "PERIODS",
    "AnalysisWindow",
    "Snapshot",
    "analysis_window",
    "as_of_date",
    "calendar",
    "customer_days",
    "customer_gaps",
    "customer_main_value",
    "customer_mix",
    "customer_period_matrix",
    "customer_period_table",
    "customer_periods",
    "customer_summary",
    "customer_window_totals",
    "known_customers",
    "last_purchase_and_revenue",
    "date_range",
    "period_end",
    "period_ordinal",
    "period_start",
    "period_totals",
    "snapshot",
]
