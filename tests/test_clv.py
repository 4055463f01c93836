"""BG/NBD and Gamma-Gamma: gradients, recovery from simulated data, predictions, checks, CLV, validation, joins."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.special import betaln, gammaln

import segkit
from segkit.datasets import make_transactions

matplotlib.use("Agg")

BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return segkit.simulate_summary(8000, params=BG, spend_params=GG, T=(27, 39), seed=7)


@pytest.fixture(scope="module")
def sample_split():
    tx, _ = make_transactions(500, seed=3)
    split = segkit.btyd_summary(tx, time_scale=7, calibration_end="2024-06-30")
    return tx, split


# ------------------------------------------------------------------------------------------------
# The likelihoods and the fit
# ------------------------------------------------------------------------------------------------


def _gradient_error(model, data, params):
    def f(p):
        return float(np.sum(model._loglik(p, data)[0]))

    def g(p):
        return model._loglik(p, data)[1].sum(axis=1)

    return optimize.check_grad(f, g, params) / np.linalg.norm(g(params))


def test_bgnbd_gradient_is_analytic_gradient(simulated):
    s = simulated.iloc[:500]
    data, _ = segkit.BetaGeoModel._prepare(*(s[c].to_numpy() for c in ("frequency", "recency", "T")))
    assert data[-1] == (s["frequency"] == 0).sum()  # the short branch covers the customers without repeats
    for params in ([0.243, 4.414, 0.793, 2.426], [1.5, 0.7, 2.2, 0.6]):
        assert _gradient_error(segkit.BetaGeoModel(), data, np.array(params)) < 1e-5


def test_gamma_gamma_gradient_is_analytic_gradient(simulated):
    s = simulated.loc[simulated["frequency"] > 0].iloc[:500]
    x, z = s["frequency"].to_numpy(), s["monetary_value"].to_numpy()
    fx, inv = np.unique(x, return_inverse=True)
    data = (x, z, fx, inv, np.log(z), np.log(x))
    for params in ([6.25, 3.74, 15.44], [1.1, 8.0, 3.0]):
        assert _gradient_error(segkit.GammaGammaModel(), data, np.array(params)) < 1e-5


def test_recovers_the_parameters_it_was_simulated_from(simulated):
    bg = segkit.BetaGeoModel().fit(simulated)
    for name, true in BG.items():
        # Within three standard errors of the truth, and the errors are of a sensible size.
        assert abs(bg.params_[name] - true) < 3 * bg.standard_errors_[name], name
        assert 0 < bg.standard_errors_[name] < true
    gg = segkit.GammaGammaModel().fit(simulated)
    for name, true in GG.items():
        assert abs(gg.params_[name] - true) < 3 * gg.standard_errors_[name], name
    assert abs(gg.frequency_spend_correlation_) < 0.1
    assert bg.n_customers_ == 8000 and gg.n_customers_ == int((simulated["frequency"] > 0).sum())


def test_identical_customers_are_weighted_not_dropped():
    base = pd.DataFrame(
        {"frequency": [0, 1, 3, 2, 0], "recency": [0, 5, 20, 9, 0], "T": [30, 30, 28, 25, 10]}
    )
    doubled = pd.concat([base, base, base.iloc[[2]]])
    fit = segkit.BetaGeoModel(penalizer=0.01).fit(doubled)
    # Objective by hand on the raw rows: minimising it from the found optimum must not move.
    # Every raw row its own term (no weights), written out: the BG/NBD log-likelihood by hand.
    x, t_x, T = (doubled[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    def raw(theta):
        r, alpha, a, b = np.exp(theta)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = betaln(a, b + x) - betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.where(
            x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf
        )
        return -np.mean(a1 + a2 + np.logaddexp(a3, a4)) + 0.01 * np.exp(theta) @ np.exp(theta)

    start = np.log(fit.params_.to_numpy())
    again = optimize.minimize(raw, start, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-12})
    assert raw(again.x) >= raw(start) - 1e-7
    assert fit.n_customers_ == 11
    assert fit.log_likelihood_ == pytest.approx(-len(x) * (raw(start) - 0.01 * np.exp(start) @ np.exp(start)))


# ------------------------------------------------------------------------------------------------
# Predictions
# ------------------------------------------------------------------------------------------------


def fitted(params: dict) -> segkit.BetaGeoModel:
    model = segkit.BetaGeoModel()
    model.params_ = pd.Series(params)
    return model


def test_p_alive_properties():
    model = fitted(BG)
    grid = pd.DataFrame(
        {"frequency": [0, 0, 2, 2, 2, 10], "recency": [0, 0, 30, 30, 10, 30], "T": [5, 40, 30, 60, 30, 60]}
    )
    p = model.p_alive(grid).to_numpy()
    assert p[0] == p[1] == 1.0  # no repeat purchase: the model cannot have seen a dropout
    assert p[2] == pytest.approx(1 / (1 + 0.793 / 3.426))  # bought at T: only the "dropped now" branch
    assert p[3] < p[2] and p[4] < p[2]  # longer silence, lower P(alive)
    assert p[5] < p[3]  # the same silence is more telling for a frequent buyer
    assert ((p > 0) & (p <= 1)).all()


def test_expectation_matches_monte_carlo():
    # One customer history, simulated forward from the posterior: E[purchases in the next t].
    model = fitted(BG)
    x, t_x, T, t = 2, 30.43, 38.86, 39.0
    rng = np.random.default_rng(0)
    n = 400_000
    alive = rng.random(n) < model.p_alive(pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]}))[0]
    lam = rng.gamma(BG["r"] + x, 1 / (BG["alpha"] + T), n)
    drop = rng.beta(BG["a"], BG["b"] + x, n)
    count, clock = np.zeros(n), np.zeros(n)
    while alive.any():
        clock[alive] += rng.exponential(1.0, alive.sum()) / lam[alive]
        buy = alive & (clock <= t)
        count[buy] += 1
        alive = buy & (rng.random(n) >= drop)
    one = pd.DataFrame({"frequency": [x], "recency": [t_x], "T": [T]})
    expected = model.predict_purchases(one, t)[0]
    assert count.mean() == pytest.approx(expected, abs=4 * count.std() / np.sqrt(n))
    assert (count > 0).mean() == pytest.approx(model.probability_of_purchase(one, t)[0], abs=0.003)


def test_new_customer_expectation_is_the_zero_history_case():
    model = fitted(BG)
    t = np.array([0.0, 1.0, 10.0, 39.0, 78.0])
    new = model.expected_purchases_new(t)
    assert new[0] == 0 and np.all(np.diff(new) > 0)
    zero = pd.DataFrame({"frequency": [0.0], "recency": [0.0], "T": [0.0]})
    assert new[3] == pytest.approx(model.predict_purchases(zero, 39.0)[0])


def test_heavy_buyers_do_not_overflow():
    model = fitted(BG)
    heavy = pd.DataFrame({"frequency": [400.0, 2000.0], "recency": [51.0, 51.9], "T": [52.0, 52.0]})
    out = model.predict_purchases(heavy, 52.0)
    assert np.isfinite(out).all() and (out > 0).all()


def test_matrix_shapes_and_kinds():
    model = fitted(BG)
    model.max_T_ = 39.0
    m = model.matrix(kind="p_alive", max_frequency=5)
    assert m.shape == (6, 40) and (m.loc[0] == 1).all()
    e = model.matrix(kind="expected", t=10, max_frequency=5, T=20)
    assert e.shape == (6, 21) and e.loc[5, 20.0] > e.loc[5, 0.0]
    with pytest.raises(segkit.ParameterError, match="kind"):
        model.matrix(kind="clv")


def test_pareto_nbd_predictions():
    model = segkit.ParetoNBDModel()
    model.params_ = pd.Series({"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
    grid = pd.DataFrame({"frequency": [3, 3, 3, 0], "recency": [30, 30, 10, 0], "T": [30, 40, 40, 40]})
    p = model.p_alive(grid).to_numpy()
    assert p[0] == pytest.approx(1.0)  # bought at T: certainly alive
    assert 0 < p[2] < p[1] < 1  # a longer silence, a lower P(alive)
    e = model.predict_purchases(grid, 39).to_numpy()
    assert (e > 0).all() and e[2] < e[1] < e[0]
    gg = segkit.GammaGammaModel()
    gg.params_ = pd.Series(GG)
    spend = grid.assign(monetary_value=[20.0, 20.0, 20.0, 0.0])
    value = segkit.customer_value(model, gg, spend, horizon_days=273, step_days=273, time_unit_days=7)
    np.testing.assert_allclose(value["clv"].sort_index(), (e * gg.expected_order_value(spend)).sort_index())
    assert segkit.ParetoNBDModel().fit(segkit.simulate_summary(500, params=BG, seed=2)).n_customers_ == 500


def test_expected_order_value_shrinks_toward_the_mean():
    gg = segkit.GammaGammaModel()
    gg.params_ = pd.Series(GG)
    s = pd.DataFrame({"frequency": [0, 1, 20], "monetary_value": [0.0, 100.0, 100.0]})
    v = gg.expected_order_value(s).to_numpy()
    mean = 6.25 * 15.44 / 2.74
    assert v[0] == pytest.approx(mean) == gg.mean_order_value_
    assert mean < v[1] < v[2] < 100  # more purchases, more weight on the customer's own mean


# ------------------------------------------------------------------------------------------------
# Checks and errors
# ------------------------------------------------------------------------------------------------


def test_gamma_gamma_checks_spend_and_buyers():
    s = pd.DataFrame({"frequency": [1, 2, 3] * 10, "monetary_value": [10.0, 0.0, 12.0] * 10})
    with pytest.raises(segkit.DataContractError, match=r"monetary_value.*positive.*10 rows"):
        segkit.GammaGammaModel().fit(s)
    few = pd.DataFrame({"frequency": [1, 2, 0, 0], "monetary_value": [10.0, 12.0, 0.0, 0.0]})
    with pytest.raises(segkit.FitError, match="min_customers=20"):
        segkit.GammaGammaModel().fit(few)


def test_gamma_gamma_warns_when_spend_depends_on_frequency(simulated):
    s = simulated.assign(monetary_value=simulated["monetary_value"] * simulated["frequency"])
    with pytest.warns(segkit.SpendDependenceWarning, match="correlated"):
        gg = segkit.GammaGammaModel().fit(s)
    assert gg.frequency_spend_correlation_ > 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segkit.GammaGammaModel(max_correlation=0.99).fit(s)


def test_non_convergence_names_what_to_try(simulated):
    with pytest.raises(segkit.FitError, match="penalizer"):
        segkit.BetaGeoModel(max_iter=1).fit(simulated)
    nobody = pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "T": [3.0, 4.0]})
    with pytest.raises(segkit.FitError, match="repeat purchases"):
        segkit.BetaGeoModel().fit(nobody)


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (pd.DataFrame({"frequency": [1.0], "recency": [2.0]}), segkit.ParameterError, "'T'"),
        (pd.DataFrame({"frequency": [1.5], "recency": [2.0], "T": [3.0]}), segkit.DataContractError, "whole"),
        (
            pd.DataFrame({"frequency": [1.0], "recency": [5.0], "T": [3.0]}),
            segkit.DataContractError,
            "between",
        ),
        (
            pd.DataFrame({"frequency": [np.nan], "recency": [5.0], "T": [3.0]}),
            segkit.DataContractError,
            "missing",
        ),
    ],
)
def test_bad_summaries(frame, error, match):
    with pytest.raises(error, match=match):
        segkit.BetaGeoModel().fit(frame)


def test_parameter_and_state_errors(simulated):
    with pytest.raises(segkit.ParameterError, match="penalizer"):
        segkit.BetaGeoModel(penalizer=-1).fit(simulated)
    with pytest.raises(segkit.SegkitError, match="not fitted"):
        segkit.BetaGeoModel().p_alive(simulated)
    with pytest.raises(segkit.ParameterError, match="t must be"):
        fitted(BG).predict_purchases(simulated, 0)


# ------------------------------------------------------------------------------------------------
# CLV
# ------------------------------------------------------------------------------------------------


def test_customer_value_by_hand(simulated):
    bg = fitted(BG)
    gg = segkit.GammaGammaModel()
    gg.params_ = pd.Series(GG)
    s = simulated.iloc[:200]
    one_step = segkit.customer_value(bg, gg, s, horizon_days=91, step_days=91, margin=0.4, time_unit_days=7)
    expected = bg.predict_purchases(s, 13.0) * gg.expected_order_value(s) * 0.4
    pd.testing.assert_series_equal(one_step["clv"].sort_index(), expected.sort_index(), check_names=False)
    stepped = segkit.customer_value(bg, gg, s, horizon_days=91, margin=0.4, time_unit_days=7)
    np.testing.assert_allclose(stepped["clv"].sort_index(), one_step["clv"].sort_index())
    discounted = segkit.customer_value(bg, gg, s, horizon_days=365, discount_rate=0.2, time_unit_days=7)
    plain = segkit.customer_value(bg, gg, s, horizon_days=365, time_unit_days=7)
    ratio = (discounted["clv"] / plain["clv"]).to_numpy()
    assert ((ratio < 1) & (ratio > 1 / 1.2)).all()  # every step discounted, none by more than a year
    assert plain["clv"].is_monotonic_decreasing
    assert plain.attrs["horizon_days"] == 365


def test_customer_value_needs_a_time_unit(simulated):
    bg = segkit.BetaGeoModel().fit(simulated.iloc[:2000])
    gg = segkit.GammaGammaModel().fit(simulated.iloc[:2000])
    with pytest.raises(segkit.ParameterError, match="time_unit_days"):
        segkit.customer_value(bg, gg, simulated)
    with pytest.raises(segkit.ParameterError, match="margin"):
        segkit.customer_value(bg, gg, simulated, margin=30, time_unit_days=7)


# ------------------------------------------------------------------------------------------------
# Validation, joins and plots on the generator's data
# ------------------------------------------------------------------------------------------------


def test_holdout_validation_and_tracking(sample_split):
    tx, split = sample_split
    bg = segkit.BetaGeoModel().fit(split)
    assert bg.time_unit_days_ == 7.0
    check = segkit.holdout_validation(bg, split, max_frequency=5)
    assert check.by_frequency.index.tolist() == ["0", "1", "2", "3", "4", "5+"]
    assert check.by_frequency["customers"].sum() == len(split)
    assert check.by_frequency.loc["0", "baseline"] == 0  # no past repeats, no predicted repeats
    m = check.metrics
    assert m.loc["BG/NBD", "total_actual"] == split["frequency_holdout"].sum()
    assert m.loc["BG/NBD", "total_predicted"] == pytest.approx(check.customers["model"].sum())
    cal = check.p_alive_calibration
    assert cal["customers"].sum() == len(split)
    assert (cal["predicted"] <= cal["p_alive"] + 1e-12).all()
    track = segkit.cumulative_tracking(bg, tx, split)
    at_end = track.loc[: split.attrs["calibration_end"], "actual"].iloc[-1]
    assert at_end == split["frequency_cal"].sum()
    assert track["actual"].iloc[-1] - at_end == split["frequency_holdout"].sum()
    assert track["expected"].is_monotonic_increasing and track["expected"].iloc[0] == 0
    assert set(track["part"]) == {"calibration", "holdout"}
    with pytest.raises(segkit.ParameterError, match="calibration/holdout split"):
        segkit.holdout_validation(bg, segkit.btyd_summary(tx, time_scale=7))


def test_joins_and_reconciliation(sample_split):
    tx, _ = sample_split
    full = segkit.btyd_summary(tx, time_scale=7)
    with pytest.warns(segkit.SpendDependenceWarning):  # the generator's loyal customers also spend more
        gg = segkit.GammaGammaModel().fit(full)
    assert gg.notes_ and "correlated" in gg.notes_[0]
    values = segkit.customer_value(segkit.BetaGeoModel().fit(full), gg, full)
    status = segkit.customer_status(tx)
    segments = segkit.rfm_segments(segkit.rfm(tx))
    joined = segkit.join_segments(values, rfm=segments, abc=segkit.abc(tx), status=status)
    assert joined.attrs["missing"] == {"segment": 0, "abc_class": 0, "status": 0}
    assert (joined["status"] == status["status"].reindex(joined.index)).all()
    by = segkit.clv_by_group(joined, "abc_class")
    assert by["customers"].sum() == len(values)
    assert by["share_clv"].sum() == pytest.approx(1.0)
    assert by["clv_total"].sum() == pytest.approx(values["clv"].sum())
    rec = segkit.reconcile_status(values, status, low_p_alive=0.5)
    assert rec.by_status["customers"].sum() == len(values) == rec.agreement.to_numpy().sum()
    churned = status["status"] == "churned"
    assert rec.agreement.loc["churned by rule"].sum() == churned.sum()
    low = values["p_alive"] < 0.5
    assert rec.agreement["low P(alive)"].sum() == low.sum()
    with pytest.raises(segkit.ParameterError, match="low_p_alive"):
        segkit.reconcile_status(values, status, low_p_alive=2)


def test_plots_return_axes(sample_split):
    import matplotlib.pyplot as plt

    tx, split = sample_split
    bg = segkit.BetaGeoModel().fit(split)
    check = segkit.holdout_validation(bg, split)
    axes = [
        segkit.plot_frequency_recency_matrix(bg, kind="p_alive", max_frequency=10),
        segkit.plot_frequency_recency_matrix(bg, t=26),
        segkit.plot_holdout_by_frequency(check),
        segkit.plot_cumulative_tracking(segkit.cumulative_tracking(bg, tx, split)),
        segkit.plot_p_alive_calibration(check),
    ]
    assert all(isinstance(ax, matplotlib.axes.Axes) for ax in axes)
    assert len(axes[2].get_lines()) == 3
    with pytest.raises(segkit.ParameterError, match="holdout_validation"):
        segkit.plot_holdout_by_frequency(split)
    plt.close("all")
