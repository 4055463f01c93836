"""Helpers the report notebooks share: where the bundled sample is, how a notebook loads its data.

Keeping these here (not in the notebooks) means an analyst in JupyterLab and ``segkit report`` load data
the same way, and the notebooks stay narrative plus calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._resources import sample_data
from ..io import QualityReport, Transactions, read_transactions

__all__ = ["load_report_data", "sample_path", "save_report_table", "setup_notebook"]

#: Files of a report table: the canonical transactions the runner prepared once for every notebook.
_TABLE_FILE = "transactions.parquet"
_QUALITY_FILE = "quality.json"
SAMPLE_LABEL = "bundled sample (data/sample_transactions.csv)"


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
    import pyarrow.parquet as pq

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Arrow in, Arrow out: the table is never turned into pandas on the way (on a large base that is most
    # of a notebook's start), and Parquet keeps the Arrow types, so every notebook sees the reader's columns.
    pq.write_table(tx.to_arrow(), folder / _TABLE_FILE)
    quality = tx.quality.to_dict()
    kept = {f.name for f in fields(QualityReport)}
    state = {"quality": {k: v for k, v in quality.items() if k in kept}}
    (folder / _QUALITY_FILE).write_text(json.dumps(state, indent=1, default=str), encoding="utf-8")
    return folder


def _is_report_table(path: Path) -> bool:
    return path.is_dir() and (path / _TABLE_FILE).is_file() and (path / _QUALITY_FILE).is_file()


def _open_report_table(folder: Path) -> Transactions:
    import pyarrow.parquet as pq

    state = json.loads((folder / _QUALITY_FILE).read_text(encoding="utf-8"))
    values = dict(state["quality"])
    for f in fields(QualityReport):
        if "Timestamp" in str(f.type) and values.get(f.name) is not None:
            values[f.name] = pd.Timestamp(values[f.name])
        elif "tuple" in str(f.type) and isinstance(values.get(f.name), list):
            # JSON has no tuples: notes and warnings come back as lists.
            values[f.name] = tuple(values[f.name])
    # Held as Arrow, as read_transactions holds what it reads: pandas is made only if a cell asks for it.
    return Transactions(table=pq.read_table(folder / _TABLE_FILE), quality=QualityReport(**values))


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
