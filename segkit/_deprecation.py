"""Renamed public names keep working, with a DeprecationWarning, for one minor version.

A module that renames a public name keeps the old one reachable through a module ``__getattr__``::

    from .._deprecation import renamed

    __getattr__ = renamed(__name__, globals(), {"old_name": ("new_name", "0.3")})

``segkit.old_name`` then warns "renamed to new_name in 0.3 ... removed in 0.4" and returns the new object.
Every rename is recorded in :data:`RENAMED`; a test fails once segkit's version reaches the removal version,
so the alias is not forgotten.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RENAMED", "Rename", "renamed"]


@dataclass(frozen=True)
class Rename:
    """One renamed public name: ``module.old`` is ``module.new`` since ``since``, gone in ``removed_in``."""

    module: str
    old: str
    new: str
    since: str
    removed_in: str

    @property
    def message(self) -> str:
        return (
            f"{self.module}.{self.old} was renamed to {self.module}.{self.new} in segkit {self.since} and will "
            f"be removed in segkit {self.removed_in}; use {self.new} instead."
        )


#: Every rename declared with :func:`renamed`, in declaration order.
RENAMED: list[Rename] = []


def _next_minor(version: str) -> str:
    major, minor = (int(part) for part in version.split(".")[:2])
    return f"{major}.{minor + 1}"


def renamed(
    module: str, namespace: Mapping[str, Any], names: Mapping[str, tuple[str, str]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that serves old names of renamed objects with a DeprecationWarning.

    Parameters
    ----------
    module : str
        The module's ``__name__``.
    namespace : mapping
        The module's ``globals()``, where the new names live.
    names : mapping
        ``{old_name: (new_name, since_version)}``; each old name is removed one minor version later.

    Examples
    --------
    >>> import types, warnings
    >>> from segkit._deprecation import renamed
    >>> mod = types.ModuleType("demo")
    >>> mod.rfm_scores = lambda: "scores"
    >>> mod.__getattr__ = renamed("demo", vars(mod), {"rfm_table": ("rfm_scores", "0.2")})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     mod.rfm_table()
    'scores'
    >>> print(caught[0].message)
    demo.rfm_table was renamed to demo.rfm_scores in segkit 0.2 and will be removed in segkit 0.3; use rfm_scores instead.
    """
    table = {}
    for old, (new, since) in names.items():
        rename = Rename(module, old, new, since, _next_minor(since))
        table[old] = rename
        RENAMED.append(rename)

    def __getattr__(name: str) -> Any:
        rename = table.get(name)
        if rename is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(rename.message, DeprecationWarning, stacklevel=2)
        return namespace[rename.new]

    return __getattr__
