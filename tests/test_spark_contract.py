"""The data contract on Spark: a PySpark DataFrame (or ``spark://table``) is checked by Spark itself.

Gated like tests/test_spark.py: the group starts a real local Spark session (the JVM start alone takes 10-60 s
on the 2-core machines), so ``.ci/run`` runs it with SEGKIT_SPARK_TESTS=1 and every other run skips it.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

import segkit
from segkit.report._notebook import sample_path

pytestmark = [pytest.mark.spark, pytest.mark.slow]
KEY = ["order_date", "customer_id", "order_id", "amount"]


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory: pytest.TempPathFactory):
    """The bundled sample as typed Parquet (what a cluster table looks like), and its DuckDB contract."""
    path = tmp_path_factory.mktemp("spark") / "sample.parquet"
    # Spark reads microsecond timestamps (Parquet's nanosecond ones are refused).
    pq.write_table(segkit.read_transactions(sample_path()).to_arrow(), path, coerce_timestamps="us")
    return path, segkit.read_transactions(path)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def test_spark_frame_equals_the_duckdb_contract(spark, sample_parquet) -> None:
    path, duck = sample_parquet
    frame = spark.read.parquet(str(path))
    tx = segkit.read_transactions(frame)
    table = tx.to_ibis()
    assert table._find_backend().name == "pyspark"  # the canonical table stays on Spark
    assert tx._from_engine and tx._arrow is None and tx._data is None
    e, d = tx.quality.to_dict(), duck.quality.to_dict()
    assert e.pop("source") == "Spark DataFrame (15,814 rows)"
    d.pop("source")
    assert e == d
    # Only now, asked for, do the rows come to the driver; they equal DuckDB's.
    pd.testing.assert_frame_equal(_sorted(tx.data), _sorted(duck.data))


def test_no_job_collects_the_transactions(spark, sample_parquet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every result that reaches the driver while reading is a few rows (counts, examples), never the table."""
    path, duck = sample_parquet
    frame = spark.read.parquet(str(path))
    kind = type(frame)  # the classic (or Connect) DataFrame class that Ibis's results come through
    sizes: list[int] = []
    for method in ("toPandas", "toArrow", "collect"):
        original = getattr(kind, method)

        def counted(self, *args, _original=original, **kwargs):
            out = _original(self, *args, **kwargs)
            sizes.append(out.num_rows if hasattr(out, "num_rows") else len(out))
            return out

        monkeypatch.setattr(kind, method, counted)
    tx = segkit.read_transactions(frame)
    assert sizes and max(sizes) <= 5  # one-row aggregates and at most five example rows
    assert tx.quality.rows_kept == duck.quality.rows_kept == 15_814
    assert tx.to_ibis().count().execute() == 15_814  # the cached canonical table, counted on Spark


def test_spark_table_name_and_policies(spark, adversarial_frame) -> None:
    sdf = spark.createDataFrame(adversarial_frame)
    sdf.createOrReplaceTempView("sales_adversarial")
    tx = segkit.read_transactions("spark://sales_adversarial", cancel_prefix="C")
    duck = segkit.read_transactions(adversarial_frame, cancel_prefix="C")
    e, d = tx.quality.to_dict(), duck.quality.to_dict()
    for key in ("source", "read_options", "warnings"):
        e.pop(key), d.pop(key)
    assert e == d
    pd.testing.assert_frame_equal(_sorted(tx.data), _sorted(duck.data))
    with pytest.raises(segkit.DataContractError, match=r"No table or view 'nope' on the Spark session"):
        segkit.read_transactions("spark://nope")


def test_text_dates_cast_on_spark_or_raise_with_what_to_do(spark) -> None:
    good = spark.createDataFrame(
        [("a", "2024-01-05 10:00:00", 1.0), ("b", "2024-02-01", 2.0)], ["customer_id", "order_date", "amount"]
    )
    tx = segkit.read_transactions(good)
    assert tx.quality.read_options["date format"] == "ISO text cast by the engine"
    assert tx.data["order_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-02-01"]
    bad = spark.createDataFrame(
        [("a", "2024-01-05", 1.0), ("b", "05.01.2024", 2.0)], ["customer_id", "order_date", "amount"]
    )
    with pytest.raises(segkit.DataContractError) as info:
        segkit.read_transactions(bad)
    assert "Column 'order_date': unparseable date (1 row; e.g. '05.01.2024')" in str(info.value)
    assert "cast it to a timestamp in the source" in str(info.value)


@pytest.fixture(scope="module")
def adversarial_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", " a ", "guest", None, "12345.0", "b", "b", "c"],
            "order_id": ["o1", "o2", "o3", "o4", "o5", "C6", "o7", "o7"],
            "order_date": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-01-02",
                    "2024-01-03",
                    "2024-01-04",
                    "2024-01-05",
                    "2024-01-06",
                    "2024-01-07",
                    "2024-01-07",
                ]
            ),
            "amount": [10.0, 20.0, 5.0, 7.0, 0.0, 8.0, 3.0, -3.0],
        }
    )
    return pd.concat([frame, frame.iloc[[1]]], ignore_index=True)


@pytest.mark.parametrize("name", ["rfm", "abc_xyz", "customer_status", "cohorts", "btyd_summary"])
def test_a_spark_dataframe_runs_the_analyses_end_to_end(spark, sample_parquet, name: str) -> None:
    """From a PySpark DataFrame through the contract to the analyses, with DuckDB's results."""
    from test_engine_backends import check_parity  # tests/ is on sys.path

    path, duck = sample_parquet
    tx = _spark_transactions(spark, str(path))
    check_parity(name, duck, tx)
    assert tx._data is None and tx._arrow is None  # the transactions never came to the driver


_SPARK_TX: dict = {}


def _spark_transactions(spark, path: str) -> segkit.Transactions:
    # One contract run shared by the parametrized cases (each Spark job costs seconds on 2 cores).
    if path not in _SPARK_TX:
        _SPARK_TX[path] = segkit.read_transactions(spark.read.parquet(path))
    return _SPARK_TX[path]
