"""What a result keeps about its table's rows for the analyses built on it: engine keys and class codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


class Rows:
    """The compact customer keys of a result table's rows, their class codes, and a lazily built extra.

    ABC-XYZ joins an ABC and an XYZ result on the keys (integers, ascending with the ids) and counts the
    cells on the codes, instead of aligning text ids and grouping text labels. Two ``Rows`` are equal when
    their keys and codes are; the lazy extra (XYZ's customers x periods matrix) is built by ``build`` on
    first use and not compared.
    """

    __slots__ = ("_built", "build", "codes", "keys")
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        keys: np.ndarray | None,
        codes: np.ndarray,
        build: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        self.keys = keys
        self.codes = codes
        self.build = build
        self._built: pd.DataFrame | None = None

    def extra(self) -> pd.DataFrame | None:
        """``build()`` once; None when there is nothing to build."""
        if self._built is None and self.build is not None:
            self._built = self.build()
        return self._built

    def detached(self) -> Rows:
        """The same keys and codes, with an extra of its own: a copy of this one's, made on first use.

        A cached result hands each caller a detached copy, so editing the extra a caller got (XYZ's
        ``periods_``) never changes what the cache, or the next caller, sees. The keys and codes are
        shared: nothing writes them once they are built, and they are made read-only here to keep it so.
        """
        for array in (self.keys, self.codes):
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
        source = self

        def build() -> pd.DataFrame | None:
            built = source.extra()
            return None if built is None else built.copy()

        return Rows(self.keys, self.codes, build=build if self.build is not None else None)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Rows):
            return NotImplemented
        same_keys = (self.keys is None and other.keys is None) or (
            self.keys is not None and other.keys is not None and np.array_equal(self.keys, other.keys)
        )
        return same_keys and np.array_equal(self.codes, other.codes)

    def __repr__(self) -> str:
        return f"Rows({len(self.codes):,} rows)"
