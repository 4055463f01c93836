"""Reading transactions: the data contract (parsing, policies, the data-quality report)."""

from ._contract import CANONICAL_COLUMNS, QualityReport, Transactions, read_transactions

__all__ = ["CANONICAL_COLUMNS", "QualityReport", "Transactions", "read_transactions"]
