"""Dates as exports write them, and dates as users type them in parameters.

Column values (:func:`parse_dates`) are matched against a few layouts on the column's distinct values
(vectorised regular expressions, no per-row Python):

* year first: ``2024-07-01``, ``2024/07/01``, ``2024.07.01``, ``20240701``;
* day first with dots or dashes: ``01.07.2024``, ``01-07-2024``, ``01.07.24`` (two-digit years: 00-68 are
  20xx, 69-99 are 19xx, as in :func:`time.strptime`; the quality report notes them);
* slashes ``01/07/2024``: day or month first is decided by the whole column (a value with a first part above
  12 means day first, a second part above 12 means month first); a column where no value decides is an
  error asking for ``date_format=``;
* each with an optional time ``HH:MM[:SS[.fraction]]`` (``T`` or space; ``AM``/``PM``) and an optional UTC
  offset (``Z``, ``+03:00``, ``+0300``). Date-only and date-time values may be mixed.

Offsets are resolved to one zone, stated in the quality report: with ``timezone=`` every aware value is
converted to that zone (naive values are taken as already in it); without it, a column whose values all carry
the same offset keeps its wall-clock times, and a column with several offsets is converted to UTC.

Numbers in a date column are Unix seconds (``date_format="unix"``), Unix milliseconds (``"unix_ms"``) or Excel
serial days (``"excel"``, automatic for numeric cells of an Excel workbook); ``yyyymmdd`` integers are read as
such.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._errors import DataContractError, ParameterError, format_examples

__all__ = ["DateColumn", "date_outliers", "parse_date_param", "parse_dates"]

_MISSING = ["", "nan", "none", "null", "na", "n/a", "<na>", "nat"]
NUMERIC_FORMATS = ("unix", "unix_s", "unix_ms", "excel")

_TIME = (
    r"(?:(?P<tsep>[ T]+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<ampm>[AaPp][Mm])?)?"
)
_TZ = r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
_FAMILIES = {
    "ymd": r"^(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})" + _TIME + _TZ,
    "dmy": r"^(?P<d>\d{1,2})(?P<sep>[.-])(?P<m>\d{1,2})[.-](?P<y>\d{4}|\d{2})" + _TIME + _TZ,
    "slash": r"^(?P<a>\d{1,2})(?P<sep>/)(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})" + _TIME + _TZ,
    "compact": r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?P<sep>)$",
}
_EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")  # Excel's day 0 (with its 1900 leap-year bug absorbed)


@dataclass
class DateColumn:
    """Parsed values of one date column and what the parser decided."""

    values: np.ndarray  # datetime64[ns], NaT where missing or invalid
    missing: np.ndarray
    invalid: np.ndarray
    format: str
    two_digit_year: np.ndarray
    zone: str = "as written (no offsets)"
    hint: str = ""
    notes: list[str] = field(default_factory=list)


def _int(arr: pa.Array, default: int = 0) -> np.ndarray:
    filled = pc.if_else(pc.equal(arr, ""), pa.scalar(str(default)), arr)
    return np.asarray(pc.cast(filled.fill_null(str(default)), pa.int64()).to_numpy(zero_copy_only=False))


def parse_dates(
    column: pa.ChunkedArray | pa.Array,
    name: str,
    *,
    date_format: str | None = None,
    timezone: str | None = None,
    excel: bool = False,
) -> DateColumn:
    """Parse one date column to ``datetime64[ns]``; see the module docstring for the rules.

    Examples
    --------
    >>> import pyarrow as pa
    >>> col = parse_dates(pa.array(["01.07.2024", "2024-07-02 10:30:15.250", "03.07.2024 08:00"]), "Date")
    >>> [str(v) for v in col.values]
    ['2024-07-01T00:00:00.000000000', '2024-07-02T10:30:15.250000000', '2024-07-03T08:00:00.000000000']
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    n = len(column)
    no = np.zeros(n, dtype=bool)
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return _native(column, timezone)
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        numbers = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        missing = np.asarray(column.is_null(), dtype=bool) | np.isnan(numbers)
        fmt = date_format or ("excel" if excel else None)
        if fmt is None:
            fmt = _numeric_layout(numbers[~missing], name)
        values = _from_numbers(numbers, fmt, name)
        invalid = np.isnat(values) & ~missing
        return DateColumn(values, missing, invalid, fmt, no)
    if not pa.types.is_string(kind) and not pa.types.is_large_string(kind):
        column = pc.cast(column, pa.string())
    uniq, indices = _distinct(pc.utf8_trim_whitespace(column))
    u_missing = np.asarray(
        pc.is_in(pc.utf8_lower(uniq), value_set=pa.array(_MISSING)).fill_null(True), dtype=bool
    )
    counts = np.bincount(indices[indices >= 0], minlength=len(uniq))
    if date_format is not None and date_format in NUMERIC_FORMATS:
        numbers = (
            np.asarray(
                pc.cast(pc.if_else(pa.array(u_missing), None, uniq), pa.float64(), safe=False).to_numpy(
                    zero_copy_only=False
                ),
                dtype=float,
            )
            if len(uniq)
            else np.zeros(0)
        )
        u_values = _from_numbers(numbers, date_format, name)
        parsed = _Parsed(u_values, np.zeros(len(uniq), bool), date_format, "as written (no offsets)")
    elif date_format is not None:
        u_values = pd.to_datetime(pd.Series(uniq.to_pandas()), format=date_format, errors="coerce")
        parsed = _Parsed(_naive_ns(u_values), np.zeros(len(uniq), bool), date_format, "as written")
    else:
        parsed = _fixed_layout(uniq, u_missing) or _parse_layouts(uniq, counts, u_missing, name, timezone)
    null_row = indices < 0
    safe = np.where(null_row, 0, indices)
    if len(uniq) == 0:
        nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        return DateColumn(nat, np.ones(n, bool), no, parsed.format or "-", no)
    values = np.where(null_row, np.datetime64("NaT"), parsed.values[safe]).astype("datetime64[ns]")
    missing = null_row | u_missing[safe]
    invalid = ~missing & np.isnat(values)
    hint = ""
    if invalid.any():
        bad = uniq.filter(pa.array(~u_missing & np.isnat(parsed.values)))
        if len(bad) and np.asarray(pc.match_substring_regex(bad, r"^\d+([.,]\d+)?$")).mean() > 0.5:
            hint = (
                " The values are plain numbers: pass date_format='excel' for Excel serial days, "
                "'unix' for Unix seconds or 'unix_ms' for milliseconds."
            )
    return DateColumn(
        values, missing, invalid, parsed.format, parsed.two_digit[safe] & ~null_row, parsed.zone, hint
    )


