"""One snapshot per analysis: the as-of date, the window and the engine tables, resolved once.

A :class:`Snapshot` pins a transactions table to an analysis date (and optionally a window start) and
caches the aggregates every analysis shares -- the customer summary, customer x period totals, the
purchase days with the gaps between them -- as temporary tables (cached views on Spark) on the backend of
the transactions' engine table. Passing one snapshot to ten analyses scans the transactions a few times
instead of dozens, and every analysis uses the same definition of a gap, a period and a first purchase.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError
from ..io import parse_date_param
from ..io._contract import Transactions, as_transactions
from ._table import (
    _STR,
    _state,
    _table,
    attribute_columns,
    backend_of,
    calendar,
    check_period,
    date_range,
    has_column,
    temp_table,
    timestamp,
    to_frame,
    value_bits,
)

__all__ = ["Snapshot", "customer_keys", "snapshot"]

_DAY = pd.Timedelta(days=1)
#: Snapshots kept per transactions object (a churn model visits a few dates; more would only hold memory).
_MAX_CACHED = 6
#: Id orders remembered per transactions object (a window's ascending ids and its ABC rank order).
_MAX_ID_TAKES = 2


class _Cache:
    """The aggregates of one (transactions, as-of, window) triple; owns its temporary tables.

    ``sources`` holds the caches of later snapshots whose tables this one reads through a filter, so
    that those tables live as long as this cache even when the later snapshot leaves the LRU.
    """

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.sources: list[_Cache] = []


def _parse_date(name: str, value: Any) -> pd.Timestamp:
    # One rule for every date parameter, the contract's: ISO or DD.MM.YYYY, slash forms refused.
    return parse_date_param(value, name)


def resolve_as_of(tx: Transactions, as_of: Any) -> pd.Timestamp:
    """The analysis date: the given one (a whole day after the first transaction) or the day after the last."""
    first, last = date_range(tx)
    if pd.isna(last):
        raise DataContractError("The transactions table is empty: there is no date to report as of.")
    if as_of is None:
        return last.normalize() + _DAY
    ts = _parse_date("as_of", as_of)
    if ts != ts.normalize():
        raise ParameterError(
            f"as_of must be a whole day (a report date), got {as_of!r}; drop the time of day."
        )
    if ts <= first:
        raise ParameterError(
            f"as_of={ts.date()} is on or before the first transaction ({first}); nothing would be analysed. "
            "Pick a later date or omit as_of to use the day after the last transaction."
        )
    return ts


def _resolve_start(window: Any, as_of: pd.Timestamp) -> pd.Timestamp | None:
    if window is None:
        return None
    if isinstance(window, int) and not isinstance(window, bool):
        if window < 1:
            raise ParameterError(f"window must be a number of days >= 1 or a start date; got {window!r}.")
        return as_of - pd.Timedelta(days=window)
    start = _parse_date("window", window).normalize()
    if start >= as_of:
        raise ParameterError(
            f"window starts on {start.date()}, not before as_of={as_of.date()}; nothing would be analysed."
        )
    return start


def _first(column: pd.Series) -> float:
    value = pd.to_numeric(column, errors="coerce").fillna(0)
    return float(value.iloc[0]) if len(value) else 0.0


def customer_keys(tx: Transactions) -> tuple[ir.Table, pd.Index]:
    """The transactions' customer dictionary: each customer id once, with a compact integer key.

    Keys number the ids in sorted order from 0, so a per-customer result sorted by key is sorted by id
    and maps back to the user's ids with one ``take``. Built once per transactions object: the engine
    groups on the ids, but per-customer results travel to pandas as integers (a million text ids cost
    more to convert and align in pandas than the whole aggregate costs in DuckDB). When the data contract
    stored the keys with the rows (:attr:`Transactions.stored_keys`), its dictionary is read as it is; it
    may then also hold ids of rows a policy dropped, which no result carries.

    Returns the engine table (``customer_id``, ``ckey``) and the sorted ids as a pandas Index.
    """
    state = _state(tx)
    found = state.caches.get("customer_keys")
    if found is None:
        stored = _stored_keys(tx)
        if stored is not None:
            table = stored.ids
        else:
            ids = _table(tx).select("customer_id").distinct()
            keyed = ids.mutate(ckey=ibis.row_number().over(order_by="customer_id"))
            table = temp_table(state, keyed, "keys")
        frame = to_frame(table.order_by("ckey").select("customer_id"))
        index = pd.Index(frame["customer_id"].astype(_STR), name="customer_id")
        found = state.caches["customer_keys"] = (table, index)
    return found


def _stored_keys(tx: Transactions) -> Any:
    """The keys the contract stored with the rows, when the engine table is still the contract's own."""
    stored = getattr(tx, "stored_keys", None)
    if stored is None or not isinstance(tx, Transactions) or type(tx).to_ibis is not Transactions.to_ibis:
        return None
    return stored


