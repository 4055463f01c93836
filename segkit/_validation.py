"""Parameter constraints declared once per function, checked with one message shape.

In the spirit of scikit-learn's ``_parameter_constraints``: a function lists, per parameter, the values it
accepts, and :func:`validate_params` checks the call before the body runs. A parameter passes when it
satisfies *any* of its constraints; otherwise :class:`segkit.ParameterError` names the parameter, what it
must be and the value it got::

    @validate_params(
        period=[Options({"week", "month", "quarter"})],
        inactivity_days=[None, Interval(int, 1, None)],
        as_of=[None, "date"],
    )
    def churn_rate(data, *, period="month", inactivity_days=None, as_of=None): ...

Constraints are ``None`` (the value may be None), a type (``bool``, ``str``, ``int`` -- ints exclude
booleans, ``float`` accepts any real number), ``"date"`` (anything :data:`DateLike`), ``"boolean"``,
:class:`Options`, :class:`Interval` and :class:`Pair`. Parameters without constraints are not checked.

An estimator class declares its constructor's parameters once with :func:`validate_fit_params`; they are
checked when ``fit`` runs (as in scikit-learn, where settings may change between construction and fit).
The declarations are data too: :func:`declared_constraints` reads them, so another layer (the report's
``--param`` check) can reuse a range instead of writing it again.
"""

from __future__ import annotations

import codecs
import datetime
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ._errors import ParameterError

__all__ = [
    "DateLike",
    "Interval",
    "Options",
    "Pair",
    "check_encoding",
    "check_param",
    "declared_constraints",
    "validate_fit_params",
    "validate_params",
]

#: Anything segkit accepts as a date: a string written ``YYYY-MM-DD`` or ``DD.MM.YYYY`` (read by
#: :func:`segkit.parse_date_param`: dots are day first, slash forms are refused), a date, a datetime, a
#: Timestamp or a numpy datetime64. The one date type of the public API.
DateLike = str | datetime.date | datetime.datetime | pd.Timestamp | np.datetime64

F = TypeVar("F", bound=Callable[..., Any])


class Options:
    """The value must be one of ``options`` (e.g. the period codes)."""

    def __init__(self, options: Iterable[Any]) -> None:
        self.options = tuple(options)

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return value in self.options
        except TypeError:  # an unhashable or incomparable value is simply not an option
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)


class Interval:
    """A number of ``kind`` (``int`` or ``float``) between ``left`` and ``right`` (None = unbounded).

    ``closed`` is ``"both"`` (default), ``"left"``, ``"right"`` or ``"neither"``. Booleans, NaN and the
    infinities are never numbers here: an unbounded side means any finite value, as no setting of an
    analysis is meaningful at infinity.
    """

    def __init__(self, kind: type, left: float | None, right: float | None, *, closed: str = "both") -> None:
        if kind not in (int, float):
            raise TypeError("Interval kind must be int or float")
        if closed not in ("both", "left", "right", "neither"):
            raise TypeError("closed must be 'both', 'left', 'right' or 'neither'")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        base = numbers.Integral if self.kind is int else numbers.Real
        if isinstance(value, bool | np.bool_) or not isinstance(value, base):
            return False
        if not math.isfinite(value):
            return False
        low_ok = self.left is None or (
            value >= self.left if self.closed in ("both", "left") else value > self.left
        )
        high_ok = self.right is None or (
            value <= self.right if self.closed in ("both", "right") else value < self.right
        )
        return low_ok and high_ok

    def __str__(self) -> str:
        noun = "a whole number" if self.kind is int else "a number"
        low = (
            "" if self.left is None else (">= " if self.closed in ("both", "left") else "> ") + f"{self.left}"
        )
        high = (
            ""
            if self.right is None
            else (("<= " if self.closed in ("both", "right") else "< ") + f"{self.right}")
        )
        bounds = " and ".join(b for b in (low, high) if b)
        return f"{noun} {bounds}".strip()


class Pair:
    """Two values (a list or tuple), each satisfying ``item``, the first not above the second.

    ``strict=True`` requires the first to be below the second. The item constraint is kept as ``item`` so
    that a setting holding one end of the pair (``k_min`` of ``k_range``) can be checked on its own.
    """

    def __init__(self, item: Any, *, strict: bool = False) -> None:
        self.item, self.strict = item, strict

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, list | tuple) or len(value) != 2:
            return False
        first, second = value
        if not (_satisfies(first, self.item) and _satisfies(second, self.item)):
            return False
        return first < second if self.strict else first <= second

    def __str__(self) -> str:
        order = "<" if self.strict else "<="
        return f"two values (low, high), each {_describe(self.item)}, with low {order} high"


def _is_date(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, DateLike):
        return False
    if isinstance(value, str):
        # Strings follow the one rule for typed dates; pandas alone would read '01.07.2024' as 7 January,
        # guess the order of '01/07/2024' and accept 'today', so the same call would vary by day.
        return _date_text_error(value, "date") is None
    try:
        return not pd.isna(pd.Timestamp(value))
    except (TypeError, ValueError):
        return False


def _date_text_error(value: str, name: str) -> Exception | None:
    """The contract's error for a date typed as text, or None when the text is a date."""
    from .io import parse_date_param  # the contract imports this module's neighbours, not the reverse

    try:
        parse_date_param(value, name)
    except ParameterError as exc:
        return exc
    return None


