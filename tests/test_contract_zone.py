"""``timezone=`` in the engine contract: applied where the engine can, refused where it cannot."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import segkit
from segkit import ParameterError


def _zoned() -> pd.DataFrame:
    stamps = pd.to_datetime(["2024-01-01 23:30", "2024-01-02 10:00", "2024-03-01 00:00"]).tz_localize("UTC")
    return pd.DataFrame({"customer_id": ["a", "b", "a"], "order_date": stamps, "amount": [1.0, 2.0, 3.0]})


@pytest.fixture
def warehouse_table():
    """A table with zoned timestamps on a backend of its own (not the shared connection)."""
    con = ibis.duckdb.connect()
    return con.create_table("sales", _zoned())


def test_timezone_on_zoned_warehouse_dates_is_refused_not_ignored(warehouse_table) -> None:
    with pytest.raises(ParameterError, match=r"timezone='Europe/Moscow'.*'order_date'.*zone 'UTC'"):
        segkit.read_transactions(warehouse_table, timezone="Europe/Moscow")


def test_zoned_warehouse_dates_are_reported_in_their_zone(warehouse_table) -> None:
    tx = segkit.read_transactions(warehouse_table)
    assert tx.quality.read_options["time zone"] == "UTC (as stored)"
    assert tx.to_arrow().column("order_date").to_pylist()[0] == pd.Timestamp("2024-01-01 23:30")


def test_zoned_parquet_dates_are_converted_to_the_zone(tmp_path) -> None:
    path = tmp_path / "zoned.parquet"
    _zoned().to_parquet(path)
    tx = segkit.read_transactions(path, timezone="Europe/Moscow")
    first = tx.to_arrow().column("order_date").to_pylist()[0]
    assert first == pd.Timestamp("2024-01-02 02:30")  # 23:30 UTC is 02:30 in Moscow
    assert tx.quality.read_options["time zone"] == "Europe/Moscow (converted from UTC)"


def test_naive_warehouse_dates_are_taken_as_in_the_zone() -> None:
    frame = _zoned()
    frame["order_date"] = frame["order_date"].dt.tz_localize(None)
    table = ibis.duckdb.connect().create_table("sales", frame)
    tx = segkit.read_transactions(table, timezone="Europe/Moscow")
    assert tx.to_arrow().column("order_date").to_pylist()[0] == pd.Timestamp("2024-01-01 23:30")
    assert tx.quality.read_options["time zone"] == "as stored (no zone)"
