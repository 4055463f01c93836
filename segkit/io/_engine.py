"""The data contract as engine expressions: typed sources checked where they live.

A Parquet file, a table in a DuckDB file or a warehouse, an Ibis table or a Spark DataFrame already has
typed columns, so nothing needs parsing row by row in Python. Here the contract's checks, policies, counts
and canonical columns are Ibis expressions on the source's own backend; only counts, a few example values
and per-day facts come back. The rules are those of the Arrow contract (``_contract.py``), step for step:
the same drop reasons in the same order, the same id cleaning, the same rounding, the same outlier rule and
the same quality report. A source whose columns need parsing (dates or numbers written as text) is read by
the Arrow contract instead on DuckDB; elsewhere ISO-like text is cast when every value casts.

The canonical table ends up where the data is: on the shared DuckDB connection (Parquet and DuckDB files)
a view over the staged rows, which are written once (in memory, or to a Parquet file for a large base), and
for a large Parquet file a view over the file itself beside a narrow file of each row's keys and flags; a
cached view on Spark; a temporary table (or the expression) in a warehouse.
"""

from __future__ import annotations

import itertools
import os
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, data_error, format_examples
from .._progress import progress
from ._numbers import rows_text

__all__ = ["IN_MEMORY_ROWS", "EngineSource", "StoredKeys", "run_engine_contract", "typed_for_engine"]

# Internal column names: the source's own columns are renamed c0..c{n-1}, so none of these can clash.
_ROW = "segkit_row"
_MISSING_TEXT = ["", "nan", "none", "null", "na", "n/a", "<na>", "nat"]
_MISSING_LENGTH = max(len(token) for token in _MISSING_TEXT)
_NUMBER_ROLES = ("amount", "quantity", "price", "margin", "cost")
_TEXT_ROLES = ("product", "category", "channel")
_DAY_NS = 86_400 * 10**9
# The contract's table names end in "c<n>": the engine numbers its own temporary tables from another
# counter with the same prefixes, and the two must never name the same table.
_names = itertools.count(1)
_RAW_ID = "segkit_raw_id"
_SUSPECT_ORDER = "suspect_order_id"  # the keys pass's flag: cleaning might change this row's order id
_KEYS = ("ckey", "okey")  # the integer customer and order keys the staged rows carry (DuckDB)
_STEPS = 8  # queries of a typical pass (row hashes, staging, counts, days, the two bounds, the report)
#: Up to this many rows the staged (and canonical) table is kept in DuckDB's memory, uncompressed (about
#: 100 bytes a row); a larger one is written once to a compressed Parquet file in the kit's table folder,
#: about a tenth of that on disk and nearly nothing in memory, and a larger Parquet file is read where it is
#: with only its rows' keys and flags written (a kit convention, not a DuckDB limit).
IN_MEMORY_ROWS = 2_000_000


@dataclass
class EngineSource:
    """A typed source as an Ibis table with positional columns ``c0..`` (plus ``segkit_row`` if ordered).

    ``names`` are the source's own column names; ``ordered`` says whether ``segkit_row`` gives the source
    order (DuckDB: the Parquet file row number or the table's rowid), so messages can name row numbers.
    ``kind`` is ``"duckdb"`` (the shared connection), ``"spark"`` or ``"sql"`` (any other Ibis backend).
    """

    table: Any
    names: list[str]
    label: str
    kind: str
    ordered: bool
    header_line: int = 1
    options: dict[str, str] = field(default_factory=dict)
    keep_alive: Any = None  # what must outlive the canonical table (a database connection)
    count_in_label: bool = False  # the label ends with the number of rows read, as the SQL reader's does
    cleanup: list[Any] = field(default_factory=list)  # callables run when the source is no longer needed
    rereadable: bool = False  # a file that can be read again later: a large canonical table stays a view
    path: str | None = None  # that file, when it is one


@dataclass(frozen=True)
class StoredKeys:
    """The integer keys the contract stored with the canonical rows (on the shared DuckDB connection).

    ``lines`` is the canonical table plus ``ckey`` (the customer's key in ``ids``) and ``okey`` (an integer
    that, with ``ckey``, identifies the order); ``ids`` is the dictionary (``customer_id``, ``ckey``), keys
    numbered from 0 in sorted id order (it may hold ids of rows a policy dropped). ``order_keys`` is False
    when ``okey`` was found not to tell two orders apart: then group by ``order_id`` instead.
    """

    lines: Any
    ids: Any
    order_keys: bool


# --------------------------------------------------------------------------------------------------
# which sources the engine can check as they are
# --------------------------------------------------------------------------------------------------


def typed_for_engine(schema: Any, mapping: dict[str, Any]) -> list[str]:
    """The mapped columns that need parsing (text dates or numbers): empty when the engine can check as is.

    ``schema`` is the Ibis schema of the positional source table.
    """
    types = list(schema.values())
    needs: list[str] = []
    kind = types[mapping["order_date"]]
    if not (kind.is_timestamp() or kind.is_date()) or (kind.is_timestamp() and kind.timezone is not None):
        needs.append(mapping["names"]["order_date"])
    for role in _NUMBER_ROLES:
        if role in mapping and not types[mapping[role]].is_numeric():
            needs.append(mapping["names"][role])
    for role in ("customer_id", "order_id"):
        if role in mapping:
            kind = types[mapping[role]]
            if not (kind.is_string() or kind.is_integer() or kind.is_floating() or kind.is_decimal()):
                needs.append(mapping["names"][role])
    return needs


# --------------------------------------------------------------------------------------------------
# column expressions
# --------------------------------------------------------------------------------------------------


def _clean_id(col: Any) -> Any:
    """Ids as trimmed text; ``17850.0`` becomes ``17850``; empty and NA-like texts are missing."""
    import ibis

    if col.type().is_integer():
        # An integer written as text has no edge spaces, no point and is no missing-value token: its type
        # rules out every change cleaning makes, so no row is tested.
        return col.cast("string")
    text = _id_text(col)
    # Most ids need no cleaning: the full expression runs only where a cheap test says it might change.
    return ibis.ifelse(_id_suspect(text).fill_null(False), _full_clean(text), text)


def _id_text(col: Any) -> Any:
    """An id column as text: whole floats written as integers, NaN missing, other types cast."""
    import ibis

    kind = col.type()
    if kind.is_floating() or kind.is_decimal():
        col = col.cast("float64")
        # Whole numbers within the exact range of a double are written as integers; NaN is a missing id.
        whole = col.notnull() & ~col.isnan() & ~col.isinf() & (col.abs() < 2**53) & (col == col.round(0))
        text = ibis.ifelse(whole, col.cast("int64").cast("string"), col.cast("string"))
        text = ibis.ifelse(col.isnan(), ibis.null("string"), text)
    elif kind.is_string():
        text = col
    else:
        text = col.cast("string")
    return text


def _id_suspect(text: Any) -> Any:
    """True where cleaning might change an id (a trailing ".0" needs a final "0" and a point somewhere)."""
    # A suffix test rather than comparing the last character: DuckDB makes no substring for it.
    return _suspect(text) | (text.endswith("0") & text.contains("."))


def _suspect(text: Any) -> Any:
    """True where cleaning might change ``text``: an edge character trimming could strip, or a missing token.

    Plain character tests rather than a regular expression (several times cheaper on ten million rows).
    Every character ``strip`` removes is at most code 32; without one at either end the value is its own
    trimmed text, which cleaning changes only when it is a missing-value token (the length test first,
    so that only short values are lowered).

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"v": [" a", "b\t", "NaN", "n/a ", "nancy", "17850", None]})
    >>> t.select(s=_suspect(t.v).fill_null(False)).to_pandas()["s"].tolist()
    [True, True, True, True, False, False, False]
    """
    import ibis

    edge = (text.ascii_str() <= 32) | (text.right(1).ascii_str() <= 32)
    # A CASE, not an AND: DuckDB then lowers only the short values, not every one.
    token = ibis.ifelse(text.length() <= _MISSING_LENGTH, text.lower().isin(_MISSING_TEXT), False)
    return edge | token


def _full_clean(text: Any) -> Any:
    import ibis

    text = text.strip()
    # A number written with a trailing ".0" (ids exported through a float column) is the integer id.
    text = ibis.ifelse(text.re_search(r"^-?[0-9]+\.0+$"), text.left(text.find(".")), text)
    return ibis.ifelse(text.lower().isin(_MISSING_TEXT), ibis.null("string"), text)


def _clean_text(col: Any) -> Any:
    import ibis

    text = col if col.type().is_string() else col.cast("string")
    suspect = _suspect(text)
    stripped = text.strip()
    cleaned = ibis.ifelse(stripped.lower().isin(_MISSING_TEXT), ibis.null("string"), stripped)
    return ibis.ifelse(suspect.fill_null(False), cleaned, text)


def _round2(x: Any) -> Any:
    """Round to cents half to even on ``x * 100``, exactly as :func:`numpy.round` does.

    SQL ``round`` rounds halves away from zero; the half-even step is written out. Non-finite and huge values
    skip the integer rounding (it would overflow) and are returned as they are: they never reach the table.
    """
    import ibis

    y = x * 100
    fine = y.notnull() & ~y.isnan() & ~y.isinf() & (y.abs() < 2**52)
    safe = ibis.ifelse(fine, y, 0.0)
    nearest = safe.round()
    half = (safe - nearest).abs() == 0.5
    even = ibis.ifelse(half, (safe / 2).round() * 2, nearest).cast("float64")
    return ibis.ifelse(fine, even, y) / 100


