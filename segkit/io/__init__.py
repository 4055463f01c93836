"""Reading transactions: the data contract (parsing, policies, the data-quality report)."""

from ._contract import (
    CANONICAL_COLUMNS,
    PLACEHOLDER_CUSTOMERS,
    TOTALS_LABELS,
    DataQualityWarning,
    QualityReport,
    Transactions,
    read_transactions,
)
from ._dates import parse_date_param

__all__ = [
    "CANONICAL_COLUMNS",
    "PLACEHOLDER_CUSTOMERS",
    "TOTALS_LABELS",
    "DataQualityWarning",
    "QualityReport",
    "Transactions",
    "parse_date_param",
    "read_transactions",
]
