"""Exceptions raised by segkit.

Every error segkit raises on bad input is a :class:`SegkitError`, so a scheduler or a notebook can catch
one class. Messages follow one shape: which column or parameter, what is wrong, how many rows, a few
example values, and what to do about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["DataContractError", "ParameterError", "SegkitError"]


class SegkitError(Exception):
    """Base class of every error segkit raises on purpose.

    ``message_key`` names a catalogue message that says the same in every report language, with
    ``message_fields`` to fill it (see :func:`translatable`); errors without one are shown in English.
    """

    message_key: str | None = None
    message_fields: dict[str, Any] = {}


def translatable(error: SegkitError, key: str, **fields: Any) -> SegkitError:
    """Attach the catalogue message ``key`` (and its fields) to ``error``, so report pages can show it translated."""
    error.message_key = key
    error.message_fields = fields
    return error


class DataContractError(SegkitError, ValueError):
    """The input data breaks the transactions contract (missing column, unparseable values, ...)."""


class ParameterError(SegkitError, ValueError):
    """A function argument has a value segkit cannot use."""


def format_examples(values: Iterable[Any], limit: int = 5) -> str:
    """Render up to ``limit`` distinct example values for an error message."""
    seen: list[str] = []
    for value in values:
        text = repr(value)
        if text not in seen:
            seen.append(text)
        if len(seen) >= limit:
            break
    return ", ".join(seen)


def data_error(
    column: str, problem: str, n_rows: int, examples: Iterable[Any], fix: str
) -> DataContractError:
    """Build a :class:`DataContractError` in the project's standard message shape."""
    rows = "1 row" if n_rows == 1 else f"{n_rows:,} rows"
    return DataContractError(
        f"Column {column!r}: {problem} ({rows}; e.g. {format_examples(examples)}). {fix}"
    )


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ParameterError(f"{name} must be one of {options}; got {value!r}.")