#: Text the engine casts itself: ISO dates (``2024-07-01``, ``2024-07-01 10:30[:15[.250]]``) and plain numbers.
_ISO_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?$"
_NUMBER_TEXT = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def _cast_text(text: Any, pattern: str, to: str) -> Any:
    """``text`` cast to ``to`` where it has the shape ``pattern`` (NULL elsewhere), on every backend.

    The shape test comes first because a plain cast raises on the first bad value in PostgreSQL and in
    Spark's ANSI mode; within the shape, ``try_cast`` keeps an impossible value such as month 13 apart.
    """
    import ibis

    return ibis.ifelse(text.re_search(pattern), text.try_cast(to), ibis.null(to))


_FORMAT_FIELDS = {
    "d": "[0-9]{1,2}",
    "m": "[0-9]{1,2}",
    "Y": "[0-9]{4}",
    "y": "[0-9]{2}",
    "H": "[0-9]{1,2}",
    "M": "[0-9]{1,2}",
    "S": "[0-9]{1,2}",
    "f": "[0-9]{1,9}",
}


def _format_pattern(date_format: str) -> str:
    """A regular expression for the shape of a strptime layout.

    Examples
    --------
    >>> _format_pattern("%d.%m.%Y")
    '^[0-9]{1,2}[.][0-9]{1,2}[.][0-9]{4}$'
    """
    out, i = [], 0
    while i < len(date_format):
        ch = date_format[i]
        if ch == "%" and i + 1 < len(date_format):
            out.append(_FORMAT_FIELDS.get(date_format[i + 1], ".+"))
            i += 2
            continue
        out.append(ch if ch.isalnum() or ch == " " else f"[{ch}]")
        i += 1
    return "^" + "".join(out) + "$"


def _number(col: Any, kind_text: bool) -> tuple[Any, Any, Any]:
    """(value as float64, missing, invalid) of a number column; text is cast where every value casts."""
    if kind_text:
        text = col.strip()
        missing = col.isnull() | text.lower().isin(_MISSING_TEXT)
        value = _cast_text(text, _NUMBER_TEXT, "float64")
    else:
        missing = col.isnull()
        value = col.cast("float64")
    bad_value = value.isnull() | value.isnan() | value.isinf()
    return value, missing, ~missing & bad_value


def _date(col: Any, date_format: str | None) -> tuple[Any, Any, Any, str]:
    """(timestamp, missing, invalid, format label) of the date column."""
    kind = col.type()
    if kind.is_timestamp() or kind.is_date():
        value = col.cast("timestamp") if kind.is_date() else col
        missing = col.isnull()
        return value, missing, missing & False, "native datetime"
    text = (col if kind.is_string() else col.cast("string")).strip()
    missing = col.isnull() | text.lower().isin(_MISSING_TEXT)
    if date_format is not None:
        import ibis

        # Only values of the layout's shape are parsed: PostgreSQL's to_timestamp raises on the first other.
        shaped = text.re_search(_format_pattern(date_format))
        value = ibis.ifelse(shaped, text.as_timestamp(date_format), ibis.null("timestamp"))
        label = date_format
    else:
        value = _cast_text(text, _ISO_TEXT, "timestamp")
        label = "ISO text cast by the engine"
    return value, missing, ~missing & value.isnull(), label


# --------------------------------------------------------------------------------------------------
# the pass
# --------------------------------------------------------------------------------------------------


