"""RFM scores: values, the tie rule, hard cases (heavy ties, all equal, one customer), breakpoints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segkit
from segkit.segments._rfm import _count_worse, _edges_from_scores, _quantile_scores, _score_by_edges

AS_OF = "2024-07-01"


def orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """One order per row: (customer, date, amount); order ids are unique."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "order_date": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "amount": [r[2] for r in rows],
        }
    )


def base_with_frequencies(freqs: list[int]) -> pd.DataFrame:
    """Customer i has freqs[i] orders of 10.0, the last one on a distinct day (so recency is unique)."""
    rows = []
    for i, n in enumerate(freqs):
        last = pd.Timestamp("2024-06-30") - pd.Timedelta(days=i)
        for k in range(n):
            rows.append(
                (
                    f"c{i:03d}",
                    str((last - pd.Timedelta(days=200 + k)).date()) if k else str(last.date()),
                    10.0,
                )
            )
    return orders(rows)


def test_values_recency_frequency_monetary_by_hand():
    df = orders(
        [
            ("a", "2024-06-01", 100.0),
            ("a", "2024-06-30 18:00", 50.0),
            ("b", "2024-01-15", 20.0),
            ("b", "2024-07-02", 999.0),  # after as_of: ignored
        ]
    )
    table = segkit.rfm(df, as_of=AS_OF, bins=2).table_
    assert table.loc["a", ["recency_days", "frequency", "monetary"]].tolist() == [1, 2, 150.0]
    assert table.loc["b", ["recency_days", "frequency", "monetary"]].tolist() == [168, 1, 20.0]
    mean = segkit.rfm(df, as_of=AS_OF, bins=2, monetary="mean").table_
    assert mean.loc["a", "monetary"] == 75.0
    assert mean.loc["a", "revenue"] == 150.0


def test_direction_best_customer_scores_top_and_worst_scores_one():
    rows = []
    # c0 is the most recent, most frequent and biggest; c9 the opposite.
    for i in range(10):
        day = pd.Timestamp("2024-06-30") - pd.Timedelta(days=10 * i)
        for k in range(10 - i):
            rows.append((f"c{i}", str((day - pd.Timedelta(days=k)).date()), 100.0 - 10 * i))
    res = segkit.rfm(orders(rows), as_of=AS_OF)
    t = res.table_
    assert t.loc["c0", ["r_score", "f_score", "m_score"]].tolist() == [5, 5, 5]
    assert t.loc["c0", "rfm_cell"] == "555"
    assert t.loc["c9", "rfm_cell"] == "111"
    # Ten distinct values on 5 points: exactly two customers per score in each dimension.
    for col in ("r_score", "f_score", "m_score"):
        assert t[col].value_counts().sort_index().tolist() == [2, 2, 2, 2, 2]
    assert res.scale_complete_
    assert res.bins_used_ == {"recency": 5, "frequency": 5, "monetary": 5}


def test_seventy_percent_one_order_customers_do_not_crash_or_hide_the_gap():
    freqs = [1] * 70 + [2] * 12 + [3] * 8 + [4] * 6 + [5] * 4
    with pytest.raises(ValueError):  # what breaks elsewhere: pandas qcut on the same frequencies
        pd.qcut(freqs, 5, labels=False)
    res = segkit.rfm(base_with_frequencies(freqs), as_of=AS_OF)
    f = res.table_.sort_index()["f_score"].to_numpy()
    # One order beats nobody -> 1; two orders beat 70 of the 99 others -> 1 + 5*70//99 = 4; three+ -> 5.
    assert (f[:70] == 1).all() and (f[70:82] == 4).all() and (f[82:] == 5).all()
    assert res.bins_used_["frequency"] == 3
    assert res.empty_scores_["frequency"] == [2, 3]
    assert not res.scale_complete_
    note = next(n for n in res.notes_ if n.startswith("frequency"))
    assert "70%" in note and "2, 3 are empty" in note and "breakpoints" in note
    assert res.thresholds_.loc[("frequency", 2), "customers"] == 0
    assert "frequency=3" in repr(res)


