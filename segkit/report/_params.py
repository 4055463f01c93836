"""Notebook parameters are data, never code.

papermill writes each parameter into the notebook as ``NAME = VALUE``, so a name is code. Every name must
therefore be one a notebook declares in its ``parameters`` cell (read with papermill's own inspection), and
every value a plain JSON-like value of the type of the declared default. The standard parameters that say
where the data and the report are belong to the runner alone.
"""

from __future__ import annotations

import ast
import difflib
import keyword
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._errors import ParameterError

__all__ = ["RUNNER_PARAMETERS", "check_parameters", "declared_parameters"]

#: Parameters only the runner sets, and the flag or config key that sets each.
RUNNER_PARAMETERS = {
    "data_path": "--data (config key data)",
    "columns": "--customer/--date/... (config key columns)",
    "read_options": "the read flags such as --sep (config key read_options)",
    "as_of": "--as-of (config key as_of)",
    "output_dir": "--out (config key output)",
    "reports_root": "--out (config key output)",
    "window_months": "--window-months (config key window_months)",
    "mask_ids": "--mask-ids (config key mask_ids)",
    "crm_paths": "--crm TABLE=PATH (config key crm)",
    "lang": "--lang (config key lang)",
    "currency": "--currency (config key currency)",
}


class _AnyValue:
    """The declared default could not be read as a literal: any data value is accepted."""


def declared_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares, name -> default value (``None`` when the default is ``None``)."""
    import papermill as pm

    declared = {}
    for name, info in pm.inspect_notebook(str(path)).items():
        try:
            declared[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError, TypeError):
            declared[name] = _AnyValue()
    return declared


def check_parameters(
    given: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Check user parameters against the notebooks' declarations; return the parameters of each notebook.

    Parameters
    ----------
    given : mapping
        The user's parameters (``--param NAME=VALUE`` and the config's ``parameters``).
    declared : mapping
        Notebook name -> its declared parameters (name -> default), from :func:`declared_parameters`.

    Raises
    ------
    ParameterError
        For a name that is not an identifier, a runner parameter, a name no notebook declares, or a value
        whose type differs from the declared default's. Nothing runs before this check passes.

    Examples
    --------
    >>> declared = {"03_personas": {"k_max": 7, "seed": 0}, "04_cohorts": {"horizon_days": 90}}
    >>> check_parameters({"k_max": 4}, declared)
    {'03_personas': {'k_max': 4}, '04_cohorts': {}}
    >>> check_parameters({"horizon": 30}, declared)
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: Unknown notebook parameter 'horizon' (did you mean 'horizon_days'?). ...
    """
    valid = sorted({n for params in declared.values() for n in params} - set(RUNNER_PARAMETERS))
    per_notebook: dict[str, dict[str, Any]] = {nb: {} for nb in declared}
    for name, value in given.items():
        _check_name(name, valid)
        _check_data(name, value)
        for notebook, params in declared.items():
            if name in params:
                per_notebook[notebook][name] = _check_type(name, value, params[name], notebook)
    return per_notebook


def _check_name(name: Any, valid: Sequence[str]) -> None:
    listing = f"The notebook parameters are: {', '.join(valid)}."
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ParameterError(
            f"Parameter name {name!r} is not a valid name (letters, digits and _ only). {listing}"
        )
    if name in RUNNER_PARAMETERS:
        raise ParameterError(
            f"Parameter {name!r} is set by the runner, not by --param: use {RUNNER_PARAMETERS[name]}."
        )
    if name not in valid:
        close = difflib.get_close_matches(name, valid, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(f"Unknown notebook parameter {name!r}{guess}. {listing}")


def _check_data(name: str, value: Any) -> None:
    if value is None or isinstance(value, bool | int | float | str):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_data(name, item)
        return
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for item in value.values():
            _check_data(name, item)
        return
    raise ParameterError(
        f"Parameter {name!r}: {value!r} is a {type(value).__name__}; parameter values are numbers, text, "
        "true/false, null, lists or mappings with text keys."
    )


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "text"}


def _check_type(name: str, value: Any, default: Any, notebook: str) -> Any:
    if default is None or isinstance(default, _AnyValue):
        return value
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected in (list, tuple) and isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, expected) and not (isinstance(value, bool) and expected is not bool):
        return value
    what = _TYPE_NAMES.get(expected, f"a {expected.__name__}")
    raise ParameterError(
        f"Parameter {name!r}: got {value!r} ({type(value).__name__}), but notebook {notebook} expects "
        f"{what} (its default is {default!r}). Pass for example --param {name}={_example(default)}."
    )


def _example(default: Any) -> str:
    import json

    return json.dumps(default) if not isinstance(default, str) else default
