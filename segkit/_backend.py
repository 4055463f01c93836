"""The one embedded DuckDB connection (through Ibis) that the data contract and the engine share.

It lives outside both so that reading (``segkit.io``) and aggregating (``segkit.engine``) can use the same
connection without importing each other.
"""

from __future__ import annotations

import threading
from typing import Any

import ibis

from ._progress import engine_progress

__all__ = ["connection", "cursor", "temp_table"]

_lock = threading.Lock()
_connection: Any = None


def connection() -> Any:
    """One embedded DuckDB per process; two threads match the 2-core machines the kit targets."""
    global _connection
    with _lock:
        if _connection is None:
            _connection = ibis.duckdb.connect(threads=2)
            engine_progress(_connection)  # DuckDB's own bar for long queries, shown only to a watcher
        return _connection


_counter = iter(range(1, 1 << 62))


def cursor() -> Any:
    """A DuckDB cursor on the shared database: a thread-safe handle for one-off SQL over Arrow data."""
    return connection().con.cursor()


def temp_table(obj: Any, owner: Any, prefix: str = "segkit") -> Any:
    """Copy ``obj`` (an Arrow table or a pandas frame) into a temporary engine table owned by ``owner``.

    The table gets a unique name and is dropped when ``owner`` is garbage collected, so objects that come
    and go (one per analysis input) do not pile up tables in the shared connection.
    """
    import weakref

    con = connection()
    with _lock:
        name = f"{prefix}_{next(_counter)}"
    table = con.create_table(name, obj, temp=True, overwrite=True)
    weakref.finalize(owner, _drop, name)
    return table


def _drop(name: str) -> None:
    try:
        connection().drop_table(name, force=True)
    except Exception:  # best effort at garbage collection or interpreter exit
        pass
