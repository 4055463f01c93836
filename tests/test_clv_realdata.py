"""CDNOW: the published BG/NBD and Gamma-Gamma results of Fader, Hardie & Lee (2005), and lifetimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit

pytestmark = pytest.mark.realdata

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", and "RFM and CLV".
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_LL = -9582.4
ONE = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})


@pytest.fixture(scope="module")
def cdnow(cdnow_sample_tx):
    tx = cdnow_sample_tx
    return tx, segkit.btyd_summary(tx, period="day", time_scale=7, calibration_end="1997-09-30")


@pytest.fixture(scope="module")
def fader_hardie(cdnow_summary_path) -> pd.DataFrame:
    ref = pd.read_csv(cdnow_summary_path, dtype={"ID": str}).set_index("ID")
    return ref.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def assert_published(bg: segkit.BetaGeoModel, gg: segkit.GammaGammaModel) -> None:
    for name, value in PUBLISHED_BG.items():
        assert bg.params_[name] == pytest.approx(value, rel=0.01), name
    for name, value in PUBLISHED_GG.items():
        assert gg.params_[name] == pytest.approx(value, rel=0.01), name
    assert bg.log_likelihood_ == pytest.approx(PUBLISHED_LL, abs=0.1)
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    assert round(bg.predict_purchases(ONE, 39)[0], 3) == 1.226


def test_published_results_from_the_transactions(cdnow):
    _, split = cdnow
    bg = segkit.BetaGeoModel().fit(split)
    gg = segkit.GammaGammaModel().fit(split)
    assert bg.n_customers_ == 2357 and gg.n_customers_ == 946
    assert bg.time_unit_days_ == 7.0
    assert_published(bg, gg)


def test_published_results_from_fader_hardies_own_input(fader_hardie):
    bg = segkit.BetaGeoModel().fit(fader_hardie)
    gg = segkit.GammaGammaModel().fit(fader_hardie)
    assert_published(bg, gg)
    # Spend and frequency are nearly independent in CDNOW (the paper reports r = 0.11): no warning.
    assert gg.frequency_spend_correlation_ == pytest.approx(0.11, abs=0.01)


def test_holdout_by_frequency(cdnow, fader_hardie):
    _, split = cdnow
    check = segkit.holdout_validation(segkit.BetaGeoModel().fit(split), split)
    groups = fader_hardie["frequency"].clip(upper=7).value_counts().sort_index()
    assert check.by_frequency["customers"].tolist() == groups.tolist()
    assert check.metrics.loc["BG/NBD", "total_actual"] == 1882
    # Close for the one-time buyers and the heaviest group, too low in between (the paper's figure 4 shape).
    table = check.by_frequency
    assert table.loc["0", "model"] == pytest.approx(table.loc["0", "actual"], rel=0.1)
    assert table.loc["7+", "model"] == pytest.approx(table.loc["7+", "actual"], rel=0.1)
    # The model beats the customer's own past rate, which overshoots heavily.
    assert check.metrics.loc["BG/NBD", "mae"] < check.metrics.loc["past rate", "mae"]
    assert check.metrics.loc["past rate", "total_error"] > 0.4


def test_tracking_totals(cdnow):
    tx, split = cdnow
    track = segkit.cumulative_tracking(segkit.BetaGeoModel().fit(split), tx, split)
    assert track["actual"].iloc[-1] == split["frequency_cal"].sum() + split["frequency_holdout"].sum() == 4339
    week_78 = track["expected"].iloc[-1]
    assert 4100 < week_78 < 4200  # the paper's figure shows the model a little under the actual 4,339


def test_equals_lifetimes(fader_hardie):
    lifetimes = pytest.importorskip("lifetimes")
    theirs = lifetimes.BetaGeoFitter().fit(
        fader_hardie["frequency"], fader_hardie["recency"], fader_hardie["T"]
    )
    ours = segkit.BetaGeoModel().fit(fader_hardie)
    np.testing.assert_allclose(ours.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(
        ours.standard_errors_.to_numpy(), theirs.standard_errors_.to_numpy(), rtol=1e-3
    )
    f, r, T = (fader_hardie[c] for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        ours.predict_purchases(fader_hardie, 39),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
        rtol=1e-4,
    )
    np.testing.assert_allclose(
        ours.p_alive(fader_hardie), theirs.conditional_probability_alive(f, r, T), rtol=1e-4
    )
    repeat = fader_hardie.loc[f > 0]
    gg_theirs = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    gg = segkit.GammaGammaModel().fit(fader_hardie)
    np.testing.assert_allclose(gg.params_.to_numpy(), gg_theirs.params_.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(
        gg.expected_order_value(repeat),
        gg_theirs.conditional_expected_average_profit(repeat["frequency"], repeat["monetary_value"]),
        rtol=1e-4,
    )


def test_pareto_nbd_published_and_lifetimes(fader_hardie):
    # Fader & Hardie (2005), "A note on implementing the Pareto/NBD model in MATLAB": r = 0.55, alpha = 10.58,
    # s = 0.61, beta = 11.67, log-likelihood -9,595.0 on the same 2,357 customers.
    model = segkit.ParetoNBDModel().fit(fader_hardie)
    published = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    for name, value in published.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)
    assert (model.standard_errors_ > 0).all()
    lifetimes = pytest.importorskip("lifetimes")
    theirs = lifetimes.ParetoNBDFitter().fit(
        fader_hardie["frequency"], fader_hardie["recency"], fader_hardie["T"]
    )
    # beta is weakly identified (standard error about 6): both optimisers stop within 1e-3 of each other.
    np.testing.assert_allclose(model.params_.to_numpy(), theirs.params_.to_numpy(), rtol=1e-3)
    f, r, T = (fader_hardie[c] for c in ("frequency", "recency", "T"))
    np.testing.assert_allclose(
        model.predict_purchases(fader_hardie, 39),
        theirs.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
        rtol=1e-3,
    )
    np.testing.assert_allclose(
        model.p_alive(fader_hardie), theirs.conditional_probability_alive(f, r, T), atol=1e-3
    )
