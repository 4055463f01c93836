"""Personas: recovery of the generator's planted types, determinism, row-order invariance, the k rule,
profiles against independent pandas, the namer, degenerate inputs, predict, plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, silhouette_score

import segkit
from segkit.datasets import make_transactions
from segkit.portraits._personas import _choose_k, _local_best, _name, _traits, _unique_names


@pytest.fixture(scope="module")
def generated():
    """The generator at the committed sample's settings (2000 customers, seed 42)."""
    return make_transactions(2000, seed=42)


@pytest.fixture(scope="module")
def fitted(generated):
    tx, _ = generated
    return segkit.personas(tx, random_state=0)


def _truth(generated, index):
    return generated[1].set_index("customer_id")["true_type"].reindex(index)


# ----------------------------------------------------------------------------------------------------
# acceptance: planted types, determinism, row order
# ----------------------------------------------------------------------------------------------------


def test_recovers_planted_types(generated, fitted):
    truth = _truth(generated, fitted.labels_.index)
    ari = adjusted_rand_score(truth, fitted.labels_)
    # Measured 0.713 at k=6; six types are planted, "regular" and "seasonal" overlap in these features, and
    # every type is won throughout the window, so tenure hardly tells types apart.
    assert fitted.k_ == 6
    assert ari >= 0.6, ari
    # The clear-cut types are each almost entirely inside one persona, and that persona is named for them.
    names = fitted.labels_.map(fitted.names_)
    for planted, expected in [
        ("one_off", "Lapsed one-time buyers"),
        ("loyal_high", "Frequent high spenders"),
        ("new", "New repeat buyers"),
        ("churned", "Lapsed repeat buyers"),
    ]:
        share = (names[truth == planted] == expected).mean()
        assert share >= 0.9, (planted, share)


def test_other_generator_seed_also_recovers_types():
    tx, customers = make_transactions(1500, seed=5)
    p = segkit.personas(tx, n_resamples=0)
    truth = customers.set_index("customer_id")["true_type"].reindex(p.labels_.index)
    assert adjusted_rand_score(truth, p.labels_) >= 0.6


def test_same_seed_identical_labels(generated, fitted):
    again = segkit.personas(generated[0], random_state=0, n_resamples=1)
    pd.testing.assert_series_equal(again.labels_, fitted.labels_)
    assert again.names_.tolist() == fitted.names_.tolist()


def test_row_order_does_not_change_the_partition(generated, fitted):
    tx = generated[0]
    shuffled = tx.sample(frac=1.0, random_state=123).reset_index(drop=True)
    assert not shuffled["customer_id"].equals(tx["customer_id"])
    other = segkit.personas(shuffled, random_state=0, n_resamples=0)
    assert adjusted_rand_score(fitted.labels_, other.labels_.reindex(fitted.labels_.index)) == 1.0
    # Numbering by revenue share makes even the persona numbers identical.
    pd.testing.assert_series_equal(other.labels_, fitted.labels_)


def test_stability_reported(fitted):
    runs = fitted.stability_runs_
    assert runs["run"].tolist() == [1, 2, 3, 4, 5]
    assert runs["random_state"].tolist() == [1, 2, 3, 4, 5]
    assert fitted.stability_ == pytest.approx(runs["ari"].mean())
    assert fitted.stability_ > 0.8


# ----------------------------------------------------------------------------------------------------
# k scores and the rule
# ----------------------------------------------------------------------------------------------------


def test_k_scores_table(fitted):
    scores = fitted.k_scores_
    assert scores.index.tolist() == [3, 4, 5, 6, 7]
    assert list(scores.columns) == [
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "inertia",
        "natural_level",
        "chosen",
    ]
    assert scores["chosen"].sum() == 1 and scores.index[scores["chosen"]][0] == fitted.k_
    assert scores["inertia"].is_monotonic_decreasing
    # 2000 customers < silhouette_size, so the chosen k's silhouette is over all customers: recompute it.
    Z = fitted.pipeline_.named_steps["prepare"].transform(fitted.features_[fitted.feature_names_])
    assert silhouette_score(Z, fitted.labels_) == pytest.approx(scores.loc[fitted.k_, "silhouette"], abs=0.01)
    assert "k=6" in fitted.k_reason_ and "k=3" in fitted.k_reason_


