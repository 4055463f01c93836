"""Notebook parameters are data, never code.

papermill writes each parameter into the notebook as ``NAME = VALUE``, so a name is code. Every name must
therefore be one a notebook declares in its ``parameters`` cell (read with papermill's own inspection), and
every value a plain JSON-like value of the type of the declared default, within the range the analysis
that receives it accepts. The standard parameters that say where the data and the report are belong to the
runner alone.
"""

from __future__ import annotations

import ast
import difflib
import keyword
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._errors import ParameterError
from .._validation import Interval, Options, check_param

__all__ = ["RUNNER_PARAMETERS", "VALUE_RULES", "check_parameters", "declared_parameters"]

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


_DAYS = [Interval(int, 1, None)]
_COUNT = [Interval(int, 1, None)]

#: The values the analyses accept for the report pages' parameters, checked before any notebook runs so that
#: a bad value stops the run up front instead of failing (or silently running) one page.
VALUE_RULES: dict[str, list[Any]] = {
    "period": [Options(("week", "month", "quarter"))],
    "top_n": _COUNT,
    "bins": [Interval(int, 2, 9)],
    "migration_lookback_days": _DAYS,
    "k_min": [Interval(int, 2, None)],
    "k_max": [Interval(int, 2, None)],
    "seed": [Interval(int, 0, None)],
    "inactivity_days": [None, *_DAYS],
    "horizon_days": _DAYS,
    "survival_min_customers": _COUNT,
    "min_answers": _COUNT,
    "holdout_days": _DAYS,
    "discount_rate": [Interval(float, 0, None)],
    "penalizer": [Interval(float, 0, None)],
    "low_p_alive": [Interval(float, 0, 1)],
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
        For a name that is not an identifier, a runner parameter, a name no notebook declares, a value
        whose type differs from the declared default's, or a value outside the range of
        :data:`VALUE_RULES` (``k_min`` above ``k_max`` too). The message names the flag
        (``--param bins=0: bins must be ...``). Nothing runs before this check passes.

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
                per_notebook[notebook][name] = value = _check_type(name, value, params[name], notebook)
        if name in VALUE_RULES:
            try:
                check_param(name, value, VALUE_RULES[name])
            except ParameterError as exc:
                raise ParameterError(f"{_flag(name, value)}: {exc}") from None
    for notebook, params in declared.items():
        _check_k_range({**params, **per_notebook[notebook]}, given)
    return per_notebook


def _flag(name: str, value: Any) -> str:
    import json

    return f"--param {name}={value if isinstance(value, str) else json.dumps(value)}"


def _check_k_range(params: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    """The persona counts tried run from ``k_min`` to ``k_max``: an empty range is a bad value too."""
    k_min, k_max = params.get("k_min"), params.get("k_max")
    if not (isinstance(k_min, int) and isinstance(k_max, int)) or k_min <= k_max:
        return
    name = "k_min" if "k_min" in given else "k_max"
    raise ParameterError(
        f"{_flag(name, params[name])}: k_min must be <= k_max; got k_min={k_min}, k_max={k_max}."
    )


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
