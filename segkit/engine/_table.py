"""The engine table behind a :class:`segkit.Transactions`, the backend each query runs on, and the calendar.

:func:`_table` is the only place in segkit that touches ``Transactions.data``: everything else reads the
Ibis table it returns. When the transactions object can hand over an Ibis table itself (``to_ibis()``: a
table on the shared DuckDB connection, or the engine table it was built with on another DuckDB, on
PostgreSQL, on Spark), that table is used and no pandas frame is copied.

Every query runs on the backend of the tables it reads (:func:`backend_of`): :func:`to_frame` executes
there and :func:`temp_table` materialises there, so with a Spark or PostgreSQL engine table only
per-customer results and aggregates come back to the driver.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._backend import connection as _con
from .._errors import ParameterError
from .._validation import Options, check_param

#: Period codes accepted by the engine, and the Ibis truncation unit each maps to.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_PANDAS_FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
# pandas' own "str" dtype; astype("str") from the nullable "string" dtype turns <NA> into the text "<NA>".
_STR = pd.StringDtype(na_value=np.nan)
_CORE = ("customer_id", "order_id", "order_date", "amount", "is_return")
_OPTIONAL = ("quantity", "margin", "category", "channel", "product")
_names = itertools.count()


def backend_of(expr: ir.Expr) -> Any:
    """The Ibis backend an engine expression runs on: the backend of the tables it reads.

    An expression over in-memory tables only (``ibis.memtable``) names no backend and runs on the shared
    DuckDB connection. The transactions' engine table decides for everything derived from it, so a table
    on Spark or PostgreSQL keeps every aggregate there and only results come back.

    Examples
    --------
    >>> import ibis, pandas as pd
    >>> from segkit.engine._table import backend_of
    >>> con = ibis.duckdb.connect()
    >>> t = con.create_table("lines", pd.DataFrame({"amount": [1.0, 2.5]}))
    >>> backend_of(t.amount.sum()) is con
    True
    >>> backend_of(ibis.memtable({"x": [1]})).name  # no table of its own: the shared connection
    'duckdb'
    """
    backends, _ = expr._find_backends()
    if not backends:
        return _con()
    if len(backends) > 1:
        raise ParameterError(
            "An engine expression reads tables from more than one backend "
            f"({', '.join(sorted(b.name for b in backends))}); segkit runs each analysis on one backend. "
            "Put the transactions and every table joined to them on the same connection."
        )
    return backends[0]


def _kind(backend: Any) -> str:
    """How a backend caches a materialised table: ``temp`` table, Spark ``view``, or ``none`` (re-run)."""
    name = getattr(backend, "name", "")
    if name in ("duckdb", "postgres"):
        return "temp"
    if name == "pyspark":
        return "view"
    return "none"


def _drop(backend: Any, name: str, frame: Any = None) -> None:
    """Drop a temporary table (or Spark view) when the object that owned it is garbage collected."""
    try:
        if frame is not None:
            frame.sparkSession.catalog.dropTempView(name)
            frame.unpersist()
        else:
            backend.drop_table(name, force=True)
    except Exception:  # the connection may already be closed at interpreter exit
        pass


def temp_table(owner: Any, obj: Any, prefix: str) -> ir.Table:
    """Materialise ``obj`` (a frame or an Ibis expression) once, for as long as ``owner`` lives.

    A frame goes into a temporary table on the shared DuckDB connection. An expression is materialised on
    its own backend (:func:`backend_of`): a temporary table on DuckDB and PostgreSQL, a cached temporary
    view on Spark (computed on first use, kept in the executors' memory), and on any other backend the
    expression itself, recomputed by each query that reads it, since not every warehouse has session
    tables. Every engine table goes through here, so an analysis does not leave tables behind. On DuckDB a
    table of more than :data:`FILE_ROWS` rows is then moved to a Parquet file (see :func:`_to_file`).
    """
    name = f"segkit_{prefix}_{next(_names)}"
    backend = backend_of(obj) if isinstance(obj, ir.Table) else _con()
    kind = _kind(backend)
    if kind == "none":
        return obj
    if kind == "view":
        backend._run_pre_execute_hooks(obj)  # registers in-memory tables the expression joins
        frame = backend.raw_sql(backend.compile(obj)).cache()
        frame.createOrReplaceTempView(name)
        weakref.finalize(owner, _drop, backend, name, frame)
        return backend.table(name)
    table = backend.create_table(name, obj, temp=True, overwrite=True)
    if isinstance(obj, ir.Table) and getattr(backend, "name", "") == "duckdb":
        moved = _to_file(backend, table, name)
        if moved is not None:
            table, path = moved
            weakref.finalize(owner, _drop_file, backend, name, path)
            return table
    weakref.finalize(owner, _drop, backend, name)
    return table


#: Above this many rows a DuckDB table the engine materialises is kept as a Parquet file rather than in
#: memory: an in-memory table is stored uncompressed, and a snapshot of ten million rows keeps several of
#: a few million rows each (its orders, its grouped amounts) for as long as it lives.
FILE_ROWS = 2_000_000


def _to_file(backend: Any, table: ir.Table, name: str) -> tuple[ir.Table, Any] | None:
    """A large temporary table moved to a Parquet file and read back through a view of the same name.

    Returns ``None`` (the table stays in memory) when it is small, or when a column's type would not read
    back exactly as it was stored, so what every later query sees is the same.
    """
    from .._backend import table_folder

    rows = backend.raw_sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
    if rows <= FILE_ROWS:
        return None
    path = table_folder() / f"{name}.parquet"
    quoted = "'" + str(path).replace("'", "''") + "'"
    backend.raw_sql(f'COPY "{name}" TO {quoted} (FORMAT parquet)')
    view = f"{name}_file"
    backend.raw_sql(f'CREATE TEMP VIEW "{view}" AS SELECT * FROM read_parquet({quoted})')
    if backend.table(view).schema() != table.schema():
        backend.raw_sql(f'DROP VIEW IF EXISTS "{view}"')
        path.unlink(missing_ok=True)
        return None
    backend.raw_sql(f'DROP VIEW IF EXISTS "{view}"')
    backend.drop_table(name, force=True)
    backend.raw_sql(f'CREATE TEMP VIEW "{name}" AS SELECT * FROM read_parquet({quoted})')
    return backend.table(name), path


def _drop_file(backend: Any, name: str, path: Any) -> None:
    """Drop the view over a table kept as a Parquet file, then the file."""
    try:
        backend.raw_sql(f'DROP VIEW IF EXISTS "{name}"')
    except Exception:  # the connection may already be closed at interpreter exit
        pass
    path.unlink(missing_ok=True)


class _TxState:
    """What the engine keeps per transactions object: its table, date range and snapshot caches.

    It lives in a registry keyed by the object's id and is dropped (with its temporary tables) when the
    transactions object is garbage collected. Nothing in it refers back to the transactions object.
    """

    def __init__(self) -> None:
        self.table: ir.Table | None = None
        self.date_range: tuple[pd.Timestamp, pd.Timestamp] | None = None
        self.caches: dict[Any, Any] = {}


_STATES: dict[int, _TxState] = {}


def _state(tx: Any) -> _TxState:
    key = id(tx)
    state = _STATES.get(key)
    if state is None:
        state = _STATES[key] = _TxState()
        weakref.finalize(tx, _STATES.pop, key, None)
    return state


def _table(tx: Any) -> ir.Table:
    """The canonical transactions as an Ibis table on the shared connection, registered once per object.

    Attribute columns (``read_transactions(attributes=...)``) are carried as text so that customer mixes
    can count them in the engine too.
    """
    to_ibis = getattr(tx, "to_ibis", None)
    if callable(to_ibis):
        # Asked every time: the transactions cache their table, and check that a file it reads is unchanged.
        return to_ibis()
    state = _state(tx)
    if state.table is None:
        data = tx.data
        columns = [c for c in (*_CORE, *_OPTIONAL) if c in data.columns]
        frame = data[columns]
        extras = [c for c in data.columns if c not in columns]
        if extras:
            frame = frame.assign(**{c: data[c].where(data[c].notna()).astype(_STR) for c in extras})
        state.table = temp_table(state, frame, "tx")
    return state.table


def attribute_columns(tx: Any) -> list[str]:
    """Columns of the engine table beyond the canonical ones: customer attributes."""
    return [c for c in _table(tx).columns if c not in (*_CORE, *_OPTIONAL)]


def has_column(tx: Any, column: str) -> bool:
    return column in _table(tx).columns


def date_range(tx: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last transaction timestamp (any row), computed once per transactions object."""
    state = _state(tx)
    if state.date_range is None:
        t = _table(tx)
        row = to_frame(t.aggregate(first=t.order_date.min(), last=t.order_date.max()))
        state.date_range = (pd.Timestamp(row["first"].iloc[0]), pd.Timestamp(row["last"].iloc[0]))
    return state.date_range


def check_period(period: str, allowed: tuple[str, ...] = tuple(PERIODS)) -> str:
    check_param("period", period, [Options(allowed)])
    return PERIODS[period]


def period_start(ts: Any, period: str = "month") -> Any:
    """The start of the period (day, Monday-week, month, quarter, year) containing ``ts``.

    Accepts one timestamp (returns a Timestamp) or a Series / DatetimeIndex (returns the same kind),
    vectorised.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> segkit.period_start("2024-05-17", "quarter")
    Timestamp('2024-04-01 00:00:00')
    >>> segkit.period_start(pd.Series(pd.to_datetime(["2024-05-17", "2024-05-20"])), "week").tolist()
    [Timestamp('2024-05-13 00:00:00'), Timestamp('2024-05-20 00:00:00')]
    """
    check_period(period)
    if isinstance(ts, pd.Series | pd.DatetimeIndex):
        values = pd.DatetimeIndex(ts).normalize()
        if period == "day":
            out = values
        elif period == "week":
            out = values - pd.to_timedelta(values.weekday, unit="D")
        else:
            code = {"month": "M", "quarter": "Q", "year": "Y"}[period]
            out = values.to_period(code).to_timestamp()
        out = pd.DatetimeIndex(out).astype("datetime64[ns]")
        return pd.Series(out, index=ts.index, name=ts.name) if isinstance(ts, pd.Series) else out
    ts = pd.Timestamp(ts).normalize()
    if period == "day":
        return ts
    if period == "week":
        return ts - pd.Timedelta(days=ts.weekday())
    if period == "month":
        return ts.replace(day=1)
    if period == "quarter":
        return ts.replace(day=1, month=3 * ((ts.month - 1) // 3) + 1)
    return ts.replace(day=1, month=1)


def calendar(period: str, first: pd.Timestamp, as_of: pd.Timestamp) -> pd.DatetimeIndex:
    """Period starts from the period containing ``first`` to the one containing the day before ``as_of``."""
    return pd.date_range(
        period_start(first, period),
        period_start(as_of - pd.Timedelta(days=1), period),
        freq=_PANDAS_FREQ[period],
    )


def period_end(starts: pd.DatetimeIndex, period: str) -> pd.DatetimeIndex:
    """The (exclusive) end of each period."""
    return starts + pd.tseries.frequencies.to_offset(_PANDAS_FREQ[period])


_MONDAY = pd.Timestamp("1970-01-05")


def period_ordinal(value: Any, period: str) -> Any:
    """An integer numbering consecutive periods: the period after number k is number k + 1.

    ``value`` is an Ibis date or timestamp expression (the result is an engine expression) or one
    timestamp (the result is an int), so pandas and the engine agree on the numbering. The difference of
    two ordinals is the number of periods between them, which is what cohort period numbers and churn
    boundaries need.

    Examples
    --------
    >>> import segkit
    >>> segkit.period_ordinal("2024-03-15", "month") - segkit.period_ordinal("2023-12-01", "month")
    3
    """
    check_period(period)
    if not isinstance(value, ir.Value):
        ts = pd.Timestamp(value).normalize()
        if period == "day":
            return int((ts - pd.Timestamp("1970-01-01")).days)
        if period == "week":
            return int((ts - _MONDAY).days // 7)
        if period == "year":
            return ts.year
        months = ts.year * 12 + ts.month - 1
        return months if period == "month" else months // 3
    day = value.cast("date")
    if period == "day":
        return day.epoch_days()
    if period == "week":
        return (day.epoch_days() - 4) // 7  # 1970-01-05, four days after the epoch, is a Monday
    if period == "year":
        return day.year()
    months = day.year() * 12 + day.month() - 1
    return months if period == "month" else months // 3


def numbers(column: pd.Series) -> pd.Series:
    """A numeric column with SQL NULLs (an empty FILTER, a missing join partner) as 0.

    An all-NULL column arrives as object dtype; converting first avoids pandas' downcasting warning.
    """
    return pd.to_numeric(column, errors="coerce").fillna(0).astype(float)


def datetimes(column: pd.Series) -> pd.Series:
    """A timestamp column of an engine result as ``datetime64[ns]``.

    DuckDB hands timestamps over typed; only a column that is all NULL (or a backend's text) needs
    parsing. ``pandas.to_datetime`` on a typed column still turns its first ten thousand values into
    Python objects to decide whether to cache, a tenth of a second per column for nothing.
    """
    if not pd.api.types.is_datetime64_dtype(column):
        column = pd.to_datetime(column)
    return column.astype("datetime64[ns]")


def to_frame(expr: ir.Expr) -> pd.DataFrame:
    """Run an Ibis expression on its backend (:func:`backend_of`) and return a pandas frame.

    On DuckDB the compiled SQL goes straight to DuckDB's own pandas conversion: on a per-customer result
    (a million rows) it is several times faster than Ibis's column-by-column conversion. Other backends
    (Spark, PostgreSQL, any Ibis backend) run the query where the data lives and send back only its
    result. Scalars come back as a one-row frame.
    """
    if not isinstance(expr, ir.Table):
        expr = expr.name("value").as_table()
    con = backend_of(expr)
    if con.name != "duckdb":
        return con.to_pandas(expr)
    con._run_pre_execute_hooks(expr)  # registers in-memory tables the expression refers to
    return con.con.execute(con.compile(expr)).df()


def timestamp(value: pd.Timestamp) -> Any:
    return ibis.timestamp(pd.Timestamp(value).to_pydatetime())


#: Most distinct values a column may have for its per-customer distinct count to run as a bit set.
MAX_BITS = 63
#: Backends with a bitwise-OR aggregate (Ibis compiles none for Spark): elsewhere a distinct count.
_BIT_OR_BACKENDS = ("duckdb", "postgres")


def value_bits(tx: Any, t: ir.Table, column: str) -> ir.Value | None:
    """``1 << code`` of each line's value of a low-cardinality column (NULL stays NULL), or None.

    Distinct categories and channels ride along a scan as bit sets (a handful of values each) instead of
    a distinct (customer, value) grouping with millions of groups per column. The distinct values are
    looked up once per transactions object; a column with more than :data:`MAX_BITS` of them, or a
    backend without a bitwise-OR aggregate, returns None and is counted with a distinct aggregate instead.
    """
    if backend_of(t).name not in _BIT_OR_BACKENDS:
        return None
    caches = _state(tx).caches
    key = ("distinct_values", column)
    if key not in caches:
        lines = _table(tx)
        found = to_frame(lines.select(column).distinct().limit(MAX_BITS + 2))[column].dropna().tolist()
        caches[key] = sorted(found) if len(found) <= MAX_BITS else None
    values = caches[key]
    if values is None:
        return None
    if not values:
        return ibis.null("int64")
    # The narrowest signed integer whose non-negative range holds every bit: the sets ride along every
    # row of the order-day table, so a handful of channels costs one byte per row, not eight.
    width = next(w for w in (8, 16, 32, 64) if len(values) < w)
    kind = f"int{width}"
    code = t[column].cases(*[(v, ibis.literal(i, kind)) for i, v in enumerate(values)], else_=None)
    return (ibis.literal(1, kind) << code).cast(kind)