def _scores(sil, db, start=3):
    s = pd.DataFrame({"silhouette": sil, "davies_bouldin": db}, index=range(start, start + len(sil)))
    s["natural_level"] = _local_best(s["silhouette"], higher=True) & _local_best(
        s["davies_bouldin"], higher=False
    )
    return s


def test_local_best_by_hand():
    s = pd.Series([0.5, 0.4, 0.45, 0.45, 0.3], index=range(3, 8))
    assert _local_best(s, higher=True).tolist() == [True, False, True, True, False]
    assert _local_best(s, higher=False).tolist() == [False, True, False, False, True]


def test_choose_k_rules():
    # Peaks of both criteria at 3 and 6: the finer one.
    s = _scores([0.47, 0.41, 0.41, 0.42, 0.35], [0.78, 0.96, 0.98, 0.93, 1.03])
    assert s["natural_level"].tolist() == [True, False, False, True, False]
    assert _choose_k(s, "finest_peak", 0.8)[0] == 6
    assert _choose_k(s, "silhouette", 0.8)[0] == 3
    # The finer peak is too weak against the best silhouette (0.30 < 0.8 * 0.47): back to the best.
    weak = _scores([0.47, 0.41, 0.29, 0.30, 0.25], [0.78, 0.96, 0.98, 0.93, 1.03])
    assert _choose_k(weak, "finest_peak", 0.8)[0] == 3
    # Monotone decline: only the start is a natural level.
    down = _scores([0.32, 0.26, 0.25, 0.24, 0.23], [1.1, 1.2, 1.3, 1.3, 1.4])
    assert _choose_k(down, "finest_peak", 0.8)[0] == 3
    # Criteria disagree everywhere: best silhouette.
    clash = _scores([0.4, 0.5, 0.4], [0.9, 1.0, 0.8])
    k, reason = _choose_k(clash, "finest_peak", 0.8)
    assert k == 4 and "highest silhouette" in reason
    rising = _scores([0.2, 0.25, 0.3], [1.2, 1.1, 1.0])
    k, reason = _choose_k(rising, "finest_peak", 0.8)
    assert k == 5 and "larger k_max" in reason


# ----------------------------------------------------------------------------------------------------
# profiles: independent pandas checks
# ----------------------------------------------------------------------------------------------------


def test_profiles_against_pandas(generated, fitted):
    tx = generated[0]
    labels = fitted.labels_
    prof = fitted.profiles_
    # Sizes and revenue straight from the raw transactions.
    revenue = tx.groupby("customer_id")["amount"].sum().reindex(labels.index)
    assert prof["n_customers"].sum() == 2000
    assert prof["n_customers"].tolist() == labels.value_counts().sort_index().tolist()
    by_persona = revenue.groupby(labels).sum()
    assert np.allclose(prof["revenue"], by_persona.round(2), atol=0.02)
    assert np.allclose(prof["share_revenue"], by_persona / revenue.sum())
    assert prof["share_revenue"].sum() == pytest.approx(1.0)
    assert prof["share_customers"].sum() == pytest.approx(1.0)
    assert prof["share_revenue"].is_monotonic_decreasing
    # Index of orders: persona mean / base mean x 100, orders counted in plain pandas.
    orders = tx[~tx["order_id"].str.startswith("R")].groupby("customer_id")["order_id"].nunique()
    orders = orders.reindex(labels.index)
    expected = (100 * orders.groupby(labels).mean() / orders.mean()).round(1)
    assert prof["n_orders_index"].tolist() == expected.tolist()
    assert prof["n_orders_median"].tolist() == orders.groupby(labels).median().tolist()
    # Dominant channel per persona and its share.
    top = fitted.features_["top_channel"]
    for persona in prof.index:
        counts = top[labels == persona].value_counts()
        assert prof.loc[persona, "top_channel_dominant_share"] == pytest.approx(counts.max() / counts.sum())


def test_names_unique_and_texts(fitted):
    assert fitted.names_.is_unique and len(fitted.names_) == fitted.k_
    assert fitted.profiles_["name"].tolist() == fitted.names_.tolist()
    cards = fitted.persona_cards()
    assert cards.columns.tolist() == [
        "name",
        "customers",
        "share_customers",
        "share_revenue",
        "description",
        "approach",
    ]
    first = cards.loc[0]
    assert first["description"].startswith(f"{first['customers']:,} customers (")
    assert all(len(text) > 40 for text in cards["approach"])
    assignments = fitted.assignments()
    assert assignments.loc[fitted.labels_.index[0], "persona_name"] == fitted.names_[fitted.labels_.iloc[0]]
    index = fitted.feature_index()
    assert index.index.tolist() == fitted.names_.tolist()
    assert index.loc[fitted.names_[0], "n_orders"] == round(fitted.profiles_.loc[0, "n_orders_index"])
    assert str(index.dtypes.iloc[0]) == "Int64"