class _EngineReader:
    def __init__(self, source: EngineSource, mapping: dict[str, Any], policy: dict[str, Any]) -> None:
        self.src = source
        self.mapping = mapping
        self.policy = policy
        self.t = source.table
        self.options: dict[str, str] = dict(source.options)
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.owned: list[Any] = []  # drops the canonical table's storage: handed to the Transactions
        self.stored_keys: StoredKeys | None = None
        self.order_keys = False
        self.bits_table: Any = None  # a large file's keys beside its rows, once written
        self.bit_names: list[str] | None = None  # what ``segkit_bits`` there holds, lowest bit first

    # -- helpers
    def name(self, role: str) -> str:
        return self.mapping["names"][role]

    def raw(self, role: str) -> str:
        return f"c{self.mapping[role]}"

    def execute(self, expr: Any) -> Any:
        out = expr.execute()
        self.step()
        return out

    def step(self) -> None:
        if getattr(self, "bar", None) is not None:
            self.bar.update(1)

    def first_rows(self, table: Any, where: Any, columns: list[str], limit: int = 5) -> dict[str, list]:
        """The first rows (source order when known) matching ``where``: a handful, for a message.

        Values come as Python objects through Arrow, so a missing value (None) stays apart from NaN.
        """
        picked = table.filter(where)
        order = [_ROW] if self.src.ordered else [c for c in columns if c in picked.columns][:1]
        if order:
            picked = picked.order_by(order)
        shown = [*columns, _ROW] if self.src.ordered else columns
        return picked.select(*shown).limit(limit).to_pyarrow().to_pydict()

    def where_rows(self, frame: dict[str, list]) -> list[str]:
        if self.src.ordered:
            return [str(int(r) + self.src.header_line + 1) for r in frame[_ROW]]
        return []

    # -- staged: one row per input row (duplicates dropped when asked) with the cleaned values
    def staged(
        self, raw_ids: bool = False, keyed: Any = None, dedupe: bool = True, suspects: bool = False
    ) -> Any:
        """Cleaned ids, dates and numbers of every row, before any policy (made once: later steps read it).

        With ``raw_ids`` the customer id is left as it is in the source (``segkit_raw_id``): the customer
        dictionary cleans each distinct id once and the staged pass looks the cleaned id up there. ``keyed``
        is the source with each row's customer key beside it (``ckey``, ``segkit_krow``, ``segkit_dup``, and
        what else was computed for it): the rows are read from there, with those columns (all of them,
        repeated ones too, unless ``dedupe``). With ``suspects``, a flag says where the tests that
        :meth:`count_rows` left to this pass (``deferred``) find a value cleaning might change.
        """

        t = self.t
        source_cols = [c for c in t.columns if c != _ROW]
        if keyed is None:
            self.n_repeats: int | None = None
        if keyed is not None:  # the repeated rows are marked beside the keys
            drop = self.policy["duplicates"] == "drop"
            base = keyed.filter(~keyed.segkit_dup) if dedupe and drop and self.n_repeats else keyed
        elif self.src.kind == "duckdb" and self.src.ordered:
            repeats = self.repeated_rows(t, source_cols)
            self.n_repeats = 0 if repeats is None else int(repeats.count().execute())
            base = (
                t.anti_join(repeats, _ROW)
                if repeats is not None and self.policy["duplicates"] == "drop"
                else t
            )
        elif self.policy["duplicates"] == "drop":
            # Exact duplicates are equal in every source column: one group per distinct row, the first row kept.
            aggs = {"segkit_copies": t.count()}
            if self.src.ordered:
                aggs[_ROW] = t[_ROW].min()
            base = t.group_by(source_cols).aggregate(**aggs)
        else:
            base = t
        m = self.mapping
        types = dict(base.schema().items())
        cols: dict[str, Any] = {}
        if self.src.ordered:
            cols[_ROW] = base[_ROW]
        if keyed is not None:
            raw_id = base[self.raw("customer_id")]
            cols["customer_id"] = raw_id if self.ids_as_is else _clean_id(raw_id)
            for stored in ("ckey", "segkit_krow", "segkit_dup", "okey", "f_keep", "f_ret"):
                if stored in base.columns:
                    cols[stored] = base[stored]
        elif raw_ids:
            cols[_RAW_ID] = base[self.raw("customer_id")]
        else:
            cols["customer_id"] = _clean_id(base[self.raw("customer_id")])
        date, d_missing, _, self.date_label = _date(base[self.raw("order_date")], self.policy["date_format"])
        cols["order_date"] = date
        self.text_roles = set()
        if self.date_label != "native datetime":
            self.text_roles.add("order_date")
            cols["m_order_date"], cols["r_order_date"] = d_missing, base[self.raw("order_date")]
        for role in _NUMBER_ROLES:
            if role in m:
                raw = base[self.raw(role)]
                text = types[self.raw(role)].is_string()
                value, missing, _ = _number(raw, text)
                cols[f"v_{role}"] = value
                if text:
                    self.text_roles.add(role)
                    cols[f"m_{role}"], cols[f"r_{role}"] = missing, raw
        raw_amount = cols["v_amount"] if "amount" in m else cols["v_quantity"] * cols["v_price"]
        cols["amount"] = _round2(raw_amount)
        if "margin" in m:
            cols["margin"] = _round2(cols["v_margin"])
        elif "cost" in m:
            cols["margin"] = _round2(raw_amount - cols["v_cost"])
        as_is = getattr(self, "as_is", set())
        if "order_id" in m:
            raw_order = base[self.raw("order_id")]
            cols["order_id"] = raw_order if "order_id" in as_is else _clean_id(raw_order)
            if suspects and "order_id" in getattr(self, "deferred", ()):
                cols[_SUSPECT_ORDER] = _id_suspect(raw_order).fill_null(False)
        for role in _TEXT_ROLES:
            if role in m:
                raw_text = base[self.raw(role)]
                cols[role] = raw_text if role in as_is else _clean_text(raw_text)
        for attr, pos in m["attributes"].items():
            cols[attr] = base[f"c{pos}"]
        return base.select(**cols)

    def repeated_rows(self, t: Any, source_cols: list[str]) -> Any:
        """The rows that exactly repeat an earlier row (in source order), or None when no row repeats.

        First the cheap exact test: equal rows have equal hashes, so when no row hash repeats (one sort of
        8-byte hashes with each row's number, not of every column) there is no duplicate. Only the rows
        whose hash repeats, which that sort names, are then compared column by column (a window over those
        few), so a hash collision never drops a distinct row.
        """
        from .._backend import connection

        con = connection()
        cols = ", ".join(f'"{c}"' for c in source_cols)
        source = con.compile(t)
        hashes = f"segkit_hashes_c{next(_names)}"
        # A sort of the 8-byte hashes finds the repeats (each equal to a neighbour) about twice as fast as
        # a hash aggregate with one group per row; carrying the row numbers through it names the rows, so
        # the comparison below need not hash every row again.
        con.raw_sql(
            f'CREATE TEMP TABLE "{hashes}" AS SELECT "{_ROW}" FROM (SELECT "{_ROW}", h, lag(h) OVER (ORDER BY h) '
            f'AS p, lead(h) OVER (ORDER BY h) AS nx FROM (SELECT hash({cols}) AS h, "{_ROW}" FROM ({source}))) '
            "WHERE h = p OR h = nx"
        )
        self.src.cleanup.append(lambda: con.raw_sql(f'DROP TABLE IF EXISTS "{hashes}"'))
        self.step()
        if not con.raw_sql(f'SELECT count(*) FROM "{hashes}"').fetchone()[0]:
            return None
        name = f"segkit_repeats_c{next(_names)}"
        con.raw_sql(
            f'CREATE TEMP TABLE "{name}" AS SELECT "{_ROW}" FROM (SELECT "{_ROW}", row_number() OVER '
            f'(PARTITION BY {cols} ORDER BY "{_ROW}") AS k FROM ({source}) '
            f'WHERE "{_ROW}" IN (SELECT "{_ROW}" FROM "{hashes}")) WHERE k > 1'
        )
        self.src.cleanup.append(lambda: con.raw_sql(f'DROP TABLE IF EXISTS "{name}"'))
        return con.table(name)

    def flags(self, a: Any) -> Any:
        """The staged table with one flag per check (cheap, over the cleaned columns)."""
        m = self.mapping
        cols: dict[str, Any] = {}
        # Keyed rows: an id is missing exactly when it has no key (an integer test, not a text one).
        miss = a.ckey.isnull() if "ckey" in a.columns else a.customer_id.isnull()
        cols["f_miss"] = miss
        # The customer dictionary marks placeholder ids once per distinct id; otherwise test every row.
        cols["f_ph"] = a.f_ph if "f_ph" in a.columns else self.placeholder(a.customer_id)
        cols["b_order_date"] = a.order_date.isnull()
        cols["m_order_date"] = a.m_order_date if "order_date" in self.text_roles else a.order_date.isnull()
        bad = cols["b_order_date"]
        for role in _NUMBER_ROLES:
            if role in m:
                # A value rounded to cents is missing, NaN or infinite exactly when the value itself is.
                v = a[f"v_{role}"] if f"v_{role}" in a.columns else a[role]
                cols[f"b_{role}"] = v.isnull() | v.isnan() | v.isinf()
                cols[f"m_{role}"] = a[f"m_{role}"] if role in self.text_roles else v.isnull()
                cols[f"nonfinite_{role}"] = v.notnull() & (v.isnan() | v.isinf())
                bad = bad | cols[f"b_{role}"]
        if "order_id" in m:
            cols["b_order_id"] = a.order_id.isnull()
            bad = bad | cols["b_order_id"]
        cols["f_bad"] = bad
        ret = a.amount < 0
        prefix = self.policy["cancel_prefix"]
        if prefix and "order_id" in m:
            ret = ret | a.order_id.startswith(prefix).fill_null(False)
        cols["f_ret"] = ret.fill_null(False)
        if "order_id" not in m:  # one order per customer and day, made here once rather than in every scan
            cols["d_order_id"] = a.customer_id.concat("|", a.order_date.date().cast("string"))
        # Which rows the policies keep (all but the outlier dates, decided later), stored with the flags.
        p = self.policy
        pre = ~miss & ~cols["f_ph"] if p["placeholders"] == "drop" else ~miss
        keep = pre & ~bad
        if p["returns"] == "drop":
            keep = keep & ~cols["f_ret"]
        if p["zero_amount"] == "drop":
            keep = keep & (a.amount != 0)
        cols["f_pre"], cols["f_keep"] = pre, keep.fill_null(False)
        return a.mutate(**{k: v for k, v in cols.items() if k not in a.columns})  # stored flags stay

    def placeholder(self, customer_id: Any) -> Any:
        """Whether a cleaned customer id is one of the placeholder ids (False where it is missing)."""
        ph_ids = [str(p).strip().lower() for p in self.policy["placeholder_customers"]]
        if not ph_ids:
            return customer_id.isnull() & False
        return customer_id.notnull() & customer_id.lower().isin(ph_ids)

    def make_staged(self, n: int) -> Any:
        """The staged rows and their flags, made once where the data lives: every later step reads them.

        On DuckDB they are also the storage of the canonical table (a view picks the kept rows), so the
        data is written once. A small base stays in memory; a large one goes to a Parquet file in the
        kit's table folder (compressed, so it costs disk rather than memory; see :data:`IN_MEMORY_ROWS`),
        and a large Parquet file is not copied (:meth:`staged_view`).
        """
        import ibis

        kind = self.src.kind
        if kind == "duckdb" and n > IN_MEMORY_ROWS and self.src.rereadable:
            return self.staged_view(n)
        staged = self.staged(raw_ids=kind == "duckdb")
        if kind == "duckdb":
            from .._backend import connection, table_folder

            con = connection()
            lookup, _ = self.make_keys(con)
            clean = f"segkit_clean_c{next(_names)}"
            # The flags read the cleaned values by name from a subquery: written over the expression itself,
            # Ibis would inline the id cleaning and the rounding into every flag that uses them.
            schema = {c: k for c, k in staged.schema().items() if c != _RAW_ID}
            schema.update(customer_id="string", ckey="int64", okey="int64", f_ph="boolean")
            inner = ibis.table(schema, name=f"segkit_keyed_c{next(_names)}")
            # Only what later steps read is stored: the flags a scan of the canonical table needs (the counts
            # derive the others) and the integer keys; a parsed amount or margin is its rounded value's source
            # only, so the rounded value stands in for it.
            dropped = {f"v_{role}" for role in ("amount", "margin") if role in self.mapping}
            columns = [c for c in schema if c not in dropped]
            stored = self.flags(inner).select(*columns, "f_ret", "f_keep")
            order_key = (
                _order_key(f'"{clean}"."order_id"')
                if "order_id" in self.mapping
                # Without order ids an order is a customer's day: the day number identifies it per customer.
                else f'(CAST("{clean}"."order_date" AS DATE) - DATE \'1970-01-01\')::BIGINT'
            )
            sql = (
                f'WITH "{clean}" AS ({con.compile(staged)}), "{inner.get_name()}" AS (SELECT "{clean}".* '
                f'EXCLUDE ("{_RAW_ID}"), k.customer_id, k.ckey, {order_key} AS okey, coalesce(k.f_ph, false) '
                f'AS f_ph FROM "{clean}" LEFT JOIN "{lookup}" AS k ON "{clean}"."{_RAW_ID}" = k.raw) '
                f"{con.compile(stored)}"
            )
            name = f"segkit_stage_c{next(_names)}"
            if n > IN_MEMORY_ROWS:
                path = table_folder() / f"{name}.parquet"
                con.raw_sql(f"COPY ({sql}) TO {_quote(str(path))} (FORMAT parquet)")
                con.raw_sql(f'CREATE TEMP VIEW "{name}" AS SELECT * FROM read_parquet({_quote(str(path))})')
                self.owned.append(lambda: (_drop_view(con, name), path.unlink(missing_ok=True)))
            else:
                con.raw_sql(f'CREATE TEMP TABLE "{name}" AS {sql}')
                self.owned.append(lambda: con.raw_sql(f'DROP TABLE IF EXISTS "{name}"'))
            return self.flags(con.table(name))
        if kind == "spark":
            return self.flags(staged.cache())
        try:
            stored = staged._find_backend().create_table(f"segkit_stage_c{next(_names)}", staged, temp=True)
        except Exception:  # a backend without temporary tables: every count reads the source again
            stored = staged
        return self.flags(stored)

    def staged_view(self, n: int) -> Any:
        """The staged rows of a large file as a view over it, beside a narrow file of what was computed.

        Writing ten million rows costs several times more than reading them, so the file stays where it is:
        one pass computes each row's customer key (``ckey``, one join to the dictionary), order key, kept
        and return flags and writes only those, in file order, with what the checks count packed into one
        integer (``segkit_bits``, see :meth:`check_counts`); the view reads them back beside the file's
        rows by position. A scan of the view then costs about a scan of the columns it reads: the cleaning
        runs only on columns that need it and nothing is joined.
        """
        import ibis

        from .._backend import connection, table_folder

        con = connection()
        lookup, _ = self.make_keys(con)
        repeats = self.repeated_rows(self.t, [c for c in self.t.columns if c != _ROW])
        self.n_repeats = 0 if repeats is None else int(self.execute(repeats.count()))
        source = con.compile(self.t)
        # The repeated rows are marked rather than anti-joined: over the positional join below DuckDB
        # would build the anti join's hash table from the large side.
        dup = (
            f'EXISTS (SELECT 1 FROM "{repeats.get_name()}" AS r WHERE r."{_ROW}" = s."{_ROW}")'
            if self.n_repeats
            else "false"
        )
        raw_id = f's."{self.raw("customer_id")}"'
        on = f"hash({raw_id}) = k.rh" if self.join_on_hash else f"{raw_id} = k.raw"
        schema = dict(self.t.schema().items())
        schema.update(ckey="int64", segkit_krow="int64", segkit_dup="boolean")
        rows = ibis.table(schema, name=f"segkit_rows_c{next(_names)}")
        computed = self.keyed_sql(con, self.staged(keyed=rows, dedupe=False, suspects=True), bits=True)
        bits = ", segkit_bits" if self.bit_names is not None else ""
        keys = table_folder() / f"segkit_rowkeys_c{next(_names)}.parquet"
        con.raw_sql(
            f'COPY (WITH "{rows.get_name()}" AS (SELECT s.*, k.ckey, s."{_ROW}" AS segkit_krow, {dup} AS '
            f'segkit_dup FROM ({source}) AS s LEFT JOIN "{lookup}" AS k ON {on}) SELECT segkit_krow, '
            f"segkit_dup, ckey, okey, f_keep, f_ret{bits} FROM ({computed}) ORDER BY segkit_krow) "
            # Version 2 pages store the row numbers as deltas: the file is about half the size, so every
            # later scan of the canonical view reads less.
            f"TO {_quote(str(keys))} (FORMAT parquet, PARQUET_VERSION V2)"
        )
        self.step()
        keyed = f"segkit_keyedsrc_c{next(_names)}"
        con.raw_sql(
            f'CREATE TEMP VIEW "{keyed}" AS SELECT s.*, k.* FROM ({source}) AS s POSITIONAL JOIN '
            f"read_parquet({_quote(str(keys))}) AS k"
        )
        # What the view reads must live as long as the table: the source, the keys, the repeated rows.
        self.owned.append(lambda: (_drop_view(con, keyed), keys.unlink(missing_ok=True)))
        table = con.table(keyed)
        # The checks' counts come from the bits; the repeated rows are no staged rows when dropped.
        drop = self.policy["duplicates"] == "drop" and self.n_repeats
        self.bits_table = table.filter(~table.segkit_dup) if drop else table
        self.settle_deferred(table)
        name = f"segkit_stage_c{next(_names)}"
        con.raw_sql(f'CREATE TEMP VIEW "{name}" AS {self.keyed_sql(con, self.staged(keyed=table))}')
        self.owned.insert(0, lambda: _drop_view(con, name))
        self.owned.extend(self.src.cleanup)
        self.src.cleanup.clear()
        self.reads_source = self.src.path
        return self.flags(con.table(name))

    def settle_deferred(self, table: Any) -> None:
        """Decide the tests :meth:`count_rows` left to the keys pass: a clean column is read as it is.

        From the bits when the keys file has them (the counts' grouping, kept for :meth:`check_counts`),
        else in a scan of their own.
        """
        if not self.deferred:
            return
        if self.bit_names is not None and _SUSPECT_ORDER in self.bit_names:
            groups = self.bit_groups()
            bit = np.int64(1) << self.bit_names.index(_SUSPECT_ORDER)
            suspect = bool(((groups["segkit_bits"].to_numpy(dtype="int64") & bit) != 0).any())
        else:
            text = self.t[self.raw("order_id")]
            suspect = bool(self.execute(_id_suspect(text).fill_null(False).any()))
        if not suspect:
            self.as_is.add("order_id")
        self.deferred.clear()

    def bit_groups(self) -> pd.DataFrame:
        """The keys file's distinct ``segkit_bits`` with their rows, and rows out of line (made once)."""
        if getattr(self, "_bit_groups", None) is None:
            t = self.bits_table
            self._bit_groups = self.execute(
                t.group_by("segkit_bits").aggregate(n=t.count(), off=(t.segkit_krow != t[_ROW]).sum())
            )
        return self._bit_groups

    def keyed_sql(self, con: Any, staged: Any, bits: bool = False) -> str:
        """SQL of ``staged`` (rows with ``ckey``) with the order key, the placeholder flag and every flag.

        The order key is computed unless ``staged`` carries it; placeholder customers are a few keys.
        With ``bits``, also ``segkit_bits``: the flags of :meth:`count_flags` as the bits of one integer
        (their names, lowest bit first, in ``bit_names``).
        """
        import ibis

        clean = f"segkit_clean_c{next(_names)}"
        schema = dict(staged.schema().items())
        extra = []
        if "okey" not in schema:
            order_key = (
                _order_key(f'"{clean}"."order_id"')
                if "order_id" in self.mapping
                else f'(CAST("{clean}"."order_date" AS DATE) - DATE \'1970-01-01\')::BIGINT'
            )
            extra.append(f"{order_key} AS okey")
            schema["okey"] = "int64"
        ph = ", ".join(str(k) for k in self.placeholder_keys)
        extra.append((f'coalesce("{clean}"."ckey" IN ({ph}), false)' if ph else "false") + " AS f_ph")
        schema["f_ph"] = "boolean"
        inner = ibis.table(schema, name=f"segkit_keyed_c{next(_names)}")
        sql = (
            f'WITH "{clean}" AS ({con.compile(staged)}), "{inner.get_name()}" AS (SELECT "{clean}".*, '
            f'{", ".join(extra)} FROM "{clean}") {con.compile(self.flags(inner))}'
        )
        inputs = _count_inputs(self.flags(inner))
        if _SUSPECT_ORDER in schema:
            inputs.append(_SUSPECT_ORDER)
        if not bits or len(inputs) > _MAX_BITS:  # more than an integer holds: the checks scan the view
            return sql
        # The bits read the flags by name from a subquery: over the flags' expressions Ibis would write
        # each flag out again in every bit that uses it.
        flags = ibis.table(self.flags(inner).schema(), name=f"segkit_flags_c{next(_names)}")
        self.bit_names = inputs
        # One CASE per bit (a missing flag takes the ELSE branch, so it counts as false): about three times
        # cheaper in DuckDB than casting each flag to an integer and multiplying.
        zero = ibis.literal(0, "int64")
        packed = [
            ibis.ifelse(_bit_test(flags, name), ibis.literal(1 << i, "int64"), zero)
            for i, name in enumerate(self.bit_names)
        ]
        with_bits = flags.mutate(segkit_bits=sum(packed[1:], packed[0]))
        return f'WITH "{flags.get_name()}" AS ({sql}) {con.compile(with_bits)}'

    def make_keys(self, con: Any) -> tuple[str, str]:
        """The customer dictionary: each cleaned id once, keyed ``ckey`` 0, 1, ... in sorted id order.

        Made from the source's distinct ids (before any policy drops a row: a few keys may name customers
        the canonical table does not keep), each cleaned once rather than on every row. Returns the names
        of two tables: the source's ids (``raw``) with their cleaned id and key, for the staged pass to
        look up, and the dictionary itself (``customer_id``, ``ckey``).
        """
        t = self.t
        raw = t.select(raw=t[self.raw("customer_id")]).distinct()
        cleaned = raw.select("raw", customer_id=_clean_id(raw.raw))
        cleaned = cleaned.mutate(f_ph=self.placeholder(cleaned.customer_id))
        lookup, name = f"segkit_ids_c{next(_names)}", f"segkit_keys_c{next(_names)}"
        # Two spellings of one id (a stray space, a float "17850.0") clean to one id and share its key.
        # Missing ids sort last and get no key; they stay in the lookup, which so tells whether every id is
        # clean as it is in the source.
        con.raw_sql(
            f'CREATE TEMP TABLE "{lookup}" AS SELECT raw, hash(raw) AS rh, customer_id, f_ph, CASE WHEN '
            "customer_id IS NOT NULL THEN (dense_rank() OVER (ORDER BY customer_id NULLS LAST) - 1)::BIGINT END "
            f"AS ckey FROM ({con.compile(cleaned)})"
        )
        # A large file looks its rows' ids up by their hash, an integer (cheaper to join on than text),
        # when no two of its distinct ids share one: checked here, on one row per id.
        self.join_on_hash = bool(
            con.raw_sql(f'SELECT count(DISTINCT rh) = count(*) FROM "{lookup}"').fetchone()[0]
        )
        con.raw_sql(
            f'CREATE TEMP TABLE "{name}" AS SELECT DISTINCT customer_id, ckey FROM "{lookup}" '
            "WHERE customer_id IS NOT NULL"
        )
        changed = con.raw_sql(
            f'SELECT count(*) FROM "{lookup}" WHERE raw IS NOT NULL AND customer_id IS DISTINCT FROM raw'
        ).fetchone()[0]
        self.ids_as_is = not changed and t[self.raw("customer_id")].type().is_string()
        found = con.raw_sql(f'SELECT DISTINCT ckey FROM "{lookup}" WHERE f_ph ORDER BY 1').fetchall()
        self.placeholder_keys = [int(k) for (k,) in found]
        self.src.cleanup.append(lambda: con.raw_sql(f'DROP TABLE IF EXISTS "{lookup}"'))
        self.owned.append(lambda: con.raw_sql(f'DROP TABLE IF EXISTS "{name}"'))
        self.keys = name
        self.step()
        return lookup, name

    def release(self) -> None:
        """Drop what the canonical table would have been stored in (the contract failed)."""
        for step in self.owned:
            step()
        self.owned = []

    def run(self) -> tuple[Any, Any]:
        self.zone = self.time_zone()
        n = self.count_rows()
        if n == 0:
            raise DataContractError(f"{self.src.label}: no data rows below the header.")
        if self.src.count_in_label:
            self.src.label = f"{self.src.label} ({n:,} rows)"
        with progress(desc=f"Checking {self.src.label}", total=_STEPS, unit=" steps") as self.bar:
            return self.checked(n)

    def time_zone(self) -> str:
        """How the dates' zone is read, for the quality report; refuses ``timezone=`` where it cannot apply.

        A column with a zone reaches the engine contract only outside the shared DuckDB connection (there
        the Arrow contract converts it); such a backend keeps the stored instants in its own zone, and
        converting them to another zone is not written portably, so ``timezone=`` is refused rather than
        silently ignored. Naive timestamps are taken as already in the zone, as in the Arrow contract.
        """
        kind = self.raw_type("order_date")
        stored = kind.timezone if kind.is_timestamp() else None
        wanted = self.policy.get("timezone")
        if stored is None:
            return "as stored (no zone)"
        if wanted is not None:
            raise ParameterError(
                f"timezone={wanted!r} cannot be applied to column {self.name('order_date')!r} of "
                f"{self.src.label}: its timestamps carry the zone {stored!r} and this backend reads them "
                "as stored. Convert them in the source (in SQL: AT TIME ZONE, in Spark: "
                "from_utc_timestamp), or leave timezone= out to keep the stored times."
            )
        return f"{stored} (as stored)"

    def count_rows(self) -> int:
        """The number of rows; on DuckDB also which text columns are clean as they are.

        A clean column (no value that trimming or the missing tokens would change, the usual export) is
        then read as it is: the per-row cleaning tests cost more than this one scan over the column. The
        order ids of a large Parquet file are tested in its keys pass instead (``deferred``, decided by
        :meth:`settle_deferred`).
        """
        t = self.t
        self.as_is: set[str] = set()
        self.deferred: set[str] = set()
        n: int | None = None
        tests: dict[str, Any] = {}
        changed: dict[str, Any] = {}
        if self.src.kind == "duckdb":
            # A Parquet file knows its row count; above the in-memory size the keys pass reads every order id
            # anyway, so it tests them there (one bit of its flags) instead of in a scan of its own.
            n = int(self.execute(t.count())) if self.src.rereadable else None
            large = n is not None and n > IN_MEMORY_ROWS
            for role in ("order_id", *_TEXT_ROLES):
                if role in self.mapping and t[self.raw(role)].type().is_string():
                    text = t[self.raw(role)]
                    if role == "order_id" and large:
                        self.deferred.add(role)
                        continue
                    if role == "order_id":
                        tests[role] = _id_suspect(text).fill_null(False).any()
                        continue
                    # Products, categories and channels repeat a few values: test each distinct one once
                    # (DuckDB groups a text column much faster than it runs string tests on every row).
                    values = t.select(v=text).distinct()
                    changed[role] = values.aggregate(x=_suspect(values.v).fill_null(False).any())
        got = (
            {"n": n}
            if n is not None and not tests
            else self.execute(t.aggregate(n=t.count(), **tests)).iloc[0]
        )
        found = {role: got[role] for role in tests}
        found.update({role: self.execute(test).iloc[0]["x"] for role, test in changed.items()})
        self.as_is = {
            role for role, any_suspect in found.items() if _is_na(any_suspect) or not bool(any_suspect)
        }
        return int(got["n"])

    def checked(self, n: int) -> tuple[Any, Any]:
        from ._contract import QualityReport

        p = self.policy
        s = self.make_staged(n)
        self.step()
        m = self.mapping
        drop_ph = p["placeholders"] == "drop"
        pre_inv = s.f_pre
        c = self.check_counts(s)
        dropped: dict[str, int] = {}
        if self.n_repeats is not None:
            n_dups = self.n_repeats
        else:
            n_dups = n - c["staged"] if p["duplicates"] == "drop" else n - self.distinct_rows()
        dropped["exact duplicate"] = n_dups if p["duplicates"] == "drop" else 0

        self.empty_column("customer_id", c, n)
        if p["missing_customer"] == "raise" and c["miss"]:
            shown = self.first_rows(s, s.f_miss, ["order_date", "amount"])
            where = self.where_rows(shown)
            examples = (
                [f"row {r}" for r in where]
                if where
                else [f"{d} {a}" for d, a in zip(shown["order_date"], shown["amount"], strict=True)]
            )
            raise data_error(
                self.name("customer_id"),
                "customer id is missing",
                c["miss"],
                examples,
                "Fill the ids, or pass missing_customer='drop' to drop these rows (they are counted).",
            )
        dropped["missing customer_id"] = c["miss"]
        dropped["placeholder customer"] = c["ph"] if drop_ph else 0
        if c["ph"]:
            self.placeholder_warning(s, c["ph"])

        self.check_dates(s, c, pre_inv, n)
        self.check_numbers(s, c, pre_inv, n)
        if "order_id" in m:
            self.empty_column("order_id", c, n)
            self.check_invalid(
                s,
                c,
                pre_inv,
                "order_id",
                "order id",
                "Fill the order ids, omit order= to use one order per customer and day, or pass invalid='drop'.",
            )
            order_source = f"column {self.name('order_id')!r}"
        else:
            order_source = "derived: one order per customer and day (no order column)"
        dropped["invalid value"] = c["bad"]
        if p["returns"] == "raise" and c["ret"]:
            shown = self.first_rows(s, s.f_ret & pre_inv & ~s.f_bad, ["amount"])
            prefix = p["cancel_prefix"]
            raise data_error(
                self.name("amount") if "amount" in m else self.name("quantity"),
                "returns or cancellations present (negative amount"
                + (f" or order id starting with {prefix!r})" if prefix else ")"),
                c["ret"],
                shown["amount"],
                "Pass returns='net' to subtract them or returns='drop' to leave them out.",
            )
        dropped["return/cancellation"] = c["ret"] if p["returns"] == "drop" else 0
        dropped["zero amount"] = c["zero"] if p["zero_amount"] == "drop" else 0

        kept = s.filter(s.f_keep)
        n_kept = c["staged"] - c["miss"] - dropped["placeholder customer"] - c["bad"]
        n_kept -= dropped["return/cancellation"] + dropped["zero amount"]
        bounds = self.outlier_bounds(kept, n_kept)
        flagged = None
        if bounds is not None:
            flagged = (kept.order_date > bounds[1]) | (kept.order_date < bounds[0])
        got = self.summary(kept, flagged, bounds)
        n_out = self.outliers(kept, flagged, got)
        if p["outlier_dates"] == "drop":
            dropped["outlier date"] = n_out
            if n_out:
                kept = kept.filter(~flagged)
        if n_kept - (n_out if p["outlier_dates"] == "drop" else 0) <= 0:
            raise DataContractError(
                f"No rows left after the checks ({n:,} read; dropped: "
                f"{ {k: v for k, v in dropped.items() if v} }). Check the column mapping and the policies "
                "(missing_customer=, placeholders=, returns=, zero_amount=)."
            )
        for role in _TEXT_ROLES:
            if role in s.columns:
                self.empty_column(role, c, n)
        self.options["date format"] = self.date_label
        self.options["time zone"] = self.zone
        self.options["decimal mark"] = "native numbers"
        table = self.materialise(self.canonical(kept))
        self.step()
        quality = self.quality(got, n, dropped, n_dups, c, order_source, bounds, n_out, QualityReport)
        for message in self.warnings:
            warnings.warn(message, _warning_class(), stacklevel=4)
        return table, quality

    def count_flags(self, s: Any) -> dict[str, Any]:
        """What the checks count, one true-or-false value per row of the staged table ``s``.

        One definition for both ways of counting: summed over ``s`` in one scan, or (a large Parquet
        file) packed into one integer per row of the narrow keys file, whose few distinct values are
        counted instead.
        """
        p = self.policy
        pre = s.f_pre
        flags: dict[str, Any] = {
            "miss": s.f_miss,
            "ph": s.f_ph,
            "bad": s.f_bad & pre,
            "ret": s.f_ret & pre & ~s.f_bad,
            "zero": (s.amount == 0) & pre & ~s.f_bad & ~(s.f_ret & (p["returns"] == "drop")),
            "nn_customer_id": s.customer_id.notnull(),
        }
        for role in ("order_date", *_NUMBER_ROLES):
            if f"b_{role}" in s.columns:
                flags[f"bad_{role}"] = s[f"b_{role}"] & pre
                flags[f"nn_{role}"] = ~s[f"m_{role}"]
                if role != "order_date":
                    flags[f"nonfinite_{role}"] = s[f"nonfinite_{role}"] & pre
        if "order_id" in s.columns:
            flags["bad_order_id"] = s.b_order_id & pre
            flags["nn_order_id"] = s.order_id.notnull()
        for role in _TEXT_ROLES:
            if role in s.columns:
                flags[f"nn_{role}"] = s[role].notnull()
        # A comparison with a missing value is unknown, which a sum skips: the same as false.
        return {name: flag.fill_null(False) for name, flag in flags.items()}

    def check_counts(self, s: Any) -> dict[str, int]:
        """The number of staged rows (``staged``) and of rows with each flag of :meth:`count_flags`."""
        names, t = self.bit_names, self.bits_table
        if names is None:
            if t is not None:
                self.check_aligned(int(self.execute(t.filter(t.segkit_krow != t[_ROW]).count())))
            aggs = {"staged": s.count(), **{k: v.sum() for k, v in self.count_flags(s).items()}}
            return {k: int(v or 0) for k, v in self.execute(s.aggregate(**aggs)).iloc[0].items()}
        # The keys file holds the flags as bits: a grouping over one narrow integer column. The same scan
        # checks that the keys line up with the file's rows.
        groups = self.bit_groups()
        self.check_aligned(int(groups["off"].sum()))
        # One stand-in row per distinct combination, weighted by its rows, is counted by the same flags.
        frame = _stand_ins(names, groups["segkit_bits"].to_numpy(dtype="int64"))
        frame["segkit_n"] = groups["n"].to_numpy(dtype="int64")
        import ibis

        from .._backend import connection

        stand_in = ibis.memtable(frame)
        weight = stand_in.segkit_n
        aggs = {k: (v.cast("int64") * weight).sum() for k, v in self.count_flags(stand_in).items()}
        got = connection().execute(stand_in.aggregate(staged=weight.sum(), **aggs)).iloc[0]
        return {k: int(v or 0) for k, v in got.items()}

    def check_aligned(self, misaligned: int) -> None:
        if misaligned:  # never expected: the keys were written in file order
            raise RuntimeError(f"{self.src.label}: the stored keys do not line up with the file's rows.")

    def distinct_rows(self) -> int:
        cols = [c for c in self.t.columns if c != _ROW]
        return int(self.execute(self.t.select(cols).distinct().count()))

    # -- checks
    def empty_column(self, role: str, c: dict[str, int], n: int) -> None:
        if c.get(f"nn_{role}", 1) == 0:
            raise DataContractError(
                f"Column {self.name(role)!r} is entirely empty (all {rows_text(n)} have no value). Check that "
                "the right column is mapped, or fill it in the export."
            )

    def check_invalid(self, s: Any, c: dict[str, int], pre_inv: Any, role: str, kind: str, fix: str) -> None:
        count = c.get(f"bad_{role}", 0)
        if self.policy["invalid"] != "raise" or not count:
            return
        flag = s[f"b_{role}"] & pre_inv
        if role in ("order_id", "order_date"):
            raw = f"r_{role}" if role in self.text_roles else role
        else:
            raw = f"r_{role}" if role in self.text_roles else f"v_{role}"
            raw = raw if raw in s.columns else role
        shown = self.first_rows(s, flag, [raw, f"m_{role}"] if f"m_{role}" in s.columns else [raw])
        empties = role == "order_id" or any(shown.get(f"m_{role}", []))
        problem = f"missing or unparseable {kind}" if empties else f"unparseable {kind}"
        raise data_error(self.name(role), problem, count, shown[raw], fix)

    def check_dates(self, s: Any, c: dict[str, int], pre_inv: Any, n: int) -> None:
        fmt = self.policy["date_format"]
        self.empty_column("order_date", c, n)
        if self.date_label == "native datetime":
            fix = "Give the format with date_format= (now 'native datetime'), or invalid='drop'."
        else:
            fix = (
                f"The column is text and the engine reads it with {self.date_label!r}: cast it to a timestamp "
                "in the source (warehouse view or Spark), pass date_format= with its strptime layout"
                + (f" (now {fmt!r})" if fmt else "")
                + ", or invalid='drop'."
            )
        self.check_invalid(s, c, pre_inv, "order_date", "date", fix)

    def check_numbers(self, s: Any, c: dict[str, int], pre_inv: Any, n: int) -> None:
        for role in _NUMBER_ROLES:
            if role not in self.mapping:
                continue
            self.empty_column(role, c, n)
            text = not self.raw_type(role).is_numeric()
            if text:
                fix = (
                    "The column is text that the engine casts to numbers: cast it to a number in the source "
                    "(decimal commas and thousands separators are not read there), or pass invalid='drop'."
                )
            else:
                fix = (
                    "The column is read with native numbers; set decimal= (and thousands=) if that is wrong, "
                    "or pass invalid='drop'."
                )
            kind = "number"
            if c.get(f"nonfinite_{role}", 0) and not text:
                kind = "number (infinite or NaN values are not amounts)"
            self.check_invalid(s, c, pre_inv, role, kind, fix)

    def raw_type(self, role: str) -> Any:
        return self.t.schema()[self.raw(role)]

    def placeholder_warning(self, s: Any, count: int) -> None:
        ph = s.filter(s.f_ph)
        agg = ph.group_by("customer_id").aggregate(
            n=ph.count(), **({"first": ph[_ROW].min()} if self.src.ordered else {})
        )
        order = [agg.n.desc(), "first" if self.src.ordered else "customer_id"]
        top = agg.order_by(order).limit(5).to_pandas()
        shown = ", ".join(
            f"{k!r} ({rows_text(int(v))})" for k, v in zip(top["customer_id"], top["n"], strict=True)
        )
        policy = self.policy["placeholders"]
        what = "dropped" if policy == "drop" else "kept as customers"
        self.warnings.append(
            f"Column {self.name('customer_id')!r}: {rows_text(count)} belong to placeholder customer ids "
            f"for anonymous buyers: {shown}; {what} (placeholders={policy!r}). Pass placeholder_customers=[...] "
            "to change the list, or placeholders='keep' to keep them."
        )

    # -- dates far outside the bulk of the data (the rule of ``_dates.date_outliers``, on per-day counts)
    def outlier_bounds(self, kept: Any, n_kept: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The bounds of the bulk of the dates, from the exact 1 % and 99 % order statistics.

        Running counts per day say on which day each order statistic falls and its rank within that day
        (one row back); one more query reads the two values from those two days only.
        """
        import ibis

        if n_kept < 3:
            return None
        positions = _quantile_positions(n_kept)
        day = kept.order_date.truncate("D")
        days = kept.group_by(day=day).aggregate(k=kept.count())
        days = days.mutate(upto=days.k.sum().over(ibis.window(order_by=days.day, rows=(None, 0))))
        # The first day whose running count passes the position holds it; (upto - k) is the count before it.
        aggs: dict[str, Any] = {}
        for i, position in enumerate(positions):
            aggs[f"day{i}"] = days.day.min(where=days.upto > position)
            aggs[f"before{i}"] = (days.upto - days.k).min(where=days.upto > position)
        got = self.execute(days.aggregate(**aggs)).iloc[0]
        picks = [
            (pd.Timestamp(got[f"day{i}"]), position - int(got[f"before{i}"]))
            for i, position in enumerate(positions)
        ]
        on_days = kept.filter(day.isin([d for d, _ in picks])).select(day=day, order_date=kept.order_date)
        ranked = on_days.mutate(
            rank=ibis.row_number().over(ibis.window(group_by=on_days.day, order_by=on_days.order_date))
        )
        wanted = ibis.or_(*[(ranked.day == d) & (ranked["rank"] == r) for d, r in picks])
        found = self.execute(ranked.filter(wanted).select("day", "rank", "order_date"))
        value = {(pd.Timestamp(d), int(r)): pd.Timestamp(v) for d, r, v in found.itertuples(index=False)}
        lo, hi = (value[(d, r)] for d, r in picks)
        margin = max(hi - lo, pd.Timedelta(days=180))
        return lo - margin, hi + margin

    def summary(self, kept: Any, flagged: Any, bounds: Any) -> dict[str, Any]:
        """The outlier facts and the quality report's figures, in one pass over the kept rows.

        The figures describe the canonical table: without the outlier dates when those are dropped.
        """
        m = self.mapping
        inside = ~flagged if flagged is not None and self.policy["outlier_dates"] == "drop" else None

        def both(flag: Any) -> Any:
            return flag if inside is None else flag & inside

        early = pd.Timestamp("1990-01-01")
        today = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
        future = kept.order_date >= today
        aggs: dict[str, Any] = {"early": (kept.order_date < early).sum()}
        if flagged is not None:
            future = future & ~flagged
            aggs["out"] = flagged.sum()
        aggs["future"] = future.sum()
        order_id = kept.order_id if "order_id" in m else kept.d_order_id
        keyed = "ckey" in kept.columns
        # The dictionary numbers each id once, so distinct keys count distinct customers (integers, not text).
        customers = kept.ckey if keyed else kept.customer_id
        hashed = keyed and "order_id" in m
        if not hashed:
            aggs["orders"] = order_id.nunique(where=both(~kept.f_ret))
        aggs.update(
            rows=kept.count(where=inside),
            customers=customers.nunique(where=inside),
            revenue=_canonical_amount(kept, "amount").sum(where=inside),
            first=kept.order_date.min(where=inside),
            last=kept.order_date.max(where=inside),
        )
        if bounds is not None:
            aggs["bulk_last"] = kept.order_date.max(
                where=both((kept.order_date >= bounds[0]) & (kept.order_date <= bounds[1]))
            )
        got = dict(self.execute(kept.aggregate(**aggs)).iloc[0].items())
        if hashed:
            lines = kept if inside is None else kept.filter(inside)
            got["orders"] = self.count_orders(lines)
        else:
            self.order_keys = keyed  # the day number of an order without an id is exact
        return got

    def count_text_orders(self, lines: Any) -> int:
        return int(self.execute(lines.order_id.nunique(where=~lines.f_ret)))

    def count_orders(self, lines: Any) -> int:
        """The distinct purchase order ids of ``lines``, and whether the order key tells orders apart.

        The order key is a 63-bit hash of the order id. Grouped by kind (orders group by purchase or
        return too) and key, a group whose smallest and largest order id differ holds a collision; without
        one the groups are the orders, and counting them is a grouping on integers rather than a distinct
        count of text ids (with a collision, which is all but impossible, the ids are counted as text).
        """
        groups = lines.group_by(kind=lines.f_ret, okey=lines.okey).aggregate(
            lo=lines.order_id.min(), hi=lines.order_id.max()
        )
        facts = groups.aggregate(buys=groups.count(where=~groups.kind), clash=(groups.lo != groups.hi).sum())
        got = self.execute(facts).iloc[0]
        self.order_keys = int(got["clash"] or 0) == 0
        if self.order_keys:
            return int(got["buys"] or 0)
        return self.count_text_orders(lines)

    def outliers(self, kept: Any, flagged: Any, summary: dict[str, Any]) -> int:
        from ._dates import outlier_dates_message

        got = {k: int(summary.get(k) or 0) for k in ("early", "future", "out")}
        name = self.name("order_date")
        if got["early"]:
            shown = self.first_rows(kept, kept.order_date < pd.Timestamp("1990-01-01"), ["order_date"], 1)
            where = self.where_rows(shown)
            at = f"row {where[0]}: " if where else ""
            self.notes.append(
                f"Dates before 1990: {rows_text(got['early'])} (e.g. {at}"
                f"{pd.Timestamp(shown['order_date'][0]).date()}); check they are real."
            )
        if got["future"]:
            today = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
            future = kept.order_date >= today
            if flagged is not None:
                future = future & ~flagged
            shown = self.first_rows(kept, future, ["order_date"])
            where = self.where_rows(shown)
            rows = f"rows {', '.join(where)}; " if where else ""
            self.warnings.append(
                f"Column {name!r}: {rows_text(got['future'])} dated after today's run date "
                f"({rows}e.g. {pd.Timestamp(shown['order_date'][0])}). Check the export's dates."
            )
        n_out = got["out"]
        if not n_out:
            return 0
        shown = self.first_rows(kept, flagged, ["order_date"])
        where = self.where_rows(shown)
        stamps = [pd.Timestamp(d) for d in shown["order_date"]]
        listed = (
            ", ".join(f"row {r}: {d}" for r, d in zip(where, stamps, strict=True))
            if where
            else "e.g. " + ", ".join(str(d) for d in stamps)
        )
        policy = self.policy["outlier_dates"]
        self.warnings.append(outlier_dates_message(name, rows_text(n_out), listed, policy))
        return n_out

    # -- output
    def canonical(self, kept: Any) -> Any:
        """The canonical columns of the kept rows (with ``segkit_row`` when the source is ordered).

        Not sorted: the table is stored in source order and ordered when collected (see ``materialise``).
        """
        m = self.mapping
        cols: dict[str, Any] = {"customer_id": kept.customer_id}
        cols["order_id"] = kept.order_id if "order_id" in m else kept.d_order_id
        cols["order_date"] = kept.order_date
        cols["amount"] = _canonical_amount(kept, "amount")
        cols["is_return"] = kept.f_ret
        if "quantity" in m:
            cols["quantity"] = kept.v_quantity
        if "margin" in kept.columns:
            cols["margin"] = _canonical_amount(kept, "margin")
        for role in _TEXT_ROLES:
            if role in kept.columns:
                cols[role] = kept[role]
        for attr in m["attributes"]:
            cols[attr] = kept[attr]
        for key in _KEYS:
            if key in kept.columns:
                cols[key] = kept[key]
        return kept.select(**cols, **({_ROW: kept[_ROW]} if self.src.ordered else {}))

    def materialise(self, canonical: Any) -> tuple[Any, Any]:
        """(the canonical table, the same ordered for collecting): date order, ties in source order.

        On DuckDB the table is a view over the staged rows (written once, in :meth:`make_staged`); elsewhere
        it is cached (Spark) or stored as a temporary table where the backend has them.
        """
        kind = self.src.kind
        if kind == "duckdb":
            from .._backend import connection

            con = connection()
            name = f"segkit_tx_engine_c{next(_names)}"
            con.raw_sql(f'CREATE TEMP VIEW "{name}_rows" AS {con.compile(canonical)}')
            hidden = [c for c in (_ROW, *_KEYS) if c in canonical.columns]
            excluded = ", ".join(f'"{c}"' for c in hidden)
            con.raw_sql(f'CREATE TEMP VIEW "{name}" AS SELECT * EXCLUDE ({excluded}) FROM "{name}_rows"')
            views = [name, f"{name}_rows"]
            if "ckey" in canonical.columns:
                keyed = f"{name}_keyed"
                without_row = f' EXCLUDE ("{_ROW}")' if self.src.ordered else ""
                con.raw_sql(f'CREATE TEMP VIEW "{keyed}" AS SELECT *{without_row} FROM "{name}_rows"')
                views.insert(0, keyed)
                self.stored_keys = StoredKeys(con.table(keyed), con.table(self.keys), self.order_keys)
            # Views first: they depend on the staged rows, which ``owned`` already drops.
            self.owned.insert(0, lambda: [_drop_view(con, view) for view in views])
            table, rows = con.table(name), con.table(f"{name}_rows")
            rows = rows.drop(*[c for c in _KEYS if c in rows.columns])
        elif kind == "spark":
            table = rows = canonical.cache()
        else:
            con = canonical._find_backend()
            try:
                table = rows = con.create_table(f"segkit_tx_engine_c{next(_names)}", canonical, temp=True)
            except Exception:  # a backend without temporary tables: keep the expression where it is
                table = rows = canonical
        # Where the source has no order, ties go by customer and order.
        order = ["order_date", _ROW] if self.src.ordered else ["order_date", "customer_id", "order_id"]
        ordered = rows.order_by(order)
        return table, ordered.drop(_ROW) if self.src.ordered else ordered

    def quality(self, row, n, dropped, n_dups, c, order_source, bounds, n_out, report_cls):
        date_min, date_max = pd.Timestamp(row["first"]), pd.Timestamp(row["last"])
        last = (
            pd.Timestamp(row["bulk_last"])
            if bounds is not None and not _is_na(row["bulk_last"])
            else date_max
        )
        rule = "the day after the last transaction"
        if n_out and self.policy["outlier_dates"] != "drop":
            rule = (
                f"the day after the last transaction within the bulk of the data ({last}); "
                f"{rows_text(n_out)} dated outside it come later and are left out unless as_of is given"
            )
        p = self.policy
        quality = report_cls(
            source=self.src.label,
            rows_read=n,
            rows_kept=int(row["rows"]),
            dropped=dropped,
            duplicates_found=n_dups,
            returns_found=c["ret"],
            returns_policy=p["returns"],
            order_id_source=order_source,
            date_min=date_min,
            date_max=date_max,
            n_customers=int(row["customers"]),
            n_orders=int(row["orders"]),
            net_revenue=round(float(row["revenue"] or 0.0), 2),
            read_options={k: str(v) for k, v in self.options.items()},
            placeholders_found=c["ph"],
            placeholder_policy=p["placeholders"],
            default_as_of=last.normalize() + pd.Timedelta(days=1),
            as_of_rule=rule,
            notes=tuple(self.notes),
            warnings=tuple(self.warnings),
        )
        return quality


#: The flags a large file's keys file packs into one 64-bit integer, at most.
_MAX_BITS = 62
#: Columns :meth:`_EngineReader.count_flags` reads as values, not flags: only their being missing (and,
#: for the amount, zero) matters to the counts.
_COUNTED_VALUES = ("amount", "customer_id", "order_id", *_TEXT_ROLES)


def _count_inputs(flags: Any) -> list[str]:
    """The bits that decide every count of a staged table: its flags, and tests of the values counted.

    A value column gives ``<column>=null`` (and the amount ``amount=0``); the counts depend on nothing
    else, so rows with the same bits are counted alike.
    """
    flagged = ("f_", "b_", "m_", "nonfinite_")
    names = [c for c in flags.columns if c.startswith(flagged) and flags[c].type().is_boolean()]
    for column in _COUNTED_VALUES:
        if column in flags.columns:
            names.append(f"{column}=null")
            if column == "amount":
                names.append("amount=0")
    return names


def _bit_test(flags: Any, name: str) -> Any:
    column, _, test = name.partition("=")
    if test == "null":
        return flags[column].isnull()
    if test == "0":
        return flags[column] == 0
    return flags[column]


def _stand_ins(names: list[str], bits: np.ndarray) -> pd.DataFrame:
    """One row per value of ``bits`` with the flags and values its bits say (see :func:`_count_inputs`)."""
    got = {name: (bits >> i) & 1 == 1 for i, name in enumerate(names)}
    frame: dict[str, Any] = {}
    for name, bit in got.items():
        column, _, test = name.partition("=")
        if not test:
            frame[column] = bit
        elif column == "amount" and test == "null":
            value = np.where(got.get("amount=0", False), 0.0, 1.0)
            frame[column] = pd.array(np.where(bit, np.nan, value), dtype="Float64")  # NaN reads as NA
        elif test == "null":
            frame[column] = pd.array(np.where(bit, None, "x"), dtype="string")
    return pd.DataFrame(frame)


def _order_key(column: str) -> str:
    """SQL for the integer order key of an order id: a 63-bit hash, checked against the ids' count."""
    return f"(hash({column}) >> 1)::BIGINT"


def _canonical_amount(kept: Any, column: str) -> Any:
    """Returns and cancellations carry a negative amount (and margin), whatever the sign in the source."""
    import ibis

    value = kept[column]
    return ibis.ifelse(kept.f_ret & (kept.amount > 0), -value, value)


def _drop_view(con: Any, name: str) -> None:
    con.raw_sql(f'DROP VIEW IF EXISTS "{name}"')


def _quantile_positions(n: int) -> tuple[int, int]:
    """0-based positions of numpy's ``quantile(..., 0.01, method="higher")`` and ``(0.99, "lower")``.

    The virtual index is computed as numpy computes it, so the engine picks the very same order statistic.

    Examples
    --------
    >>> _quantile_positions(1000)
    (10, 989)
    """
    q = np.array([0.01, 0.99])
    virtual = n * q + (1 + q * (1 - 1 - 1)) - 1
    lo = int(np.clip(np.ceil(virtual[0]), 0, n - 1))
    hi = int(np.clip(np.floor(virtual[1]), 0, n - 1))
    return lo, hi


def _is_na(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _warning_class() -> type[Warning]:
    from ._contract import DataQualityWarning

    return DataQualityWarning


def run_engine_contract(source: EngineSource, mapping: dict[str, Any], policy: dict[str, Any]) -> Any:
    """Check ``source`` against the contract in its engine; returns the :class:`Transactions`."""
    from ._contract import Transactions

    reader = _EngineReader(source, mapping, policy)
    try:
        (table, ordered), quality = reader.run()
    except BaseException:
        reader.release()
        raise
    finally:
        for step in source.cleanup:
            step()
    tx = Transactions(engine=table, quality=quality)
    tx._engine_ordered = ordered
    tx._stored_keys = reader.stored_keys
    if getattr(reader, "reads_source", None):
        tx._source_file = SourceFile.of(reader.reads_source)
    if reader.owned:
        weakref.finalize(tx, _release, reader.owned)
    if source.keep_alive is not None:
        tx._engine_source = source.keep_alive  # the warehouse connection lives as long as the table
    return tx


@dataclass(frozen=True)
class SourceFile:
    """A file the canonical table keeps reading, with its size and modification time when it was checked."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> SourceFile:
        stat = os.stat(path)
        return cls(path, stat.st_size, stat.st_mtime_ns)

    def check(self) -> None:
        """Raise a clear error when the file was changed, moved or removed since it was checked.

        A large Parquet file is not copied: the canonical rows are read from it beside the keys computed
        when it was checked, row by row, so a changed file would silently give other rows.
        """
        try:
            now = SourceFile.of(self.path)
        except OSError:
            now = None
        if now != self:
            what = "is gone" if now is None else "was changed"
            raise DataContractError(
                f"The file {self.path!r} {what} after read_transactions checked it. A large Parquet file is "
                "read where it lies, so its checked rows depend on it: call read_transactions on it again "
                "(or keep the file unchanged while its transactions are in use)."
            )


def _release(steps: list[Any]) -> None:
    for step in steps:
        try:
            step()
        except Exception:  # best effort at garbage collection or interpreter exit
            pass


# --------------------------------------------------------------------------------------------------
# opening sources
# --------------------------------------------------------------------------------------------------

_SPARK_URL = "spark://"


def _positional(table: Any, names: list[str], row: str | None) -> Any:
    """The table with columns renamed c0..c{n-1} (decimals as doubles) and the row number as ``segkit_row``."""
    cols = {}
    for i, name in enumerate(names):
        col = table[name]
        cols[f"c{i}"] = col.cast("float64") if col.type().is_decimal() else col
    if row is not None:
        cols[_ROW] = table[row].cast("int64")
    return table.select(**cols)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_source(path: Any) -> EngineSource:
    """A Parquet file as a view on the shared DuckDB connection, numbered by its file row number."""
    from .._backend import connection

    con = connection()
    view = f"segkit_parquet_c{next(_names)}"
    # The view may be read long after this (a large file is not copied): from any working folder.
    where = os.path.abspath(path)
    con.raw_sql(
        f'CREATE TEMP VIEW "{view}" AS SELECT *, file_row_number AS "{_ROW}" '
        f"FROM read_parquet({_quote(where)}, file_row_number = true)"
    )
    table = con.table(view)
    names = [c for c in table.columns if c not in (_ROW, "file_row_number")]
    return EngineSource(
        _positional(table, names, _ROW),
        names,
        str(path),
        "duckdb",
        ordered=True,
        cleanup=[lambda: con.raw_sql(f'DROP VIEW IF EXISTS "{view}"')],
        rereadable=True,
        path=where,
    )


def duckdb_file_source(path: Any, url: str, table: str) -> EngineSource | None:
    """A table of a DuckDB file, attached read-only to the shared connection (None for a view)."""
    from .._backend import connection

    con = connection()
    alias = f"segkit_db_c{next(_names)}"
    schema, name = table.rsplit(".", 1) if "." in table else ("main", table)
    con.raw_sql(f'ATTACH {_quote(str(path))} AS "{alias}" (READ_ONLY)')

    def detach() -> None:
        con.raw_sql(f'DETACH DATABASE IF EXISTS "{alias}"')

    found = con.raw_sql(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        parameters=[alias, schema, name],
    ).fetchone()[0]
    if not found:  # a view (no rowid) or no such table: the SQL reader says which
        detach()
        return None
    view = f"segkit_dbview_c{next(_names)}"
    con.raw_sql(
        f'CREATE TEMP VIEW "{view}" AS SELECT *, rowid AS "{_ROW}" FROM "{alias}"."{schema}"."{name}"'
    )
    source = con.table(view)
    names = [c for c in source.columns if c != _ROW]

    def drop() -> None:
        con.raw_sql(f'DROP VIEW IF EXISTS "{view}"')
        detach()

    from ._sql import masked

    return EngineSource(
        _positional(source, names, _ROW),
        names,
        f"{masked(url)} table {table}",
        "duckdb",
        ordered=True,
        header_line=0,
        count_in_label=True,
        cleanup=[drop],
    )


def duckdb_query_source(path: Any, url: str, *, table: str | None, query: str | None) -> EngineSource | None:
    """A view or a ``query=`` of a DuckDB file on the shared connection, numbered in the order it returns rows.

    The file is attached read-only; a query's table names are looked up in it (its search path while the
    contract reads). None when ``table`` names no view (the SQL reader says what is there).
    """
    from .._backend import connection
    from ._sql import check_query, masked

    con = connection()
    alias = f"segkit_db_c{next(_names)}"
    con.raw_sql(f'ATTACH {_quote(str(path))} AS "{alias}" (READ_ONLY)')
    undo = [lambda: con.raw_sql(f'DETACH DATABASE IF EXISTS "{alias}"')]

    def release() -> None:
        for step in reversed(undo):
            step()

    if table is not None:
        schema, name = table.rsplit(".", 1) if "." in table else ("main", table)
        found = con.raw_sql(
            "SELECT count(*) FROM duckdb_views() WHERE database_name = ? AND schema_name = ? AND view_name = ?",
            parameters=[alias, schema, name],
        ).fetchone()[0]
        if not found:
            release()
            return None
        body, what = f'SELECT * FROM "{alias}"."{schema}"."{name}"', f"table {table}"
    else:
        check_query(query)
        saved = con.raw_sql("SELECT current_setting('search_path')").fetchone()[0]
        con.raw_sql(f"SET search_path = {_quote(f'{alias}.main,temp.main,memory.main')}")
        undo.append(lambda: con.raw_sql(f"SET search_path = {_quote(saved)}"))
        body, what = query, "query"
    view = f"segkit_dbview_c{next(_names)}"
    try:
        con.raw_sql(
            f'CREATE TEMP VIEW "{view}" AS SELECT *, row_number() OVER () - 1 AS "{_ROW}" FROM ({body})'
        )
        source = con.table(view)
    except Exception as exc:
        release()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataContractError(f"The database refused the query on {masked(url)!r}: {first}") from None
    undo.append(lambda: con.raw_sql(f'DROP VIEW IF EXISTS "{view}"'))
    names = [c for c in source.columns if c != _ROW]
    return EngineSource(
        _positional(source, names, _ROW),
        names,
        f"{masked(url)} {what}",
        "duckdb",
        ordered=True,
        header_line=0,
        count_in_label=True,
        cleanup=[release],
    )


def ibis_source(expr: Any, label: str, keep_alive: Any = None) -> EngineSource:
    """Any Ibis table: on the shared DuckDB connection, on Spark, or in a warehouse."""
    from .._backend import connection

    backend = expr._find_backend()
    if backend is connection():
        kind = "duckdb"
    elif getattr(backend, "name", "") == "pyspark":
        kind = "spark"
    else:
        kind = "sql"
    names = list(expr.columns)
    return EngineSource(
        _positional(expr, names, None),
        names,
        label,
        kind,
        ordered=False,
        header_line=0,
        keep_alive=keep_alive,
    )


def spark_source(source: Any) -> EngineSource:
    """A PySpark DataFrame, or ``"spark://table"`` (a table or view on the active Spark session)."""
    import ibis

    from .._spark import active_session

    if isinstance(source, str):
        name = source[len(_SPARK_URL) :].strip("/")
        if not name:
            raise ParameterError(
                f"{source!r} names no table: write 'spark://sales' (a table or view on the active Spark "
                "session) or pass the DataFrame itself."
            )
        session = active_session()
        con = ibis.pyspark.connect(session)
        catalog_names = {t.name for t in session.catalog.listTables()}
        database, _, short = name.rpartition(".")
        if not database and short not in catalog_names:
            raise DataContractError(
                f"No table or view {short!r} on the Spark session. Its tables: "
                f"{format_examples(sorted(catalog_names), limit=20) if catalog_names else 'none'}. "
                "Register the DataFrame with df.createOrReplaceTempView(...) or pass it directly."
            )
        expr = con.table(short, database=database or None)
        src = ibis_source(expr, f"Spark table {name}", keep_alive=con)
        src.count_in_label = True
        return src
    session = source.sparkSession
    con = ibis.pyspark.connect(session)
    view = f"segkit_spark_c{next(_names)}"
    source.createOrReplaceTempView(view)
    source_names = list(source.columns)
    expr = con.table(view)
    src = ibis_source(expr, "Spark DataFrame", keep_alive=con)
    src.names = source_names
    src.count_in_label = True
    return src


def is_spark_url(source: Any) -> bool:
    return isinstance(source, str) and source.lower().startswith(_SPARK_URL)