def _distinct(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Distinct values and each row's index into them (-1 for null).

    Dates with seconds are nearly all distinct; hashing them first would cost more than it saves, so such a
    column (judged on its first 20,000 values) is parsed as it is.
    """
    sample = text.slice(0, 20_000)
    if len(text) > 50_000 and pc.count_distinct(sample).as_py() > 0.5 * len(sample):
        indices = np.arange(len(text), dtype=np.int64)
        if text.null_count:
            indices[np.asarray(text.is_null(), dtype=bool)] = -1
        return text, indices
    encoded = pc.dictionary_encode(text)
    return encoded.dictionary, np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)


#: Fixed-width layouts that most exports use, read by slicing (a vectorised fast path; the general
#: recogniser below handles everything else). Each field is (start, stop) in the string.
_FIXED = (
    ("%Y-%m-%d %H:%M:%S", r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", (0, 5, 8, 11, 14, 17)),
    ("%Y-%m-%dT%H:%M:%S", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", (0, 5, 8, 11, 14, 17)),
    ("%Y-%m-%d %H:%M", r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", (0, 5, 8, 11, 14, None)),
    ("%Y-%m-%d", r"^\d{4}-\d{2}-\d{2}$", (0, 5, 8, None, None, None)),
    ("%d.%m.%Y %H:%M:%S", r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$", (6, 3, 0, 11, 14, 17)),
    ("%d.%m.%Y %H:%M", r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$", (6, 3, 0, 11, 14, None)),
    ("%d.%m.%Y", r"^\d{2}\.\d{2}\.\d{4}$", (6, 3, 0, None, None, None)),
)


def _fixed_layout(uniq: pa.Array, u_missing: np.ndarray) -> _Parsed | None:
    present = uniq.filter(pa.array(~u_missing))
    if len(present) == 0:
        return None
    for fmt, pattern, starts in _FIXED:
        if not pc.all(pc.match_substring_regex(present, pattern)).as_py():
            continue
        fields = []
        for k, start in enumerate(starts):
            width = 4 if k == 0 else 2
            if start is None:
                fields.append(np.zeros(len(uniq), np.int64))
                continue
            part = pc.utf8_slice_codeunits(uniq, start, start + width)
            part = pc.if_else(pa.array(u_missing), pa.scalar("0"), part)
            fields.append(np.asarray(pc.cast(part, pa.int64()), dtype=np.int64))
        values = _compose(*fields, ~u_missing)
        return _Parsed(values, np.zeros(len(uniq), bool), fmt, "as written (no offsets)")
    return None


@dataclass
class _Parsed:
    values: np.ndarray
    two_digit: np.ndarray
    format: str
    zone: str


def _naive_ns(values: pd.Series) -> np.ndarray:
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.to_numpy(dtype="datetime64[ns]")


def _native(column: pa.Array, timezone: str | None) -> DateColumn:
    series = pd.Series(column.to_pandas())
    if pa.types.is_date(column.type):
        series = pd.to_datetime(series)
    zone = "as stored (no zone)"
    tz = getattr(series.dt, "tz", None)
    if tz is not None:
        if timezone is not None:
            series = series.dt.tz_convert(timezone)
            zone = f"{timezone} (converted from {tz})"
        else:
            zone = f"{tz} (as stored)"
        series = series.dt.tz_localize(None)
    values = series.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(values)
    no = np.zeros(len(values), dtype=bool)
    return DateColumn(values, missing, no, "native datetime", no, zone)


def _numeric_layout(numbers: np.ndarray, name: str) -> str:
    if numbers.size == 0:
        return "yyyymmdd"
    whole = np.all(numbers == np.round(numbers))
    if whole and numbers.min() >= 1900_01_01 and numbers.max() <= 2100_12_31:
        return "yyyymmdd"
    median = float(np.median(numbers))
    guess = "excel" if 1 <= median < 100_000 else "unix" if median < 1e11 else "unix_ms"
    raise DataContractError(
        f"Column {name!r}: numbers instead of dates ({numbers.size:,} rows; e.g. "
        f"{format_examples(numbers[:5].tolist())}). They look like "
        f"{ {'excel': 'Excel serial days', 'unix': 'Unix seconds', 'unix_ms': 'Unix milliseconds'}[guess] }: "
        f"pass date_format={guess!r} (or 'excel', 'unix', 'unix_ms' as the export documents)."
    )


def _from_numbers(numbers: np.ndarray, fmt: str, name: str) -> np.ndarray:
    finite = np.isfinite(numbers)
    safe = np.where(finite, numbers, 0.0)
    if fmt == "yyyymmdd":
        ints = safe.astype(np.int64)
        frame = pd.DataFrame({"year": ints // 10000, "month": ints // 100 % 100, "day": ints % 100})
        values = pd.to_datetime(frame, errors="coerce").to_numpy(dtype="datetime64[ns]")
        bad = ~finite | (safe != np.round(safe))
    elif fmt == "excel":
        # Serial 60 is Excel's fictitious 1900-02-29; real exports start far later.
        ns = np.round(safe * 86_400e9).astype(np.int64)
        values = _EXCEL_EPOCH + ns.astype("timedelta64[ns]")
        bad = ~finite | (safe < 1) | (safe > 2_958_465)
    elif fmt in ("unix", "unix_s", "unix_ms"):
        scale = 1e6 if fmt == "unix_ms" else 1e9
        bad = ~finite | (np.abs(safe) * scale > 9.2e18)
        ns = np.round(np.where(bad, 0, safe) * scale).astype(np.int64)
        values = ns.astype("datetime64[ns]")
    else:  # pragma: no cover - guarded by the caller
        raise ParameterError(f"date_format={fmt!r} is not a numeric date layout.")
    return np.where(bad, np.datetime64("NaT"), values).astype("datetime64[ns]")


def _parse_layouts(
    uniq: pa.Array, counts: np.ndarray, u_missing: np.ndarray, name: str, timezone: str | None
) -> _Parsed:
    n = len(uniq)
    year = np.zeros(n, np.int64)
    month = np.zeros(n, np.int64)
    day = np.zeros(n, np.int64)
    hour = np.zeros(n, np.int64)
    minute = np.zeros(n, np.int64)
    second = np.zeros(n, np.int64)
    frac_ns = np.zeros(n, np.int64)
    offset = np.full(n, np.nan)
    matched = np.zeros(n, bool)
    pm = np.zeros(n, bool)
    am = np.zeros(n, bool)
    variants: dict[str, int] = {}
    two_digit = np.zeros(n, bool)
    for family, pattern in _FAMILIES.items():
        remaining = np.flatnonzero(~matched & ~u_missing)
        if len(remaining) == 0:
            break
        parts = pc.extract_regex(uniq.take(pa.array(remaining)), pattern)  # null where it does not match
        hit = np.asarray(parts.is_valid(), dtype=bool)
        if not hit.any():
            continue
        idx = remaining[hit]
        parts = parts.filter(pa.array(hit))
        field_names = [parts.type.field(i).name for i in range(parts.type.num_fields)]
        empty = pa.array([""] * len(idx), pa.string())
        get = {f: empty for f in ("tsep", "H", "M", "S", "f", "ampm", "tz")}
        get.update({f: parts.field(f) for f in field_names})
        day_first = True
        if family == "slash":
            a, b = _int(get["a"]), _int(get["b"])
            day_first = _slash_order(a, b, uniq.take(pa.array(idx)), counts[idx], name)
            day[idx], month[idx] = (a, b) if day_first else (b, a)
        else:
            day[idx], month[idx] = _int(get["d"]), _int(get["m"])
        y = _int(get["y"])
        short = np.asarray(pc.utf8_length(get["y"])) == 2
        two_digit[idx] = short
        year[idx] = np.where(short, np.where(y <= 68, 2000 + y, 1900 + y), y)
        hour[idx], minute[idx], second[idx] = _int(get["H"]), _int(get["M"]), _int(get["S"])
        frac = get["f"]
        flen = np.asarray(pc.utf8_length(frac))
        frac_ns[idx] = _int(frac) * (10 ** (9 - np.minimum(flen, 9))).astype(np.int64)
        lower = pc.utf8_lower(get["ampm"])
        pm[idx] = np.asarray(pc.equal(lower, "pm"), dtype=bool)
        am[idx] = np.asarray(pc.equal(lower, "am"), dtype=bool)
        offset[idx] = _offsets(get["tz"])
        matched[idx] = True
        for key, count in _variant_names(family, get, counts[idx], day_first).items():
            variants[key] = variants.get(key, 0) + count
    # AM/PM: 12 AM is midnight, 1-11 PM add 12 hours; 13:00 PM is no time at all.
    bad_clock = (pm | am) & ((hour > 12) | (hour == 0))
    hour = np.where(pm & (hour < 12), hour + 12, np.where(am & (hour == 12), 0, hour))
    ok = matched & ~bad_clock
    values = _compose(year, month, day, hour, minute, second, ok)
    values = values + frac_ns.astype("timedelta64[ns]")
    values, zone = _resolve_zone(values, offset, counts, timezone)
    fmt = " | ".join(k for k, _ in sorted(variants.items(), key=lambda kv: -kv[1])) or "-"
    return _Parsed(values, two_digit, fmt, zone)


_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _compose(year, month, day, hour, minute, second, ok) -> np.ndarray:
    """Calendar fields to ``datetime64[ns]`` in numpy (civil-from-days arithmetic); impossible dates -> NaT."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    m_ok = (month >= 1) & (month <= 12)
    dim = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    ok = ok & m_ok & (day >= 1) & (day <= dim) & (hour < 24) & (minute < 60) & (second < 60)
    ok &= (year >= 1678) & (year <= 2261)  # the range of nanosecond timestamps
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
    ns = np.where(ok, seconds, 0) * 1_000_000_000
    return np.where(ok, ns.astype("datetime64[ns]"), np.datetime64("NaT"))


def _slash_order(a: np.ndarray, b: np.ndarray, sub: pa.Array, counts: np.ndarray, name: str) -> bool:
    day_first = bool((a > 12).any())
    month_first = bool((b > 12).any())
    if day_first and month_first:
        raise DataContractError(
            f"Column {name!r}: dates with slashes are written both day first (e.g. "
            f"{format_examples(np.asarray(sub.to_pylist(), dtype=object)[a > 12], 3)}) and month first "
            f"(e.g. {format_examples(np.asarray(sub.to_pylist(), dtype=object)[b > 12], 3)}). Fix the export "
            "or pass date_format= (e.g. date_format='%d/%m/%Y'); other values then count as invalid."
        )
    if not day_first and not month_first:
        raise DataContractError(
            f"Column {name!r}: ambiguous dates: every value such as "
            f"{format_examples(sub.to_pylist(), 3)} reads both day first and month first ({int(counts.sum()):,} "
            "rows), and no value decides. Pass date_format= explicitly, e.g. date_format='%d/%m/%Y' "
            "(day first) or date_format='%m/%d/%Y' (month first)."
        )
    return day_first


def _offsets(tz: pa.Array) -> np.ndarray:
    text = np.asarray(tz.fill_null("").to_pylist(), dtype=object)
    out = np.full(len(text), np.nan)
    utc = np.isin(text, ["Z", "UTC", "GMT"])
    out[utc] = 0.0
    signed = pc.extract_regex(tz.fill_null(""), r"^(?P<s>[+-])(?P<h>\d{2}):?(?P<m>\d{2})?$")
    valid = np.asarray(signed.is_valid(), dtype=bool)
    if valid.any():
        sign = np.where(np.asarray(signed.field("s").to_pylist(), dtype=object) == "-", -1, 1)
        minutes = _int(signed.field("h")) * 60 + _int(signed.field("m"))
        out[valid] = (sign * minutes)[valid]
    return out


def _resolve_zone(
    values: np.ndarray, offset: np.ndarray, counts: np.ndarray, timezone: str | None
) -> tuple[np.ndarray, str]:
    aware = ~np.isnan(offset)
    if not aware.any() and timezone is None:
        return values, "as written (no offsets)"
    distinct = np.unique(offset[aware & (counts > 0)])
    utc = values - np.where(aware, offset, 0).astype(np.int64).astype("timedelta64[m]")
    if timezone is not None:
        local = pd.Series(utc[aware]).dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
        out = values.copy()
        out[aware] = local.to_numpy(dtype="datetime64[ns]")
        return out, f"{timezone} (offsets converted; times without an offset taken as {timezone})"
    if len(distinct) == 1:
        minutes = int(distinct[0])
        return values, f"UTC{_fmt_offset(minutes)} as written (every offset is the same)"
    out = np.where(aware, utc, values)
    return out, "UTC (several offsets converted; times without an offset taken as UTC)"


def _fmt_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _variant_names(family: str, get: dict, counts: np.ndarray, day_first: bool) -> dict[str, int]:
    """strptime-style names of the layouts present, with their row counts (for the quality report)."""
    sep = pc.dictionary_encode(get["sep"])
    flags = [
        np.asarray(pc.utf8_length(get["y"])) == 4,
        np.asarray(pc.match_substring(get["tsep"], "T"), dtype=bool),
        *(
            np.asarray(pc.not_equal(get[f].fill_null(""), ""), dtype=bool)
            for f in ("M", "S", "f", "ampm", "tz")
        ),
    ]
    code = np.asarray(sep.indices, dtype=np.int64) << len(flags)
    for bit, flag in enumerate(flags):
        code |= flag.astype(np.int64) << bit
    distinct, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    totals = np.bincount(inverse, weights=counts, minlength=len(distinct))
    seps = sep.dictionary.to_pylist()
    out: dict[str, int] = {}
    for i, total in zip(first, totals, strict=True):
        full_year, t_sep, has_m, has_s, has_f, has_p, has_z = (bool(f[i]) for f in flags)
        s = seps[int(code[i] >> len(flags))]
        y = "%Y" if full_year else "%y"
        if family == "ymd":
            date = f"%Y{s}%m{s}%d"
        elif family == "dmy":
            date = f"%d{s}%m{s}{y}"
        elif family == "slash":
            date = f"%d/%m/{y}" if day_first else f"%m/%d/{y}"
        else:
            date = "%Y%m%d"
        time = ""
        if has_m:
            time = ("T" if t_sep else " ") + "%H:%M" + (":%S" if has_s else "") + (".%f" if has_f else "")
            time += " %p" if has_p else ""
        key = date + time + ("%z" if has_z else "")
        out[key] = out.get(key, 0) + int(total)
    return out


# --------------------------------------------------------------------------------------------------
# outliers
# --------------------------------------------------------------------------------------------------

#: The robust rule for dates "far outside the bulk of the data" (a kit convention): the bulk is the range
#: between the 1st and 99th percentile of the kept rows' dates; a date more than the bulk's own span (and at
#: least 180 days) before or after it is an outlier.
OUTLIER_RULE = (
    "more than the span of the bulk of the data (1st to 99th percentile of dates, at least 180 days) "
    "before or after it"
)


def date_outliers(values: np.ndarray) -> np.ndarray:
    """Boolean mask of dates far outside the bulk of ``values`` (see :data:`OUTLIER_RULE`)."""
    ok = ~np.isnat(values)
    out = np.zeros(len(values), dtype=bool)
    if ok.sum() < 3:
        return out
    ns = values[ok].astype("datetime64[ns]").astype(np.int64)
    lo = np.quantile(ns, 0.01, method="higher")
    hi = np.quantile(ns, 0.99, method="lower")
    margin = max(hi - lo, 180 * 86_400 * 10**9)
    out[ok] = (ns > hi + margin) | (ns < lo - margin)
    return out


# --------------------------------------------------------------------------------------------------
# date parameters
# --------------------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,4})/(\d{1,2})/(\d{1,4})$")


def parse_date_param(value: Any, name: str = "as_of") -> pd.Timestamp:
    """Read a date parameter the way a user types it: ``YYYY-MM-DD`` or ``DD.MM.YYYY``.

    Dots are day first by convention (``01.07.2024`` is 1 July 2024). Any slash form and any other value
    that could be read two ways is an error showing the readings, because a report dated on the wrong day
    looks perfectly plausible. ``datetime``, ``date``, ``numpy.datetime64`` and ``pandas.Timestamp`` values
    pass through (time zones are dropped, keeping the wall-clock time).

    Raises
    ------
    ParameterError
        With the parameter ``name``, the value, and the readings or the accepted forms.

    Examples
    --------
    >>> parse_date_param("01.07.2024")
    Timestamp('2024-07-01 00:00:00')
    >>> parse_date_param("2024-07-01")
    Timestamp('2024-07-01 00:00:00')
    >>> parse_date_param("01/07/2024")
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: as_of='01/07/2024' is ambiguous: it reads as 2024-07-01 (1 July 2024, day first) or 2024-01-07 (7 January 2024, month first). Write it as YYYY-MM-DD (e.g. '2024-07-01') or DD.MM.YYYY (e.g. '01.07.2024').
    """
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date | np.datetime64) and not isinstance(
        value, bool
    ):
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            raise ParameterError(f"{name} must be a date such as '2024-07-01'; got {value!r}.")
        return ts.tz_localize(None) if ts.tzinfo is not None else ts
    if not isinstance(value, str):
        raise ParameterError(
            f"{name} must be a date written YYYY-MM-DD or DD.MM.YYYY (e.g. '2024-07-01'); got {value!r}."
        )
    text = value.strip()
    if m := _ISO.match(text):
        parts = [int(g) if g else 0 for g in m.groups()]
        return _make(value, name, *parts)
    if m := _DOTTED.match(text):
        d, mo, y = (int(g) for g in m.groups())
        return _make(value, name, y, mo, d)
    if m := _SLASHED.match(text):
        raise ParameterError(_slash_message(value, name, *m.groups()))
    raise ParameterError(
        f"{name}={value!r} is not a date segkit accepts: write it as YYYY-MM-DD (e.g. '2024-07-01') or "
        "DD.MM.YYYY (e.g. '01.07.2024')."
    )