def test_namer_rules_from_profile_not_cluster_number():
    z = pd.Series(
        {
            "recency_days": 1.2,
            "n_orders": -1.0,
            "revenue": -1.1,
            "tenure_days": 0.5,
            "avg_order_value": -0.2,
            "gap_days": 1.5,
        }
    )
    prof = pd.Series({"n_orders_median": 1.0})
    assert _name(_traits(z, prof)) == "Lapsed one-time buyers"
    z2 = pd.Series(
        {
            "recency_days": -1.0,
            "n_orders": 1.5,
            "revenue": 1.6,
            "tenure_days": 0.8,
            "avg_order_value": 0.5,
            "gap_days": -1.0,
        }
    )
    assert _name(_traits(z2, pd.Series({"n_orders_median": 30.0}))) == "Frequent high spenders"
    z3 = z2.copy()
    z3[["tenure_days", "recency_days"]] = [-1.5, -1.0]
    assert _name(_traits(z3, pd.Series({"n_orders_median": 3.0}))) == "Promising new customers"
    # Two personas with the same name are told apart by the feature on which they differ most.
    zs = pd.DataFrame([z2, z2 + pd.Series({"avg_order_value": 1.0})])
    assert _unique_names(["Frequent high spenders"] * 2, zs) == [
        "Frequent high spenders, smaller baskets",
        "Frequent high spenders, bigger baskets",
    ]
    # Identical profiles cannot be told apart by a feature: they are numbered.
    same = pd.DataFrame([z2, z2, z2])
    assert _unique_names(["A", "A", "B"], same) == ["A (1)", "A (2)", "B"]


def test_save(fitted, tmp_path):
    people, profiles = fitted.save(tmp_path / "report")
    back = pd.read_csv(people, index_col="customer_id", dtype={"customer_id": str})
    assert back["persona"].tolist() == fitted.labels_.tolist()
    assert back["persona_name"].tolist() == fitted.labels_.map(fitted.names_).tolist()
    table = pd.read_csv(profiles, index_col="persona")
    assert table["name"].tolist() == fitted.names_.tolist()
    assert table["description"].tolist() == fitted.descriptions_.tolist()


def test_segments_and_abc_context(generated):
    tx = generated[0]
    feats = segkit.customer_features(tx)
    segments = pd.Series(np.where(feats["n_orders"] > 5, "Champions", "Others"), index=feats.index)
    segments = segments.astype(pd.CategoricalDtype(["Champions", "Others", "Unused"], ordered=True))
    abc = pd.Series(np.where(feats["revenue"] > feats["revenue"].median(), "A", "C"), index=feats.index)
    p = segkit.Personas(n_resamples=0).fit(feats, segments=segments.iloc[::-1], abc=abc.iloc[:-10])
    prof = p.profiles_
    for persona in prof.index:
        members = p.labels_ == persona
        counts = segments[members].value_counts()
        assert prof.loc[persona, "rfm_segment"] == counts.index[0]
        assert prof.loc[persona, "rfm_segment_dominant_share"] == pytest.approx(
            counts.iloc[0] / members.sum()
        )
    assert prof.loc[0, "abc_class"] == "A"  # the top-revenue persona
    assert "RFM segment: mostly" in p.descriptions_[0]
    with pytest.raises(segkit.ParameterError, match="segments must be a pandas Series"):
        segkit.Personas(n_resamples=0).fit(feats, segments=["x"] * len(feats))


# ----------------------------------------------------------------------------------------------------
# features, attributes, predict, scale path
# ----------------------------------------------------------------------------------------------------


