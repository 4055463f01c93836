"""Per-customer behaviour features (and the two engine aggregates behind them): hand-computed values,
the one-purchase-day rule, favourite category/channel shares, attributes, as_of, row-order invariance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segkit
from segkit.engine._aggregates import customer_gaps, customer_mix

AS_OF = "2024-07-01"


def lines(rows: list[tuple]) -> pd.DataFrame:
    """Rows (customer, order, date, amount, category, channel)."""
    return pd.DataFrame(
        rows, columns=["customer_id", "order_id", "order_date", "amount", "category", "channel"]
    ).assign(order_date=lambda d: pd.to_datetime(d["order_date"], format="ISO8601"))


@pytest.fixture
def small() -> pd.DataFrame:
    return lines(
        [
            # a: purchase days Jun 1, Jun 11, Jun 21, Jun 30 (gaps 10, 10, 9) -> median 10; two orders on Jun 11
            ("a", "o1", "2024-06-01", 100.0, "home", "store"),
            ("a", "o2", "2024-06-11 10:00", 40.0, "home", "online"),
            ("a", "o3", "2024-06-11 18:00", 60.0, "toys", "online"),
            ("a", "o4", "2024-06-21", 50.0, "home", "online"),
            ("a", "o5", "2024-06-30", 50.0, "home", "store"),
            ("a", "r5", "2024-06-30 19:00", -20.0, "home", "store"),  # a return: lowers revenue only
            # b: one purchase day -> gap = tenure = 31 days
            ("b", "o6", "2024-05-31", 30.0, "toys", "phone"),
            # c: gaps 1, 100 -> median 50.5; a purchase after as_of is ignored
            ("c", "o7", "2024-01-01", 10.0, "toys", "store"),
            ("c", "o8", "2024-01-02", 10.0, "home", "store"),
            ("c", "o9", "2024-04-11", 10.0, "toys", "store"),
            ("c", "o10", "2024-07-05", 500.0, "home", "store"),
        ]
    )


def test_features_by_hand(small):
    f = segkit.customer_features(small, as_of=AS_OF)
    assert f.index.tolist() == ["a", "b", "c"]
    assert f["recency_days"].tolist() == [1, 31, 81]
    assert f["n_orders"].tolist() == [5, 1, 3]
    assert f["revenue"].tolist() == [280.0, 30.0, 30.0]
    assert f["tenure_days"].tolist() == [30, 31, 182]
    assert f["avg_order_value"].tolist() == [60.0, 30.0, 10.0]
    assert f["gap_days"].tolist() == [10.0, 31.0, 50.5]
    assert f.attrs["categorical"] == ["top_category", "top_channel"]
    assert f.attrs["as_of"] == pd.Timestamp(AS_OF)


def test_favourite_category_and_channel_shares(small):
    f = segkit.customer_features(small, as_of=AS_OF)
    # a: home in o1, o2, o4, o5 (4 of 5 purchase orders); online in o2, o3, o4 (3 of 5)
    assert f.loc["a", "top_category"] == "home" and f.loc["a", "top_category_share"] == pytest.approx(0.8)
    assert f.loc["a", "top_channel"] == "online" and f.loc["a", "top_channel_share"] == pytest.approx(0.6)
    # c: toys twice, home once before as_of (the July home order does not count)
    assert f.loc["c", "top_category"] == "toys" and f.loc["c", "top_category_share"] == pytest.approx(2 / 3)
    assert f.loc["b", ["top_channel", "top_channel_share"]].tolist() == ["phone", 1.0]


def test_engine_gaps_and_mix_by_hand(small):
    gaps = customer_gaps(small, as_of=AS_OF)
    assert gaps.index.tolist() == ["a", "c"]  # b has one purchase day
    assert gaps["gap_median_days"].tolist() == [10.0, 50.5]
    assert gaps["gap_mean_days"].tolist() == [pytest.approx(29 / 3, abs=0.01), 50.5]
    assert gaps["n_gaps"].tolist() == [3, 2]
    mix = customer_mix(small, "category", as_of=AS_OF)
    assert mix["n_values"].tolist() == [2, 1, 2]
    with pytest.raises(segkit.ParameterError, match="amount"):
        customer_mix(small, "amount")


def test_tie_goes_to_alphabetically_first():
    df = lines(
        [
            ("a", "o1", "2024-01-01", 10.0, "toys", "store"),
            ("a", "o2", "2024-01-02", 99.0, "home", "online"),
        ]
    )
    f = segkit.customer_features(df)
    assert f.loc["a", ["top_category", "top_channel", "top_category_share"]].tolist() == [
        "home",
        "online",
        0.5,
    ]


def test_no_category_columns_and_attributes():
    raw = pd.DataFrame(
        {
            "client": ["a", "a", "a", "b"],
            "date": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-15"],
            "sum": [10.0, 20.0, 30.0, 5.0],
            "region": ["north", "south", "south", "east"],
        }
    )
    tx = segkit.read_transactions(raw, customer="client", date="date", amount="sum", attributes=["region"])
    plain = segkit.customer_features(tx)
    assert "top_category" not in plain.columns and plain.attrs["categorical"] == []
    f = segkit.customer_features(tx, attributes=["region"])
    assert f["region"].tolist() == ["south", "east"]
    assert f.attrs["attributes"] == ["region"]
    with pytest.raises(segkit.ParameterError, match="'Country' is not an attribute column.*'region'"):
        segkit.customer_features(tx, attributes=["Country"])
    with pytest.raises(segkit.ParameterError, match="'amount' is not an attribute"):
        segkit.customer_features(tx, attributes="amount")


def test_only_returns_customer_is_left_out():
    df = lines(
        [
            ("a", "o1", "2024-01-01", 10.0, "toys", "store"),
            ("z", "r1", "2024-01-05", -10.0, "toys", "store"),
        ]
    )
    assert segkit.customer_features(df).index.tolist() == ["a"]


@st.composite
def random_lines(draw):
    n = draw(st.integers(2, 25))
    customers = draw(st.lists(st.sampled_from(list("abcdef")), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    amounts = draw(
        st.lists(st.floats(1, 500, allow_nan=False).map(lambda v: round(v, 2)), min_size=n, max_size=n)
    )
    cats = draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n))
    df = pd.DataFrame(
        {
            "customer_id": customers,
            "order_id": [f"o{i}" for i in range(n)],
            "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
            "amount": amounts,
            "category": cats,
        }
    )
    return df, draw(st.permutations(range(n)))


@settings(max_examples=12, deadline=None)
@given(random_lines())
def test_properties_and_row_order_invariance(case):
    df, perm = case
    f = segkit.customer_features(df)
    shuffled = segkit.customer_features(df.iloc[list(perm)].reset_index(drop=True))
    pd.testing.assert_frame_equal(f, shuffled)
    # The median gap never exceeds the span between first and last purchase day (nor the tenure).
    span = f["tenure_days"] - f["recency_days"]
    repeat = span > 0
    assert (f.loc[repeat, "gap_days"] <= span[repeat]).all()
    assert (f.loc[~repeat, "gap_days"] == f.loc[~repeat, "tenure_days"]).all()
    gaps = customer_gaps(df)
    # Consecutive gaps add up to the span: mean gap x number of gaps == last day - first day.
    assert np.allclose(gaps["gap_mean_days"] * gaps["n_gaps"], span[gaps.index], atol=0.02 * gaps["n_gaps"])
    assert ((f["top_category_share"] > 0) & (f["top_category_share"] <= 1)).all()
    assert np.isclose(f["revenue"].sum(), df["amount"].sum())
