"""Compact customer keys, one-scan aggregates and snapshot reuse: the same numbers as the plain definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit._errors import ParameterError
from segkit.engine import customer_summary
from segkit.engine._snapshot import customer_keys


def _lines(n_customers: int = 40, n_categories: int = 5, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_customers * 6
    ids = np.array([f"c{i:03d}" for i in rng.integers(0, n_customers, n)])
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    amount = np.round(rng.uniform(1, 100, n), 2) * np.where(rng.random(n) < 0.1, -1, 1)
    return pd.DataFrame(
        {
            "customer_id": ids,
            # Some orders have two lines, some an order id shared by a purchase and its return.
            "order_id": [f"o{i // 2}" for i in range(n)],
            "order_date": days,
            "amount": amount,
            "category": [f"k{j}" for j in rng.integers(0, n_categories, n)],
            "channel": np.where(rng.random(n) < 0.5, "store", "online"),
        }
    )


def test_keys_number_sorted_ids_and_map_back():
    df = _lines()
    tx = segkit.read_transactions(df, order="order_id")
    table, ids = customer_keys(tx)
    assert list(ids) == sorted(df["customer_id"].unique())
    keyed = segkit.snapshot(tx).to_pandas(table).set_index("customer_id")["ckey"]
    assert keyed.loc[list(ids)].tolist() == list(range(len(ids)))
    # The same dictionary object the next time: built once per transactions object.
    assert customer_keys(tx)[1] is ids


@pytest.mark.parametrize("n_categories", [5, 80])  # 80 > 63: the distinct-count fallback
def test_summary_counts_match_pandas(n_categories):
    df = _lines(n_categories=n_categories)
    tx = segkit.read_transactions(df, order="order_id")
    got = customer_summary(tx, as_of="2024-08-01")
    lines = tx.data
    buy = lines.loc[~lines["is_return"]]
    assert got.index.is_monotonic_increasing
    expected_orders = buy.groupby("customer_id")["order_id"].nunique()
    assert got["n_orders"].to_dict() == expected_orders.to_dict()
    returns = lines.loc[lines["is_return"]].groupby("customer_id")["order_id"].nunique()
    assert got["n_returns"].to_dict() == returns.reindex(got.index, fill_value=0).to_dict()
    assert got["n_categories"].to_dict() == buy.groupby("customer_id")["category"].nunique().to_dict()
    assert got["n_channels"].to_dict() == buy.groupby("customer_id")["channel"].nunique().to_dict()
    revenue = lines.groupby("customer_id")["amount"].sum().round(2).reindex(got.index)
    np.testing.assert_allclose(got["revenue"].to_numpy(), revenue.to_numpy())
    days = buy.assign(day=buy["order_date"].dt.normalize()).groupby("customer_id")["day"].nunique()
    assert got["n_purchase_days"].to_dict() == days.to_dict()
    assert (got["first_purchase"] == buy.groupby("customer_id")["order_date"].min()).all()


def test_purchase_days_count_distinct_orders_per_day():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "order_id": ["1", "1", "2", "3"],
            "order_date": ["2024-01-05 09:00", "2024-01-05 09:00", "2024-01-05 18:00", "2024-01-07"],
            "amount": [5.0, 7.0, 1.5, 2.0],
        }
    )
    days = segkit.customer_days(df)
    assert days[["customer_id", "revenue", "n_orders"]].values.tolist() == [["a", 13.5, 2], ["b", 2.0, 1]]


def test_analyses_take_a_snapshot():
    df = _lines()
    tx = segkit.read_transactions(df, order="order_id")
    snap = segkit.snapshot(tx, as_of="2024-08-01")
    pd.testing.assert_frame_equal(segkit.rfm(snap).table_, segkit.rfm(tx, as_of="2024-08-01").table_)
    pd.testing.assert_frame_equal(segkit.abc(snap).table_, segkit.abc(tx, as_of="2024-08-01").table_)
    windowed = segkit.snapshot(snap, window="2024-05-01")
    pd.testing.assert_frame_equal(
        segkit.abc(windowed).table_, segkit.abc(tx, as_of="2024-08-01", start="2024-05-01").table_
    )
    pd.testing.assert_frame_equal(
        segkit.xyz(snap, n_periods=6).table_, segkit.xyz(tx, as_of="2024-08-01", n_periods=6).table_
    )
    with pytest.raises(ParameterError, match="n_periods"):
        segkit.xyz(windowed)


def test_xyz_is_computed_once_per_snapshot_and_copied():
    tx = segkit.read_transactions(_lines(), order="order_id")
    first = segkit.xyz(tx, as_of="2024-08-01", n_periods=6)
    first.table_["xyz_class"] = "changed"
    second = segkit.xyz(tx, as_of="2024-08-01", n_periods=6)
    assert "changed" not in set(second.table_["xyz_class"])
    matrix = segkit.abc_xyz(tx, as_of="2024-08-01", n_periods=6)
    pd.testing.assert_frame_equal(matrix.xyz_.table_, second.table_)


def test_an_order_spanning_days_counts_once_per_customer_and_once_per_day_and_period():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            # Order o1 has lines on 31 January and 1 February: two purchase days, two months, one order.
            "order_id": ["o1", "o1", "o2", "o3"],
            "order_date": ["2024-01-31", "2024-02-01", "2024-02-10", "2024-02-01"],
            "amount": [10.0, 5.0, 7.0, 3.0],
        }
    )
    snap = segkit.snapshot(segkit.read_transactions(df, order="order_id"), as_of="2024-03-01")
    assert not snap.single_day_orders()
    summary = customer_summary(snap)
    assert summary.loc["a", ["n_orders", "n_purchase_days"]].tolist() == [2, 3]
    days = segkit.customer_days(snap)
    assert days.loc[days["customer_id"] == "a", "n_orders"].tolist() == [1, 1, 1]
    periods = segkit.customer_periods(snap).set_index(["customer_id", "period"])["n_orders"]
    assert periods.loc[("a", pd.Timestamp("2024-01-01"))] == 1
    assert periods.loc[("a", pd.Timestamp("2024-02-01"))] == 2


def test_single_day_orders_take_the_one_scan_path():
    df = _lines()
    df["order_id"] = [f"o{i}" for i in range(len(df))]  # one line per order: no order spans days
    tx = segkit.read_transactions(df, order="order_id")
    snap = segkit.snapshot(tx, as_of="2024-08-01")
    assert snap.single_day_orders()
    od = snap.to_pandas(snap.order_days())
    assert "ckey" in od.columns and "customer_id" not in od.columns
    assert len(od) == len(df) and (od["orders"] == 1).all()
    assert customer_summary(snap)["n_orders"].sum() == int((~tx.data["is_return"]).sum())
