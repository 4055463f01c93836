"""Helpers the report notebooks share: where the bundled sample is, how a notebook loads its data.

Keeping these here (not in the notebooks) means an analyst in JupyterLab and ``segkit report`` load data
the same way, and the notebooks stay narrative plus calls.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._backend import connection
from .._resources import sample_data
from ..io import QualityReport, Transactions, read_transactions

__all__ = ["load_report_data", "sample_path", "save_report_table", "setup_notebook"]

#: Files of a report table: the canonical transactions the runner prepared once for every notebook.
_TABLE_FILE = "transactions.parquet"
_QUALITY_FILE = "quality.json"
SAMPLE_LABEL = "bundled sample (data/sample_transactions.csv)"
#: Rows of the largest report table a kernel loads into its engine; a larger one is read where it lies. Kit
#: convention: a 10M-row table takes well under 1 GB in the engine, a 100M-row one more than a kernel's share
#: of memory on a 24 GB machine. A row count, not a share of this machine's memory, so that the same data
#: give the same report on any machine (the engine sums in another order over a file than over a table,
#: which moves the last digits of some figures).
IN_ENGINE_ROWS = 20_000_000
#: Numbers the report tables this process loaded (one per :func:`load_report_data` of a report table).
_TABLE_NAMES = itertools.count()


def sample_path() -> Path:
    """Path of the bundled sample transactions (``data/sample_transactions.csv`` in the repository).

    Examples
    --------
    >>> import segkit
    >>> segkit.sample_path().name
    'sample_transactions.csv'
    """
    return sample_data("sample_transactions.csv")


def load_report_data(
    data: Any = None,
    *,
    columns: Mapping[str, str] | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Transactions:
    """Load the transactions a report notebook analyses.

    Parameters
    ----------
    data : path, DataFrame or None
        The source; ``None`` means the bundled sample (:func:`sample_path`). A report table folder
        written by :func:`save_report_table` (what ``segkit report`` passes to every notebook) is opened
        as it is: it was read, checked and, with ``--mask-ids``, masked once for the whole report, so
        ``columns`` and ``read_options`` were already applied and are not used again.
    columns : mapping, optional
        Column mapping passed to :func:`segkit.read_transactions` (``{"customer": "CustomerID", ...}``).
    read_options : mapping, optional
        Other :func:`segkit.read_transactions` keywords (``{"cancel_prefix": "C", "returns": "drop"}``).

    Examples
    --------
    >>> import segkit
    >>> tx = segkit.load_report_data()
    >>> tx.quality.accounted, tx.quality.source
    (True, 'bundled sample (data/sample_transactions.csv)')
    """
    if isinstance(data, str | Path) and _is_report_table(Path(data)):
        return _open_report_table(Path(data))
    if data is not None:
        return read_transactions(data, **dict(columns or {}), **dict(read_options or {}))
    tx = read_transactions(sample_path(), **dict(columns or {}), **dict(read_options or {}))
    # Name the sample the same way on every machine, so reports and notebook outputs do not show a checkout path.
    tx.quality = replace(tx.quality, source=SAMPLE_LABEL)
    return tx


def save_report_table(tx: Transactions, folder: str | Path) -> Path:
    """Write the canonical table and its quality report into ``folder`` for :func:`load_report_data`.

    Examples
    --------
    >>> import tempfile, segkit
    >>> tx = segkit.load_report_data()
    >>> folder = segkit.save_report_table(tx, tempfile.mkdtemp())
    >>> again = segkit.load_report_data(folder)
    >>> again.data.equals(tx.data), again.quality == tx.quality
    (True, True)
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _TABLE_FILE
    ordered = _engine_rows(tx)
    if ordered is not None:
        # DuckDB writes the rows where they are, in the canonical order, spilling the sort: the runner
        # never holds the table (on 100M rows it would not fit beside the kernels).
        con = connection()
        dates = "CAST(order_date AS TIMESTAMP_NS) AS order_date"
        con.raw_sql(
            f"COPY (SELECT * REPLACE ({dates}) FROM ({con.compile(ordered)})) TO {_quote(path)} (FORMAT parquet)"
        )
    else:
        import pyarrow.parquet as pq

        # Arrow in, Arrow out: the table is never turned into pandas on the way, and Parquet keeps the
        # Arrow types, so every notebook sees the reader's columns.
        pq.write_table(tx.to_arrow(), path)
    quality = tx.quality.to_dict()
    kept = {f.name for f in fields(QualityReport)}
    state = {"quality": {k: v for k, v in quality.items() if k in kept}}
    (folder / _QUALITY_FILE).write_text(json.dumps(state, indent=1, default=str), encoding="utf-8")
    return folder


