"""The one embedded DuckDB connection (through Ibis) that the data contract and the engine share.

It lives outside both so that reading (``segkit.io``) and aggregating (``segkit.engine``) can use the same
connection without importing each other.

Large data: the connection works out of core. DuckDB keeps at most ``memory_limit`` in memory and spills the
rest of a large aggregation, join or sort into ``temp_directory``, so a base larger than memory completes
(slower) instead of failing. Both are set when the connection opens:

- ``SEGKIT_MEMORY_LIMIT``: a size DuckDB understands (``"8GB"``, ``"500MiB"``) or a share of the machine's
  memory (``"40%"``); by default 60 % of the memory this process may use (the machine's RAM, or its cgroup
  limit when lower). The report runner splits that default among the notebooks it runs side by side.
- ``SEGKIT_TEMP``: the folder for spilled data; by default ``segkit-duckdb-<process id>`` in the system's
  temporary folder (never the working directory, which in a report run is the report itself). The canonical
  table of a large base is written once as Parquet to ``segkit-tables-<process id>`` in ``SEGKIT_TEMP`` (or
  the system's temporary folder) (:func:`table_folder`), so that it costs disk rather than memory. Opening
  the connection removes such folders left by segkit processes that were killed (:func:`remove_stale_folders`).

``preserve_insertion_order`` stays on (DuckDB's default). Turning it off lets DuckDB return any result
without an ``ORDER BY`` in any order, and the kit's outputs (tables compared exactly between runs and in
tests, example rows in messages) have not all been checked against that; the large aggregates of a build
spill without it being off.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import ibis

from ._progress import engine_progress

__all__ = [
    "MEMORY_ENV",
    "MEMORY_SHARE",
    "TEMP_ENV",
    "connection",
    "cursor",
    "default_memory_limit",
    "engine_settings",
    "table_folder",
    "temp_table",
]

#: The environment variable with the engine's memory limit (a DuckDB size or a percentage of memory).
MEMORY_ENV = "SEGKIT_MEMORY_LIMIT"
#: The environment variable with the folder DuckDB spills to.
TEMP_ENV = "SEGKIT_TEMP"
#: The default memory limit as a share of the memory available to the process (a kit convention: it leaves
#: room for pandas, which holds the per-customer results, and for the notebook kernel itself).
MEMORY_SHARE = 0.6
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(b|[kmgt]i?b)\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(\d+(\.\d+)?)\s*%\s*$")


def _available_memory() -> int:
    """Bytes of memory this process may use: physical RAM, or the cgroup (container) limit when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def default_memory_limit() -> int:
    """The engine's default memory limit in bytes: :data:`MEMORY_SHARE` of the available memory.

    Examples
    --------
    >>> default_memory_limit() > 0
    True
    """
    return int(_available_memory() * MEMORY_SHARE)


def _memory_limit() -> str:
    from ._errors import ParameterError

    text = os.environ.get(MEMORY_ENV, "").strip()
    if not text:
        return f"{default_memory_limit() // 2**20}MiB"
    if text.isdigit():  # plain bytes, as the report runner passes its share to each kernel
        return f"{max(int(text) // 2**20, 1)}MiB"
    percent = _PERCENT.match(text)
    if percent and 0 < float(percent.group(1)) <= 100:
        return f"{int(_available_memory() * float(percent.group(1)) / 100) // 2**20}MiB"
    if _SIZE.match(text):
        return text.replace(" ", "")
    raise ParameterError(
        f"The environment variable {MEMORY_ENV} must be a memory size such as '8GB' or '500MiB', or a share of "
        f"memory such as '40%'; got {text!r}. Unset it for the default ({MEMORY_SHARE:.0%} of memory)."
    )


def _temp_directory() -> str:
    folder = os.environ.get(TEMP_ENV, "").strip()
    return folder or str(Path(tempfile.gettempdir()) / f"segkit-duckdb-{os.getpid()}")


_PER_PROCESS = re.compile(r"segkit-(?:duckdb|tables)-(\d+)")


def remove_stale_folders(base: str | Path | None = None) -> list[Path]:
    """Remove the spill and table folders of segkit processes that no longer run; return what was removed.

    A process that ends normally removes its own folders, but one that was killed (the kernel's
    out-of-memory killer, ``kill -9``, a crashed notebook kernel) leaves them behind, and on a large base
    each can hold gigabytes: the next runs would then fail for want of disk. Only the default per-process
    folders (``segkit-duckdb-<pid>``, ``segkit-tables-<pid>`` in the system's temporary folder) are
    touched, and only when no process with that id exists.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> (base / "segkit-duckdb-999999999").mkdir()
    >>> (base / f"segkit-duckdb-{os.getpid()}").mkdir()
    >>> [p.name for p in remove_stale_folders(base)]
    ['segkit-duckdb-999999999']
    """
    base = Path(base or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PER_PROCESS.fullmatch(entry.name)
        if match is None or not entry.is_dir() or process_running(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def process_running(pid: int) -> bool:
    """Whether a process with this id exists on this machine (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or an id the system cannot check: leave it alone
    return True


def table_folder() -> Path:
    """The folder for tables the kit writes itself (a large canonical table), removed when the process ends.

    It sits beside DuckDB's spill files (in ``SEGKIT_TEMP`` when set, else the system's temporary folder),
    never in the working directory.

    Examples
    --------
    >>> table_folder().is_dir()
    True
    """
    global _tables
    with _lock:
        if _tables is None:
            base = Path(os.environ.get(TEMP_ENV, "").strip() or tempfile.gettempdir())
            _tables = base / f"segkit-tables-{os.getpid()}"
            _tables.mkdir(parents=True, exist_ok=True)
            atexit.register(shutil.rmtree, _tables, ignore_errors=True)
        return _tables


def engine_settings() -> dict[str, str]:
    """The out-of-core settings the shared connection opens with (``memory_limit``, ``temp_directory``).

    Examples
    --------
    >>> sorted(engine_settings())
    ['memory_limit', 'temp_directory']
    """
    return {"memory_limit": _memory_limit(), "temp_directory": _temp_directory()}


_lock = threading.Lock()
_connection: Any = None
_tables: Path | None = None


def connection() -> Any:
    """One embedded DuckDB per process; two threads match the 2-core machines the kit targets."""
    global _connection
    with _lock:
        if _connection is None:
            if not os.environ.get(TEMP_ENV, "").strip():
                remove_stale_folders()
            _connection = ibis.duckdb.connect(threads=2, **engine_settings())
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