class Snapshot:
    """Transactions pinned to an analysis date, with the shared aggregates cached in the engine.

    Build one with :func:`segkit.snapshot`. Every analysis accepts a snapshot wherever it accepts
    transactions; given a different ``as_of`` it works on :meth:`at` that date, which shares the
    transactions' engine table.

    Attributes
    ----------
    transactions : Transactions
        The canonical transactions.
    as_of : pandas.Timestamp
        Analysis date (exclusive): rows before it are seen.
    start : pandas.Timestamp or None
        Window start (inclusive); None = all history before ``as_of``.
    first_date : pandas.Timestamp
        Timestamp of the first transaction the snapshot sees (the origin of every period calendar).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> snap = segkit.snapshot(df, as_of="2024-04-01")
    >>> snap
    Snapshot(as_of=2024-04-01, all history, 3 rows)
    >>> segkit.customer_summary(snap)["n_orders"].to_dict()
    {'a': 2, 'b': 1}
    >>> segkit.snapshot(snap, window=45).start
    Timestamp('2024-02-16 00:00:00')
    """

    def __init__(self, tx: Transactions, as_of: pd.Timestamp, start: pd.Timestamp | None) -> None:
        self.transactions = tx
        self.as_of = as_of
        self.start = start
        key = (as_of, start)
        caches: OrderedDict = _state(tx).caches.setdefault("snapshots", OrderedDict())
        if key not in caches:
            caches[key] = _Cache()
            while len(caches) > _MAX_CACHED:
                caches.popitem(last=False)
        caches.move_to_end(key)
        self._cache: _Cache = caches[key]

    # -- what the snapshot sees -----------------------------------------------------------------------

    def table(self) -> ir.Table:
        """The transaction lines in the window (``start <= order_date < as_of``) as an Ibis table."""
        return self._window(_table(self.transactions))

    def keyed_table(self) -> ir.Table:
        """The lines of :meth:`table` with the compact customer key ``ckey`` of :func:`customer_keys`.

        When the data contract stored its keys with the rows the key is read from there (no join of text
        ids), together with ``okey``, an integer that with ``ckey`` identifies the order; otherwise the ids
        are joined to the dictionary here and there is no ``okey``.
        """
        stored = _stored_keys(self.transactions)
        if stored is not None:
            return self._window(stored.lines)
        keys, _ = customer_keys(self.transactions)
        t = self.table()
        return t.join(keys, "customer_id").select(*t.columns, "ckey")

    def _window(self, t: ir.Table) -> ir.Table:
        t = t.filter(t.order_date < timestamp(self.as_of))
        if self.start is not None:
            t = t.filter(t.order_date >= timestamp(self.start))
        return t

    def has(self, column: str) -> bool:
        """Whether the engine table has ``column`` (an optional canonical column or an attribute)."""
        return has_column(self.transactions, column)

    @property
    def attributes(self) -> list[str]:
        """Customer attribute columns carried through :func:`segkit.read_transactions`."""
        return attribute_columns(self.transactions)

    @property
    def first_date(self) -> pd.Timestamp:
        first, _ = date_range(self.transactions)
        return first if self.start is None else max(first, self.start)

    @property
    def backend_name(self) -> str:
        """The Ibis backend the snapshot's queries run on (``"duckdb"``, ``"postgres"``, ``"pyspark"`` ...)."""
        return str(backend_of(_table(self.transactions)).name)

    def at(self, as_of: Any) -> Snapshot:
        """The same transactions (and window start) at another analysis date.

        At an earlier date the order-day and purchase-day tables come from this snapshot's own, cut at
        that date, once this one has built them (:meth:`order_days`).
        """
        date = resolve_as_of(self.transactions, as_of)
        return self if date == self.as_of else Snapshot(self.transactions, date, self.start)

    def calendar(self, period: str) -> pd.DatetimeIndex:
        """Starts of the periods from the first one the snapshot sees to the one containing ``as_of - 1 day``."""
        check_period(period)
        return calendar(period, self.first_date, self.as_of)

    # -- caching ----------------------------------------------------------------------------------------

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per snapshot (shared with every Snapshot of the same transactions and dates)."""
        values = self._cache.values
        if key not in values:
            values[key] = build()
        return values[key]

    def shared(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once while its result is alive, then the same object (a weak reference).

        For per-customer results the size of the customer base (an ABC or XYZ result): the snapshot keeps
        no such result alive itself, so one that every caller has dropped -- a comparison keeping only its
        summary -- frees its frames at once instead of living as long as the snapshot. Anything that wants
        the result to stay found holds it (a copy handed out keeps a reference to its original).
        """
        values = self._cache.values
        ref = values.get(key)
        found = ref() if ref is not None else None
        if found is None:
            found = build()
            values[key] = weakref.ref(found)
        return found

    def materialize(self, key: Any, build: Callable[[], ir.Table]) -> ir.Table:
        """An Ibis expression computed once into a temporary table, dropped with the snapshot's cache."""
        return self.cached(("table", key), lambda: temp_table(self._cache, build(), "agg"))

    def to_pandas(self, expr: ir.Expr) -> pd.DataFrame:
        """Run an engine expression (on this snapshot's tables) and return the result as a pandas frame."""
        return to_frame(expr)

    def customer_frame(self, expr: ir.Table, *, dictionary: bool = True) -> pd.DataFrame:
        """Run a per-customer expression (one row per customer) into a frame indexed by customer id.

        The expression is keyed by ``ckey`` (the compact keys of :func:`customer_keys`, what the snapshot's
        own tables carry) or by ``customer_id``. The rows come back sorted by id; the ids travel as keys.
        ``dictionary=False``: an expression keyed by ``customer_id`` on transactions whose dictionary is not
        built yet is sorted by id in the engine and brings its ids along, for an analysis that needs nothing
        else: building the dictionary (every id once, numbered in sorted order, into a table) costs more
        than one result gains from it. The ids and their order are the same either way.
        """
        if (
            not dictionary
            and "ckey" not in expr.columns
            and "customer_keys" not in _state(self.transactions).caches
        ):
            out = to_frame(expr.order_by("customer_id"))
            out.index = pd.Index(out.pop("customer_id").astype(_STR), name="customer_id")
            return out
        keys, ids = customer_keys(self.transactions)
        if "ckey" not in expr.columns:
            expr = expr.join(keys, "customer_id")
        columns = [c for c in expr.columns if c not in ("customer_id", "ckey")]
        out = to_frame(expr.select("ckey", *columns).order_by("ckey"))
        out.index = self.ids_of(out.pop("ckey").to_numpy(dtype=np.int64))
        return out

    def ids_of(self, keys: np.ndarray) -> pd.Index:
        """The customer ids of compact keys (any order), sharing their data with earlier calls.

        Every per-customer result of the transactions is indexed by ids taken from the one dictionary of
        :func:`customer_keys`; results over the same customers in the same order (the ABC methods of one
        window, its XYZ) get views of one Index instead of a text copy each. Each call returns a view of its
        own, so renaming one result's index leaves the others alone.
        """
        _, ids = customer_keys(self.transactions)
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) == len(ids) and np.array_equal(keys, np.arange(len(ids))):
            return ids.view()
        recent: list = _state(self.transactions).caches.setdefault("id_takes", [])
        for seen, index in recent:
            if np.array_equal(seen, keys):
                return index.view()
        index = ids.take(keys)
        recent.insert(0, (keys, index))
        del recent[_MAX_ID_TAKES:]
        return index.view()

    def with_ids(self, expr: ir.Table) -> ir.Table:
        """A ``ckey``-keyed engine table with the user's ``customer_id`` joined back (for id-level output)."""
        keys, _ = customer_keys(self.transactions)
        joined = expr.join(keys, "ckey")
        return joined.select("customer_id", *[c for c in expr.columns if c != "ckey"])

    # -- shared aggregates --------------------------------------------------------------------------------

    def order_days(self) -> ir.Table:
        """The snapshot's lines reduced once to orders: what every shared aggregate reads instead of lines.

        One row per customer, order, kind (purchase or return; one order id holding both stays two rows)
        and calendar day. Columns: ``ckey`` (the compact customer key), ``day`` (date), ``is_return``,
        ``first`` / ``last`` (earliest and latest timestamp), ``amount`` (signed sum), ``margin`` and
        ``quantity`` when the data have them, one bit set per low-cardinality column (``bits_category``,
        ``bits_channel``: ``1 << code`` OR-ed, on backends with a bitwise-OR aggregate; the narrowest
        integer that holds the bits) and ``orders`` (1 on the order's first day, 0 on later days), so that
        summing ``orders`` counts distinct orders.

        The lines are scanned once, grouped by order (customer, order id, kind); when no order spans two
        calendar days (the day of its latest line is its first day) -- the usual case -- that grouping
        already is the order-day table. Otherwise the lines are grouped by day too and later days of an
        order get ``orders = 0``. The table holds only what the aggregates read: it is the largest thing
        a snapshot keeps in the engine's memory. A snapshot at an earlier date than one already built on
        the same transactions and window reads that snapshot's table cut to its own days (a filter, no
        scan of the lines and no copy).
        """
        return self.cached("order_days", self._build_order_days)

    def single_day_orders(self) -> bool:
        """Whether every order of the snapshot falls on one calendar day (then ``order_days`` has one row
        per order and any grouping of its rows counts distinct orders exactly)."""
        od = self.order_days()
        values = self._cache.values
        if "single_day_orders" not in values:
            # Cut from a later snapshot whose orders span days: the rows before this date span days only
            # if one of them is an order's later day.
            spans = to_frame(od.aggregate(n=od.count(where=od.orders == 0)))
            values["single_day_orders"] = int(_first(spans["n"])) == 0
        return bool(values["single_day_orders"])

    def _from_later(self, key: Any) -> ir.Table | None:
        """A later snapshot's cached day-keyed table ``key``, cut to the days before this as-of date.

        The order-day and purchase-day tables of a snapshot hold every day before its as-of date, and a
        row of a day before an earlier date is the row that date's own build would make: an order's
        lines before that date are all its lines (``single_day_orders``) or the ones of that same day,
        and a purchase day's previous purchase day comes before it. So a snapshot of the same
        transactions and window at an earlier date filters the nearest later one that has the table
        instead of scanning the lines again. Returns None when no such snapshot is cached.
        """
        caches: OrderedDict = _state(self.transactions).caches.get("snapshots", OrderedDict())
        later = [
            (as_of, cache)
            for (as_of, start), cache in caches.items()
            if start == self.start and as_of > self.as_of and key in cache.values
        ]
        if not later:
            return None
        _, cache = min(later, key=lambda pair: pair[0])
        self._cache.sources.append(cache)
        table = cache.values[key]
        return table.filter(table.day < self.as_of.date())

    def _line_sums(self, t: ir.Table) -> dict[str, ir.Value]:
        sums: dict[str, ir.Value] = {
            "first": t.order_date.min(),
            "last": t.order_date.max(),
            "amount": t.amount.sum(),
        }
        for name in ("margin", "quantity"):
            if self.has(name):
                sums[name] = t[name].sum()
        for column in ("category", "channel"):
            bits = value_bits(self.transactions, t, column) if self.has(column) else None
            if bits is not None:
                sums[f"bits_{column}"] = bits.bit_or()
        return sums

    def _build_order_days(self) -> ir.Table:
        later = self._from_later("order_days")
        if later is not None:
            # Orders on one day later are on one day here too; otherwise it is counted when asked.
            if self._cache.sources[-1].values.get("single_day_orders"):
                self._cache.values["single_day_orders"] = True
            return later
        stored = _stored_keys(self.transactions)
        if stored is not None:
            # Integer keys stored with the rows: the lines group by customer key and order key directly.
            t = self._window(stored.lines)
            order = ["ckey", "okey" if stored.order_keys else "order_id", "is_return"]

            def keyed(expr: ir.Table, *columns: str) -> ir.Table:
                return expr.select("ckey", *columns)
        else:
            t = self.table()
            order = ["customer_id", "order_id", "is_return"]
            keys, _ = customer_keys(self.transactions)

            def keyed(expr: ir.Table, *columns: str) -> ir.Table:
                # Integer keys from here on: every later grouping is on a small integer, not on text ids.
                return expr.join(keys, "customer_id").select("ckey", *columns)

        sums = self._line_sums(t)
        day = t.order_date.date()
        orders = t.group_by(order).aggregate(day=day.min(), **sums)
        table = temp_table(self._cache, keyed(orders, "day", "is_return", *sums), "orders")
        # ``last`` is the order's latest line: an order spans days when that line is on a later day.
        spans = to_frame(table.aggregate(n=table.count(where=table["last"].date() != table.day)))
        single = int(_first(spans["n"])) == 0
        self._cache.values["single_day_orders"] = single
        if single:
            return table.select("ckey", "day", "is_return", *sums, orders=ibis.literal(1, "int64"))
        # Some order spans days: group the lines by day too; only the order's first day counts it.
        per_day = t.group_by([*order, day.name("day")]).aggregate(**sums)
        first_day = per_day.day.min().over(ibis.window(group_by=order))
        per_day = per_day.mutate(orders=(per_day.day == first_day).ifelse(1, 0))
        return temp_table(self._cache, keyed(per_day, "day", "is_return", *sums, "orders"), "orders")

    def purchase_days(self) -> ir.Table:
        """One row per customer and calendar day with a purchase (returns excluded), with the gap before it.

        Columns: ``ckey`` (the compact customer key; :meth:`with_ids` adds the ids), ``day`` (date),
        ``day_number`` (days since 1970-01-01), ``revenue`` (gross purchases that day, rounded to cents),
        ``n_orders`` (distinct orders), ``prev_day_number`` and ``gap_days`` (whole days since the
        customer's previous purchase day; NULL on the first). This is the one definition of a purchase
        gap: several orders on one day are one visit. Built from :meth:`order_days`; the day numbers are
        computed from ``day`` and ``gap_days`` when read rather than stored, which keeps the stored table
        (one row per customer and purchase day) a third smaller. Like :meth:`order_days`, an earlier
        snapshot cuts a later one's table when that is built: a gap that ends on or after the earlier
        date belongs to a day it does not see.
        """

        def build() -> ir.Table:
            od = self.order_days()
            od = od.filter(~od.is_return)
            days = od.group_by(["ckey", "day"]).aggregate(
                revenue=od.amount.sum().round(2), n_orders=od.count()
            )
            number = days.day.epoch_days()
            prev = number.lag().over(ibis.window(group_by="ckey", order_by=number))
            return days.mutate(gap_days=number - prev)

        def columns() -> ir.Table:
            key = ("table", "purchase_days")
            if key not in self._cache.values:
                later = self._from_later(key)
                if later is not None:
                    self._cache.values[key] = later
            stored = self.materialize("purchase_days", build)
            number = stored.day.epoch_days()
            return stored.select(
                "ckey",
                "day",
                "revenue",
                "n_orders",
                day_number=number,
                prev_day_number=number - stored.gap_days,
                gap_days=stored.gap_days,
            )

        return self.cached("purchase_days", columns)

    def purchase_day_totals(self) -> ir.Table:
        """Purchase days and their revenue, keyed by ``ckey`` or ``customer_id``, as cheaply as available.

        :meth:`purchase_days` when this snapshot has built it (other analyses ran on it); otherwise one
        grouping of the purchase lines by customer and calendar day -- the same days and the same revenue
        (purchases that day, rounded to cents) -- without building the order-day table, for an analysis
        that needs nothing else. Columns: the key, ``day`` (date), ``day_number`` and ``revenue``.
        """
        if ("table", "purchase_days") in self._cache.values:
            return self.purchase_days().select("ckey", "day", "day_number", "revenue")
        stored = _stored_keys(self.transactions)
        t = self.table() if stored is None else self._window(stored.lines)
        t = t.filter(~t.is_return)
        key = "customer_id" if stored is None else "ckey"
        days = t.group_by([key, t.order_date.date().name("day")]).aggregate(revenue=t.amount.sum().round(2))
        return days.mutate(day_number=days.day.epoch_days())

    def gaps(self) -> ir.Table:
        """Rows of :meth:`purchase_days` that have a previous purchase day (``gap_days`` not NULL)."""
        days = self.purchase_days()
        return days.filter(days.gap_days.notnull())

    def __repr__(self) -> str:
        window = "all history" if self.start is None else f"from {self.start.date()}"
        n = self.cached("n_rows", lambda: int(self.to_pandas(self.table().count()).iloc[0, 0]))
        return f"Snapshot(as_of={self.as_of.date()}, {window}, {n:,} rows)"