def _make(
    value: str, name: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0
) -> pd.Timestamp:
    try:
        return pd.Timestamp(_dt.datetime(y, mo, d, h, mi, s))
    except (ValueError, OverflowError) as exc:
        raise ParameterError(f"{name}={value!r} is not a real date ({exc}).") from exc


def _reading(y: int, mo: int, d: int) -> str | None:
    try:
        day = _dt.date(y, mo, d)
    except ValueError:
        return None
    return f"{day.isoformat()} ({day.day} {day.strftime('%B')} {day.year}"


def _slash_message(value: str, name: str, a: str, b: str, c: str) -> str:
    fix = "Write it as YYYY-MM-DD (e.g. '{iso}') or DD.MM.YYYY (e.g. '{dotted}')."
    if len(a) == 4:  # 2024/07/01
        reading = _reading(int(a), int(b), int(c))
        readings = [f"{reading}, year first)"] if reading else []
    else:
        year = int(c) if len(c) == 4 else None
        if year is None:
            return (
                f"{name}={value!r} is ambiguous: the year is not written in full and the day and month "
                "order is unclear. " + fix.format(iso="2024-07-01", dotted="01.07.2024")
            )
        readings = []
        day_first = _reading(year, int(b), int(a))
        month_first = _reading(year, int(a), int(b))
        if day_first:
            readings.append(f"{day_first}, day first)")
        if month_first and month_first != day_first:
            readings.append(f"{month_first}, month first)")
    if not readings:
        return f"{name}={value!r} is not a real date. " + fix.format(iso="2024-07-01", dotted="01.07.2024")
    iso = readings[0].split(" ")[0]
    dotted = pd.Timestamp(iso).strftime("%d.%m.%Y")
    what = (
        "is ambiguous: it reads as " + " or ".join(readings)
        if len(readings) > 1
        else ("uses slashes, which segkit never guesses: it could mean " + readings[0])
    )
    return f"{name}={value!r} {what}. " + fix.format(iso=iso, dotted=dotted)


def outlier_dates_message(column: str, rows: str, listed: str, policy: str) -> str:
    """The warning for dates far outside the bulk of the data, or the error when ``policy`` is ``"raise"``.

    ``rows`` is the row count as text (``"3 rows"``) and ``listed`` the examples; one wording for both readers
    of the contract.
    """
    if policy == "raise":
        raise DataContractError(
            f"Column {column!r}: {rows} dated far outside the bulk of the data ({OUTLIER_RULE}): {listed}. "
            "Fix the dates, pass outlier_dates='drop' to leave them out, or outlier_dates='warn' to keep them "
            "and end the default as-of date at the bulk of the data."
        )
    what = (
        "dropped (outlier_dates='drop')"
        if policy == "drop"
        else (
            "kept, but the default as-of date ends at the bulk of the data, so analyses without an explicit "
            "as_of leave them out"
        )
    )
    return (
        f"Column {column!r}: {rows} dated far outside the bulk of the data ({OUTLIER_RULE}): {listed}; "
        f"{what}. Fix the dates or pass as_of= explicitly."
    )
