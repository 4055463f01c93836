"""Progress for long steps, shown only where someone is watching.

One rule decides for every progress display in segkit -- tqdm bars for reading and fitting, the runner's
per-cell bar for each notebook, and DuckDB's own bar for each heavy aggregation:

1. the environment variable ``SEGKIT_PROGRESS`` wins: ``1`` shows progress, ``0`` hides it;
2. otherwise progress shows in a terminal (standard error is a TTY) and in a notebook kernel that a Jupyter
   server started (JupyterLab sets ``JPY_SESSION_NAME`` for its kernels);
3. everything else is quiet: scheduled runs, CI logs, and the kernels that papermill, nbval and nbconvert
   start (so executed reports and committed notebook outputs never hold a progress bar).

This is a kit convention; it keeps report outputs reproducible byte for byte.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

__all__ = ["ENV", "engine_progress", "progress", "progress_enabled", "stages", "track"]

#: The environment variable that switches progress on (``1``) or off (``0``) everywhere.
ENV = "SEGKIT_PROGRESS"
_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get is not None and type(get()).__name__ == "ZMQInteractiveShell"


def progress_enabled(stream: TextIO | None = None) -> bool:
    """Whether progress should show (see the module docstring for the rule).

    Examples
    --------
    >>> import os
    >>> os.environ["SEGKIT_PROGRESS"] = "0"
    >>> progress_enabled()
    False
    >>> del os.environ["SEGKIT_PROGRESS"]
    """
    setting = os.environ.get(ENV, "").strip().lower()
    if setting in _ON:
        return True
    if setting in _OFF:
        return False
    if _in_kernel():
        return bool(os.environ.get("JPY_SESSION_NAME"))
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _bar_class() -> Any:
    if _in_kernel():
        try:
            import ipywidgets  # noqa: F401  (tqdm's notebook bar needs it)
            from tqdm.notebook import tqdm as bar

            return bar
        except ImportError:  # a plain text bar on the cell's stderr works everywhere
            pass
    from tqdm.std import tqdm as bar

    return bar


def progress(
    iterable: Iterable[Any] | None = None,
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    enabled: bool | None = None,
) -> Any:
    """A tqdm bar over ``iterable`` (or a manual one, ``bar.update(n)``), silent when progress is off.

    Use it as a context manager so the bar closes when the step ends.

    Parameters
    ----------
    iterable : iterable, optional
        What the step loops over; omit it and call ``update(n)`` for a manual count.
    desc : str
        What the step does (shown before the bar).
    total : int, optional
        The expected count (``len(iterable)`` when it has one).
    unit : str
        The counted unit (``"rows"``, ``"notebooks"``, ...).
    enabled : bool, optional
        Force the bar on or off; by default :func:`progress_enabled` decides.

    Examples
    --------
    >>> with progress(range(3), desc="fitting", enabled=False) as steps:
    ...     sum(steps)
    3
    """
    show = progress_enabled() if enabled is None else enabled
    bar = _bar_class() if show else _quiet_bar()
    return bar(iterable, desc=desc, total=total, unit=unit, disable=not show, leave=False, file=sys.stderr)


def _quiet_bar() -> Any:
    from tqdm.std import tqdm as bar

    return bar


def track(iterable: Iterable[Any], *, desc: str, total: int | None = None, unit: str = "it") -> Iterator[Any]:
    """Iterate ``iterable`` with a progress bar (closed at the end); shorthand for :func:`progress`."""
    with progress(iterable, desc=desc, total=total, unit=unit) as bar:
        yield from bar


@contextlib.contextmanager
def stages(desc: str, total: int, *, enabled: bool | None = None) -> Iterator[Callable[[str], None]]:
    """A bar over the named stages of one long step (a model fit: features, fit, importance, ...).

    Yields ``done(name)``: call it when a stage ends; the bar shows the stage just finished.

    Examples
    --------
    >>> with stages("churn model", total=2, enabled=False) as done:
    ...     done("features")
    ...     done("fit")
    """
    with progress(desc=desc, total=total, unit=" stages", enabled=enabled) as bar:

        def done(name: str) -> None:
            bar.set_postfix_str(name, refresh=False)
            bar.update(1)
            bar.refresh()  # a few slow stages: show each one, whatever tqdm's minimum interval

        yield done


def engine_progress(con: Any, enabled: bool | None = None) -> None:
    """Switch DuckDB's own progress bar (queries over 2 s) on or off by the same rule, on ``con``.

    ``con`` is a DuckDB connection or an Ibis DuckDB backend.
    """
    show = progress_enabled() if enabled is None else enabled
    import duckdb

    raw = getattr(con, "con", con)
    try:
        raw.execute(f"SET enable_progress_bar = {'true' if show else 'false'}")
    except duckdb.Error:
        # In a Jupyter kernel without ipywidgets DuckDB refuses to touch the setting at all (and draws no
        # bar there either); the query must not fail for a progress bar.
        pass
