"""Holdout checks of a BG/NBD fit: per frequency group, in total, over time, and of P(alive).

Each check puts the model beside a naive baseline, the customer's own past repeat rate (repeat purchases per
time unit in the calibration period, carried into the holdout), so a reader sees whether the model earns its
keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import Interval, validate_params
from ..engine import customer_days
from ._models import BetaGeoModel, check_model

__all__ = ["HoldoutValidation", "cumulative_tracking", "holdout_validation"]

_SPLIT = ("frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout")
_MODEL, _BASELINE = "BG/NBD", "past rate"


def _check_split(split: pd.DataFrame) -> None:
    if not isinstance(split, pd.DataFrame) or any(c not in split.columns for c in _SPLIT):
        raise ParameterError(
            "Holdout checks need a calibration/holdout split: segkit.btyd_summary(tx, calibration_end=..., "
            f"time_scale=...), with columns {', '.join(_SPLIT)}."
        )
    if split.empty:
        raise ParameterError("The calibration/holdout split has no customers; pick a later calibration_end.")


@dataclass(frozen=True)
class HoldoutValidation:
    """Predicted versus actual holdout purchases (the result of :func:`holdout_validation`).

    Attributes
    ----------
    customers : DataFrame
        Per customer: ``frequency_cal``, ``actual`` (holdout purchases), ``model`` (BG/NBD conditional
        expectation), ``baseline`` (past rate x holdout length), ``p_alive`` at the calibration end,
        ``p_purchase`` (model probability of at least one holdout purchase) and ``bought`` (0/1).
    by_frequency : DataFrame
        Per calibration frequency group (the last group is "``max_frequency``+"): customers and the mean
        actual, model and baseline holdout purchases.
    metrics : DataFrame
        One row per predictor (BG/NBD, past rate): per-customer MAE and RMSE, totals and their relative
        error, and the correlation with the actual counts.
    p_alive_calibration : DataFrame
        Customers binned by predicted ``p_purchase`` (equal-width bins): mean predicted probability,
        observed share who bought in the holdout, and the mean P(alive) (an upper bound of the latter).
    duration : float
        The holdout length in model time units.
    """

    customers: pd.DataFrame
    by_frequency: pd.DataFrame
    metrics: pd.DataFrame
    p_alive_calibration: pd.DataFrame
    duration: float

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"HoldoutValidation({len(self.customers):,} customers, holdout {self.duration:.4g} time units; "
            f"total actual {m.loc[_MODEL, 'total_actual']:,.0f}, BG/NBD {m.loc[_MODEL, 'total_predicted']:,.1f}, "
            f"past rate {m.loc[_BASELINE, 'total_predicted']:,.1f}; MAE BG/NBD {m.loc[_MODEL, 'mae']:.3f} vs "
            f"past rate {m.loc[_BASELINE, 'mae']:.3f})"
        )


@validate_params(max_frequency=[Interval(int, 1, None)], n_bins=[Interval(int, 2, None)])
def holdout_validation(
    model: BetaGeoModel, split: pd.DataFrame, *, max_frequency: int = 7, n_bins: int = 10
) -> HoldoutValidation:
    """Compare a BG/NBD fit on the calibration period with what happened in the holdout.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on ``split`` (it uses the ``_cal`` columns).
    split : DataFrame
        ``segkit.btyd_summary(..., calibration_end=...)``.
    max_frequency : int
        Calibration frequencies above this form one group (Fader, Hardie & Lee use 7+).
    n_bins : int
        Equal-width bins of the predicted purchase probability for the calibration table.

    Returns
    -------
    HoldoutValidation

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> tx, _ = make_transactions(400, seed=1)
    >>> split = segkit.btyd_summary(tx, time_scale=7, calibration_end="2024-06-30")
    >>> check = segkit.holdout_validation(segkit.BetaGeoModel().fit(split), split)
    >>> check.metrics.index.tolist()
    ['BG/NBD', 'past rate']
    >>> int(check.by_frequency["customers"].sum()) == len(split)
    True
    """
    _check_split(split)
    check_model("model", model, (BetaGeoModel,))
    duration = float(split["duration_holdout"].iloc[0])
    T = split["T_cal"].to_numpy(dtype=float)
    x = split["frequency_cal"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(T > 0, x / T, 0.0)
    per = pd.DataFrame(index=split.index)
    per["frequency_cal"] = x
    per["actual"] = split["frequency_holdout"].to_numpy(dtype=float)
    per["model"] = model.predict_purchases(split, duration).to_numpy()
    per["baseline"] = rate * duration
    per["p_alive"] = model.p_alive(split).to_numpy()
    per["p_purchase"] = model.probability_of_purchase(split, duration).to_numpy()
    per["bought"] = (per["actual"] > 0).astype(int)
    return HoldoutValidation(
        customers=per,
        by_frequency=_by_frequency(per, max_frequency),
        metrics=_metrics(per),
        p_alive_calibration=_calibration(per, n_bins),
        duration=duration,
    )


def _by_frequency(per: pd.DataFrame, max_frequency: int) -> pd.DataFrame:
    group = np.minimum(per["frequency_cal"], max_frequency).astype(int)
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    cat = pd.Categorical.from_codes(group.to_numpy(), categories=labels)
    out = per.groupby(cat, observed=False).agg(
        customers=("actual", "size"),
        actual=("actual", "mean"),
        model=("model", "mean"),
        baseline=("baseline", "mean"),
    )
    out.index.name = "frequency_cal"
    return out


def _metrics(per: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    actual = per["actual"].to_numpy()
    for name, col in ((_MODEL, "model"), (_BASELINE, "baseline")):
        pred = per[col].to_numpy()
        err = pred - actual
        corr = np.corrcoef(pred, actual)[0, 1] if np.ptp(pred) > 0 and np.ptp(actual) > 0 else np.nan
        rows[name] = {
            "mae": float(np.mean(np.abs(err))),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "total_predicted": float(pred.sum()),
            "total_actual": float(actual.sum()),
            "total_error": float(pred.sum() / actual.sum() - 1) if actual.sum() > 0 else np.nan,
            "correlation": float(corr),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "predictor"
    return out


def _calibration(per: pd.DataFrame, n_bins: int) -> pd.DataFrame:
    edges = np.linspace(0, 1, n_bins + 1)
    labels = [f"{lo:.2f}-{hi:.2f}" for lo, hi in zip(edges, edges[1:], strict=False)]
    cat = pd.cut(per["p_purchase"], edges, include_lowest=True, labels=labels)
    out = per.groupby(cat, observed=True).agg(
        customers=("bought", "size"),
        predicted=("p_purchase", "mean"),
        observed=("bought", "mean"),
        p_alive=("p_alive", "mean"),
    )
    out.index = out.index.astype(str)
    out.index.name = "p_purchase"
    return out


def cumulative_tracking(model: BetaGeoModel, data: Any, split: pd.DataFrame) -> pd.DataFrame:
    """Actual and expected cumulative repeat purchases of the split's customers, period by period.

    The expectation sums, over the customers' first-purchase dates, the model's E[X(t)] of a new customer
    (Fader, Hardie & Lee's tracking plot): it uses only the calibration fit and the acquisition dates, so the
    holdout part is a true out-of-sample check of the whole base's purchasing.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on ``split``.
    data : Transactions or DataFrame
        The transactions ``split`` was computed from.
    split : DataFrame
        ``segkit.btyd_summary(data, calibration_end=..., ...)``; its ``attrs`` give the periods and dates.

    Returns
    -------
    DataFrame
        Indexed by ``date`` (the start of each period from the first acquisition to the observation end):
        ``time`` (model time units from the calibration end's period), ``actual`` and ``expected``
        cumulative repeat purchases, ``part`` (``"calibration"`` or ``"holdout"``).
    """
    _check_split(split)
    check_model("model", model, (BetaGeoModel,))
    model._check_time_unit(split)
    attrs = split.attrs
    try:
        cal_end, obs_end, unit, scale = (
            attrs["calibration_end"],
            attrs["observation_end"],
            attrs["period"],
            float(attrs["time_scale"]),
        )
    except KeyError as exc:
        raise ParameterError(
            "split has lost the attrs of segkit.btyd_summary (calibration_end, observation_end, period, "
            "time_scale); pass its output unchanged."
        ) from exc
    width = 7 if unit == "week" else 1
    days = customer_days(data, as_of=obs_end + pd.Timedelta(days=1))
    days = days.assign(customer_id=days["customer_id"].astype(str))
    days = days.loc[days["customer_id"].isin(split.index)]
    start = days["day"] - pd.to_timedelta(days["day"].dt.weekday, unit="D") if width == 7 else days["day"]
    periods = pd.DataFrame({"customer_id": days["customer_id"], "start": start}).drop_duplicates()
    first = periods.groupby("customer_id")["start"].transform("min")
    repeats = periods.loc[periods["start"] > first, "start"]
    births = periods.groupby("customer_id")["start"].min().value_counts()

    def period_of(day: pd.Timestamp) -> pd.Timestamp:
        return day - pd.Timedelta(days=day.weekday()) if width == 7 else day

    grid = pd.date_range(births.index.min(), period_of(obs_end), freq=f"{width}D")
    actual = repeats.value_counts().reindex(grid, fill_value=0).cumsum()
    span = pd.Timedelta(days=width) * scale
    ages = (grid.to_numpy()[None, :] - births.index.to_numpy()[:, None]) / span
    ages = np.asarray(ages, dtype=float)
    expected = births.to_numpy(dtype=float) @ model.expected_purchases_new(np.clip(ages, 0, None))
    out = pd.DataFrame(
        {
            "time": (grid - period_of(cal_end)) / span,
            "actual": actual.to_numpy(dtype=float),
            "expected": expected,
            "part": np.where(grid <= cal_end, "calibration", "holdout"),
        },
        index=pd.Index(grid, name="date"),
    )
    return out
