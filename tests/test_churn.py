"""Churn rate per period, churn features and labels (with the leakage test) and the churn-risk model."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segkit
from segkit.lifecycle._churn import _top_share


def _tx(rows: list[tuple[str, str]], amount: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": [r[0] for r in rows], "order_date": [r[1] for r in rows], "amount": amount}
    )


# ---------------------------------------------------------------------------------------------------
# churn rate
# ---------------------------------------------------------------------------------------------------

ROWS = [
    ("a", "2024-01-05"), ("a", "2024-02-20"), ("a", "2024-03-25"),
    ("b", "2024-01-20"), ("b", "2024-02-25"),
    ("c", "2024-02-01"), ("c", "2024-03-01"), ("c", "2024-04-20"),
]  # fmt: skip


def test_churn_rate_by_hand():
    rates = segkit.churn_rate(_tx(ROWS), inactivity_days=31, as_of="2024-06-01")
    # January and February start less than 31 days after the first transaction: not reported.
    assert rates["period"].dt.strftime("%Y-%m").tolist() == ["2024-03", "2024-04", "2024-05"]
    assert rates["active_at_start"].tolist() == [3, 2, 1]
    assert rates["churned"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(rates["churn_rate"], [1 / 3, 1 / 2, 1])
    np.testing.assert_allclose(rates["annualised_churn_rate"], 1 - (1 - rates["churn_rate"]) ** 12)
    assert rates.attrs["inactivity_days"] == 31 and rates.attrs["period"] == "month"


def test_period_cut_short_by_as_of_is_not_reported():
    rates = segkit.churn_rate(_tx(ROWS), inactivity_days=31, as_of="2024-05-20")
    assert rates["period"].dt.strftime("%Y-%m").tolist() == ["2024-03", "2024-04"]


def test_customers_won_during_the_period_do_not_enter_the_ratio():
    rows = [
        ("a", "2024-01-10"),
        ("a", "2024-02-25"),
        ("a", "2024-03-20"),
        ("b", "2024-03-05"),
        ("c", "2024-02-20"),
    ]
    rates = segkit.churn_rate(_tx(rows), inactivity_days=30, as_of="2024-04-01")
    march = rates.set_index("period").loc["2024-03-01"]
    # a (25 Feb) and c (20 Feb) active at the start; c passes 30 days silent on 21 March, a buys again on
    # 20 March; b is new in March and enters neither count.
    assert (march["active_at_start"], march["churned"]) == (2, 1)


def test_annualisation_per_period_length():
    rows = [(f"c{i}", d) for i in range(4) for d in ("2023-01-02", "2023-03-01")]
    rows += [("c0", "2023-06-01"), ("c1", "2023-06-01")]
    for period, n in (("week", 52), ("quarter", 4)):
        rates = segkit.churn_rate(_tx(rows), period=period, inactivity_days=60, as_of="2023-12-31")
        ok = rates["churn_rate"].notna()
        np.testing.assert_allclose(
            rates.loc[ok, "annualised_churn_rate"], 1 - (1 - rates.loc[ok, "churn_rate"]) ** n
        )
    q = segkit.churn_rate(_tx(rows), period="quarter", inactivity_days=60, as_of="2023-12-31")
    # 1 April: all four bought on 1 March; by 1 July c2 and c3 have been silent for over 60 days.
    assert q.set_index("period").loc["2023-04-01", ["active_at_start", "churned"]].tolist() == [4, 2]


def test_churn_rate_by_segment_and_summary():
    seg = {"a": "x", "b": "x", "c": "y"}
    rates = segkit.churn_rate(_tx(ROWS), inactivity_days=31, as_of="2024-06-01", by=seg)
    x = rates.loc[rates["segment"] == "x"]
    assert x["active_at_start"].tolist() == [2, 1, 0] and x["churned"].tolist() == [1, 1, 0]
    assert np.isnan(x["churn_rate"].iloc[2])  # nobody active at the start: no rate, not 0 %
    summary = segkit.churn_summary(rates).set_index("segment")
    assert summary.loc["x", ["active_at_start", "churned"]].tolist() == [3, 2]
    assert summary.loc["y", "churn_rate"] == pytest.approx(1 / 3)
    overall = segkit.churn_summary(segkit.churn_rate(_tx(ROWS), inactivity_days=31, as_of="2024-06-01"))
    assert overall.loc[0, "churn_rate"] == pytest.approx(3 / 6)
    with pytest.raises(segkit.ParameterError, match="churn_summary needs"):
        segkit.churn_summary(pd.DataFrame({"x": [1]}))


def test_churn_rate_errors():
    with pytest.raises(segkit.ParameterError, match="period"):
        segkit.churn_rate(_tx(ROWS), period="day", inactivity_days=31)
    with pytest.raises(segkit.ParameterError, match="no churn rate can be measured"):
        segkit.churn_rate(_tx(ROWS), inactivity_days=200)


_day = st.integers(min_value=0, max_value=150)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(st.sampled_from("abcdefgh"), _day), min_size=2, max_size=40),
    threshold=st.integers(min_value=5, max_value=40),
)
def test_churn_rate_matches_brute_force(rows, threshold):
    day0 = pd.Timestamp("2024-01-01")
    df = _tx([(c, str((day0 + pd.Timedelta(days=d)).date())) for c, d in rows])
    as_of = pd.Timestamp("2024-06-15")
    try:
        rates = segkit.churn_rate(df, period="week", inactivity_days=threshold, as_of=as_of)
    except segkit.ParameterError:
        return  # too little history for the threshold: nothing to compare
    buys: dict[str, set[int]] = {}
    for c, d in rows:
        buys.setdefault(c, set()).add(d)

    def active(c: str, boundary: int) -> bool:
        return any(boundary - threshold <= d < boundary for d in buys[c])

    for _, row in rates.iterrows():
        start = (row["period"] - day0).days
        at_start = [c for c in buys if active(c, start)]
        lost = [c for c in at_start if not active(c, start + 7)]
        assert (row["active_at_start"], row["churned"]) == (len(at_start), len(lost))


# ---------------------------------------------------------------------------------------------------
# features and labels
# ---------------------------------------------------------------------------------------------------


def _rich() -> segkit.Transactions:
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b"],
            "order_id": ["1", "2", "3", "R3", "4", "5"],
            "order_date": pd.to_datetime(
                ["2024-01-01 10:00", "2024-03-01 10:00", "2024-05-21 10:00", "2024-05-25 10:00",
                 "2024-04-01 10:00", "2024-04-01 15:00"]
            ),
            "amount": [100.0, 60.0, 20.0, -10.0, 30.0, 50.0],
            "margin": [30.0, 18.0, 6.0, -3.0, 3.0, 5.0],
            "channel": ["store", "online", "online", "online", "phone", "phone"],
        }
    )  # fmt: skip
    return segkit.read_transactions(df)


def test_features_by_hand():
    f = segkit.churn_features(_rich(), cutoff="2024-06-01", window_days=30)
    a, b = f.loc["a"], f.loc["b"]
    assert (a["recency_days"], a["tenure_days"], a["purchase_days"]) == (11, 152, 3)
    assert a["mean_gap_days"] == (31 + 29 + 31 + 30 + 20) / 2  # 1 Jan to 21 May over two gaps
    assert a["last_gap_days"] == 81
    assert a["overdue_ratio"] == pytest.approx(11 / 70.5)
    assert a["purchases_per_month"] == pytest.approx(3 / 152 * 365.25 / 12)
    assert (a["purchase_days_recent"], a["purchase_days_before"]) == (1, 0)
    assert (a["revenue_recent"], a["revenue_before"]) == (20.0, 0.0)
    assert a["basket_trend"] == pytest.approx(20 / 60)  # last 60 days: one 20 basket; overall 180 / 3
    assert a["revenue"] == 170.0 and a["return_share"] == pytest.approx(10 / 180)
    assert a["margin_rate"] == pytest.approx(51 / 170)
    assert a["n_channels"] == 2 and a["revenue_12m"] == 180.0
    # b: two orders on one day are one purchase day; no gap, so gap features are undefined (NaN).
    assert (b["recency_days"], b["purchase_days"], b["avg_order_value"]) == (61, 1, 40.0)
    assert np.isnan(b["mean_gap_days"]) and np.isnan(b["last_gap_days"]) and np.isnan(b["overdue_ratio"])
    assert (b["purchase_days_recent"], b["purchase_days_before"], b["revenue_before"]) == (0, 0, 0.0)
    assert np.isnan(b["basket_trend"])  # no basket in the last 60 days to compare


def test_labels_use_only_the_horizon_window():
    rows = [
        ("a", "2024-01-05"),
        ("a", "2024-03-30"),
        ("b", "2024-01-10"),
        ("b", "2024-03-31"),
        ("c", "2024-02-01"),
    ]
    rows += [("d", "2024-03-05"), ("z", "2024-06-30")]
    labels = segkit.churn_labels(_tx(rows), cutoff="2024-03-01", horizon_days=30)
    # Window [1 March, 31 March): a buys on 30 March (in), b on 31 March (out), d is new on 5 March and has
    # no purchase before the cut-off, so d gets no label at all.
    assert labels.to_dict() == {"a": 0, "b": 1, "c": 1}
    with pytest.raises(segkit.ParameterError, match="needs the whole window"):
        segkit.churn_labels(_tx(rows), cutoff="2024-06-15", horizon_days=30)
    with pytest.raises(segkit.ParameterError, match="cutoff is required"):
        segkit.churn_features(_tx(rows), cutoff=None)
    with pytest.raises(segkit.ParameterError, match="cutoff="):
        segkit.churn_features(_tx(rows), cutoff="2020-01-01")


# ---------------------------------------------------------------------------------------------------
# leakage
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> segkit.Transactions:
    return segkit.load_report_data()


def _poison(tx: segkit.Transactions, start: pd.Timestamp, end: pd.Timestamp, seed: int = 0) -> pd.DataFrame:
    """Arbitrary transactions dated in [start, end): existing and new customers, huge amounts, returns."""
    rng = np.random.default_rng(seed)
    data = tx.data
    old = data["customer_id"].drop_duplicates().sample(300, random_state=seed).to_numpy()
    customers = np.concatenate([old, [f"NEW{i}" for i in range(50)]])
    n = len(customers) * 3
    seconds = int((end - start).total_seconds())
    poison = pd.DataFrame(
        {
            "customer_id": rng.choice(customers, n),
            "order_id": [f"P{i}" for i in range(n)],
            "order_date": start + pd.to_timedelta(rng.integers(0, seconds, n), unit="s"),
            "amount": np.round(rng.choice([-1, 1], n) * rng.lognormal(6, 2, n), 2),
            "quantity": rng.integers(1, 50, n),
            "margin": np.round(rng.normal(0, 500, n), 2),
            "category": rng.choice(["toys", "clothing"], n),
            "channel": rng.choice(["moon", "online"], n),
        }
    )
    canonical = data.drop(columns=["is_return"])[poison.columns]
    return pd.concat([canonical, poison], ignore_index=True)


def test_no_information_after_the_cutoff_reaches_the_features(sample):
    cutoff = pd.Timestamp("2024-06-01")
    clean = segkit.churn_features(sample, cutoff=cutoff)
    poisoned_tx = _poison(sample, cutoff, pd.Timestamp("2025-06-01"))
    poisoned = segkit.churn_features(poisoned_tx, cutoff=cutoff)
    pd.testing.assert_frame_equal(clean, poisoned)
    # The threshold learnt at the cut-off, which defines the model's population, is unaffected as well.
    assert segkit.inactivity_threshold(sample, as_of=cutoff) == segkit.inactivity_threshold(
        poisoned_tx, as_of=cutoff
    )
    # Sanity: the poison does change features computed after it.
    assert not segkit.churn_features(poisoned_tx, cutoff="2025-06-01").equals(
        segkit.churn_features(sample, cutoff="2025-06-01")
    )


def test_labels_only_see_the_window(sample):
    cutoff, horizon = pd.Timestamp("2024-06-01"), 90
    end = cutoff + pd.Timedelta(days=horizon)
    clean = segkit.churn_labels(sample, cutoff=cutoff, horizon_days=horizon)
    after = _poison(sample, end, pd.Timestamp("2025-06-01"), seed=1)
    pd.testing.assert_series_equal(clean, segkit.churn_labels(after, cutoff=cutoff, horizon_days=horizon))
    # One purchase inside the window flips exactly that customer's label.
    churner = clean.index[clean == 1][0]
    canonical = sample.data.drop(columns=["is_return"])
    extra = canonical.iloc[[0]].assign(
        customer_id=churner, order_id="X1", order_date=end - pd.Timedelta(hours=1), amount=5.0
    )
    inside = pd.concat([canonical, extra], ignore_index=True)
    flipped = segkit.churn_labels(inside, cutoff=cutoff, horizon_days=horizon)
    assert flipped[churner] == 0
    assert (flipped.drop(churner) == clean.drop(churner)).all()


def test_fitted_model_ignores_everything_after_the_label_window(sample):
    cutoff = pd.Timestamp("2024-04-01")
    end = cutoff + pd.Timedelta(days=90)
    clean = segkit.ChurnModel().fit(sample, cutoff=cutoff)
    poisoned = segkit.ChurnModel().fit(
        _poison(sample, end, pd.Timestamp("2025-06-01"), seed=2), cutoff=cutoff
    )
    X = segkit.churn_features(sample, cutoff=cutoff)[clean.feature_names_]
    np.testing.assert_array_equal(clean.estimator_.predict_proba(X), poisoned.estimator_.predict_proba(X))
    assert clean.n_customers_ == poisoned.n_customers_ and clean.inactivity_days_ == poisoned.inactivity_days_


# ---------------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(sample) -> tuple[segkit.ChurnModel, segkit.ChurnEvaluation]:
    model = segkit.ChurnModel(horizon_days=90, random_state=0).fit(sample)
    return model, model.evaluate(sample)


def test_model_beats_recency_out_of_time(fitted, sample):
    model, ev = fitted
    as_of = sample.default_as_of
    assert model.cutoff_ == as_of - pd.Timedelta(days=180) and ev.cutoff == as_of - pd.Timedelta(days=90)
    auc = ev.metrics["roc_auc"]
    print(f"\nsample: ROC AUC churn model {auc['churn model']:.3f}, recency only {auc['recency only']:.3f}")
    assert auc["churn model"] > auc["recency only"] + 0.05
    assert auc["churn model"] > 0.7


def test_evaluation_tables(fitted):
    _, ev = fitted
    assert list(ev.metrics.index) == ["churn model", "recency only"]
    lift = ev.metrics["top_decile_lift"]
    np.testing.assert_allclose(lift, ev.metrics["top_decile_capture"] / 0.1)
    for ranking, table in ev.calibration.groupby("ranking"):
        assert table["risk_group"].tolist() == list(range(1, 11)), ranking
        assert table["customers"].sum() == ev.n_customers
        assert table["cumulative_capture"].iloc[-1] == pytest.approx(1.0)
        observed = (table["observed_churn_share"] * table["customers"]).sum() / ev.n_customers
        assert observed == pytest.approx(ev.churn_share)
    model_groups = ev.calibration.loc[ev.calibration["ranking"] == "churn model", "mean_predicted"]
    assert model_groups.is_monotonic_decreasing
    assert set(ev.scores.columns) == {"churned", "churn_risk", "recency_days", "recency_risk"}
    assert "ROC AUC model" in repr(ev)


def test_importance_in_plain_words(fitted):
    model, _ = fitted
    imp = model.importance_
    assert set(imp.index) == set(model.feature_names_)
    assert imp["importance"].is_monotonic_decreasing
    assert imp.loc["recency_days", "meaning"] == "days since the last purchase"
    assert imp.loc["purchase_days_recent", "meaning"] == "purchase days in the last 90 days"
    assert set(imp["effect"]) <= {"higher → more risk", "higher → less risk", "no simple direction"}


def test_scores_rank_current_customers(fitted, sample):
    model, _ = fitted
    scores = model.score(sample)
    assert scores["churn_risk"].is_monotonic_decreasing
    assert scores["risk_rank"].tolist() == list(range(1, len(scores) + 1))
    assert scores["churn_risk"].between(0, 1).all()
    assert (scores["recency_days"] <= model.inactivity_days_).all()
    current = segkit.customer_status(sample, inactivity_days=model.inactivity_days_)
    assert set(scores.index) == set(current.index[current["base"] == "current"])
    np.testing.assert_allclose(
        scores["value_at_risk"], (scores["churn_risk"] * scores["revenue_12m"]).round(2)
    )
    assert scores.attrs["horizon_days"] == 90


def test_model_errors(sample):
    model = segkit.ChurnModel()
    with pytest.raises(segkit.ParameterError, match="not fitted"):
        model.score(sample)
    model.fit(sample, cutoff="2024-06-01")
    with pytest.raises(segkit.ParameterError, match="labels would overlap"):
        model.evaluate(sample, cutoff="2024-07-01")
    with pytest.raises(segkit.ParameterError, match="estimator"):
        segkit.ChurnModel(estimator="forest").fit(sample)
    with pytest.raises(segkit.ParameterError, match="horizon_days"):
        segkit.ChurnModel(horizon_days=0).fit(sample)
    tiny = _tx([("a", "2024-01-01"), ("a", "2024-02-01"), ("b", "2024-01-15"), ("b", "2024-06-01")])
    with pytest.raises(segkit.DataContractError, match="at least 20 customers and both outcomes"):
        segkit.ChurnModel(horizon_days=30, inactivity_days=60).fit(tiny, cutoff="2024-02-15")
    no_extras = sample.data[["customer_id", "order_id", "order_date", "amount"]]
    with pytest.raises(segkit.DataContractError, match="lacks what the model was trained with"):
        model.score(no_extras)


def test_boosting_estimator_runs(sample):
    model = segkit.ChurnModel(estimator="boosting").fit(sample)
    assert model.evaluate(sample).metrics.loc["churn model", "roc_auc"] > 0.6


def test_top_decile_capture_splits_ties_fairly():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert _top_share(y, np.arange(20)[::-1].astype(float)) == pytest.approx(1 / 3)  # top 2: one churner
    tied = np.array([5.0, 5.0, 5.0, 5.0] + [1.0] * 16)  # top 2 drawn from 4 tied with 2 churners: 1 expected
    assert _top_share(y, tied) == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------------


def test_churn_rate_and_calibration_plots(fitted):
    rates = segkit.churn_rate(
        _tx(ROWS), inactivity_days=31, as_of="2024-06-01", by={"a": "x", "b": "x", "c": "y"}
    )
    ax = segkit.plot_churn_rate(rates, annualised=True)
    assert ax.get_ylabel() == "annualised churn rate" and "31 days" in ax.get_title()
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"x", "y"}
    _, ev = fitted
    ax = segkit.plot_calibration(ev)
    assert ax.get_ylabel() == "observed churn share"
    assert len(ax.get_lines()) >= 3  # two rankings and the diagonal
    with pytest.raises(segkit.ParameterError, match="churn_rate"):
        segkit.plot_churn_rate(pd.DataFrame({"x": [1]}))
    plt.close("all")


def test_model_respects_the_report_date(sample):
    model = segkit.ChurnModel(horizon_days=60).fit(sample, as_of="2024-09-01")
    assert model.cutoff_ == pd.Timestamp("2024-05-04")  # 120 days before the report date
    ev = model.evaluate(sample, as_of="2024-09-01")
    assert ev.cutoff == pd.Timestamp("2024-07-03")
    with pytest.raises(segkit.ParameterError, match="ends after as_of=2024-09-01"):
        model.evaluate(sample, cutoff="2024-08-01", as_of="2024-09-01")


# ---------------------------------------------------------------------------------------------------
# one snapshot for every cut-off, bounded training sample
# ---------------------------------------------------------------------------------------------------


def _spanning() -> pd.DataFrame:
    """Orders spanning midnight (and a cut-off), returns, and a channel per line."""
    rng = np.random.default_rng(4)
    n = 600
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    df = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in rng.integers(0, 80, n)],
            "order_id": [f"o{i}" for i in range(n)],
            "order_date": day + pd.to_timedelta(rng.integers(0, 24 * 60, n), unit="min"),
            "amount": np.round(rng.uniform(5, 200, n), 2),
            "margin": np.round(rng.uniform(1, 30, n), 2),
            "channel": rng.choice(["store", "online", "phone"], n),
        }
    )
    df.loc[df.index % 9 == 0, "amount"] *= -1  # returns
    # A second line of some orders a day later: the order spans midnight (one spans 2024-07-01).
    later = df.iloc[::7].copy()
    later["order_date"] += pd.Timedelta(days=1)
    spanning = df.iloc[[0]].assign(order_date=pd.Timestamp("2024-06-30 23:00"), order_id="span")
    span_end = spanning.assign(order_date=pd.Timestamp("2024-07-01 01:00"))
    return pd.concat([df, later, spanning, span_end], ignore_index=True)


@pytest.mark.parametrize("cutoff", ["2024-04-01", "2024-07-01", "2024-09-15"])
def test_features_from_a_later_snapshot_equal_the_snapshot_at_the_cutoff(cutoff):
    tx = segkit.read_transactions(_spanning())
    features = segkit.churn_features(segkit.snapshot(tx, as_of="2024-11-01"), cutoff=cutoff)
    at = segkit.customer_summary(tx, as_of=cutoff)
    assert features.index.equals(at.index)
    for column in ("recency_days", "tenure_days", "revenue", "avg_order_value"):
        np.testing.assert_array_equal(features[column].to_numpy(), at[column].to_numpy(), err_msg=column)
    np.testing.assert_array_equal(features["purchase_days"], at["n_purchase_days"])
    np.testing.assert_array_equal(features["n_channels"], at["n_channels"])
    np.testing.assert_allclose(features["return_share"], at["returns_amount"] / at["gross_revenue"])
    np.testing.assert_allclose(features["margin_rate"], at["margin"] / at["revenue"].where(at["revenue"] > 0))
    labels = segkit.churn_labels(tx, cutoff=cutoff, horizon_days=30)
    later = segkit.customer_summary(tx, as_of=pd.Timestamp(cutoff) + pd.Timedelta(days=30))
    expected = (later["last_purchase"].reindex(at.index) < pd.Timestamp(cutoff)).astype("int64")
    pd.testing.assert_series_equal(labels, expected.rename("churned"))


def test_derived_threshold_at_the_cutoff_uses_only_gaps_before_it():
    from segkit.lifecycle._status import resolve_threshold

    tx = segkit.read_transactions(_spanning())
    snap = segkit.snapshot(tx, as_of="2024-11-01")
    for cutoff in ("2024-05-01", "2024-08-01"):
        value, source = resolve_threshold(snap, None, before=pd.Timestamp(cutoff))
        assert value == segkit.inactivity_threshold(tx, as_of=cutoff)
        assert cutoff in source
    assert resolve_threshold(snap, None)[0] == segkit.inactivity_threshold(snap)


def test_model_trains_on_a_bounded_seeded_sample(sample):
    full = segkit.ChurnModel(horizon_days=90).fit(sample)
    assert full.n_training_ == full.n_customers_ > 300
    small = segkit.ChurnModel(horizon_days=90, max_customers=300, random_state=1).fit(sample)
    again = segkit.ChurnModel(horizon_days=90, max_customers=300, random_state=1).fit(sample)
    other = segkit.ChurnModel(horizon_days=90, max_customers=300, random_state=2).fit(sample)
    assert small.n_training_ == 300 and small.n_customers_ == full.n_customers_
    assert small.churn_share_ == full.churn_share_  # the share of all current customers, not the sample's
    pd.testing.assert_frame_equal(small.importance_, again.importance_)
    assert not np.array_equal(small.estimator_[-1].coef_, other.estimator_[-1].coef_)
    # Evaluation and scoring still cover every current customer.
    assert small.evaluate(sample).n_customers == full.evaluate(sample).n_customers
    with pytest.raises(segkit.ParameterError, match="max_customers"):
        segkit.ChurnModel(max_customers=5).fit(sample)


def test_model_keeps_no_base_sized_frames_in_the_snapshot(sample):
    """Features and labels of each cut-off are freed once the model has used them (memory of large bases)."""
    import gc

    snap = segkit.snapshot(sample)
    model = segkit.ChurnModel(horizon_days=90, random_state=0).fit(snap)
    model.evaluate(snap)
    scores = model.score(snap)
    gc.collect()
    held = [
        key
        for cache in segkit.engine._snapshot._state(sample).caches["snapshots"].values()
        for key, value in cache.values.items()
        if isinstance(key, tuple)
        and key[0] in ("churn_features", "churn_labels")
        and isinstance(value, pd.DataFrame | pd.Series)
    ]
    assert held == []
    assert len(scores) > 300


def test_current_customers_filtered_in_the_engine_equal_the_filtered_features(sample):
    cutoff = pd.Timestamp("2024-03-01")
    features = segkit.churn_features(sample, cutoff=cutoff, window_days=90)
    model = segkit.ChurnModel(horizon_days=90)
    current = model._current(segkit.snapshot(sample), cutoff, 60)
    pd.testing.assert_frame_equal(current, features.loc[features["recency_days"] <= 60], check_like=False)
    assert 0 < len(current) < len(features)


def test_scores_predicted_in_blocks_equal_one_prediction(fitted, sample, monkeypatch):
    model, _ = fitted
    whole = model.score(sample)
    monkeypatch.setattr(segkit.lifecycle._churn, "_PREDICT_BLOCK", 7)
    pd.testing.assert_frame_equal(model.score(sample), whole)
