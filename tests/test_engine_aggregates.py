"""The per-customer engine aggregates against plain pandas on the same lines (ties, returns, split orders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.engine import customer_days, customer_gaps, customer_main_value, customer_mix

AS_OF = pd.Timestamp("2024-12-01")


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 3000
    df = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in rng.integers(0, 250, n)],
            "order_id": [f"o{i}" for i in rng.integers(0, 1400, n)],
            "order_date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 330 * 24, n), unit="h"),
            "amount": np.round(rng.uniform(1, 90, n), 2),
            "category": rng.choice(["books", "toys", "food", None], n, p=[0.4, 0.3, 0.2, 0.1]),
            "channel": rng.choice(["store", "online"], n),
        }
    )
    # One order id belongs to one customer and one date; some lines of an order are returns.
    first = df.groupby("order_id").agg(
        customer_id=("customer_id", "first"), order_date=("order_date", "first")
    )
    df = df.drop(columns=["customer_id", "order_date"]).join(first, on="order_id")
    df.loc[rng.random(n) < 0.05, "amount"] *= -1
    return df


@pytest.fixture(scope="module")
def tx(lines: pd.DataFrame) -> segkit.Transactions:
    return segkit.read_transactions(lines, returns="net")


def _purchases(tx: segkit.Transactions) -> pd.DataFrame:
    frame = tx.data
    frame = frame.loc[~frame["is_return"] & (frame["order_date"] < AS_OF)]
    return frame.assign(customer_id=frame["customer_id"].astype(str))


def _expected_mix(purchases: pd.DataFrame, column: str) -> pd.DataFrame:
    known = purchases.dropna(subset=[column]).drop_duplicates(["customer_id", "order_id", column])
    counts = known.groupby(["customer_id", column]).size().rename("n").reset_index()
    # Most orders first, then the alphabetically first value.
    top = counts.sort_values(["customer_id", "n", column], ascending=[True, False, True]).drop_duplicates(
        "customer_id"
    )
    top = top.set_index("customer_id")
    totals = known.groupby("customer_id")["order_id"].nunique()
    return pd.DataFrame(
        {
            "top": top[column],
            "top_share": top["n"] / totals,
            "n_values": counts.groupby("customer_id").size(),
        }
    ).sort_index()


@pytest.mark.parametrize("column", ["category", "channel"])
def test_customer_mix_and_main_value_match_pandas(tx, column):
    expected = _expected_mix(_purchases(tx), column)
    mix = customer_mix(tx, column, as_of=AS_OF)
    assert mix.index.tolist() == expected.index.tolist()
    assert mix["top"].tolist() == expected["top"].tolist()
    np.testing.assert_allclose(mix["top_share"], expected["top_share"])
    np.testing.assert_array_equal(mix["n_values"], expected["n_values"])
    main = customer_main_value(tx, column, as_of=AS_OF)
    assert main.to_dict() == expected["top"].to_dict()


def test_customer_mix_counts_orders_on_the_order_day_table_without_reading_the_lines(tx, monkeypatch):
    expected = _expected_mix(_purchases(tx), "channel")
    snap = segkit.snapshot(tx, as_of=AS_OF)
    segkit.customer_summary(snap)  # builds the order-day table the mix reads

    def lines(self):
        raise AssertionError("the transaction lines were read again")

    monkeypatch.setattr(segkit.Snapshot, "table", lines)
    monkeypatch.setattr(segkit.Snapshot, "keyed_table", lines)
    mix = customer_mix(snap, "channel")
    assert mix["top"].tolist() == expected["top"].tolist()
    np.testing.assert_allclose(mix["top_share"], expected["top_share"])
    assert customer_main_value(snap, "channel").to_dict() == expected["top"].to_dict()


def test_customer_mix_of_an_order_spanning_days_counts_each_value_once():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a"],
            # o1 holds books on one day and toys the next: one order of each value, not two of books.
            "order_id": ["o1", "o1", "o2", "o3"],
            "order_date": ["2024-01-31", "2024-02-01", "2024-02-10", "2024-02-12"],
            "amount": [10.0, 5.0, 7.0, 3.0],
            "category": ["books", "toys", "toys", "books"],
        }
    )
    snap = segkit.snapshot(segkit.read_transactions(df, order="order_id"), as_of="2024-03-01")
    assert not snap.single_day_orders()
    mix = customer_mix(snap, "category")
    assert mix.loc["a"].tolist() == ["books", 2 / 3, 2]


def test_customer_days_and_gaps_match_pandas(tx):
    purchases = _purchases(tx).assign(day=lambda f: f["order_date"].dt.normalize())
    per_day = purchases.groupby(["customer_id", "day"]).agg(
        revenue=("amount", "sum"), n_orders=("order_id", "nunique")
    )
    days = customer_days(tx, as_of=AS_OF)
    assert list(zip(days["customer_id"], days["day"], strict=True)) == per_day.index.tolist()
    np.testing.assert_allclose(days["revenue"], per_day["revenue"].round(2))
    np.testing.assert_array_equal(days["n_orders"], per_day["n_orders"])
    gaps = per_day.reset_index().groupby("customer_id")["day"].diff().dt.days.dropna()
    by_customer = pd.DataFrame({"gap": gaps, "customer_id": per_day.reset_index()["customer_id"]}).dropna()
    expected = by_customer.groupby("customer_id")["gap"].agg(["median", "mean", "size"])
    result = customer_gaps(tx, as_of=AS_OF)
    assert result.index.tolist() == expected.index.tolist()
    np.testing.assert_allclose(result["gap_median_days"], expected["median"])
    np.testing.assert_allclose(result["gap_mean_days"], expected["mean"].round(2))
    np.testing.assert_array_equal(result["n_gaps"], expected["size"])


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("period", ["week", "month"])
def test_period_totals_match_pandas(lines, period, split):
    if split:
        # A line of some orders a day later: those orders span days (and now and then periods).
        later = lines.iloc[::40].assign(order_date=lambda f: f["order_date"] + pd.Timedelta(days=1))
        lines = pd.concat([lines, later], ignore_index=True)
    tx = segkit.read_transactions(lines, returns="net")
    frame = tx.data.loc[tx.data["order_date"] < AS_OF]
    start = frame["order_date"].dt.to_period("W-SUN" if period == "week" else "M").dt.start_time
    buy = frame.assign(period=start).loc[~frame["is_return"]]
    expected = pd.DataFrame(
        {
            "revenue": frame.groupby(start)["amount"].sum().round(2),
            "n_orders": buy.groupby("period")["order_id"].nunique(),
            "active_customers": buy.groupby("period")["customer_id"].nunique(),
            "new_customers": buy.groupby("customer_id")["period"].min().value_counts(),
        }
    )
    totals = segkit.period_totals(tx, period=period, as_of=AS_OF).set_index("period")
    assert totals.index[0] == expected.index.min()
    expected = expected.reindex(totals.index).fillna(0)
    np.testing.assert_allclose(totals["revenue"], expected["revenue"], atol=0.005)
    for column in ("n_orders", "active_customers", "new_customers"):
        np.testing.assert_array_equal(totals[column], expected[column].astype("int64"), err_msg=column)
