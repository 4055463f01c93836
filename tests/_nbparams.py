"""The parameters cell of the small notebooks the runner tests build: the standard report parameters + extras."""

from __future__ import annotations

import json
from typing import Any

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
