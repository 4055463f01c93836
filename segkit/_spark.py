"""Spark: a local session set up for the kit, and the active session behind ``"spark://table"`` sources.

A PySpark DataFrame (or ``"spark://sales"``, a table or view on the active session) is read by the data
contract on Spark itself, through Ibis's ``pyspark`` backend (``segkit[spark]``): the checks, counts and
canonical columns are Spark expressions, only counts and a few example values come back to the driver, and
the canonical table is a cached Spark view. ``docs/cluster.md`` describes running the notebooks on a cluster.
"""

from __future__ import annotations

from typing import Any

from ._errors import ParameterError

__all__ = ["active_session", "is_spark_frame", "spark_session"]


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


def active_session() -> Any:
    """The active Spark session (the one ``"spark://table"`` sources are read from).

    Raises
    ------
    ParameterError
        When pyspark is not installed or no session is running.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ParameterError(
            'Reading a Spark table needs pyspark, which is not installed. Install it with: pip install "segkit[spark]".'
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        raise ParameterError(
            "No active Spark session to read 'spark://...' from. Start one (segkit.spark_session() locally, or "
            "the platform's session on Databricks), or pass the Spark DataFrame itself."
        )
    return session


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
