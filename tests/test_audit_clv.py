"""CLV models on inputs a careless or adversarial caller gives: clear errors, never silently wrong numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.datasets import make_transactions

BG = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
GG = {"p": 6.0, "q": 4.0, "gamma": 15.0}


@pytest.fixture(scope="module")
def tx():
    return make_transactions(300, seed=1)[0]


@pytest.fixture(scope="module")
def weekly(tx):
    summary = segkit.btyd_summary(tx, time_scale=7)
    return summary, segkit.BetaGeoModel().fit(summary), segkit.GammaGammaModel().fit(summary)


@pytest.fixture(scope="module")
def simulated():
    summary = segkit.simulate_summary(2000, params=BG, spend_params=GG, seed=0)
    return summary, segkit.BetaGeoModel().fit(summary), segkit.GammaGammaModel().fit(summary)


def test_a_daily_summary_is_refused_by_a_weekly_model(tx, weekly):
    # Read as weeks, recency and T in days would make every customer look seven times older.
    summary, bg, gg = weekly
    daily = segkit.btyd_summary(tx)
    for call in (
        lambda: segkit.customer_value(bg, gg, daily),
        lambda: bg.p_alive(daily),
        lambda: bg.predict_purchases(daily, 10),
        lambda: bg.probability_of_purchase(daily, 10),
    ):
        with pytest.raises(
            segkit.ParameterError, match=r"time unit is 1 day.*fitted on 7-day units.*time_scale=7"
        ):
            call()
    with pytest.raises(segkit.ParameterError, match="time unit"):
        segkit.customer_value(bg, gg, summary, time_unit_days=1)
    assert segkit.customer_value(bg, gg, summary)["clv"].gt(0).all()


def test_holdout_checks_refuse_a_split_in_another_unit(tx):
    weekly = segkit.btyd_summary(tx, time_scale=7, calibration_end="2024-06-30")
    daily = segkit.btyd_summary(tx, calibration_end="2024-06-30")
    model = segkit.BetaGeoModel().fit(weekly)
    with pytest.raises(segkit.ParameterError, match="time unit"):
        segkit.holdout_validation(model, daily)
    with pytest.raises(segkit.ParameterError, match="time unit"):
        segkit.cumulative_tracking(model, tx, daily)


def test_pareto_nbd_checks_the_unit_too(tx, weekly):
    summary, _, _ = weekly
    model = segkit.ParetoNBDModel().fit(summary)
    with pytest.raises(segkit.ParameterError, match="time unit"):
        model.p_alive(segkit.btyd_summary(tx))


def test_models_in_the_wrong_places_are_named(simulated):
    summary, bg, gg = simulated
    with pytest.raises(
        segkit.ParameterError, match="transaction_model must be a fitted BetaGeoModel or ParetoNBDModel"
    ):
        segkit.customer_value(gg, bg, summary, time_unit_days=7)
    with pytest.raises(
        segkit.ParameterError, match="spend_model must be a fitted GammaGammaModel; got BetaGeoModel"
    ):
        segkit.customer_value(bg, bg, summary, time_unit_days=7)
    split = summary.rename(columns=lambda c: c + "_cal").assign(frequency_holdout=0.0, duration_holdout=10.0)
    pareto = segkit.ParetoNBDModel().fit(summary)
    for model in (gg, pareto):
        with pytest.raises(segkit.ParameterError, match="model must be a fitted BetaGeoModel"):
            segkit.holdout_validation(model, split)


def test_a_long_horizon_in_tiny_steps_is_refused_before_any_work(simulated):
    # A customers x steps matrix of this size once took all the machine's memory.
    summary, bg, gg = simulated
    with pytest.raises(segkit.ParameterError, match=r"365,000 discounting steps, more than 2,000"):
        segkit.customer_value(bg, gg, summary, step_days=0.001, time_unit_days=7)
    with pytest.raises(segkit.ParameterError, match="discounting steps"):
        segkit.customer_value(bg, gg, summary, horizon_days=1e9, time_unit_days=7)


def test_values_unchanged_by_the_step_loop(simulated):
    summary, bg, gg = simulated
    value = segkit.customer_value(bg, gg, summary, horizon_days=365, discount_rate=0.1, time_unit_days=7)
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    ends = np.minimum(np.arange(1, 14) * 30.0, 365)
    cumulative = np.column_stack([bg._expected(np.full_like(x, e / 7), x, t_x, T) for e in ends])
    clv = np.diff(cumulative, axis=1, prepend=0.0) @ (1.1 ** (-ends / 365))
    clv = pd.Series(clv * gg.expected_order_value(summary).to_numpy(), index=summary.index)
    np.testing.assert_allclose(value["clv"], clv.loc[value.index], rtol=1e-12)
    np.testing.assert_allclose(
        value["expected_purchases"], cumulative[:, -1][summary.index.get_indexer(value.index)]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_frequency": -1}, "max_frequency must be None or a whole number >= 0"),
        ({"max_frequency": "5"}, "max_frequency"),
        ({"T": 0}, "T must be None or a number > 0"),
        ({"T": float("nan")}, "T must be"),
        ({"max_recency": -3.0}, "max_recency must be"),
        ({"max_frequency": 100_000}, "more than 1,000,000 cells"),
        ({"T": 1e9}, "more than 1,000,000 cells"),
    ],
)
def test_matrix_parameters(simulated, kwargs, message):
    _, bg, _ = simulated
    with pytest.raises(segkit.ParameterError, match=message):
        bg.matrix(**kwargs)


def test_one_customer_says_what_is_missing():
    one = pd.DataFrame({"frequency": [3.0], "recency": [20.0], "T": [30.0]}, index=pd.Index(["a"]))
    with pytest.raises(segkit.FitError, match="needs at least 2 customers to fit: 1 customer"):
        segkit.BetaGeoModel().fit(one)
    none = pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [5.0, 9.0]})
    with pytest.raises(segkit.FitError, match="needs customers with repeat purchases to fit: 2 customer"):
        segkit.ParetoNBDModel().fit(none)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": {**BG, "r": -0.25}}, r"params\['r'\] must be a positive finite number; got -0.25"),
        ({"params": {**BG, "alpha": float("inf")}}, r"params\['alpha'\]"),
        ({"params": {**BG, "rr": 1.0}}, "params must give exactly r, alpha, a, b"),
        ({"params": {"r": 0.25}}, "params must give exactly"),
        ({"params": BG, "spend_params": {**GG, "q": 0}}, r"spend_params\['q'\]"),
        ({"params": BG, "spend_params": {"p": 1.0}}, "spend_params must give exactly p, q, gamma"),
        ({"params": BG, "T": -5}, "T must be a positive number"),
        ({"params": BG, "T": (40, 20)}, "T must be"),
        ({"params": BG, "T": "52"}, "T must be"),
    ],
)
def test_simulation_parameters(kwargs, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.simulate_summary(10, **kwargs)


def test_simulation_unchanged():
    # The same draws as before the checks (a pair T draws lengths, a number does not).
    summary = segkit.simulate_summary(500, params=BG, spend_params=GG, T=(27, 39), seed=3)
    assert summary["T"].between(27, 39).all() and summary["T"].nunique() > 1
    fixed = segkit.simulate_summary(500, params=BG, seed=3)
    assert (fixed["T"] == 52.0).all()
