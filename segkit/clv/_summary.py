"""The buy-till-you-die (BTYD) summary: frequency, recency, T and mean repeat spend per customer.

This is the input of the Pareto/NBD, BG/NBD and Gamma-Gamma models. The definitions are those of
``lifetimes.utils.summary_data_from_transaction_data`` so the table can be fed to lifetimes (or
pymc-marketing) directly: purchases are counted per period (several on one day are one purchase day),
the first period is not a repeat, and times are in periods divided by ``time_scale``.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import DateLike, Interval, Options, check_param, validate_params
from ..engine import Snapshot, period_ordinal, snapshot
from ..io import Transactions, parse_date_param

__all__ = ["btyd_summary"]

_PERIODS = {"day": "day", "D": "day", "week": "week", "W": "week"}
_DAY = pd.Timedelta(days=1)


@validate_params(period=[Options(tuple(_PERIODS))], time_scale=[Interval(float, 0, None, closed="neither")])
def btyd_summary(
    data: Transactions | pd.DataFrame | Snapshot,
    *,
    period: str = "day",
    time_scale: float = 1.0,
    as_of: DateLike | None = None,
    observation_end: DateLike | None = None,
    calibration_end: DateLike | None = None,
) -> pd.DataFrame:
    """Per-customer BTYD statistics, optionally split into a calibration and a holdout period.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions. Returns are left out: the models count purchases.
    period : {"day", "week"} (or lifetimes' ``"D"``, ``"W"``)
        The purchase period. All purchases of a customer in one period collapse into one (lifetimes'
        ``freq``). Weeks start on Monday, like pandas' ``"W"`` periods.
    time_scale : float
        Periods per time unit (lifetimes' ``freq_multiplier``): ``period="day", time_scale=7`` gives
        ``recency`` and ``T`` in weeks while purchases still collapse per day.
    as_of : date-like, optional
        The analysis date, exclusive, as everywhere in segkit; defaults to the day after the last
        transaction. The observation ends on the day before it.
    observation_end : date-like, optional
        The last observed day, inclusive (lifetimes' ``observation_period_end``); the same as
        ``as_of - 1 day``. Give ``as_of`` or ``observation_end``, not both.
    calibration_end : date-like, optional
        The last day of the calibration period, inclusive (lifetimes' ``calibration_period_end``). When
        given, the result is the calibration/holdout split (see Returns).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), all float:

        - ``frequency``: the number of periods with a purchase, minus one (repeat purchases);
        - ``recency``: time from the first to the last purchase period;
        - ``T``: time from the first purchase period to the period of ``observation_end``;
        - ``monetary_value``: mean spend per repeat period (the first period excluded), 0 without
          repeats; this is the Gamma-Gamma model's ``zbar``.

        With ``calibration_end`` the columns are ``frequency_cal``, ``recency_cal``, ``T_cal``,
        ``monetary_value_cal`` (the above up to ``calibration_end``), ``frequency_holdout`` (periods with a
        purchase after it, up to ``observation_end``), ``monetary_value_holdout`` (mean spend per such
        period, 0 without) and ``duration_holdout`` (the holdout length). Only customers who bought by
        ``calibration_end`` are rows, as in lifetimes. ``attrs`` hold ``observation_end``,
        ``calibration_end``, ``period`` and ``time_scale``.

    Notes
    -----
    ``frequency``, ``recency``, ``T`` and ``monetary_value`` equal
    ``lifetimes.utils.summary_data_from_transaction_data(..., monetary_value_col=..., freq=...,
    freq_multiplier=time_scale)`` on the purchase rows. Differences from lifetimes, on purpose:
    ``monetary_value_holdout`` is the mean per holdout *period*, like the calibration value (lifetimes
    averages raw transaction rows there); ``calibration_end`` is a whole day included in the
    calibration (lifetimes compares timestamps, so a purchase at 14:00 on that day would land in its
    holdout); and with weekly periods no purchase after ``observation_end`` is counted (lifetimes keeps
    the rest of the week that contains its observation end).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "a", "b"],
    ...     "order_date": ["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-15", "2024-01-10"],
    ...     "amount": [10.0, 5.0, 20.0, 30.0, 8.0],
    ... })
    >>> segkit.btyd_summary(df, time_scale=7, observation_end="2024-01-29").round(2)
                 frequency  recency     T  monetary_value
    customer_id
    a                  2.0      2.0  4.00            25.0
    b                  0.0      0.0  2.71             0.0
    >>> split = segkit.btyd_summary(df, calibration_end="2024-01-10", observation_end="2024-01-29")
    >>> split[["frequency_cal", "T_cal", "frequency_holdout", "duration_holdout"]]
                 frequency_cal  T_cal  frequency_holdout  duration_holdout
    customer_id
    a                      1.0    9.0                1.0              19.0
    b                      0.0    0.0                0.0              19.0
    """
    unit, scale = _PERIODS[period], float(time_scale)
    snap = _resolve_snapshot(data, as_of, observation_end)
    obs_end = snap.as_of - _DAY
    cal_end = None if calibration_end is None else _resolve_calibration_end(snap, calibration_end, obs_end)
    end = obs_end if cal_end is None else cal_end
    rows = snap.customer_frame(_summary_query(snap, unit, end, split=cal_end is not None), dictionary=False)
    holdout_only = int((rows["n_cal"] == 0).sum())
    rows = rows.loc[rows["n_cal"].to_numpy() > 0]
    index = rows.index
    repeats = rows["n_cal"].to_numpy(dtype=float) - 1
    first = rows["first_cal"].to_numpy(dtype=np.int64)
    # Period numbers count days (or Monday weeks), so their differences are the lengths in periods.
    out = pd.DataFrame(index=index)
    out["frequency"] = repeats
    out["recency"] = (rows["last_cal"].to_numpy(dtype=np.int64) - first) / scale
    out["T"] = (period_ordinal(end, unit) - first) / scale
    repeat_spend = pd.to_numeric(rows["repeat_spend"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["monetary_value"] = np.where(repeats > 0, repeat_spend / repeats, 0.0).astype(float)
    if cal_end is None:
        out.attrs.update(observation_end=obs_end, calibration_end=None, period=unit, time_scale=scale)
        return out
    out = out.add_suffix("_cal")
    out["frequency_holdout"] = rows["n_hold"].to_numpy(dtype=float)
    out["monetary_value_holdout"] = (
        pd.to_numeric(rows["hold_mean"], errors="coerce").fillna(0.0).to_numpy(float)
    )
    out["duration_holdout"] = (period_ordinal(obs_end, unit) - period_ordinal(cal_end, unit)) / scale
    out.attrs.update(
        observation_end=obs_end,
        calibration_end=cal_end,
        period=unit,
        time_scale=scale,
        holdout_only_customers=holdout_only,
    )
    return out


#: Backends whose filtered ``argmin`` is a true arg-min (SQLite's bare-column trick ignores the filter).
_ARGMIN_BACKENDS = ("duckdb", "postgres", "pyspark")


def _summary_query(snap: Snapshot, unit: str, cal_end: pd.Timestamp, *, split: bool) -> ir.Table:
    """The whole summary as one engine query over the snapshot's purchase days.

    With ``split``, days are split at ``cal_end`` first and then grouped into periods, so a week straddling
    the calibration end shows on both sides, and the holdout columns ``n_hold`` and ``hold_mean`` are added.
    Without it ``cal_end`` is the observation end: every purchase day of the snapshot lies before its as-of
    date, so the aggregates need no filter. Period numbers are days (or Monday weeks) since the epoch.
    """
    days = snap.purchase_day_totals()
    key = "ckey" if "ckey" in days.columns else "customer_id"
    days = days.mutate(number=period_ordinal(days.day, unit))
    if split:
        days = days.mutate(cal=days.day_number <= period_ordinal(cal_end, "day"))
    side = [key, "cal", "number"] if split else [key, "number"]
    if unit == "day":
        # The purchase days already are the periods: one row per customer and day.
        periods = days.select(*side, spend=days.revenue)
    else:
        periods = days.group_by(side).aggregate(spend=days.revenue.sum())
    cal = periods.cal if split else None
    if snap.backend_name in _ARGMIN_BACKENDS:
        # The first period's spend, found in the same pass (no window over the customer's periods).
        first_spend = periods.spend.argmin(periods.number, where=cal)
    else:
        first = periods.number.min(where=cal).over(ibis.window(group_by=key))
        periods = periods.mutate(first=first)
        is_first = periods.number == periods.first
        first_spend = periods.spend.sum(where=is_first if cal is None else periods.cal & is_first)
        cal = periods.cal if split else None
    aggregates = {
        "n_cal": periods.count(where=cal),
        "first_cal": periods.number.min(where=cal),
        "last_cal": periods.number.max(where=cal),
        "spend_cal": periods.spend.sum(where=cal),
        "first_spend": first_spend,
    }
    if split:
        hold = ~periods.cal
        aggregates.update(n_hold=periods.count(where=hold), hold_mean=periods.spend.mean(where=hold))
    summary = periods.group_by(key).aggregate(**aggregates)
    # Spends are whole cents, so rounding the difference to cents gives the repeat spend exactly.
    repeat = (summary.spend_cal - summary.first_spend).round(2)
    columns = ["n_cal", "first_cal", "last_cal", *(["n_hold", "hold_mean"] if split else [])]
    return summary.select(key, *columns, repeat_spend=repeat)


def _whole_day(name: str, value: Any) -> pd.Timestamp:
    check_param(name, value, ["date"])
    day = parse_date_param(value, name)  # the rule of every typed date: '01.07.2024' is 1 July
    if day != day.normalize():
        raise ParameterError(f"{name} must be a whole day (it is included); got {value!r}.")
    return day


def _resolve_snapshot(data: Any, as_of: Any, observation_end: Any) -> Snapshot:
    if observation_end is None:
        return snapshot(data, as_of=as_of)
    end = _whole_day("observation_end", observation_end)
    snap = snapshot(data)
    first = snap.first_date
    if end < first.normalize():
        raise ParameterError(
            f"observation_end={end:%Y-%m-%d} is before the first transaction ({first:%Y-%m-%d}); nothing would "
            "be observed. Pick a later date or omit it to observe up to the last transaction."
        )
    at_end = snap.at(end + _DAY)
    if as_of is not None and snap.at(as_of).as_of != at_end.as_of:
        raise ParameterError(
            f"as_of={as_of!r} and observation_end={observation_end!r} disagree (as_of is the day after the "
            "observation end); give only one of them."
        )
    return at_end


def _resolve_calibration_end(snap: Snapshot, calibration_end: Any, obs_end: pd.Timestamp) -> pd.Timestamp:
    cal_end = _whole_day("calibration_end", calibration_end)
    first = snap.first_date.normalize()
    if not first <= cal_end < obs_end:
        raise ParameterError(
            f"calibration_end={cal_end:%Y-%m-%d} must lie from the first transaction day ({first:%Y-%m-%d}) up to "
            f"the day before the observation end ({obs_end:%Y-%m-%d}), so both periods have days in them."
        )
    return cal_end
