"""Spark: the analyses run on a Spark engine table and give DuckDB's results, analysis by analysis.

A :class:`segkit.Transactions` built on an Ibis table of the ``pyspark`` backend runs every engine query on
Spark; only per-customer results and aggregates come back to the driver. The ``spark`` group starts a real
local Spark session (slow: the JVM start alone takes 10-60 s on the 2-core machines), so ``.ci/run`` runs
it after ``make test`` with SEGKIT_SPARK_TESTS=1 and every other run skips it. The fast tests need no
pyspark. The same parity on a second DuckDB connection and on PostgreSQL runs always, in
``tests/test_engine_backends.py``, which also holds the analyses and the comparison used here.
"""

from __future__ import annotations

import gc
import sys

import pytest
from test_engine_backends import AS_OF, check_parity, crm_on, on_backend  # tests/ is on sys.path

import segkit
from segkit._spark import is_spark_frame, spark_session
from segkit.engine._table import _table, backend_of
from segkit.report._notebook import sample_path


def _stand_in() -> object:
    kind = type("DataFrame", (), {"__module__": "pyspark.sql.classic.dataframe"})
    return kind()


def test_stand_in_is_recognised_without_pyspark() -> None:
    assert is_spark_frame(_stand_in())
    assert not is_spark_frame(segkit.read_transactions(sample_path()).data)


def test_session_without_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(segkit.ParameterError, match=r'pip install "segkit\[spark\]"'):
        spark_session()


# ------------------------------------------------------------------------------------ the Spark group

#: The public analyses checked on Spark (the engine helpers they share are checked on DuckDB and PostgreSQL
#: in test_engine_backends.py; on Spark every extra analysis costs several seconds of job scheduling).
SPARK_ANALYSES = [
    "customer_summary",
    "rfm",
    "abc",
    "concentration",
    "xyz",
    "abc_xyz",
    "customer_status",
    "cohorts",
    "btyd_summary",
    "churn_rate",
    "churn_durations",
    "churn_labels",
    "survival",
    "customer_features",
    "crm",
    "lead_conversion",
]


@pytest.fixture(scope="module")
def reference() -> segkit.Transactions:
    return segkit.read_transactions(sample_path())


@pytest.fixture(scope="module")
def spark_tx(spark, reference: segkit.Transactions) -> segkit.Transactions:
    import ibis

    return on_backend(ibis.pyspark.connect(spark), reference)


def _stored_name(expr) -> str:
    """The name of the one stored table an expression reads (a shared aggregate may add derived columns)."""
    import ibis.expr.operations as ops

    (table,) = {node.name for node in expr.op().find(ops.DatabaseTable)}
    return table.split(".")[-1]


@pytest.mark.spark
@pytest.mark.slow
def test_the_engine_table_is_on_spark(spark, spark_tx: segkit.Transactions) -> None:
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert backend_of(_table(spark_tx)).name == "pyspark"
    # The snapshot's shared aggregates are cached temporary views on Spark, not tables on the driver.
    snap = segkit.snapshot(spark_tx, as_of=AS_OF)
    days = snap.purchase_days()
    name = _stored_name(days)
    assert name.startswith("segkit_agg_")
    assert spark.catalog.isCached(name)
    assert backend_of(days).name == "pyspark"


@pytest.mark.spark
@pytest.mark.slow
def test_cached_views_go_with_the_transactions(spark, reference: segkit.Transactions) -> None:
    import ibis

    tx = on_backend(ibis.pyspark.connect(spark), reference)
    name = _stored_name(segkit.snapshot(tx, as_of=AS_OF).purchase_days())
    assert spark.catalog.tableExists(name) and spark.catalog.isCached(name)
    del tx
    gc.collect()
    assert not spark.catalog.tableExists(name)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("name", SPARK_ANALYSES)
def test_spark_gives_the_same_results(
    name: str, reference: segkit.Transactions, spark_tx: segkit.Transactions
) -> None:
    check_parity(name, reference, spark_tx)


@pytest.mark.spark
@pytest.mark.slow
def test_the_transactions_never_came_to_the_driver(spark_tx: segkit.Transactions) -> None:
    segkit.customer_summary(spark_tx, as_of=AS_OF)
    # Runs last in the module: after every analysis above, the canonical table was never collected.
    assert spark_tx._data is None and spark_tx._arrow is None


@pytest.mark.spark
@pytest.mark.slow
def test_the_crm_analyses_bring_back_results_not_orders(
    spark, spark_tx: segkit.Transactions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only per-customer, per-lead and per-day results reach the driver, never the CRM's order lines."""
    crm = crm_on(spark_tx)
    kind = type(spark.range(1))  # the DataFrame class Ibis's results come through
    results: list[tuple[int, set[str]]] = []
    for method in ("toPandas", "toArrow", "collect"):
        original = getattr(kind, method)

        def counted(self, *args, _original=original, **kwargs):
            out = _original(self, *args, **kwargs)
            rows = out.num_rows if hasattr(out, "num_rows") else len(out)
            results.append((rows, set(self.columns)))
            return out

        monkeypatch.setattr(kind, method, counted)
    segkit.lead_conversion(crm, by="source")
    segkit.base_structure(crm)
    segkit.loyalty_scores(crm)
    segkit.activity_capacity(crm)
    assert results  # the analyses did run their queries on Spark
    lines = len(crm.transactions)
    assert max(rows for rows, _ in results) < lines
    assert not [cols for _, cols in results if {"order_id", "amount"} <= cols]  # no line-level result
    assert crm.transactions._data is None and crm.transactions._arrow is None
