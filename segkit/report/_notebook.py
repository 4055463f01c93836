"""Helpers the report notebooks share: where the bundled sample is, how a notebook loads its data.

Keeping these here (not in the notebooks) means an analyst in JupyterLab and ``segkit report`` load data
the same way, and the notebooks stay narrative plus calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from .._resources import sample_data
from ..io._contract import Transactions, read_transactions

__all__ = ["load_report_data", "sample_path", "setup_notebook"]


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
        The source; ``None`` means the bundled sample (:func:`sample_path`).
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
    if data is not None:
        return read_transactions(data, **dict(columns or {}), **dict(read_options or {}))
    tx = read_transactions(sample_path(), **dict(columns or {}), **dict(read_options or {}))
    # Name the sample the same way on every machine, so reports and notebook outputs do not show a checkout path.
    tx.quality = replace(tx.quality, source="bundled sample (data/sample_transactions.csv)")
    return tx


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