def test_all_customers_equal():
    df = orders([(f"c{i}", "2024-05-01", 10.0) for i in range(6)])
    res = segkit.rfm(df, as_of=AS_OF, bins=3)
    # Equal customers are all best on every dimension: the top score, never the bottom.
    assert (res.table_["rfm_cell"] == "333").all()
    assert res.bins_used_ == {"recency": 1, "frequency": 1, "monetary": 1}
    assert sum("same value" in n for n in res.notes_) == 3


def test_one_customer():
    res = segkit.rfm(orders([("solo", "2024-05-01", 10.0), ("solo", "2024-06-01", 5.0)]), as_of=AS_OF)
    assert res.table_["rfm_cell"].tolist() == ["555"]
    assert res.table_.loc["solo", "frequency"] == 2
    assert any("bins=2" in n for n in res.notes_)
    seg = segkit.rfm_segments(res)
    assert seg["segment"].tolist() == ["Champions"]


@pytest.mark.parametrize(("bins", "expected"), [(2, [1, 1, 1, 2, 2, 2]), (3, [1, 1, 2, 2, 3, 3])])
def test_two_and_three_point_scales(bins, expected):
    # Monetary 10..60: p = worse / 5, score = 1 + floor(bins * p), capped at bins.
    df = orders([(f"c{i}", "2024-05-01", 10.0 * (i + 1)) for i in range(6)])
    res = segkit.rfm(df, as_of=AS_OF, bins=bins)
    assert res.table_.sort_index()["m_score"].tolist() == expected
    assert res.bins_ == bins and res.bins_used_["monetary"] == bins
    assert len(res.breakpoints_["monetary"]) == bins - 1


def test_custom_breakpoints_upper_inclusive_in_both_directions():
    freqs = [1, 2, 3, 4, 5, 6]
    res = segkit.rfm(
        base_with_frequencies(freqs), as_of=AS_OF, breakpoints={"f": [1, 2, 3, 5], "recency": [1, 2, 3, 4]}
    )
    t = res.table_.sort_index()
    assert t["f_score"].tolist() == [1, 2, 3, 4, 4, 5]
    # Recency 1..6 days: up to 1 day scores 5, more than 4 days scores 1.
    assert t["recency_days"].tolist() == [1, 2, 3, 4, 5, 6]
    assert t["r_score"].tolist() == [5, 4, 3, 2, 1, 1]
    assert res.methods_ == {"recency": "breakpoints", "frequency": "breakpoints", "monetary": "quantile"}
    assert res.breakpoints_["frequency"] == [1.0, 2.0, 3.0, 5.0]


def test_breakpoints_that_leave_scores_empty_are_reported():
    res = segkit.rfm(
        base_with_frequencies([1, 1, 2]), as_of=AS_OF, bins=3, breakpoints={"frequency": [5, 10]}
    )
    assert res.table_["f_score"].tolist() == [1, 1, 1]
    assert res.empty_scores_["frequency"] == [2, 3]
    assert any("between some of the given breakpoints" in n for n in res.notes_)


@pytest.mark.parametrize(
    ("breakpoints", "message"),
    [
        ({"frequency": [1, 2, 3]}, "needs bins - 1 = 4 edges"),
        ({"frequency": [1, 3, 2, 5]}, "non-decreasing"),
        ({"loyalty": [1, 2, 3, 4]}, "unknown key"),
        ({"monetary": ["a", 1, 2, 3]}, "list of numbers"),
        ([1, 2, 3, 4], "must be a mapping"),
    ],
)
def test_bad_breakpoints_raise_parameter_error(breakpoints, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.rfm(base_with_frequencies([1, 2]), as_of=AS_OF, breakpoints=breakpoints)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bins": 1}, "bins"),
        ({"bins": 10}, "bins"),
        ({"bins": 2.5}, "bins"),
        ({"monetary": "median"}, "monetary"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.rfm(base_with_frequencies([1, 2]), as_of=AS_OF, **kwargs)


def test_breakpoints_from_a_result_reproduce_its_scores():
    rng = np.random.default_rng(3)
    rows = [
        (f"c{rng.integers(0, 60)}", str(pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d))), float(a))
        for d, a in zip(rng.integers(0, 180, 400), rng.choice([5.0, 10.0, 25.0, 80.0], 400), strict=True)
    ]
    first = segkit.rfm(orders(rows), as_of=AS_OF)
    again = segkit.rfm(orders(rows), as_of=AS_OF, breakpoints=first.breakpoints_)
    pd.testing.assert_frame_equal(first.table_, again.table_)


