"""Helpers shared by the CRM analyses: the as-of date, the analysis period, grouping labels."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._errors import ParameterError
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
    """``[start, end)`` of the analysis: ``end`` is the as-of date, ``start`` defaults to ``window_months`` before."""
    end = crm_as_of(crm, as_of)
    if start is None:
        if not isinstance(window_months, int) or isinstance(window_months, bool) or window_months < 1:
            raise ParameterError(f"window_months must be a positive int; got {window_months!r}.")
        return end - pd.DateOffset(months=window_months), end
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