def snapshot(
    data: Transactions | pd.DataFrame | Snapshot, *, as_of: Any = None, window: Any = None
) -> Snapshot:
    """Pin transactions to an analysis date once, for every analysis that follows.

    Parameters
    ----------
    data : Transactions, DataFrame or Snapshot
        Canonical transactions (a DataFrame goes through the data contract once, here), or a snapshot to
        move to another date or window.
    as_of : date-like, optional
        Analysis date (exclusive); default the day after the last transaction (a snapshot keeps its own).
    window : int or date-like, optional
        Only look at transactions from this date on (a start date, inclusive), or from ``window`` days
        before ``as_of``. Default: all history before ``as_of`` (a snapshot keeps its own window).

    Returns
    -------
    Snapshot
        Reused by every analysis it is passed to; its aggregates are computed once.

    Examples
    --------
    >>> import segkit
    >>> from segkit.datasets import make_transactions
    >>> raw, _ = make_transactions(50, seed=1)
    >>> snap = segkit.snapshot(raw, as_of="2024-07-01")
    >>> segkit.customer_summary(snap).attrs["as_of"]
    Timestamp('2024-07-01 00:00:00')
    """
    if isinstance(data, Snapshot):
        snap = data if as_of is None else data.at(as_of)
        if window is None:
            return snap
        return Snapshot(snap.transactions, snap.as_of, _resolve_start(window, snap.as_of))
    tx = as_transactions(data)
    date = resolve_as_of(tx, as_of)
    return Snapshot(tx, date, _resolve_start(window, date))
