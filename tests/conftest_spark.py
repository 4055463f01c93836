"""One local Spark session for the whole Spark group (``tests/test_spark*.py``), started on first use.

The JVM start alone takes 10-60 s on the 2-core machines, so every Spark test shares this session-scoped
fixture (``tests/conftest.py`` imports it). It skips unless SEGKIT_SPARK_TESTS=1 (``.ci/run`` sets it after
``make test``), without pyspark (the ``segkit[spark]`` extra) and without Java.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["spark"]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session tuned for many small queries on the bundled sample."""
    if not os.environ.get("SEGKIT_SPARK_TESTS"):
        pytest.skip("the Spark group runs in .ci/run (set SEGKIT_SPARK_TESTS=1)")
    pytest.importorskip("pyspark", reason="segkit[spark] is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark local mode needs Java (17 or 21)")
    from segkit._spark import spark_session

    # One partition per shuffle (each extra task is scheduling time on 2 cores), no whole-stage code
    # generation and no adaptive re-planning (both cost more per query than they save on 16k rows; about
    # a fifth of the group's JVM time).
    session = spark_session(
        spark_sql_shuffle_partitions="1",
        spark_default_parallelism="1",
        spark_ui_showConsoleProgress="false",
    )
    session.conf.set("spark.sql.codegen.wholeStage", "false")
    session.conf.set("spark.sql.adaptive.enabled", "false")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
