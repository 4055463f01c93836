"""Lazy re-exports: a public name whose module pulls in a heavy dependency is imported on first use.

``import segkit`` should cost the analyst (and every notebook of a scheduled report) only what the call they
make needs: plotting brings matplotlib and seaborn, the personas bring scikit-learn, the BTYD models bring
scipy. A subpackage declares which of its names live in such modules; they are imported the first time the
name is looked up (PEP 562 module ``__getattr__``), and cached in the package so the lookup happens once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["attach", "reexport"]


def attach(
    package: str, namespace: dict[str, Any], modules: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose ``modules`` load on first use.

    Parameters
    ----------
    package : str
        The package's dotted name (its ``__name__``).
    namespace : dict
        The package's ``globals()``: a loaded name is stored there, so the next lookup is a plain attribute.
    modules : mapping
        Relative module name (``"_plots"``) -> the public names it defines.

    Examples
    --------
    >>> import segkit.clv as clv
    >>> clv.plot_p_alive_calibration.__module__
    'segkit.clv._plots'
    """
    owner = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = owner.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(owner))

    return __getattr__, __dir__


def reexport(namespace: dict[str, Any], subpackages: Iterable[ModuleType]) -> Callable[[str], Any]:
    """Copy each subpackage's loaded public names into ``namespace``; return a ``__getattr__`` for the rest.

    A name in a subpackage's ``__all__`` that it has not loaded yet (a lazy one) is looked up on the
    subpackage the first time it is asked for at the top level, which loads its module then.
    """
    later: dict[str, ModuleType] = {}
    for sub in subpackages:
        loaded = vars(sub)
        for name in sub.__all__:
            if name in loaded:
                namespace[name] = loaded[name]
            else:
                later[name] = sub

    def __getattr__(name: str) -> Any:
        sub = later.get(name)
        if sub is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(sub, name)
        namespace[name] = value
        return value

    return __getattr__
