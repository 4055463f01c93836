"""Numbers as exports write them: decimal mark and thousands separator decided per column from all values.

The rules (documented in the README's data-contract section):

* Every distinct value of the column is classified once (vectorised over the column's dictionary, so a
  10M-row column with 50,000 distinct amounts costs 50,000 regex matches, not 10M).
* A value *decides* the decimal mark when only one reading fits it: ``12,50`` (two digits after the comma),
  ``0,125`` (a zero before it), ``1.234,56`` (both marks), ``1,234,567`` (a repeated mark is a thousands
  separator). ``1,234`` or ``1.500`` alone fit both readings and decide nothing.
* The column's decimal mark is the one its deciding values agree on. When some values decide for ``,`` and
  others for ``.``, the column mixes conventions: that is an error with counts and examples, never a guess.
  When no value decides but some are ambiguous, that is an error too (pass ``decimal=``). The separator of
  the file never decides, nor do the number cells of an Excel column that mixes them with text: the reader
  takes those as the numbers they are and passes only the text cells here.
* Thousands groups are accepted only where the grouping is valid (1-3 digits, then groups of exactly 3).
  Spaces, no-break spaces and apostrophes are thousands separators.
* Currency signs and words (``₽``, ``руб.``, ``р.``, ``$``, ``€``, ISO codes) are stripped; ``(123.45)`` and a
  trailing minus (``123.45-``, SAP) are negative. ``inf``, ``NaN`` and non-finite floats are invalid values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import DataContractError, ParameterError, format_examples

__all__ = ["NumberColumn", "parse_numbers"]

# "NaN" and "inf" are not missing: they are invalid numbers (a spreadsheet error, a division by zero).
_MISSING = ["", "null", "none", "na", "n/a", "<na>"]
# Currency written before or after the number; RE2 syntax (pyarrow.compute).
_CURRENCY = r"(?:₽|\$|€|£|¥|₴|₸|руб\.?|р\.|р|rub\.?|rur|usd|eur|gbp|uah|kzt|byn|cny|грн\.?|тг\.?|us\$)"
_SPACES = r"[\x{00a0}\x{202f}\x{2007}\x{2009}]"
_MINUS = r"[\x{2212}\x{2013}]"  # a real minus sign and an en dash, as word processors write them

# Patterns over the body of a value (sign and currency removed). "G" is a valid thousands grouping.
_INT = r"^\d+$"
_SP_INT = r"^\d{1,3}(?:[ ']\d{3})+$"


def _rx(mark: str) -> dict[str, str]:
    """The deciding and ambiguous patterns for a decimal ``mark`` ("." or ",")."""
    m = re_escape(mark)
    other = re_escape("," if mark == "." else ".")
    return {
        # one mark, and the digits after it cannot be a thousands group
        "single": rf"^\d*{m}\d+$",
        "ambiguous": rf"^[1-9]\d{{0,2}}{m}\d{{3}}$",
        "spaced": rf"^\d{{1,3}}(?:[ ']\d{{3}})+{m}\d+$",
        "grouped": rf"^\d{{1,3}}(?:{other}\d{{3}})+{m}\d+$",
        # the other mark repeated as a thousands separator: 1,234,567 decides "." as the decimal
        "other_repeated": rf"^\d{{1,3}}(?:{other}\d{{3}}){{2,}}$",
    }


def re_escape(ch: str) -> str:
    return "\\" + ch if ch in ".$()[]{}*+?^|\\" else ch


@dataclass
class NumberColumn:
    """Parsed values of one column plus what the parser decided."""

    values: np.ndarray  # float64, NaN where missing or invalid
    missing: np.ndarray  # bool: empty cell
    invalid: np.ndarray  # bool: present but not a finite number in the column's convention
    convention: str  # e.g. "decimal ',' thousands ' '" for the quality report
    decimal: str | None = None  # the decimal mark used (None for native numbers)


def rows_text(n: int) -> str:
    """``n`` as a count of rows for a message.

    Examples
    --------
    >>> rows_text(1), rows_text(12345)
    ('1 row', '12,345 rows')
    """
    return "1 row" if n == 1 else f"{n:,} rows"


def _count(mask: pa.Array, counts: np.ndarray) -> int:
    return int(counts[np.asarray(mask.fill_null(False), dtype=bool)].sum())


def _examples(mask: pa.Array, uniq: pa.Array, counts: np.ndarray, limit: int = 3) -> str:
    keep = np.asarray(mask.fill_null(False), dtype=bool)
    order = np.argsort(-counts[keep], kind="stable")
    return format_examples(np.asarray(uniq.filter(pa.array(keep)).to_pylist(), dtype=object)[order], limit)


def parse_numbers(
    column: pa.ChunkedArray | pa.Array,
    name: str,
    *,
    decimal: str | None = None,
    thousands: str | None = None,
) -> NumberColumn:
    """Parse one column of numbers; see the module docstring for the rules.

    Examples
    --------
    >>> import pyarrow as pa
    >>> parse_numbers(pa.array(["1 234,50 руб.", "(12,00)", "99,90-"]), "Sum").values.tolist()
    [1234.5, -12.0, -99.9]
    """
    if decimal is not None and decimal not in (".", ","):
        raise ParameterError(f"decimal must be '.' or ','; got {decimal!r}.")
    if thousands is not None and thousands not in ("", " ", ",", ".", "'"):
        raise ParameterError(f"thousands must be one of '', ' ', ',', '.', \"'\"; got {thousands!r}.")
    if decimal is not None and thousands == decimal:
        raise ParameterError(f"decimal and thousands cannot both be {decimal!r}.")
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        missing = np.asarray(column.is_null(), dtype=bool)
        invalid = ~np.isfinite(values) & ~missing
        values = np.where(invalid, np.nan, values)
        return NumberColumn(values, missing, invalid, "native numbers")
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type) if not pa.types.is_string(kind.value_type) else column
        column = column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    encoded = pc.dictionary_encode(column)
    uniq = encoded.dictionary
    indices = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    counts = np.bincount(indices[indices >= 0], minlength=len(uniq))
    u_values, u_missing, u_invalid, convention, decimal = _parse_unique(
        uniq, counts, name, decimal, thousands
    )
    null_row = indices < 0
    safe = np.where(null_row, 0, indices)
    if len(uniq) == 0:
        n = len(indices)
        return NumberColumn(np.full(n, np.nan), np.ones(n, bool), np.zeros(n, bool), convention, decimal)
    values = np.where(null_row, np.nan, u_values[safe])
    missing = null_row | u_missing[safe]
    invalid = ~null_row & u_invalid[safe]
    return NumberColumn(values, missing, invalid, convention, decimal)


def _normalise(uniq: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Body of each value (no spaces at the ends, sign and currency removed), its sign, and missing flags."""
    text = pc.replace_substring_regex(uniq, _SPACES, " ")
    text = pc.utf8_trim_whitespace(text)
    missing = pc.is_in(pc.utf8_lower(text), value_set=pa.array(_MISSING))
    text = _strip_currency(text)
    paren = pc.match_substring_regex(text, r"^\(.*\)$")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"^\((.*)\)$", r"\1"))
    text = _strip_currency(text)
    text = pc.replace_substring_regex(text, "^" + _MINUS, "-")
    lead = pc.match_substring_regex(text, r"^-")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"^[-+]\s*", ""))
    trail = pc.match_substring_regex(text, r".-$")
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s*-$", ""))
    text = _strip_currency(text)
    n_signs = pc.add(pc.add(pc.cast(paren, pa.int8()), pc.cast(lead, pa.int8())), pc.cast(trail, pa.int8()))
    negative = pc.equal(n_signs, 1)
    double_sign = pc.greater(n_signs, 1)
    text = pc.if_else(double_sign, pa.scalar("x"), text)  # "(-5)" is not a number anyone means
    return text, negative, missing