def _engine_rows(tx: Transactions) -> Any:
    """The canonical rows as an expression on the shared DuckDB connection, or None when they are elsewhere.

    A table the data contract checked in DuckDB (a Parquet file, a DuckDB table) is stored in source order
    with the expression that collects it in the canonical order (date, ties in source order); that
    expression is what :meth:`Transactions.to_arrow` collects. Arrow or pandas tables, and tables on other
    backends (Spark, a warehouse), are collected through :meth:`Transactions.to_arrow` instead.
    """
    ordered = tx.ordered_ibis()
    if ordered is None:
        return None
    try:
        backend = ordered._find_backend()
    except Exception:  # an expression over in-memory tables only names no backend
        return None
    return ordered if backend is connection() else None


def _quote(path: Path) -> str:
    return "'" + str(Path(path).resolve()).replace("'", "''") + "'"


def _is_report_table(path: Path) -> bool:
    return path.is_dir() and (path / _TABLE_FILE).is_file() and (path / _QUALITY_FILE).is_file()


def _open_report_table(folder: Path, *, view: bool | None = None) -> Transactions:
    """The report table of ``folder``: loaded into the engine, or with ``view`` read where it lies.

    By default a table of up to :data:`IN_ENGINE_ROWS` rows is loaded and a larger one is a view (see
    :func:`_engine_table`); the runner, which only hashes the table and may compute a few index figures
    while the kernels hold their own, always opens a view.
    """
    state = json.loads((folder / _QUALITY_FILE).read_text(encoding="utf-8"))
    values = dict(state["quality"])
    for f in fields(QualityReport):
        if "Timestamp" in str(f.type) and values.get(f.name) is not None:
            values[f.name] = pd.Timestamp(values[f.name])
        elif "tuple" in str(f.type) and isinstance(values.get(f.name), list):
            # JSON has no tuples: notes and warnings come back as lists.
            values[f.name] = tuple(values[f.name])
    quality = QualityReport(**values)
    if view is None:
        view = quality.rows_kept > IN_ENGINE_ROWS
    return _engine_table(folder / _TABLE_FILE, quality, view=view)


def _engine_table(path: Path, quality: QualityReport, *, view: bool) -> Transactions:
    """The report table as an engine table loaded from its Parquet file, or as a view over the file; the
    table or view is dropped with the transactions object.

    Either way DuckDB reads the file itself, in parallel: read into Arrow first (and then copied into the
    engine by the first analysis), the table cost each kernel two copies of itself and, on a large base,
    most of its start. Loaded, the engine's table is the one the first analysis made from Arrow before (the
    same rows in the same order). A large table stays a view: loaded, it would exceed the engine's memory
    limit, and DuckDB would write it to its spill folder and read it back from there, where the view reads
    the compressed file and only the columns and rows each query needs. Arrow or pandas are made only if a
    cell asks for them.
    """
    import weakref

    con = connection()
    name = f"segkit_report_table_{next(_TABLE_NAMES)}_{os.getpid()}"
    kind = "VIEW" if view else "TABLE"
    con.raw_sql(f'CREATE TEMP {kind} "{name}" AS SELECT * FROM read_parquet({_quote(path)})')
    tx = Transactions(engine=con.table(name), quality=quality)
    weakref.finalize(tx, _drop, kind, name)
    return tx


def _drop(kind: str, name: str) -> None:
    try:
        connection().raw_sql(f'DROP {kind} IF EXISTS "{name}"')
    except Exception:  # best effort at garbage collection or interpreter exit
        pass


def setup_notebook() -> None:
    """Plot and table defaults for the report notebooks: readable, and identical from run to run."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (9, 4.5), "figure.dpi": 80, "svg.hashsalt": "segkit"})
    pd.set_option("display.max_rows", 40)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 140)
    pd.set_option("display.float_format", lambda v: f"{v:,.2f}")
