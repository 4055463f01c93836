"""Spark: a local session set up for the kit, and a clear refusal where the engine cannot run on Spark yet.

What runs on Spark today is what reaches the data through Ibis's ``pyspark`` backend (``segkit[spark]``).
The kit's analyses do not yet: the data contract parses and checks every row into an Arrow table on the
driver, and the engine executes its Ibis expressions on the shared DuckDB connection. Passing a PySpark
DataFrame would therefore mean collecting every transaction to the driver, which is exactly what a cluster
is for avoiding, so segkit refuses it with a message that says what to do instead; it never collects
silently. ``docs/cluster.md`` lists the ways to run the notebooks on a cluster's data meanwhile.
"""

from __future__ import annotations

from typing import Any

from ._errors import ParameterError

__all__ = ["is_spark_frame", "spark_session", "spark_unsupported"]


def is_spark_frame(obj: Any) -> bool:
    """Whether ``obj`` is a PySpark DataFrame (classic or Spark Connect), without importing pyspark.

    Examples
    --------
    >>> import pandas as pd
    >>> is_spark_frame(pd.DataFrame())
    False
    """
    kind = type(obj)
    return kind.__module__.split(".")[0] == "pyspark" and kind.__name__ == "DataFrame"


def spark_unsupported(obj: Any, what: str = "read_transactions") -> ParameterError:
    """The error for a PySpark DataFrame where segkit would have to collect it to the driver."""
    return ParameterError(
        f"{what} got a PySpark DataFrame. segkit's analyses do not run on Spark yet: the data contract and the "
        "engine work on the driver (DuckDB), so every transaction would have to be collected there, and "
        "segkit does not do that silently. Either write the table where segkit reads it "
        '(df.write.parquet("sales.parquet"), then segkit.read_transactions("sales.parquet") on a machine with '
        "the memory, DuckDB spilling to disk beyond it), or read it from the warehouse by URL "
        '(segkit.read_transactions("postgresql://...", table="sales")), or, for a base that fits the '
        "driver, collect it knowingly: segkit.read_transactions(df.toPandas()). See docs/cluster.md."
    )


def spark_session(*, master: str = "local[2]", app_name: str = "segkit", **conf: Any) -> Any:
    """A Spark session for the kit: UTC session time zone, few shuffle partitions, no web UI.

    Parameters
    ----------
    master : str
        The Spark master; ``"local[2]"`` (two cores) matches the kit's target machines. On a cluster
        (Databricks, YARN) use the session the platform provides instead.
    app_name : str
        The application name shown in Spark's logs.
    **conf
        Further Spark settings, e.g. ``{"spark.driver.memory": "4g"}`` passed as keyword arguments with
        dots written as underscores: ``spark_driver_memory="4g"``.

    Returns
    -------
    pyspark.sql.SparkSession

    Raises
    ------
    ParameterError
        When pyspark is not installed (``pip install "segkit[spark]"``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError(
            'Spark needs pyspark, which is not installed. Install it with: pip install "segkit[spark]" '
            "(and Java 17 or 21 for local mode)."
        ) from None
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        # Dates are compared as wall-clock days: one zone for every executor, the kit's UTC convention.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
    )
    for key, value in conf.items():
        builder = builder.config(key.replace("_", "."), value)
    return builder.getOrCreate()
