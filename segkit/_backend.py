"""The one embedded DuckDB connection (through Ibis) that the data contract and the engine share.

It lives outside both so that reading (``segkit.io``) and aggregating (``segkit.engine``) can use the same
connection without importing each other.
"""

from __future__ import annotations

import threading
from typing import Any

import ibis

__all__ = ["connection"]

_lock = threading.Lock()
_connection: Any = None


def connection() -> Any:
    """One embedded DuckDB per process; two threads match the 2-core machines the kit targets."""
    global _connection
    with _lock:
        if _connection is None:
            _connection = ibis.duckdb.connect(threads=2)
        return _connection
