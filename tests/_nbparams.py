"""The parameters cell of the small notebooks the runner tests build: the standard report parameters + extras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

# What every report notebook declares (segkit.report fills them in); each test adds the ones it needs.
STANDARD = {
    "data_path": None,
    "columns": {},
    "read_options": {},
    "as_of": None,
    "output_dir": None,
    "reports_root": None,
}


def _literal(value: Any) -> str:
    # Strings in double quotes, as the report notebooks write them; everything else as Python writes it.
    return json.dumps(value) if isinstance(value, str) else repr(value)


def notebook_parameters(**extra: Any) -> str:
    """The source of a ``parameters`` cell: the standard report parameters, then ``extra`` in the given order.

    >>> print(notebook_parameters(lang="en", min_orders=5))  # doctest: +NORMALIZE_WHITESPACE
    data_path = None
    columns = {}
    read_options = {}
    as_of = None
    output_dir = None
    reports_root = None
    lang = "en"
    min_orders = 5
    """
    values = {**STANDARD, **extra}
    return "".join(f"{name} = {_literal(value)}\n" for name, value in values.items())


def write_notebook(path: Path, body: str, *, parameters: str, heading: str | None = None) -> None:
    """Write a small report notebook: an optional markdown heading, the tagged parameters cell, ``body``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    cells = [params, nbformat.v4.new_code_cell(body)]
    nb.cells = ([nbformat.v4.new_markdown_cell(heading)] if heading else []) + cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def runner_workspace(tmp_path: Path, customers: list[str], dates: list[str]) -> dict[str, Path]:
    """A folder for a runner test: ``shop.csv`` (the given sales, amounts 1, 2, 3, ...), an empty
    ``notebooks/`` folder to write the test's notebooks into, and where the reports go."""
    data = tmp_path / "shop.csv"
    amounts = list(range(1, len(customers) + 1))
    pd.DataFrame({"customer_id": customers, "order_date": dates, "amount": amounts}).to_csv(data, index=False)
    books = tmp_path / "notebooks"
    books.mkdir()
    return {"root": tmp_path, "data": data, "notebooks": books, "out": tmp_path / "reports"}
