"""Helpers shared by the CRM analyses: the as-of date, the analysis period, grouping labels."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._errors import ParameterError
from ..engine import analysis_window
from ._tables import CRM, CRM_TABLES, MissingTableError


def crm_as_of(crm: CRM, as_of: Any = None) -> pd.Timestamp:
    """The analysis date: the given one, else the day after the last transaction, else after the last CRM date.

    Never "today": the same tables always give the same report.
    """
    if as_of is not None:
        try:
            ts = pd.Timestamp(as_of)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"as_of must be a date such as '2025-01-01'; got {as_of!r}.") from exc
        if pd.isna(ts) or ts != ts.normalize():
            raise ParameterError(f"as_of must be a whole day such as '2025-01-01'; got {as_of!r}.")
        return ts
    if crm.has("transactions"):
        return crm.transactions.default_as_of
    last = [
        crm[name][col].max()
        for name in crm.names
        for col, kind, _ in CRM_TABLES[name]
        if kind == "date" and col in crm[name] and crm[name][col].notna().any()
    ]
    if not last:
        raise MissingTableError("No dated CRM table and no transactions: pass as_of= explicitly.")
    return max(last).normalize() + pd.Timedelta(days=1)


def period(crm: CRM, as_of: Any, start: Any, window_months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of the analysis: the report's analysis window unless ``start`` is given.

    Without ``start`` this is :func:`segkit.analysis_window`: ``window_months`` complete months before the
    as-of date (``0``: all history), the same window every report notebook uses.
    """
    if start is None:
        window = analysis_window(crm_as_of(crm, as_of), window_months)
        # All history: the earliest representable day stands for "no lower bound".
        return (window.start if window.start is not None else pd.Timestamp("1900-01-01")), window.end
    end = crm_as_of(crm, as_of)
    begin = pd.Timestamp(start)
    if begin >= end:
        raise ParameterError(f"start must be before the as-of date {end.date()}; got {start!r}.")
    return begin.normalize(), end


def in_period(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Mask of ``start <= date < end``."""
    return (dates >= start) & (dates < end)


def group_labels(crm: CRM, by: Any, index: pd.Index) -> pd.Series:
    """Labels for ``index`` from a customers-table column name or a Series keyed by customer id."""
    if isinstance(by, pd.Series):
        return by.reindex(index).astype("object").fillna("(none)")
    if isinstance(by, str):
        (customers,) = crm.require("customers", analysis=f"grouping by {by!r}")
        if by not in customers.columns:
            raise ParameterError(
                f"by={by!r} is not a column of the customers table; it has {', '.join(customers.columns)}."
            )
        return customers.set_index("customer_id")[by].reindex(index).astype("object").fillna("(none)")
    raise ParameterError(
        f"by must be a customers column name or a Series of labels; got {type(by).__name__}."
    )