def test_no_order_column_counts_purchase_days_and_says_so():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_date": pd.to_datetime(
                ["2024-05-01 10:00", "2024-05-01 15:00", "2024-05-03", "2024-05-01"], format="ISO8601"
            ),
            "amount": [10.0, 5.0, 1.0, 2.0],
        }
    )
    res = segkit.rfm(df, as_of=AS_OF, bins=2)
    assert res.table_.loc["a", "frequency"] == 2
    assert res.frequency_source_.startswith("derived")
    assert any("purchase days" in n for n in res.notes_)


def test_returns_are_netted_and_return_only_customers_reported():
    df = orders(
        [
            ("a", "2024-05-01", 100.0),
            ("a", "2024-05-03", -30.0),
            ("b", "2024-05-02", 10.0),
            ("z", "2024-05-02", -5.0),
        ]
    )
    res = segkit.rfm(df, as_of=AS_OF, bins=2)
    assert res.table_.loc["a", ["frequency", "monetary"]].tolist() == [1, 70.0]
    assert "z" not in res.table_.index
    assert res.customers_without_purchases_ == 1
    assert any("only returns" in n for n in res.notes_)


# ------------------------------------------------------------------------------------------------
# the scoring rule as a property
# ------------------------------------------------------------------------------------------------

values_strategy = st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(values=values_strategy, bins=st.integers(min_value=2, max_value=9))
def test_quantile_scores_properties(values, bins):
    x = np.asarray(values, dtype=float)
    s = _quantile_scores(x, bins)
    assert s.min() >= 1 and s.max() <= bins
    # Ties share a score and a better value never scores lower.
    order = np.argsort(x, kind="stable")
    assert (np.diff(s[order]) >= 0).all()
    for v in np.unique(x):
        assert np.unique(s[x == v]).size == 1
    # The best value always scores the top; the worst scores 1 unless it is also the best.
    assert (s[x == x.max()] == bins).all()
    if x.min() < x.max():
        assert (s[x == x.min()] == 1).all()
    # Hand formula: 1 + floor(bins * worse / (n - 1)), the best value raised to the top.
    n = x.size
    worse = np.array([(x < v).sum() for v in x])
    expected = np.ones(n, dtype=int) if n == 1 else np.minimum(1 + (bins * worse) // (n - 1), bins)
    expected = np.where(x == x.max(), bins, expected)
    assert (s == expected).all()
    # The reported edges reproduce the scores, in both directions (x read as whole days for recency).
    for lower_is_better in (False, True):
        scores = _quantile_scores(-x if lower_is_better else x, bins)
        edges = np.asarray(_edges_from_scores(x, scores, bins, lower_is_better))
        assert (np.diff(edges) >= 0).all()
        assert (_score_by_edges(x, edges, bins, lower_is_better) == scores).all()


@settings(max_examples=30, deadline=None)
@given(freqs=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=25))
def test_rfm_never_crashes_and_scale_is_honest(freqs):
    res = segkit.rfm(base_with_frequencies(freqs), as_of=AS_OF)
    for dim, (_, score_col) in segkit.segments._rfm.DIMENSIONS.items():
        used = sorted(res.table_[score_col].unique().tolist())
        assert res.bins_used_[dim] == len(used)
        assert res.empty_scores_[dim] == [s for s in range(1, 6) if s not in used]
        assert res.thresholds_.loc[dim, "customers"].sum() == len(freqs)


