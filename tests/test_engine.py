"""The engine layer: hand-computed aggregates, the as-of cut, and plain-pandas parity on real data."""

from __future__ import annotations

import pandas as pd
import pytest

import segkit
from segkit import ParameterError

TX = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
        "order_id": ["o1", "o1", "o2", "r1", "o3", "o4", "o5"],
        "order_date": pd.to_datetime(
            [
                "2024-01-10 09:00",
                "2024-01-10 09:00",
                "2024-01-10 17:00",
                "2024-02-01 10:00",
                "2024-02-15 12:00",
                "2024-03-31 23:59",
                "2024-04-01 00:00",
            ]
        ),
        "amount": [10.0, 5.0, 20.0, -5.0, 7.5, 2.5, 99.0],
        "margin": [2.0, 1.0, 4.0, -1.0, 1.5, 0.5, 9.0],
        "category": ["x", "y", "x", "x", "x", "x", "z"],
    }
)


@pytest.fixture()
def tx() -> segkit.Transactions:
    return segkit.read_transactions(TX, category="category", duplicates="keep")


def test_customer_summary_by_hand(tx: segkit.Transactions) -> None:
    s = segkit.customer_summary(tx, as_of="2024-04-01")
    assert list(s.index) == ["a", "b"]  # c bought on the as-of day itself: not yet visible
    a, b = s.loc["a"], s.loc["b"]
    assert (a.n_orders, a.n_purchase_days, a.n_returns) == (2, 1, 1)
    assert (a.revenue, a.gross_revenue, a.returns_amount, a.margin) == (30.0, 35.0, 5.0, 6.0)
    assert a.avg_order_value == 17.5
    assert (a.recency_days, a.tenure_days) == (82, 82)
    assert (b.n_orders, b.revenue, b.recency_days, b.tenure_days) == (2, 10.0, 1, 46)
    assert a.n_categories == 2 and b.n_categories == 1
    assert s.attrs["as_of"] == pd.Timestamp("2024-04-01")


def test_customer_summary_default_as_of_is_day_after_last_sale(tx: segkit.Transactions) -> None:
    s = segkit.customer_summary(tx)
    assert s.attrs["as_of"] == pd.Timestamp("2024-04-02")
    assert s.loc["c", "recency_days"] == 1


def test_customers_with_only_returns_are_counted_not_summarised() -> None:
    frame = pd.DataFrame(
        {"customer_id": ["a", "b"], "order_date": ["2024-01-01", "2024-01-02"], "amount": [10.0, -3.0]}
    )
    s = segkit.customer_summary(frame)
    assert list(s.index) == ["a"]
    assert s.attrs["customers_without_purchases"] == 1


def test_customer_periods_dense_grid(tx: segkit.Transactions) -> None:
    grid = segkit.customer_periods(tx, as_of="2024-04-01", fill_zeros=True)
    wide = grid.pivot(index="customer_id", columns="period", values="revenue")
    assert list(wide.columns.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"]
    assert wide.loc["a"].tolist() == [35.0, -5.0, 0.0]
    assert wide.loc["b"].tolist() == [0.0, 7.5, 2.5]
    orders = grid.pivot(index="customer_id", columns="period", values="n_orders")
    assert orders.loc["a"].tolist() == [2, 0, 0]


def test_customer_periods_sparse_and_restricted(tx: segkit.Transactions) -> None:
    sparse = segkit.customer_periods(tx, as_of="2024-04-02", period="quarter", customers=["b", "c"])
    assert sparse[["customer_id", "revenue"]].values.tolist() == [["b", 10.0], ["c", 99.0]]
    assert sparse["period"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-04-01"]


def test_customer_periods_start_and_weeks(tx: segkit.Transactions) -> None:
    grid = segkit.customer_periods(tx, as_of="2024-04-01", period="week", start="2024-03-20", fill_zeros=True)
    assert grid["period"].min() == pd.Timestamp("2024-03-18")  # the Monday of the start week
    assert grid["period"].max() == pd.Timestamp("2024-03-25")
    assert grid.loc[grid["revenue"] > 0, "customer_id"].tolist() == ["b"]


def test_customer_days_collapses_same_day_orders(tx: segkit.Transactions) -> None:
    days = segkit.customer_days(tx, as_of="2024-04-02")
    assert days.loc[days["customer_id"] == "a", ["revenue", "n_orders"]].values.tolist() == [[35.0, 2]]
    assert len(days) == 4


def test_period_totals(tx: segkit.Transactions) -> None:
    totals = segkit.period_totals(tx, as_of="2024-04-02")
    assert totals["period"].dt.strftime("%Y-%m").tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert totals["revenue"].tolist() == [35.0, 2.5, 2.5, 99.0]
    assert totals["active_customers"].tolist() == [1, 1, 1, 1]
    assert totals["new_customers"].tolist() == [1, 1, 0, 1]
    assert totals["complete"].tolist() == [True, True, True, False]


def test_as_of_validation(tx: segkit.Transactions) -> None:
    with pytest.raises(ParameterError, match="as_of='not a date' is not a date segkit accepts"):
        segkit.customer_summary(tx, as_of="not a date")
    with pytest.raises(ParameterError, match="as_of='01/03/2024' is ambiguous"):
        segkit.customer_summary(tx, as_of="01/03/2024")
    assert segkit.customer_summary(tx, as_of="01.03.2024").attrs["as_of"] == pd.Timestamp("2024-03-01")
    with pytest.raises(ParameterError, match="whole day"):
        segkit.customer_summary(tx, as_of="2024-03-01 12:00")
    with pytest.raises(ParameterError, match="on or before the first transaction"):
        segkit.customer_summary(tx, as_of="2024-01-01")
    with pytest.raises(ParameterError, match="period must be one of"):
        segkit.customer_periods(tx, period="fortnight")


def test_results_do_not_depend_on_row_order(tx: segkit.Transactions) -> None:
    shuffled = segkit.read_transactions(
        TX.sample(frac=1, random_state=3), category="category", duplicates="keep"
    )
    pd.testing.assert_frame_equal(segkit.customer_summary(tx), segkit.customer_summary(shuffled))


@pytest.mark.realdata
def test_engine_matches_plain_pandas_on_online_retail(online_retail_tx: segkit.Transactions) -> None:
    raw = online_retail_tx.data  # the canonical table; the aggregates below are plain pandas
    as_of = pd.Timestamp("2011-12-10")
    expected = raw.groupby("customer_id").agg(
        revenue=("amount", "sum"), n_orders=("order_id", "nunique"), last=("order_date", "max")
    )
    got = segkit.customer_summary(online_retail_tx)
    assert len(got) == 4_338
    pd.testing.assert_series_equal(got["n_orders"], expected["n_orders"], check_names=False)
    assert (got["revenue"] - expected["revenue"].round(2)).abs().max() < 0.006
    assert (got["recency_days"] == (as_of - expected["last"].dt.normalize()).dt.days).all()
    monthly = raw.groupby(raw["order_date"].dt.to_period("M"))["amount"].sum()
    totals = segkit.period_totals(online_retail_tx)
    assert totals["revenue"].round(2).tolist() == monthly.round(2).tolist()
