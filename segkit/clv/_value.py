"""Customer lifetime value over a horizon: expected purchases x expected order value x margin, discounted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import Interval, validate_params
from ._models import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    check_model,
    check_time_unit,
    rfm_arrays,
)

__all__ = ["customer_value"]

#: The most discounting steps a valuation takes (100 years of monthly steps is 1,217): each step is one pass
#: over the customers, so a step of a few minutes over a long horizon would run for hours.
MAX_STEPS = 2_000


_POSITIVE = [Interval(float, 0, None, closed="neither")]


def unit_days(model: BetaGeoModel | ParetoNBDModel, time_unit_days: float | None) -> float:
    """Days per model time unit: given, or learnt from the summary the model was fitted on."""
    if time_unit_days is not None:
        return float(time_unit_days)
    days = getattr(model, "time_unit_days_", None)
    if days is None:
        raise ParameterError(
            "The model was fitted on a summary that does not say its time unit; pass time_unit_days "
            "(7 when recency and T are in weeks, 1 for days)."
        )
    return float(days)


@validate_params(
    horizon_days=_POSITIVE,
    discount_rate=[Interval(float, 0, None)],
    margin=[Interval(float, 0, 1)],
    step_days=_POSITIVE,
    time_unit_days=[None, *_POSITIVE],
)
def customer_value(
    transaction_model: BetaGeoModel | ParetoNBDModel,
    spend_model: GammaGammaModel,
    summary: pd.DataFrame,
    *,
    horizon_days: float = 365,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    step_days: float = 30,
    time_unit_days: float | None = None,
) -> pd.DataFrame:
    """Per-customer P(alive), expected purchases, expected order value and discounted CLV over a horizon.

    Parameters
    ----------
    transaction_model : BetaGeoModel or ParetoNBDModel
        Fitted; predicts purchases and P(alive).
    spend_model : GammaGammaModel
        Fitted; predicts the value of each future purchase.
    summary : DataFrame
        The BTYD summary of the customers to value (:func:`segkit.btyd_summary`); a calibration/holdout split
        is valued from the calibration end.
    horizon_days : float
        How far ahead to count purchases, in days.
    discount_rate : float
        Annual discount rate (0.1 = 10 % a year). Each step's expected revenue is discounted from the end of
        that step: ``/ (1 + discount_rate) ** (days / 365)`` (a kit convention; lifetimes uses a monthly rate).
    margin : float
        The share of revenue that is profit (1.0 values revenue).
    step_days : float
        Length of the discounting steps in days (30: monthly, as in lifetimes); the horizon may hold at most
        2,000 steps.
    time_unit_days : float, optional
        Days per time unit of ``summary``; defaults to what the model learnt from its fit summary. A summary
        whose ``attrs`` (from :func:`segkit.btyd_summary`) say another unit is refused.

    Returns
    -------
    DataFrame
        Indexed like ``summary``: ``frequency``, ``recency``, ``T``, ``monetary_value``, ``p_alive``,
        ``expected_purchases`` (in the horizon), ``expected_order_value``, ``expected_revenue`` (purchases x
        order value, undiscounted) and ``clv`` (discounted, times ``margin``), sorted by ``clv`` (largest first).
        ``attrs`` holds the settings.

    Examples
    --------
    >>> import segkit
    >>> summary = segkit.simulate_summary(2000, params={"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5},
    ...                                   spend_params={"p": 6.0, "q": 4.0, "gamma": 15.0}, seed=0)
    >>> bg, gg = segkit.BetaGeoModel().fit(summary), segkit.GammaGammaModel().fit(summary)
    >>> value = segkit.customer_value(bg, gg, summary, horizon_days=182, time_unit_days=7)
    >>> bool((value["clv"] <= value["expected_revenue"] + 1e-9).all())
    True
    """
    horizon, rate, margin, step = float(horizon_days), float(discount_rate), float(margin), float(step_days)
    check_model("transaction_model", transaction_model, (BetaGeoModel, ParetoNBDModel))
    check_model("spend_model", spend_model, (GammaGammaModel,))
    steps = int(np.ceil(horizon / step))
    if steps > MAX_STEPS:
        raise ParameterError(
            f"horizon_days={horizon_days!r} in steps of step_days={step_days!r} is {steps:,} discounting steps, "
            f"more than {MAX_STEPS:,}: use a shorter horizon or longer steps (30 days: monthly)."
        )
    days = unit_days(transaction_model, time_unit_days)
    check_time_unit(type(transaction_model).__name__, days, summary)

    x, t_x, T = rfm_arrays(summary)
    value = spend_model.expected_order_value(summary).to_numpy()
    ends = np.minimum(np.arange(1, steps + 1) * step, horizon)
    discount = (1 + rate) ** (-ends / 365.0)
    # Step by step, keeping one column: a customers x steps matrix would not fit in memory on a large base.
    previous, discounted = np.zeros_like(x), np.zeros_like(x)
    for end, factor in zip(ends, discount, strict=True):
        cumulative = transaction_model._expected(np.full_like(x, end / days), x, t_x, T)
        discounted += (cumulative - previous) * factor
        previous = cumulative
    out = pd.DataFrame(index=summary.index)
    suffix = "_cal" if "frequency_cal" in summary.columns else ""
    for col in ("frequency", "recency", "T", "monetary_value"):
        out[col] = summary[col + suffix].to_numpy(dtype=float)
    out["p_alive"] = transaction_model._p_alive(x, t_x, T)
    out["expected_purchases"] = previous
    out["expected_order_value"] = value
    out["expected_revenue"] = out["expected_purchases"] * value
    out["clv"] = discounted * value * margin
    out = out.sort_values("clv", ascending=False, kind="stable")
    out.attrs.update(
        horizon_days=horizon, discount_rate=rate, margin=margin, step_days=step, time_unit_days=days
    )
    return out