# ------------------------------------------------------------------------------------------------
# plots
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def scored() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "r_score": [1, 2, 2, 2, 1],
            "f_score": [1, 1, 2, 2, 1],
            "m_score": [1, 1, 2, 2, 2],
            "monetary": [10.0, 20.0, 40.0, 60.0, 30.0],
        }
    )


def test_plot_rfm_heatmap_shows_mean_monetary_per_cell(close_figures):
    ax = segkit.plot_rfm_heatmap(scored())
    # Rows R = 2, 1 (best on top), columns F = 1, 2; the empty cell R1 F2 is masked.
    values = np.ma.filled(ax.collections[0].get_array().reshape(2, 2), np.nan)
    np.testing.assert_array_equal(values, [[20.0, 50.0], [20.0, np.nan]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2", "1"]
    counts = segkit.plot_rfm_heatmap(scored(), agg="count")
    np.testing.assert_array_equal(
        np.ma.filled(counts.collections[0].get_array().reshape(2, 2), 0), [[1, 2], [2, 0]]
    )
    with pytest.raises(segkit.ParameterError, match="agg"):
        segkit.plot_rfm_heatmap(scored(), agg="max")
    with pytest.raises(segkit.ParameterError, match="lacks"):
        segkit.plot_rfm_heatmap(scored(), value="revenue")


def test_plot_score_distributions_counts_customers_per_score(close_figures):
    ax = segkit.plot_score_distributions(scored())
    heights = [p.get_height() for p in ax.patches[:6]]  # R bars for scores 1, 2, then F, then M
    assert heights == [2, 3, 3, 2, 2, 3]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["R", "F", "M"]


def test_plot_segment_sizes_and_migration(close_figures):
    summary = pd.DataFrame(
        {"customers_share": [0.25, 0.75], "revenue_share": [0.6, 0.4]},
        index=pd.Index(["Champions", "Lost"], name="segment"),
    )
    ax = segkit.plot_segment_sizes(summary)
    widths = sorted(round(p.get_width(), 6) for p in ax.patches if p.get_width() > 0)
    assert widths == [25.0, 40.0, 60.0, 75.0]
    m = segkit.segment_migration(pd.Series({"a": "New", "b": "New"}), pd.Series({"a": "Lost", "b": "New"}))
    grid = np.ma.filled(segkit.plot_migration(m).collections[0].get_array(), np.nan).reshape(3, 3)
    # Rows Lost, New, (new); columns Lost, New, (left): half of New went to Lost, half stayed.
    assert grid[1].tolist() == [50.0, 50.0, 0.0]
    with pytest.raises(segkit.ParameterError, match="segment_migration"):
        segkit.plot_migration(summary)


def test_quantile_scores_count_whole_numbers_and_money_alike() -> None:
    # Days and order counts go through a histogram, money through a sort: both give the tie rule.
    rng = np.random.default_rng(3)
    days = rng.integers(0, 900, size=5_000).astype(float)
    money = np.round(rng.gamma(2.0, 150.0, size=5_000), 2)
    for goodness in (-days, days, money, -money, np.full(10, 7.0)):
        expected_worse = np.searchsorted(np.sort(goodness), goodness, side="left")
        expected = np.minimum(1 + (5 * expected_worse) // (goodness.size - 1), 5)
        expected[goodness == goodness.max()] = 5
        np.testing.assert_array_equal(_quantile_scores(goodness, 5), expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, 1.25, -0.0, 0.0])),
        min_size=1,
        max_size=60,
    )
)
def test_count_worse_counts_the_strictly_smaller_values(values):
    # Money (not whole numbers) goes through the ordering path; the count is what a search would give.
    goodness = np.asarray(values, dtype=float)
    want = np.searchsorted(np.sort(goodness), goodness, side="left")
    got = _count_worse(goodness)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