def test_attributes_are_clustered_and_profiled(generated):
    tx, customers = generated
    with_region = tx.merge(customers[["customer_id", "region"]], on="customer_id")
    data = segkit.read_transactions(with_region, attributes=["region"], duplicates="keep", zero_amount="keep")
    p = segkit.personas(data, attributes=["region"], n_resamples=0, k_range=(3, 5))
    assert "region" in p.feature_names_
    assert p.pipeline_.named_steps["prepare"].named_transformers_["onehot"].categories_[0].tolist() == [
        "central",
        "east",
        "north",
        "south",
        "west",
    ]
    assert set(p.profiles_["region"]) <= {"central", "east", "north", "south", "west"}
    # Named in features, an attribute is picked up without attributes=.
    q = segkit.Personas(features=["recency_days", "n_orders", "region"], n_resamples=0, k_range=(3, 4)).fit(
        data
    )
    assert q.feature_names_ == ["recency_days", "n_orders", "region"]
    assert q.predict(data).equals(q.labels_)


def test_predict_and_pipeline(generated, fitted):
    assert fitted.predict(fitted.features_).equals(fitted.labels_)
    assert fitted.predict(generated[0]).equals(fitted.labels_)
    part = fitted.features_.iloc[:50]
    assert fitted.pipeline_.predict(part[fitted.feature_names_]).tolist() == fitted.labels_.iloc[:50].tolist()
    with pytest.raises(segkit.DataContractError, match="lacks the feature"):
        fitted.predict(fitted.features_.drop(columns=["gap_days"]))
    with pytest.raises(segkit.ParameterError, match="not fitted"):
        segkit.Personas().predict(fitted.features_)


def test_sampling_path_assigns_everyone_reproducibly(generated):
    feats = segkit.customer_features(generated[0])
    a = segkit.Personas(sample_size=600, silhouette_size=300, n_resamples=2).fit(feats)
    b = segkit.Personas(sample_size=600, silhouette_size=300, n_resamples=2).fit(
        feats.sample(frac=1, random_state=1)
    )
    assert len(a.labels_) == 2000 and a.labels_.index.equals(feats.index)
    pd.testing.assert_series_equal(a.labels_, b.labels_)
    assert a.predict(feats).equals(a.labels_)


def test_custom_features_and_default_set(fitted):
    assert fitted.feature_names_ == list(segkit.BEHAVIOUR_FEATURES)
    assert fitted.dropped_features_ == [] and fitted.notes_ == []
    p = segkit.Personas(features=["n_orders", "revenue", "top_category_share"], n_resamples=0, k_range=(3, 4))
    p.fit(fitted.features_)
    assert p.feature_names_ == ["n_orders", "revenue", "top_category_share"]


# ----------------------------------------------------------------------------------------------------
# degenerate inputs and bad parameters
# ----------------------------------------------------------------------------------------------------


def _features(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "recency_days": rng.integers(1, 400, n),
            "n_orders": rng.integers(1, 30, n),
            "revenue": rng.gamma(2, 100, n).round(2),
        },
        index=pd.Index([f"c{i:04d}" for i in range(n)], name="customer_id"),
    )


def test_fewer_customers_than_k():
    with pytest.raises(
        segkit.DataContractError, match=r"Only 3 distinct customer profile.*k_range=\(3, 7\).*at least 4"
    ):
        segkit.Personas().fit(_features(3))
    p = segkit.Personas(n_resamples=1).fit(_features(5))
    assert p.k_scores_.index.tolist() == [3, 4]
    assert p.notes_ == ["Only 5 distinct customer profiles: k_range capped at (3, 4)."]
    assert p.labels_.nunique() == p.k_


def test_constant_feature_is_dropped():
    feats = _features(300).assign(avg_order_value=50.0)
    p = segkit.Personas(features=["recency_days", "n_orders", "revenue", "avg_order_value"], n_resamples=0)
    p.fit(feats)
    assert p.dropped_features_ == ["avg_order_value"]
    assert p.feature_names_ == ["recency_days", "n_orders", "revenue"]
    assert "avg_order_value" in p.notes_[0]
    assert p.profiles_["avg_order_value_index"].tolist() == [100.0] * p.k_


def test_all_customers_identical():
    feats = pd.DataFrame(
        {"recency_days": [10] * 50, "n_orders": [2] * 50, "revenue": [99.0] * 50},
        index=[f"c{i}" for i in range(50)],
    )
    with pytest.raises(segkit.DataContractError, match="All 50 customers have identical values"):
        segkit.Personas().fit(feats)
    # The same from transactions: everyone bought the same amount on the same day.
    tx = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(20)], "order_date": "2024-03-01", "amount": 10.0}
    )
    with pytest.raises(segkit.DataContractError, match="identical values"):
        segkit.personas(tx)