def _satisfies(value: Any, constraint: Any) -> bool:
    if constraint is None:
        return value is None
    if constraint == "date":
        return _is_date(value)
    if constraint == "boolean":
        return isinstance(value, bool | np.bool_)
    if isinstance(constraint, type):
        if constraint is int:
            return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)
        if constraint is float:
            return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        return isinstance(value, constraint)
    return constraint.is_satisfied_by(value)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if constraint == "date":
        return "a date such as '2024-07-01'"
    if constraint == "boolean":
        return "True or False"
    if isinstance(constraint, type):
        return {int: "a whole number", float: "a number", str: "a string"}.get(
            constraint, f"a {constraint.__name__}"
        )
    return str(constraint)


def check_param(name: str, value: Any, constraints: list[Any]) -> Any:
    """Raise :class:`segkit.ParameterError` unless ``value`` satisfies one of ``constraints``.

    Examples
    --------
    >>> from segkit._validation import Interval, check_param
    >>> check_param("window_days", 30, [Interval(int, 1, None)])
    30
    >>> check_param("window_days", 0, [Interval(int, 1, None)])
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: window_days must be a whole number >= 1; got 0.
    """
    if any(_satisfies(value, c) for c in constraints):
        return value
    if isinstance(value, str) and "date" in constraints:
        # The date rule's own message shows the possible readings of an ambiguous date.
        error = _date_text_error(value, name)
        if error is not None:
            raise error
    wanted = " or ".join(_describe(c) for c in constraints)
    raise ParameterError(f"{name} must be {wanted}; got {value!r}.")


def validate_params(**constraints: list[Any]) -> Callable[[F], F]:
    """Decorate a function so that its parameters are checked against ``constraints`` on every call.

    Examples
    --------
    >>> from segkit._validation import Interval, Options, validate_params
    >>> @validate_params(period=[Options(("week", "month"))], quantile=[Interval(float, 0, 1, closed="neither")])
    ... def f(*, period="month", quantile=0.9):
    ...     return period, quantile
    >>> f(period="week")
    ('week', 0.9)
    >>> f(quantile=1.5)
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: quantile must be a number > 0 and < 1; got 1.5.
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{func.__qualname__} has no parameter(s) {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            for name, allowed in constraints.items():
                check_param(name, bound.arguments[name], allowed)
            return func(*args, **kwargs)

        wrapper.__segkit_constraints__ = constraints  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


C = TypeVar("C", bound=type)


def validate_fit_params(**constraints: list[Any]) -> Callable[[C], C]:
    """Declare the constraints of an estimator's constructor parameters; ``fit`` checks them first.

    The declaration is the class attribute ``__segkit_constraints__``, as for functions (not scikit-learn's
    ``_parameter_constraints``, which a scikit-learn estimator would read in its own format). The
    attributes are checked when ``fit`` is called rather than in ``__init__``, so a setting changed on the
    object after construction is checked too.

    Examples
    --------
    >>> from segkit._validation import Interval, validate_fit_params
    >>> @validate_fit_params(n=[Interval(int, 1, None)])
    ... class Model:
    ...     def __init__(self, n=3):
    ...         self.n = n
    ...     def fit(self, data):
    ...         return self
    >>> Model(n=0).fit([])
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: n must be a whole number >= 1; got 0.
    """

    def decorate(cls: C) -> C:
        unknown = set(constraints) - set(inspect.signature(cls.__init__).parameters)
        if unknown:
            raise TypeError(f"{cls.__qualname__}() has no parameter(s) {sorted(unknown)}")
        fit = cls.fit  # type: ignore[attr-defined]

        @functools.wraps(fit)
        def checked_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
            for name, allowed in constraints.items():
                check_param(name, getattr(self, name), allowed)
            return fit(self, *args, **kwargs)

        cls.fit = checked_fit  # type: ignore[attr-defined]
        cls.__segkit_constraints__ = constraints  # type: ignore[attr-defined]
        return cls

    return decorate


def declared_constraints(target: Any, name: str) -> list[Any]:
    """The constraints ``target`` (a decorated function or estimator class) declares for ``name``.

    Raises
    ------
    KeyError
        When ``target`` declares nothing for ``name`` (a setting mapped to an undeclared parameter is a
        programming error, caught by the tests).

    Examples
    --------
    >>> import segkit
    >>> from segkit._validation import declared_constraints
    >>> [str(c) for c in declared_constraints(segkit.cohorts, "period")]
    ["one of 'week', 'month', 'quarter'"]
    """
    declared = getattr(target, "__segkit_constraints__", {})
    if name not in declared:
        raise KeyError(f"{getattr(target, '__qualname__', target)!r} declares no constraints for {name!r}")
    return list(declared[name])


def check_encoding(encoding: Any) -> None:
    """Refuse an encoding Python has no text codec for, before the file is opened."""
    if encoding is None:
        return
    try:
        known = isinstance(encoding, str) and codecs.lookup(encoding)._is_text_encoding
    except LookupError:
        known = False
    if not known:
        raise ParameterError(
            f"encoding={encoding!r} is not a text encoding Python knows. Pass a codec name such as 'cp1251' "
            "(1C and other Windows exports), 'utf-8' or 'utf-16', or leave it out to have UTF-8 or cp1251 "
            "found from the file."
        )
