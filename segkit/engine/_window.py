"""The report's one analysis window: the complete months before the as-of date that every page uses."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._errors import ParameterError

__all__ = ["AnalysisWindow", "analysis_window"]


class AnalysisWindow(NamedTuple):
    """``[start, end)``: the analysed days; ``start`` is None for all history before ``end``."""

    start: pd.Timestamp | None
    end: pd.Timestamp
    months: int

    @property
    def label(self) -> str:
        """The window in words, for headings: ``"12 complete months, 2024-01-01 to 2024-12-31"``."""
        if self.start is None:
            return f"all history before {self.end.date()}"
        last = (self.end - pd.Timedelta(days=1)).date()
        unit = "month" if self.months == 1 else "months"
        return f"{self.months} complete {unit}, {self.start.date()} to {last}"


def analysis_window(as_of: Any, window_months: int = 12) -> AnalysisWindow:
    """The analysis window of a report: ``window_months`` complete months before ``as_of``.

    A month that ``as_of`` cuts short is not complete and is left out, so the window ends at the start
    of the month containing ``as_of`` (unless ``as_of`` is itself the first of a month). Every notebook of
    a report uses this one window, so a customer's class is the same on every page.

    Parameters
    ----------
    as_of : date-like
        The analysis date (exclusive), e.g. from :func:`segkit.as_of_date`.
    window_months : int
        Complete months in the window (12). ``0`` means all history before ``as_of`` (``start`` is None
        and ``end`` is ``as_of`` itself).

    Returns
    -------
    AnalysisWindow
        A named tuple ``(start, end, months)`` with a ``label`` for headings.

    Examples
    --------
    >>> import segkit
    >>> w = segkit.analysis_window("2025-01-01", 12)
    >>> w.start.date(), w.end.date(), w.label
    (datetime.date(2024, 1, 1), datetime.date(2025, 1, 1), '12 complete months, 2024-01-01 to 2024-12-31')
    >>> segkit.analysis_window("2024-07-15", 3).label
    '3 complete months, 2024-04-01 to 2024-06-30'
    >>> segkit.analysis_window("2024-07-15", 0).label
    'all history before 2024-07-15'
    """
    if (
        isinstance(window_months, bool)
        or not isinstance(window_months, int | np.integer)
        or window_months < 0
    ):
        raise ParameterError(
            f"window_months must be a whole number of months >= 0 (12 is usual, 0 = all history); "
            f"got {window_months!r}."
        )
    try:
        as_of = pd.Timestamp(as_of).normalize()
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"as_of must be a date such as '2024-12-31'; got {as_of!r}.") from exc
    if pd.isna(as_of):
        raise ParameterError("as_of is missing; resolve it first with segkit.as_of_date(data, as_of).")
    months = int(window_months)
    if months == 0:
        return AnalysisWindow(None, as_of, 0)
    end = as_of.replace(day=1)
    start = end - pd.DateOffset(months=months)
    return AnalysisWindow(pd.Timestamp(start), end, months)
