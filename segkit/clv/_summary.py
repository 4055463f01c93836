"""The buy-till-you-die (BTYD) summary: frequency, recency, T and mean repeat spend per customer.

This is the input of the Pareto/NBD, BG/NBD and Gamma-Gamma models. The definitions are those of
``lifetimes.utils.summary_data_from_transaction_data`` so the table can be fed to lifetimes (or
pymc-marketing) directly: purchases are counted per period (several on one day are one purchase day),
the first period is not a repeat, and times are in periods divided by ``time_scale``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine._aggregates import as_of_date, customer_days
from ..io._contract import Transactions, as_transactions

__all__ = ["btyd_summary"]

_PERIODS = {"day": "day", "D": "day", "week": "week", "W": "week"}
_DAY = pd.Timedelta(days=1)


def btyd_summary(
    data: Transactions | pd.DataFrame,
    *,
    period: str = "day",
    time_scale: float = 1.0,
    as_of: Any = None,
    observation_end: Any = None,
    calibration_end: Any = None,
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
    unit = _check_period(period)
    scale = _check_scale(time_scale)
    tx = as_transactions(data)
    as_of = _resolve_as_of(tx, as_of, observation_end)
    obs_end = as_of - _DAY
    days = customer_days(tx, as_of=as_of)
    periods = _periods(days, unit)

    if calibration_end is None:
        out = _summary(periods, _start(obs_end, unit), unit, scale)
        out.attrs.update(observation_end=obs_end, calibration_end=None, period=unit, time_scale=scale)
        return out

    cal_end = _resolve_calibration_end(tx, calibration_end, obs_end)
    # Split on days, then group into periods: a week straddling the calibration end shows on both sides.
    cal_days, hold_days = days.loc[days["day"] <= cal_end], days.loc[days["day"] > cal_end]
    cal = _summary(_periods(cal_days, unit), _start(cal_end, unit), unit, scale).add_suffix("_cal")
    hold = _periods(hold_days, unit)
    hold_freq = hold["customer_id"].value_counts()
    hold_mean = hold.groupby("customer_id")["revenue"].mean()
    out = cal
    out["frequency_holdout"] = hold_freq.reindex(out.index).fillna(0).astype(float).to_numpy()
    out["monetary_value_holdout"] = hold_mean.reindex(out.index).fillna(0.0).astype(float).to_numpy()
    out["duration_holdout"] = _length(_start(cal_end, unit), _start(obs_end, unit), unit, scale)
    out.attrs.update(
        observation_end=obs_end,
        calibration_end=cal_end,
        period=unit,
        time_scale=scale,
        holdout_only_customers=int(len(set(hold["customer_id"]) - set(out.index))),
    )
    return out


def _check_period(period: str) -> str:
    check_choice("period", period, tuple(_PERIODS))
    return _PERIODS[period]


def _check_scale(time_scale: Any) -> float:
    ok = isinstance(time_scale, int | float | np.integer | np.floating) and not isinstance(time_scale, bool)
    if not ok or not np.isfinite(time_scale) or time_scale <= 0:
        raise ParameterError(
            f"time_scale must be a positive number of periods per time unit (7 turns days into weeks); got {time_scale!r}."
        )
    return float(time_scale)


def _resolve_as_of(tx: Transactions, as_of: Any, observation_end: Any) -> pd.Timestamp:
    if observation_end is None:
        return as_of_date(tx, as_of)
    try:
        end = pd.Timestamp(observation_end)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"observation_end must be a date such as '1997-09-30'; got {observation_end!r}."
        ) from exc
    if end != end.normalize():
        raise ParameterError(
            f"observation_end must be a whole day (it is included); got {observation_end!r}."
        )
    first = tx.data["order_date"].min()
    if end < first.normalize():
        raise ParameterError(
            f"observation_end={end:%Y-%m-%d} is before the first transaction ({first:%Y-%m-%d}); nothing would "
            "be observed. Pick a later date or omit it to observe up to the last transaction."
        )
    from_end = as_of_date(tx, end + _DAY)
    if as_of is not None and as_of_date(tx, as_of) != from_end:
        raise ParameterError(
            f"as_of={as_of!r} and observation_end={observation_end!r} disagree (as_of is the day after the "
            "observation end); give only one of them."
        )
    return from_end


def _resolve_calibration_end(tx: Transactions, calibration_end: Any, obs_end: pd.Timestamp) -> pd.Timestamp:
    try:
        cal_end = pd.Timestamp(calibration_end)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"calibration_end must be a date such as '1997-09-30'; got {calibration_end!r}."
        ) from exc
    if cal_end != cal_end.normalize():
        raise ParameterError(
            f"calibration_end must be a whole day (it is included); got {calibration_end!r}."
        )
    first = tx.data["order_date"].min().normalize()
    if not first <= cal_end < obs_end:
        raise ParameterError(
            f"calibration_end={cal_end:%Y-%m-%d} must lie from the first transaction day ({first:%Y-%m-%d}) up to "
            f"the day before the observation end ({obs_end:%Y-%m-%d}), so both periods have days in them."
        )
    return cal_end


def _start(day: pd.Timestamp, unit: str) -> pd.Timestamp:
    return day - pd.Timedelta(days=day.weekday()) if unit == "week" else day


def _periods(days: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Per customer and period: the period start and the spend; ``days`` is the engine's per-day frame."""
    frame = days[["customer_id", "day", "revenue"]].rename(columns={"day": "start"})
    if unit == "week":
        frame = frame.assign(start=frame["start"] - pd.to_timedelta(frame["start"].dt.weekday, unit="D"))
        frame = frame.groupby(["customer_id", "start"], as_index=False, sort=True)["revenue"].sum()
    return frame.sort_values(["customer_id", "start"], kind="stable").reset_index(drop=True)


def _length(start: Any, end: Any, unit: str, scale: float) -> Any:
    width = pd.Timedelta(days=7 if unit == "week" else 1)
    return (end - start) / width / scale


def _summary(periods: pd.DataFrame, end_start: pd.Timestamp, unit: str, scale: float) -> pd.DataFrame:
    ids = periods["customer_id"]
    first_row = ~ids.duplicated()
    firsts = periods.loc[first_row].set_index("customer_id")
    lasts = periods.loc[~ids.duplicated(keep="last")].set_index("customer_id")
    count = ids.value_counts().reindex(firsts.index)
    repeat_spend = (
        periods.loc[~first_row].groupby("customer_id")["revenue"].sum().reindex(firsts.index, fill_value=0.0)
    )
    repeats = (count - 1).astype(float)
    out = pd.DataFrame(index=pd.Index(firsts.index.astype("str"), name="customer_id"))
    out["frequency"] = repeats.to_numpy()
    out["recency"] = _length(firsts["start"], lasts["start"], unit, scale).to_numpy(dtype=float)
    out["T"] = _length(firsts["start"], end_start, unit, scale).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(repeats.to_numpy() > 0, repeat_spend.to_numpy() / repeats.to_numpy(), 0.0)
    out["monetary_value"] = mean.astype(float)
    return out
