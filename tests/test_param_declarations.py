"""Parameter ranges declared once: infinity and out-of-range values are refused, naming the parameter."""

from __future__ import annotations

import pandas as pd
import pytest

import segkit
from segkit._validation import Interval, check_param


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_an_open_interval_still_refuses_infinity_and_nan(value):
    with pytest.raises(segkit.ParameterError, match="penalizer"):
        check_param("penalizer", value, [Interval(float, 0, None)])


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return segkit.btyd_summary(segkit.load_report_data())


def test_models_refuse_an_infinite_penalizer_before_fitting(summary):
    with pytest.raises(segkit.ParameterError, match=r"penalizer must .*; got inf"):
        segkit.BetaGeoModel(penalizer=float("inf")).fit(summary)


def test_customer_value_refuses_an_infinite_discount_rate(summary):
    bg = segkit.BetaGeoModel().fit(summary)
    gg = segkit.GammaGammaModel().fit(summary)
    with pytest.raises(segkit.ParameterError, match="discount_rate"):
        segkit.customer_value(bg, gg, summary, discount_rate=float("inf"))