def _strip_currency(text: pa.Array) -> pa.Array:
    text = pc.replace_substring_regex(text, rf"(?i)^{_CURRENCY}\s*", "")
    text = pc.replace_substring_regex(text, rf"(?i)\s*{_CURRENCY}$", "")
    return pc.utf8_trim_whitespace(text)


def _parse_unique(
    uniq: pa.Array, counts: np.ndarray, name: str, decimal: str | None, thousands: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, str]:
    body, negative, missing = _normalise(uniq)
    if decimal is None:
        decimal = _decide_decimal(body, counts, name, thousands)
    if thousands is None:
        seps = " '" + ("," if decimal == "." else ".")
    else:
        seps = thousands
    pattern = _valid_pattern(decimal, seps)
    valid = pc.match_substring_regex(body, pattern)
    cleaned = body
    for ch in seps:
        cleaned = pc.replace_substring(cleaned, ch, "")
    if decimal == ",":
        cleaned = pc.replace_substring(cleaned, ",", ".")
    cleaned = pc.if_else(valid, cleaned, pa.scalar(None, pa.string()))
    values = np.asarray(pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    values = np.where(np.asarray(negative, dtype=bool), -values, values)
    miss = np.asarray(missing, dtype=bool)
    invalid = ~miss & ~np.isfinite(values)
    values = np.where(invalid | miss, np.nan, values)
    if thousands is None:
        shown = "space, ' or " + ("','" if decimal == "." else "'.'")
    else:
        shown = repr(thousands) if thousands else "none"
    return values, miss, invalid, f"decimal {decimal!r}, thousands {shown}", decimal


def _valid_pattern(decimal: str, seps: str) -> str:
    d = re_escape(decimal)
    exponent = r"(?:[eE][+-]?\d+)?" if decimal == "." else ""
    if seps:
        cls = "[" + "".join("\\" + c if c in ".'" else c for c in seps) + "]"
        grouped = rf"\d{{1,3}}(?:{cls}\d{{3}})+"
        return rf"^(?:\d+|{grouped})(?:{d}\d*)?{exponent}$|^{d}\d+{exponent}$"
    return rf"^\d+(?:{d}\d*)?{exponent}$|^{d}\d+{exponent}$"


def _decide_decimal(body: pa.Array, counts: np.ndarray, name: str, thousands: str | None) -> str:
    if thousands in (",", "."):
        return "." if thousands == "," else ","
    forced = {}
    ambiguous = {}
    for mark in (".", ","):
        rx = _rx(mark)
        single = pc.and_(
            pc.match_substring_regex(body, rx["single"]),
            pc.invert(pc.match_substring_regex(body, rx["ambiguous"])),
        )
        decides = single
        for key in ("spaced", "grouped", "other_repeated"):
            decides = pc.or_(decides, pc.match_substring_regex(body, rx[key]))
        if mark == ".":
            decides = pc.or_(decides, pc.match_substring_regex(body, r"^\d*\.\d+[eE][+-]?\d+$"))
        if thousands == "":
            # without thousands separators, a single mark is always the decimal
            decides = pc.or_(decides, pc.match_substring_regex(body, rx["ambiguous"]))
        forced[mark] = decides
        ambiguous[mark] = pc.match_substring_regex(body, rx["ambiguous"])
    n_dot, n_comma = _count(forced["."], counts), _count(forced[","], counts)
    if n_dot and n_comma:
        raise DataContractError(
            f"Column {name!r}: mixed decimal marks: {rows_text(n_comma)} written with a decimal comma "
            f"(e.g. {_examples(forced[','], body, counts)}) and {rows_text(n_dot)} with a decimal point "
            f"(e.g. {_examples(forced['.'], body, counts)}). segkit does not guess which is right. Fix the "
            "export, or pass decimal=',' (or decimal='.') to read one convention; values that do not fit "
            "it then count as invalid values (see invalid=)."
        )
    if n_dot:
        return "."
    if n_comma:
        return ","
    amb = pc.or_(ambiguous["."], ambiguous[","])
    n_amb = _count(amb, counts)
    if n_amb:
        raise DataContractError(
            f"Column {name!r}: cannot tell the decimal mark: {rows_text(n_amb)} such as "
            f"{_examples(amb, body, counts)} read either as thousands (1,234 = 1234) or as decimals "
            "(1,234 = 1.234), and no value in the column decides. Pass decimal=',' or decimal='.' to say which."
        )
    return "."
