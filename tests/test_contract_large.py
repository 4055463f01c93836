"""A large Parquet file in the engine contract: read where it is, with the same results as a small one."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

import segkit
from segkit.engine import customer_summary


def _messy() -> pd.DataFrame:
    """Lines that exercise every check: ids and texts to clean, duplicates, returns, placeholders, gaps."""
    return pd.DataFrame(
        {
            "customer_id": ["a", " a", "b", None, "guest", "c", "b", "nan", "d ", "c"],
            "order_id": ["1", "1", "2.0", "3", "4", "C5", "2.0", "6", " 7", "8"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-01 10:00",
                    "2024-01-01 10:00",
                    "2024-01-03 00:00",
                    "2024-01-04 00:00",
                    "2024-01-05 00:00",
                    "2024-01-06 00:00",
                    "2024-01-03 00:00",
                    "2024-01-07 00:00",
                    "2024-02-01 00:00",
                    None,
                ]
            ),
            "amount": [10.0, 10.0, 5.5, 3.0, 2.0, -4.0, 5.5, 1.0, 0.0, 6.0],
            "category": ["x", "x", " y", "z", "x", "nan", " y", "x", "z", "x"],
            "channel": ["web"] * 10,
        }
    )


def _read(path, **kwargs):
    options = {
        "order": "order_id",
        "category": "category",
        "channel": "channel",
        "invalid": "drop",
        "zero_amount": "keep",
        "cancel_prefix": "C",
    }
    return segkit.read_transactions(path, **{**options, **kwargs})


@pytest.fixture
def messy_file(tmp_path):
    path = tmp_path / "messy.parquet"
    _messy().to_parquet(path)
    return path


def test_a_large_file_gives_what_a_small_one_gives(messy_file, monkeypatch):
    from segkit.io import _engine

    small = _read(messy_file)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    large = _read(messy_file)
    pd.testing.assert_frame_equal(large.data, small.data)
    assert large.quality.to_dict() == small.quality.to_dict()
    assert large.quality.duplicates_found == 1 and large.quality.placeholders_found == 1
    # Cleaned ids and texts: trimmed, float-like order ids as integers, missing tokens missing.
    assert set(large.data["customer_id"]) == {"a", "b", "c", "d"}
    assert "2" in set(large.data["order_id"]) and "7" in set(large.data["order_id"])
    assert set(large.data["category"].dropna()) == {"x", "y", "z"}
    keys_small, keys_large = small.stored_keys, large.stored_keys
    assert keys_large is not None and keys_large.order_keys == keys_small.order_keys
    pd.testing.assert_frame_equal(
        keys_large.ids.to_pandas().sort_values("ckey").reset_index(drop=True),
        keys_small.ids.to_pandas().sort_values("ckey").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(
        customer_summary(large, as_of="2024-03-01"), customer_summary(small, as_of="2024-03-01")
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"returns": "drop", "zero_amount": "drop"},
        {"duplicates": "keep", "placeholders": "keep"},
        {"outlier_dates": "drop", "quantity": "quantity"},
        {"returns": "net", "cancel_prefix": None, "placeholder_customers": ()},
    ],
)
def test_every_count_of_a_large_file_is_the_count_of_a_small_one(tmp_path, monkeypatch, kwargs):
    """The counts of a large file come from its keys file; each policy counts the same rows either way."""
    from segkit.io import _engine

    frame = _messy()
    frame["quantity"] = [1.0, 1.0, float("inf"), None, 2.0, 1.0, float("inf"), 3.0, 1.0, 1.0]
    frame.loc[4, "amount"] = float("nan")
    frame.loc[7, "order_date"] = pd.Timestamp("2031-01-01")  # an outlier date
    path = tmp_path / "counts.parquet"
    frame.to_parquet(path)
    small = _read(path, **kwargs)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    large = _read(path, **kwargs)
    assert large.quality.to_dict() == small.quality.to_dict()
    assert large.quality.accounted
    pd.testing.assert_frame_equal(large.data, small.data)


def test_flags_beyond_one_integer_are_counted_over_the_view(messy_file, monkeypatch):
    from segkit.io import _engine

    small = _read(messy_file)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    monkeypatch.setattr(_engine, "_MAX_BITS", 2)
    large = _read(messy_file)
    assert large.quality.to_dict() == small.quality.to_dict()
    pd.testing.assert_frame_equal(large.data, small.data)


def test_invalid_values_of_a_large_file_raise_as_for_a_small_one(tmp_path, monkeypatch):
    from segkit.io import _engine

    frame = _messy()
    frame.loc[2, "amount"] = float("inf")
    path = tmp_path / "bad.parquet"
    frame.to_parquet(path)
    with pytest.raises(segkit.DataContractError) as small:
        _read(path, invalid="raise")
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    with pytest.raises(segkit.DataContractError) as large:
        _read(path, invalid="raise")
    assert str(large.value) == str(small.value)


def test_a_large_file_is_not_copied_only_its_row_keys_are_written(messy_file, monkeypatch):
    from segkit._backend import table_folder
    from segkit.io import _engine

    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    before = set(table_folder().iterdir())
    tx = _read(messy_file)
    written = set(table_folder().iterdir()) - before
    assert len(written) == 1
    (keys,) = written
    # One narrow row per source row: keys and flags (those the checks count packed into one integer),
    # no text column of the source.
    names = ["segkit_krow", "segkit_dup", "ckey", "okey", "f_keep", "f_ret", "segkit_bits"]
    assert pq.read_schema(keys).names == names
    assert pq.read_metadata(keys).num_rows == len(_messy())
    assert len(tx.data) == tx.quality.rows_kept
    del tx
    import gc

    gc.collect()
    assert not keys.exists()  # the keys go with their Transactions


def test_a_colliding_order_key_on_a_large_file_counts_the_order_ids(messy_file, monkeypatch):
    from segkit.io import _engine

    small = _read(messy_file)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    monkeypatch.setattr(_engine, "_order_key", lambda column: "0::BIGINT")  # every order the same key
    large = _read(messy_file)
    assert not large.stored_keys.order_keys
    assert large.quality.n_orders == small.quality.n_orders
    pd.testing.assert_frame_equal(
        customer_summary(large, as_of="2024-03-01"), customer_summary(small, as_of="2024-03-01")
    )


def test_a_column_with_one_value_to_clean_is_cleaned(tmp_path, monkeypatch):
    from segkit.io import _engine

    frame = _messy().assign(channel=["web"] * 9 + ["web\t"])
    path = tmp_path / "one.parquet"
    frame.to_parquet(path)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    tx = _read(path, invalid="drop")
    assert set(tx.data["channel"]) == {"web"}


@pytest.mark.parametrize("change", ["rewrite", "remove"])
def test_a_large_file_changed_after_reading_is_an_error_not_other_rows(messy_file, monkeypatch, change):
    import os

    from segkit.io import _engine

    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    tx = _read(messy_file)
    before = customer_summary(tx, as_of="2024-03-01")
    assert len(before) == 3  # a, b, d bought (c only returned)
    if change == "rewrite":
        _messy().iloc[::-1].to_parquet(messy_file)  # the same rows in another order: keys no longer line up
        stat = messy_file.stat()
        os.utime(messy_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    else:
        messy_file.unlink()
    # What was computed from the checked rows stays; anything that would read the file again is refused.
    pd.testing.assert_frame_equal(customer_summary(tx, as_of="2024-03-01"), before)
    with pytest.raises(segkit.DataContractError, match=r"messy\.parquet.*read_transactions on it again"):
        customer_summary(tx, as_of="2024-02-15")
    with pytest.raises(segkit.DataContractError, match="after read_transactions checked it"):
        tx.to_arrow()


def test_a_small_file_is_copied_so_changing_it_later_changes_nothing(messy_file):
    tx = _read(messy_file)
    before = customer_summary(tx, as_of="2024-03-01")
    messy_file.unlink()
    pd.testing.assert_frame_equal(customer_summary(tx, as_of="2024-03-01"), before)


@pytest.mark.parametrize("max_bits", [62, 2])
def test_clean_order_ids_of_a_large_file_give_what_a_small_one_gives(tmp_path, monkeypatch, max_bits):
    """A large file tests its order ids in the keys pass (or, without bits, in a scan of its own)."""
    from segkit.io import _engine

    frame = _messy()
    frame["order_id"] = [f"O{i // 2}" for i in range(len(frame))]
    path = tmp_path / "clean_orders.parquet"
    frame.to_parquet(path)
    small = _read(path)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    monkeypatch.setattr(_engine, "_MAX_BITS", max_bits)
    large = _read(path)
    assert large.quality.to_dict() == small.quality.to_dict()
    pd.testing.assert_frame_equal(large.data, small.data)
    assert large.stored_keys.order_keys


def test_integer_ids_of_a_large_file_give_what_a_small_one_gives(tmp_path, monkeypatch):
    from segkit.io import _engine

    frame = _messy().drop(columns=["category"])
    frame["customer_id"] = [17850, 17850, 13047, 12583, 0, 13047, 13047, 12583, 17850, 15100]
    frame["order_id"] = [536365, 536365, -536366, 536367, 536368, 536369, -536366, 536370, 536371, 536372]
    path = tmp_path / "integers.parquet"
    frame.to_parquet(path)
    small = _read(path, category=None)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 3)
    large = _read(path, category=None)
    assert large.quality.to_dict() == small.quality.to_dict()
    pd.testing.assert_frame_equal(large.data, small.data)
    assert "-536366" in set(large.data["order_id"])


def test_online_retail_as_a_large_parquet_file_gives_what_a_small_one_gives(
    online_retail_path, tmp_path, monkeypatch
):
    """The real export, typed, read where it lies (keys file) and copied: the same table and report."""
    from segkit.io import _engine

    raw = pd.read_csv(online_retail_path, dtype={"CustomerID": str, "InvoiceNo": str, "StockCode": str})
    raw["InvoiceDate"] = pd.to_datetime(raw["InvoiceDate"])
    path = tmp_path / "online_retail.parquet"
    raw.to_parquet(path, index=False)
    options = {
        "customer": "CustomerID",
        "date": "InvoiceDate",
        "order": "InvoiceNo",
        "quantity": "Quantity",
        "price": "UnitPrice",
        "product": "StockCode",
        "cancel_prefix": "C",
        "invalid": "drop",
    }
    small = segkit.read_transactions(path, **options)
    monkeypatch.setattr(_engine, "IN_MEMORY_ROWS", 1000)
    large = segkit.read_transactions(path, **options)
    assert large.quality.to_dict() == small.quality.to_dict()
    assert large.quality.accounted
    assert large.to_arrow().equals(small.to_arrow())
