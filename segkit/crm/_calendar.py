"""Banking and working days: the calendar behind the process-loyalty rules.

The methodology counts an invoice as paid on time when it is paid within 3 *banking* days of being sent,
and documents as signed on time within 3 *working* days. In Russia both follow the production calendar
(производственный календарь): Saturdays and Sundays off, public holidays off, and the government's
transfers, which move a day off to a weekday and make a Saturday a working day. The default calendar takes
all three from the ``holidays`` package (``holidays.Russia``: public holidays, "Day off (substituted
from ...)" transfers and ``weekend_workdays``).

Kit convention: banking days and working days use the same calendar unless a different one is given
(the Bank of Russia works by the production calendar).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError

__all__ = ["BusinessCalendar", "business_days_between", "russian_calendar"]


@dataclass(frozen=True)
class BusinessCalendar:
    """A calendar of business days: weekdays not in ``days_off``, plus the ``extra_workdays``.

    Parameters
    ----------
    days_off : iterable of dates
        Non-working weekdays (public holidays and transferred days off).
    extra_workdays : iterable of dates
        Weekend days that are working days (transferred working Saturdays).
    weekend : tuple of int
        Weekday numbers of the weekend (Monday = 0).
    name : str
        Shown in reports.

    Examples
    --------
    >>> from segkit.crm import BusinessCalendar
    >>> cal = BusinessCalendar(days_off=["2024-05-09"], name="test")
    >>> cal.is_business_day(["2024-05-08", "2024-05-09", "2024-05-11"]).tolist()
    [True, False, False]
    """

    days_off: Iterable[Any] = ()
    extra_workdays: Iterable[Any] = ()
    weekend: tuple[int, ...] = (5, 6)
    name: str = "custom"
    _off: frozenset = field(init=False, repr=False, compare=False)
    _extra: frozenset = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_off", frozenset(_days(self.days_off, "days_off")))
        object.__setattr__(self, "_extra", frozenset(_days(self.extra_workdays, "extra_workdays")))

    def is_business_day(self, dates: Any) -> np.ndarray:
        """Boolean array: is each date a business day?"""
        days = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).dt.normalize())
        weekday = ~np.isin(days.dayofweek, self.weekend)
        off = np.isin(days.to_numpy(), np.array(sorted(self._off), dtype="datetime64[ns]"))
        extra = np.isin(days.to_numpy(), np.array(sorted(self._extra), dtype="datetime64[ns]"))
        return (weekday & ~off) | extra

    def business_days(self, first: Any, last: Any) -> pd.DatetimeIndex:
        """The business days from ``first`` to ``last`` (both inclusive)."""
        days = pd.date_range(pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize(), freq="D")
        return days[self.is_business_day(days)]


def russian_calendar(years: Iterable[int] | None = None) -> BusinessCalendar:
    """The Russian production calendar for ``years`` (default 2015-2030), from the ``holidays`` package.

    Examples
    --------
    >>> from segkit.crm import russian_calendar
    >>> cal = russian_calendar([2024])
    >>> # 9-10 May 2024: Victory Day and a transferred day off; 27 April 2024: a working Saturday.
    >>> cal.is_business_day(["2024-05-08", "2024-05-09", "2024-05-10", "2024-04-27"]).tolist()
    [True, False, False, True]
    """
    import holidays

    years = list(years) if years is not None else list(range(2015, 2031))
    ru = holidays.Russia(years=years)
    # Older releases of ``holidays`` also list as weekend workdays the weekend holidays whose day off was
    # moved (6-7 January 2024); a public holiday is never a working day.
    extra = set(getattr(ru, "weekend_workdays", set())) - set(ru.keys())
    return BusinessCalendar(days_off=list(ru.keys()), extra_workdays=sorted(extra), name="Russia (holidays)")


def business_days_between(start: Any, end: Any, calendar: BusinessCalendar | None = None) -> np.ndarray:
    """Business days after ``start`` up to and including ``end`` (NaN where either date is missing).

    Day 0 is the day of sending; the first business day *after* it is day 1. So "paid within 3 banking
    days" means ``business_days_between(sent, paid) <= 3``. An invoice sent on a Saturday is counted from
    the next business day, and a payment on a non-business day counts as the last business day before it
    (kit convention).

    Examples
    --------
    >>> import segkit
    >>> cal = segkit.russian_calendar([2024])
    >>> # Sent Wed 8 May 2024; 9-10 May are holidays and 11-12 May the weekend, so Wed 15 May is day 3.
    >>> segkit.business_days_between(["2024-05-08", "2024-05-08"], ["2024-05-15", "2024-05-16"], cal).tolist()
    [3.0, 4.0]
    """
    start_s = pd.to_datetime(pd.Series(start)).dt.normalize().reset_index(drop=True)
    end_s = pd.to_datetime(pd.Series(end)).dt.normalize().reset_index(drop=True)
    if len(start_s) != len(end_s):
        raise ParameterError(f"start and end must have the same length; got {len(start_s)} and {len(end_s)}.")
    out = np.full(len(start_s), np.nan)
    ok = (start_s.notna() & end_s.notna()).to_numpy()
    if not ok.any():
        return out
    calendar = calendar if calendar is not None else _default_for(start_s[ok], end_s[ok])
    lo = min(start_s[ok].min(), end_s[ok].min())
    hi = max(start_s[ok].max(), end_s[ok].max())
    grid = calendar.business_days(lo, hi).to_numpy()
    # Number of business days <= each date; the difference counts the days in (start, end].
    a = np.searchsorted(grid, start_s[ok].to_numpy(dtype="datetime64[ns]"), side="right")
    b = np.searchsorted(grid, end_s[ok].to_numpy(dtype="datetime64[ns]"), side="right")
    out[ok] = b - a
    return out


def _default_for(*series: pd.Series) -> BusinessCalendar:
    years = sorted({int(y) for s in series for y in s.dt.year.unique()})
    return russian_calendar(range(years[0], years[-1] + 1))


def _days(values: Iterable[Any], name: str) -> list[np.datetime64]:
    try:
        stamps = pd.to_datetime(pd.Series(list(values), dtype=object))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be dates such as '2024-05-09'; {exc}") from exc
    return [np.datetime64(ts.normalize(), "ns") for ts in stamps]