def test_missing_values_and_bad_tables():
    feats = _features(100)
    feats.loc["c0003", "revenue"] = np.nan
    with pytest.raises(segkit.DataContractError, match=r"Column 'revenue': missing values .*1 row.*'c0003'"):
        segkit.Personas().fit(feats)
    dup = pd.concat([_features(10), _features(10)])
    with pytest.raises(segkit.DataContractError, match="duplicate customer ids"):
        segkit.Personas().fit(dup)
    with pytest.raises(segkit.DataContractError, match="got list"):
        segkit.Personas().fit([1, 2, 3])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"k_range": (1, 3)}, "k_range must be"),
        ({"k_range": (5, 3)}, "k_range must be"),
        ({"k_range": 4}, "k_range must be"),
        ({"random_state": -1}, "random_state"),
        ({"random_state": None}, "random_state"),
        ({"k_selection": "elbow"}, "k_selection must be one of"),
        ({"min_silhouette_ratio": 0}, "min_silhouette_ratio"),
        ({"n_resamples": -1}, "n_resamples"),
        ({"sample_size": 10}, "sample_size"),
        ({"features": "revenue"}, "features must be a non-empty list"),
        ({"features": ["revenue", "nope"]}, r"features: \['nope'\] not in the feature table"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(segkit.ParameterError, match=match):
        segkit.Personas(**params).fit(_features(50))


# ----------------------------------------------------------------------------------------------------
# plots
# ----------------------------------------------------------------------------------------------------


def test_plots(fitted):
    ax = segkit.plot_persona_heatmap(fitted)
    assert [t.get_text() for t in ax.get_yticklabels()] == fitted.names_.tolist()
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"{fitted.profiles_.loc[0, 'recency_days_index']:.0f}"
    ax = segkit.plot_persona_projection(fitted, sample_size=500)
    assert ax.get_xlabel().startswith("PC1 (") and len(ax.collections) == 2 * fitted.k_
    ax = segkit.plot_persona_sizes(fitted)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches if p.get_width() > 0)
    expected = sorted(
        round(v, 6) for v in [*fitted.profiles_["share_customers"], *fitted.profiles_["share_revenue"]]
    )
    assert widths == expected
    ax = segkit.plot_persona_k_scores(fitted)
    assert ax.get_lines()[0].get_ydata().tolist() == fitted.k_scores_["silhouette"].tolist()
    with pytest.raises(segkit.ParameterError, match="fitted segkit.Personas"):
        segkit.plot_persona_sizes(segkit.Personas())
    with pytest.raises(segkit.ParameterError, match="annotate"):
        segkit.plot_persona_heatmap(fitted, annotate="pct")
    plt.close("all")


@settings(max_examples=8, deadline=None)
@given(
    n=st.integers(12, 60),
    seed=st.integers(0, 10_000),
    perm_seed=st.integers(0, 10_000),
)
def test_property_partition_ignores_row_order(n, seed, perm_seed):
    feats = _features(n, seed)
    model = segkit.Personas(k_range=(2, 4), n_resamples=0).fit(feats)
    shuffled = feats.sample(frac=1.0, random_state=perm_seed)
    other = segkit.Personas(k_range=(2, 4), n_resamples=0).fit(shuffled)
    pd.testing.assert_series_equal(model.labels_, other.labels_)
    prof = model.profiles_
    assert prof["n_customers"].sum() == n and (prof["n_customers"] > 0).all()
    assert prof["share_revenue"].sum() == pytest.approx(1.0)
    assert model.names_.is_unique
    assert set(model.labels_) == set(range(model.k_))


def test_integer_ids_match_segments():
    feats = _features(80).reset_index(drop=True)  # customer ids 0..79 as integers
    segments = pd.Series(["x"] * 40 + ["y"] * 40, index=[str(i) for i in range(80)])
    model = segkit.Personas(k_range=(2, 3), n_resamples=0).fit(feats, segments=segments)
    assert "(none)" not in set(model.profiles_["rfm_segment"])


def test_features_without_revenue():
    feats = _features(120).drop(columns=["revenue"])
    model = segkit.Personas(k_range=(2, 4), n_resamples=0).fit(feats)
    cards = model.persona_cards()
    assert cards["share_revenue"].isna().all()
    assert cards["customers"].sum() == 120
    # Without revenue, personas are numbered by size.
    assert cards["customers"].is_monotonic_decreasing
    assert (
        model.k_scores_.attrs["rule"] == "finest_peak" and model.k_scores_.attrs["reason"] == model.k_reason_
    )
