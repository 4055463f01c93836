"""Spark: a PySpark DataFrame is refused with a clear message, never collected to the driver silently.

The analyses cannot run on Spark yet (see segkit/_spark.py and docs/cluster.md). The fast tests use a stand-in
class; the ``spark`` group starts a real local Spark session (slow: the JVM start alone takes 10-60 s on the
2-core machines), so ``.ci/run`` runs it after ``make test`` with SEGKIT_SPARK_TESTS=1 and every other run
skips it.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

import segkit
from segkit._spark import is_spark_frame, spark_session
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


@pytest.fixture(scope="module")
def spark():
    if not os.environ.get("SEGKIT_SPARK_TESTS"):
        pytest.skip("the Spark group runs in .ci/run (set SEGKIT_SPARK_TESTS=1)")
    pytest.importorskip("pyspark", reason="segkit[spark] is not installed")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark local mode needs Java (17 or 21)")
    session = spark_session()
    yield session
    session.stop()
