"""Customer lifetime value: the BTYD summary (frequency, recency, T, monetary value)."""

from ._summary import btyd_summary

__all__ = ["btyd_summary"]
