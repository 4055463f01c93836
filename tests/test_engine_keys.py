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


# --------------------------------------------------------------------------------------------------
# keys stored by the data contract with the staged rows (sources it checks in DuckDB)
# --------------------------------------------------------------------------------------------------


def _parquet(tmp_path, frame: pd.DataFrame, name: str = "lines.parquet"):
    path = tmp_path / name
    frame.to_parquet(path)
    return path


def _without_keys(tx):
    """The same canonical rows through the path that has no stored keys (a frame in the contract)."""
    return segkit.read_transactions(tx.data, order="order_id" if "order_id" in tx.columns else None)


def test_the_contract_stores_sorted_customer_keys_and_order_keys(tmp_path):
    df = _lines()
    tx = segkit.read_transactions(_parquet(tmp_path, df), order="order_id")
    stored = tx.stored_keys
    assert stored is not None and stored.order_keys
    assert "ckey" not in tx.columns and "okey" not in tx.columns  # the canonical table is unchanged
    ids = stored.ids.to_pandas().sort_values("ckey")
    assert ids["ckey"].tolist() == list(range(len(ids)))
    assert ids["customer_id"].tolist() == sorted(df["customer_id"].unique())
    lines = stored.lines.to_pandas()
    assert len(lines) == len(tx)
    # Each key names one id, and (ckey, okey, is_return) groups the lines exactly as the ids do.
    assert (ids.set_index("ckey").loc[lines["ckey"], "customer_id"].to_numpy() == lines["customer_id"]).all()
    by_keys = lines.groupby(["ckey", "okey", "is_return"]).ngroups
    assert by_keys == lines.groupby(["customer_id", "order_id", "is_return"]).ngroups
    table, index = customer_keys(tx)
    assert table is stored.ids and list(index) == ids["customer_id"].tolist()


def test_stored_keys_give_the_same_aggregates_as_the_ids(tmp_path):
    df = _lines(n_customers=60)
    tx = segkit.read_transactions(_parquet(tmp_path, df), order="order_id")
    plain = _without_keys(tx)
    assert tx.stored_keys is not None and plain.stored_keys is None
    for kwargs in ({"as_of": "2024-08-01"}, {"as_of": "2024-05-01", "window": 60}):
        keyed, other = segkit.snapshot(tx, **kwargs), segkit.snapshot(plain, **kwargs)
        pd.testing.assert_frame_equal(customer_summary(keyed), customer_summary(other))
        for got, want in ((keyed.purchase_days(), other.purchase_days()),):
            cols = ["ckey", "day", "revenue", "n_orders", "gap_days"]
            a = keyed.to_pandas(got.select(*cols)).sort_values(["ckey", "day"]).reset_index(drop=True)
            b = other.to_pandas(want.select(*cols)).sort_values(["ckey", "day"]).reset_index(drop=True)
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(
        segkit.cohorts(tx, as_of="2024-08-01").retention_,
        segkit.cohorts(plain, as_of="2024-08-01").retention_,
    )


def test_an_order_key_that_collides_falls_back_to_the_order_ids(tmp_path, monkeypatch):
    from segkit.io import _engine

    df = _lines()
    monkeypatch.setattr(_engine, "_order_key", lambda column: "0::BIGINT")  # every order the same key
    tx = segkit.read_transactions(_parquet(tmp_path, df), order="order_id")
    assert tx.stored_keys is not None and not tx.stored_keys.order_keys
    got = customer_summary(tx, as_of="2024-08-01")
    pd.testing.assert_frame_equal(got, customer_summary(_without_keys(tx), as_of="2024-08-01"))


def test_keys_of_cleaned_ids_dropped_rows_and_derived_orders(tmp_path):
    df = pd.DataFrame(
        {
            "customer_id": [17850.0, 17850.0, 12000.0, None, 99.0, 12000.0],
            "order_date": pd.to_datetime(
                [
                    "2024-01-02 10:00",
                    "2024-01-02 15:00",
                    "2024-01-05 09:00",
                    "2024-01-06 09:00",
                    "2024-01-07 09:00",
                    "2024-02-01 09:00",
                ]
            ),
            "amount": [10.0, 5.0, 7.0, 3.0, 2.0, 4.0],
        }
    )
    tx = segkit.read_transactions(
        _parquet(tmp_path, df), missing_customer="drop", placeholder_customers=["99"], placeholders="drop"
    )
    stored = tx.stored_keys
    ids = stored.ids.to_pandas().sort_values("ckey")
    # Float ids are cleaned before they are keyed; a dropped placeholder may keep its key, unused.
    assert set(ids["customer_id"]) >= {"12000", "17850"}
    summary = customer_summary(tx, as_of="2024-03-01")
    assert summary.index.tolist() == ["12000", "17850"]
    # Without an order column an order is a customer's day: two lines on one day are one order.
    assert summary["n_orders"].to_dict() == {"12000": 2, "17850": 1}
    assert stored.order_keys


def test_a_large_base_stores_its_keys_in_the_parquet_staging(tmp_path, monkeypatch):
    from segkit.io import _engine

    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 10)
    df = _lines()
    tx = segkit.read_transactions(_parquet(tmp_path, df), order="order_id")
    assert tx.stored_keys is not None
    pd.testing.assert_frame_equal(
        customer_summary(tx, as_of="2024-08-01"), customer_summary(_without_keys(tx), as_of="2024-08-01")
    )


def test_contract_tables_never_take_the_name_of_an_engine_table(tmp_path, monkeypatch):
    import itertools

    from segkit.engine import _table
    from segkit.io import _engine

    df = _lines()
    path = _parquet(tmp_path, df)
    # Both counters at the same number: the contract's customer dictionary and the engine's key table of
    # another transactions object were once both called "segkit_keys_<n>".
    monkeypatch.setattr(_engine, "_names", itertools.count(900))
    monkeypatch.setattr(_table, "_names", itertools.count(901))
    tx = segkit.read_transactions(path, order="order_id")
    plain = _without_keys(tx)
    keys, ids = customer_keys(plain)
    assert len(keys.execute()) == len(ids) == df["customer_id"].nunique()
    assert customer_keys(tx)[1].equals(ids)
