"""Keyed pseudonyms for customer identifiers and free-text attributes.

A pseudonym is an HMAC-SHA256 of the value under a secret key: the same key gives the same pseudonym in
every report (so migration between dated reports still matches customers), and without the key nobody can
recompute it from a list of known customer ids. Masking happens once, on the canonical table the runner
hands to every notebook, so no notebook, HTML copy or CSV export ever sees a raw id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .._errors import ParameterError
from ..io import CANONICAL_COLUMNS, Transactions

__all__ = ["MASK_KEY_ENV", "mask_key", "mask_transactions", "pseudonym"]

#: Environment variable holding the masking key.
MASK_KEY_ENV = "SEGKIT_MASK_KEY"
_MIN_KEY_LENGTH = 16


def mask_key(configured: str | None = None, environ: Mapping[str, str] | None = None) -> bytes:
    """The masking key: the config's ``mask_key``, else the ``SEGKIT_MASK_KEY`` environment variable.

    Raises
    ------
    ParameterError
        When neither is set or the key is shorter than 16 characters (customer ids are few and guessable,
        so only a long secret key keeps pseudonyms from being recomputed).
    """
    environ = os.environ if environ is None else environ
    key = configured if configured is not None else environ.get(MASK_KEY_ENV)
    if not key:
        raise ParameterError(
            f"--mask-ids needs a secret key: set the environment variable {MASK_KEY_ENV} (or the config key "
            "mask_key) to a long random text, and keep it the same from run to run so pseudonyms stay stable."
        )
    if len(key) < _MIN_KEY_LENGTH:
        raise ParameterError(
            f"The masking key is {len(key)} characters long; use at least {_MIN_KEY_LENGTH} random characters "
            f'(for example the output of `python -c "import secrets; print(secrets.token_hex(16))"`).'
        )
    return key.encode("utf-8")


def pseudonym(value: Any, key: bytes, *, prefix: str = "ID") -> str:
    """The keyed pseudonym of one value.

    Examples
    --------
    >>> from segkit.report._mask import pseudonym
    >>> pseudonym("C00042", b"a key of sixteen+")
    'ID-802231799ce9171f'
    >>> pseudonym("C00042", b"a key of sixteen+") == pseudonym("C00042", b"another key 123456")
    False
    """
    digest = hmac.new(key, f"{prefix}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:16]}"


def _mask_series(series: pd.Series, key: bytes, prefix: str) -> pd.Series:
    values = series.dropna().unique()
    mapping = {v: pseudonym(v, key, prefix=prefix) for v in values}
    if len(set(mapping.values())) != len(mapping):  # 64-bit pseudonyms: practically never
        raise ParameterError(f"Two {prefix} values got the same pseudonym; use another masking key.")
    return series.map(mapping).astype(series.dtype) if len(values) else series


def mask_transactions(tx: Transactions, key: bytes, *, safe: Iterable[str] = ()) -> Transactions:
    """Replace customer ids, order ids and free-text customer attributes by keyed pseudonyms.

    Order ids are masked too because, without an order column, they are made from the customer id.
    Attribute columns (``read_options={"attributes": [...]}``) holding text are masked unless listed in
    ``safe`` (for example a country or region column that identifies nobody). Products, categories and
    channels describe the assortment, not the customer, and are kept.
    """
    safe = set(safe)
    data = tx.data.copy()
    data["customer_id"] = _mask_series(data["customer_id"], key, "ID")
    if "order_id" in data.columns:
        data["order_id"] = _mask_series(data["order_id"], key, "ORDER")
    for column in data.columns:
        if column in CANONICAL_COLUMNS or column in safe:
            continue
        if data[column].dtype == object or pd.api.types.is_string_dtype(data[column]):
            data[column] = _mask_series(data[column], key, "TEXT")
    return Transactions(data=data, quality=tx.quality)
