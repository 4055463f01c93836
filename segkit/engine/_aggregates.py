"""The engine layer: the one place where transactions become per-customer and per-period aggregates.

Every analysis module (ABC, XYZ, RFM, cohorts, churn, personas) calls these functions instead of writing
its own groupby. The expressions are written in Ibis and run on the backend of the transactions' engine
table -- the embedded DuckDB for files and frames, the database for a SQL source, Spark for a Spark
DataFrame -- so the heavy step is vectorised and out of pandas' memory model. Only per-customer and
per-period results come back, as pandas frames.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from .._validation import DateLike
from ..io import Transactions, parse_date_param
from ..io._contract import as_transactions
from ._snapshot import Snapshot, customer_keys, snapshot
from ._table import (
    _PANDAS_FREQ,  # noqa: F401 - still imported from here by segkit.value; segkit.period_end replaces it
    _STR,
    PERIODS,
    _state,
    _table,
    calendar,
    check_period,
    datetimes,
    period_end,
    period_ordinal,
    period_start,
    timestamp,
    to_frame,
)
from ._table import numbers as _numbers

__all__ = [
    "PERIODS",
    "as_of_date",
    "customer_days",
    "customer_gaps",
    "customer_main_value",
    "customer_mix",
    "customer_period_matrix",
    "customer_periods",
    "customer_summary",
    "customer_window_totals",
    "known_customers",
    "last_purchase_and_revenue",
    "period_start",
    "period_totals",
]

Data = Transactions | pd.DataFrame | Snapshot


def as_of_date(data: Data, as_of: DateLike | None = None) -> pd.Timestamp:
    """Resolve the analysis date: the given one, or the day after the last transaction.

    The as-of date is a day boundary: a report "as of 2024-07-01" sees transactions up to 2024-06-30
    23:59:59. It never defaults to today, so the same input always gives the same report.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-03-05 14:00"], "amount": [10.0]})
    >>> segkit.as_of_date(df)
    Timestamp('2024-03-06 00:00:00')
    >>> segkit.as_of_date(df, "2024-12-31")
    Timestamp('2024-12-31 00:00:00')
    """
    return snapshot(data, as_of=as_of).as_of


def customer_summary(data: Data, *, as_of: DateLike | None = None, copy: bool = True) -> pd.DataFrame:
    """Per-customer aggregates of everything before the as-of date.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions (see :func:`segkit.read_transactions`).
    as_of : date-like, optional
        Analysis date; defaults to the day after the last transaction.
    copy : bool
        True (default): a frame of the caller's own. False: the snapshot's cached frame itself, for code
        that only reads it (an analysis building its own table from a few columns); modifying it would
        change what every later call on the snapshot sees. With a million customers the copy is the
        largest transient allocation of an analysis that reads the summary.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with ``first_purchase``, ``last_purchase`` (purchase rows
        only), ``n_orders`` (distinct purchase order ids), ``n_purchase_days``, ``n_returns`` (distinct
        return/cancellation orders), ``revenue`` (net of returns), ``gross_revenue`` (purchases only),
        ``returns_amount`` (positive number), ``avg_order_value`` (gross revenue per order),
        ``recency_days`` (whole days from the last purchase day to ``as_of``), ``tenure_days`` (from the
        first purchase day), plus ``margin``, ``quantity``, ``n_categories`` and ``n_channels`` when the data
        has those columns. Customers whose only rows before ``as_of`` are returns have no purchase to
        measure and are left out; their number is in ``result.attrs["customers_without_purchases"]``.
        ``result.attrs["as_of"]`` holds the date used.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...     "amount": [100.0, 50.0, 20.0],
    ... })
    >>> s = segkit.customer_summary(df, as_of="2024-04-01")
    >>> s[["n_orders", "revenue", "recency_days", "tenure_days"]]
                 n_orders  revenue  recency_days  tenure_days
    customer_id
    a                   2    150.0            31           82
    b                   1     20.0            46           46
    """
    snap = snapshot(data, as_of=as_of)
    shared = snap.cached("customer_summary", lambda: _customer_summary(snap))
    return shared.copy() if copy else shared


def _customer_summary(snap: Snapshot) -> pd.DataFrame:
    as_of = snap.as_of
    # Everything from the snapshot's order-day table (one scan of the lines, shared with every other
    # aggregate): summing ``orders`` counts distinct orders, so no distinct aggregate runs here.
    od = snap.order_days()
    buy, ret = ~od.is_return, od.is_return
    metrics: dict[str, ir.Value] = {
        "first_purchase": od["first"].min(where=buy),
        "last_purchase": od["last"].max(where=buy),
        "revenue": od.amount.sum(),
        "gross_revenue": od.amount.sum(where=buy),
        "returns_amount": -od.amount.sum(where=ret),
        "n_orders": od.orders.sum(where=buy).coalesce(0),
        "n_returns": od.orders.sum(where=ret).coalesce(0),
    }
    if "margin" in od.columns:
        metrics["margin"] = od.margin.sum()
    if "quantity" in od.columns:
        metrics["quantity"] = od.quantity.sum(where=buy)
    mixes = {
        name: col for col, name in (("category", "n_categories"), ("channel", "n_channels")) if snap.has(col)
    }
    masked = {name: col for name, col in mixes.items() if f"bits_{col}" in od.columns}
    for name, col in masked.items():
        metrics[name] = od[f"bits_{col}"].bit_or(where=buy)
    expr = od.group_by("ckey").aggregate(**metrics)
    days = snap.purchase_days()
    days = days.group_by("ckey").aggregate(n_purchase_days=days.count())
    expr = _join_columns(expr, days, ["n_purchase_days"])
    many = {name: col for name, col in mixes.items() if name not in masked}
    if many:
        # Too many distinct values for a bit set (or no bitwise OR on this backend): a distinct count.
        keys, _ = customer_keys(snap.transactions)
        t = snap.table()
        purchases = t.filter(~t.is_return)
        counted = purchases.group_by("customer_id").aggregate(
            **{name: purchases[col].nunique() for name, col in many.items()}
        )
        counted = counted.join(keys, "customer_id").select("ckey", *many)
        expr = _join_columns(expr, counted, list(many))
    out = snap.customer_frame(expr)
    n_total = len(out)
    bought = out["n_orders"].to_numpy() > 0
    if not bought.all():  # a copy of a million rows only when some customer has returns alone
        out = out.loc[bought]
    for name in masked:
        bits = pd.to_numeric(out[name], errors="coerce").fillna(0).to_numpy(dtype=np.int64)
        out[name] = np.bitwise_count(bits.view(np.uint64)).astype("int64")
    for col in ("revenue", "gross_revenue", "returns_amount", "margin"):
        if col in out:
            out[col] = _numbers(out[col]).round(2)
    for col in ("n_orders", "n_purchase_days", "n_returns", "n_categories", "n_channels"):
        if col in out:
            out[col] = _numbers(out[col]).astype("int64")
    for col in ("first_purchase", "last_purchase"):
        out[col] = datetimes(out[col])
    order = [
        "first_purchase",
        "last_purchase",
        "n_orders",
        "n_purchase_days",
        "n_returns",
        "revenue",
        "gross_revenue",
        "returns_amount",
        "margin",
        "quantity",
        "n_categories",
        "n_channels",
    ]
    ordered = [c for c in order if c in out.columns]
    if list(out.columns) != ordered:
        out = out[ordered]
    out["avg_order_value"] = (out["gross_revenue"] / out["n_orders"]).round(2)
    out["recency_days"] = (as_of - out["last_purchase"].dt.normalize()).dt.days.astype("int64")
    out["tenure_days"] = (as_of - out["first_purchase"].dt.normalize()).dt.days.astype("int64")
    out.attrs["as_of"] = as_of
    out.attrs["customers_without_purchases"] = n_total - len(out)
    return out


def customer_window_totals(data: Data, *, start: DateLike, as_of: DateLike | None = None) -> pd.DataFrame:
    """Per-customer totals over ``[start, as_of)``: net revenue, purchase orders, margin and units.

    One engine query, for analyses that rank customers over a window (ABC over the XYZ periods). Money is
    summed per customer and day and rounded to cents there, the same arithmetic as
    :func:`segkit.customer_periods` with ``period="day"``; ``n_orders`` counts distinct purchase orders per
    day. Customers without a purchase order in the window are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted): ``revenue``, ``n_orders``, plus ``margin`` and ``quantity``
        (units bought) when the data have them.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import customer_window_totals
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> customer_window_totals(df, start="2024-02-01", as_of="2024-04-01")
                 revenue  n_orders
    customer_id
    a               50.0         1
    b               20.0         1
    """
    snap = snapshot(data, as_of=as_of)
    begin = period_start(pd.Timestamp(start), "day")
    od = snap.order_days()
    od = od.filter(od.day >= begin.date())
    buy = ~od.is_return
    # Money per customer and day first, rounded to cents there, like the day periods.
    metrics: dict[str, ir.Value] = {"revenue": od.amount.sum().round(2)}
    if "margin" in od.columns:
        metrics["margin"] = od.margin.sum().round(2)
    if "quantity" in od.columns:
        metrics["quantity"] = od.quantity.sum(where=buy)
    daily = od.group_by(["ckey", "day"]).aggregate(n_orders=od.count(where=buy), **metrics)
    totals = daily.group_by("ckey").aggregate(
        n_orders=daily.n_orders.sum(), **{name: daily[name].sum() for name in metrics}
    )
    # Only the customers with a purchase order in the window.
    totals = totals.filter(totals.n_orders > 0)
    out = snap.customer_frame(totals)
    columns = ["revenue", "n_orders", *(["margin"] if "margin" in metrics else [])]
    columns += ["quantity"] if "quantity" in metrics else []
    out = out[columns]
    for col in columns:
        out[col] = _numbers(out[col]).round(2)
    out["n_orders"] = out["n_orders"].astype("int64")
    out.attrs["as_of"] = snap.as_of
    return out


def known_customers(data: Transactions | pd.DataFrame, *, before: DateLike | None = None) -> pd.Index:
    """The distinct customer ids with any transaction line (before ``before`` when given), sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import known_customers
    >>> df = pd.DataFrame({"customer_id": ["b", "a", "b"],
    ...                    "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> list(known_customers(df)), list(known_customers(df, before="2024-02-01"))
    (['a', 'b'], ['b'])
    """
    tx = as_transactions(data)
    t = _table(tx)
    if before is not None:
        t = t.filter(t.order_date < timestamp(parse_date_param(before, "before")))
    # Sorted here, not in SQL: PostgreSQL's compiler loses the projection of a filtered DISTINCT ... ORDER BY.
    ids = to_frame(t.select("customer_id").distinct())["customer_id"]
    return pd.Index(ids.astype(_STR), name="customer_id").sort_values()


def last_purchase_and_revenue(data: Data, *, as_of: DateLike | None = None, months: int = 12) -> pd.DataFrame:
    """Per customer: the last purchase before ``as_of`` and the net revenue of the last ``months`` months.

    Customers with a purchase before ``as_of`` or any line in the months before it; ``revenue_<months>m`` is
    NaN for a customer without a line in those months and ``last_purchase`` NaT for one with returns only.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import last_purchase_and_revenue
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2022-01-10", "2024-03-01", "2022-02-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> last_purchase_and_revenue(df, as_of="2024-04-01")["revenue_12m"].tolist()
    [50.0, nan]
    """
    snap = snapshot(data, as_of=as_of)
    since = snap.as_of - pd.DateOffset(months=months)
    t = snap.table()
    recent = t.order_date >= timestamp(since)
    name = f"revenue_{months}m"
    per = t.group_by("customer_id").aggregate(
        last_purchase=t.order_date.max(where=~t.is_return),
        **{name: t.amount.sum(where=recent)},
        recent_lines=t.count(where=recent),
    )
    per = per.filter(per.last_purchase.notnull() | (per.recent_lines > 0))
    out = to_frame(per.select("customer_id", "last_purchase", name).order_by("customer_id"))
    out["customer_id"] = out["customer_id"].astype(_STR)
    out = out.set_index("customer_id")
    out["last_purchase"] = datetimes(out["last_purchase"])
    out[name] = pd.to_numeric(out[name], errors="coerce").astype(float)
    return out


def _join_columns(expr: ir.Table, other: ir.Table, names: list[str]) -> ir.Table:
    """Left-join per-customer counts onto ``expr`` (both keyed by ``ckey``), a missing partner counting 0."""
    joined = expr.left_join(other, expr.ckey == other.ckey)
    return joined.select(*[joined[c] for c in expr.columns], *[joined[n].coalesce(0).name(n) for n in names])


def customer_periods(
    data: Data,
    *,
    period: str = "month",
    as_of: DateLike | None = None,
    start: DateLike | None = None,
    fill_zeros: bool = False,
    customers: Any = None,
) -> pd.DataFrame:
    """Per-customer, per-period aggregates (revenue, orders, margin) before the as-of date.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    period : {"day", "week", "month", "quarter", "year"}
        Period length; weeks start on Monday.
    as_of : date-like, optional
        Analysis date (exclusive upper bound); defaults to the day after the last transaction.
    start : date-like, optional
        Keep periods starting on or after this date.
    fill_zeros : bool
        When True, return a dense grid: every customer (those with a purchase in the window, or the
        ones listed in ``customers``) times every period from ``start`` (or the first period in the
        data) to the period containing the day before ``as_of``, with zeros where nothing was bought.
        The aggregation runs in the engine; the zeros are scattered into a numpy matrix.
    customers : iterable of str, optional
        Restrict (and, with ``fill_zeros``, define) the customers on the grid.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``period`` (period start), ``revenue`` (net), ``gross_revenue``,
        ``n_orders`` (distinct purchase orders) and ``margin`` when present; sorted by customer and period.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b"],
    ...     "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...     "amount": [100.0, 50.0, 20.0],
    ... })
    >>> grid = segkit.customer_periods(df, as_of="2024-04-01", fill_zeros=True)
    >>> grid.pivot(index="customer_id", columns="period", values="revenue").to_numpy().tolist()
    [[100.0, 0.0, 50.0], [0.0, 20.0, 0.0]]
    """
    check_period(period)
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    if start is None and customers is None:
        sparse = snap.with_ids(customer_period_table(snap, period))
    else:
        sparse = _customer_periods(snap, period, start, customers)
    out = to_frame(sparse.order_by(["customer_id", "period"]))
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    out["customer_id"] = out["customer_id"].astype(_STR)
    metrics = ["revenue", "gross_revenue", *(["margin"] if snap.has("margin") else []), "n_orders"]
    if fill_zeros:
        first = pd.Timestamp(start) if start is not None else snap.first_date
        periods = calendar(period, first, as_of)
        if customers is None:
            customers = pd.Index(out.loc[out["n_orders"] > 0, "customer_id"].unique())
        else:
            customers = pd.Index(pd.Series(list(customers), dtype="str")).unique()
        out = _densify(out, customers, periods, metrics)
    for name in metrics:
        if name == "n_orders":
            out[name] = _numbers(out[name]).astype("int64")
        else:
            out[name] = _numbers(out[name]).round(2)
    out = out[["customer_id", "period", *metrics]]
    out.attrs["as_of"] = as_of
    out.attrs["period"] = period
    return out.reset_index(drop=True)


def customer_period_table(snap: Snapshot, period: str) -> ir.Table:
    """The snapshot's customer x period totals as an engine table, computed once per snapshot and period.

    Columns ``ckey`` (the compact customer key; :meth:`Snapshot.with_ids` adds the ids), ``period``
    (period start), ``revenue`` (net), ``gross_revenue``, ``margin`` when present (all rounded to cents)
    and ``n_orders`` (distinct purchase orders); one row per customer and period with any transaction line.
    """
    check_period(period)
    return snap.materialize(("customer_periods", period), lambda: _period_table(snap, period))


def _period_table(snap: Snapshot, period: str) -> ir.Table:
    if not snap.single_day_orders():
        # An order spanning days may span periods too and counts once in each: only the lines know that.
        keys, _ = customer_keys(snap.transactions)
        lines = _customer_periods(snap, period, None, None)
        return lines.join(keys, "customer_id").select(
            "ckey", *[c for c in lines.columns if c != "customer_id"]
        )
    # One row per order in the order-day table: grouping its rows by period counts distinct orders.
    od = snap.order_days()
    od = od.mutate(period=od.day.truncate(check_period(period)).cast("timestamp"))
    buy = ~od.is_return
    metrics: dict[str, ir.Value] = {
        "revenue": od.amount.sum().round(2),
        "gross_revenue": od.amount.sum(where=buy).coalesce(0.0).round(2),
    }
    if "margin" in od.columns:
        metrics["margin"] = od.margin.sum().round(2)
    metrics["n_orders"] = od.count(where=buy)
    return od.group_by(["ckey", "period"]).aggregate(**metrics)


def _customer_periods(snap: Snapshot, period: str, start: Any, customers: Any) -> ir.Table:
    unit = check_period(period)
    t = snap.table()
    if start is not None:
        t = t.filter(t.order_date >= timestamp(period_start(pd.Timestamp(start), period)))
    if customers is not None:
        customers = pd.Index(pd.Series(list(customers), dtype="str")).unique()
        t = t.filter(t.customer_id.isin(list(customers)))
    t = t.mutate(period=t.order_date.truncate(unit))
    # Orders per customer and period first (one scan), then periods: distinct purchase orders become a
    # plain count, with no second scan and join.
    line_sums: dict[str, ir.Value] = {"amount": t.amount.sum()}
    if snap.has("margin"):
        line_sums["margin"] = t.margin.sum()
    orders = t.group_by(["customer_id", "period", "order_id", "is_return"]).aggregate(**line_sums)
    buy = ~orders.is_return
    metrics: dict[str, ir.Value] = {
        "revenue": orders.amount.sum().round(2),
        "gross_revenue": orders.amount.sum(where=buy).coalesce(0.0).round(2),
    }
    if "margin" in line_sums:
        metrics["margin"] = orders.margin.sum().round(2)
    metrics["n_orders"] = orders.count(where=buy)
    return orders.group_by(["customer_id", "period"]).aggregate(**metrics)


def customer_period_matrix(
    data: Data,
    *,
    period: str = "month",
    as_of: DateLike | None = None,
    start: DateLike | None = None,
    metrics: tuple[str, ...] = ("revenue", "n_orders"),
) -> dict[str, pd.DataFrame]:
    """Customers x periods tables of :func:`segkit.customer_periods` with ``fill_zeros=True``, already wide.

    The same numbers as pivoting the zero-filled grid, without building the long grid: the engine
    aggregates the sparse customer x period totals and numpy scatters them into one matrix per metric.
    Rows are the customers with a purchase order in the window (sorted), columns the period starts.

    Returns
    -------
    dict of str to pandas.DataFrame
        One frame per name in ``metrics`` (``revenue``, ``gross_revenue``, ``margin``, ``n_orders``).

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import customer_period_matrix
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-10", "2024-03-01", "2024-02-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> customer_period_matrix(df, as_of="2024-04-01")["revenue"].to_numpy().tolist()
    [[100.0, 0.0, 50.0], [0.0, 20.0, 0.0]]
    """
    check_period(period)
    snap = snapshot(data, as_of=as_of)
    # The snapshot's materialised customer x period table, shared with cohorts and later calls; a start on
    # a period boundary keeps whole periods, so filtering its rows equals filtering the lines.
    sparse = customer_period_table(snap, period)
    if start is not None:
        sparse = sparse.filter(sparse.period >= timestamp(period_start(pd.Timestamp(start), period)))
    periods = calendar(period, pd.Timestamp(start) if start is not None else snap.first_date, snap.as_of)
    # Customers travel as compact keys and periods as offsets on the calendar: pandas only sees integers.
    _, ids = customer_keys(snap.transactions)
    offset = period_ordinal(sparse.period, period) - period_ordinal(periods[0], period)
    frame = to_frame(sparse.select("ckey", offset.name("col"), *metrics))
    ckey = frame["ckey"].to_numpy(dtype=np.int64)
    cols = frame["col"].to_numpy(dtype=np.int64)
    buyers = ckey[frame["n_orders"].to_numpy() > 0] if "n_orders" in frame else ckey
    members = np.unique(buyers)
    rows = np.searchsorted(members, ckey).clip(max=max(len(members) - 1, 0))
    inside = (cols >= 0) & (cols < len(periods))
    inside &= members[rows] == ckey if len(members) else np.zeros(len(ckey), dtype=bool)
    customers = ids.take(members)
    index = pd.Index(customers, name="customer_id")
    columns = pd.DatetimeIndex(periods, name="period")
    out: dict[str, pd.DataFrame] = {}
    for name in metrics:
        integer = name == "n_orders"
        matrix = np.zeros((len(customers), len(periods)), dtype="int64" if integer else float)
        values = _numbers(frame[name]).to_numpy()[inside]
        matrix[rows[inside], cols[inside]] = values.astype("int64") if integer else values.round(2)
        out[name] = pd.DataFrame(matrix, index=index, columns=columns)
    return out


def _densify(
    sparse: pd.DataFrame, customers: pd.Index, periods: pd.DatetimeIndex, metrics: list[str]
) -> pd.DataFrame:
    """Customers x periods with zeros, by scattering the sparse aggregate into a matrix.

    The aggregation already ran in the engine; this is only a reshape, and numpy does it in one pass
    (a SQL cross join plus left join was four times slower and materialised the grid twice).
    """
    customers = pd.Index(customers, dtype=_STR).sort_values()
    rows = customers.get_indexer(sparse["customer_id"])
    cols = periods.get_indexer(sparse["period"])
    inside = (rows >= 0) & (cols >= 0)
    dense = {
        "customer_id": np.repeat(customers.to_numpy(), len(periods)),
        "period": np.tile(periods.to_numpy(), len(customers)),
    }
    for name in metrics:
        matrix = np.zeros((len(customers), len(periods)), dtype="int64" if name == "n_orders" else float)
        matrix[rows[inside], cols[inside]] = sparse[name].to_numpy()[inside]
        dense[name] = matrix.ravel()
    out = pd.DataFrame(dense)
    out["customer_id"] = out["customer_id"].astype(_STR)
    return out


def customer_days(data: Data, *, as_of: DateLike | None = None) -> pd.DataFrame:
    """Per-customer, per-calendar-day purchase totals (returns excluded) before the as-of date.

    Several orders on one day collapse into one row, as buy-till-you-die models expect.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``day`` (midnight timestamp), ``revenue`` (gross purchases that day),
        ``n_orders``; sorted by customer and day.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a"], "order_date": ["2024-01-10 09:00", "2024-01-10 18:00"],
    ...                    "amount": [5.0, 7.5], "order_id": ["o1", "o2"]})
    >>> segkit.customer_days(df)[["day", "revenue", "n_orders"]].to_dict("records")
    [{'day': Timestamp('2024-01-10 00:00:00'), 'revenue': 12.5, 'n_orders': 2}]
    """
    snap = snapshot(data, as_of=as_of)
    days = snap.purchase_days()
    # Sorted by key and day (keys number the ids in sorted order); the ids are attached in pandas from the
    # key dictionary, so the text ids are not carried through the sort and the transfer once per day.
    out = to_frame(
        days.select(
            "ckey", day=days.day.cast("timestamp"), revenue=days.revenue, n_orders=days.n_orders
        ).order_by(["ckey", "day"])
    )
    _, ids = customer_keys(snap.transactions)
    out.insert(0, "customer_id", ids.take(out.pop("ckey").to_numpy(dtype=np.int64)).to_numpy())
    out["customer_id"] = out["customer_id"].astype(_STR)
    out["day"] = datetimes(out["day"])
    out["revenue"] = out["revenue"].astype(float).round(2)
    out["n_orders"] = out["n_orders"].astype("int64")
    out.attrs["as_of"] = snap.as_of
    return out


def period_totals(data: Data, *, period: str = "month", as_of: DateLike | None = None) -> pd.DataFrame:
    """Company-level totals per period: revenue, orders, active and newly acquired customers.

    Returns
    -------
    pandas.DataFrame
        One row per period from the first to the last one before ``as_of`` (periods without sales
        included, with zeros): ``period``, ``revenue`` (net), ``n_orders``, ``active_customers`` (with a
        purchase in the period), ``new_customers`` (first purchase in the period), ``complete`` (False for
        a period that the as-of date cuts short).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "order_date": ["2024-01-10", "2024-03-01", "2024-03-15"],
    ...                    "amount": [100.0, 50.0, 20.0]})
    >>> segkit.period_totals(df, as_of="2024-04-01")[["revenue", "active_customers", "new_customers"]]
       revenue  active_customers  new_customers
    0    100.0                 1              1
    1      0.0                 0              0
    2     70.0                 2              1
    """
    unit = check_period(period)
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    totals, firsts = _period_totals(snap, unit)
    out = to_frame(totals).merge(to_frame(firsts), on="period", how="left")
    out["period"] = pd.to_datetime(out["period"]).astype("datetime64[ns]")
    full = calendar(period, out["period"].min(), as_of)
    out = out.set_index("period").reindex(full).rename_axis("period").reset_index()
    out["revenue"] = _numbers(out["revenue"]).round(2)
    for col in ("n_orders", "active_customers", "new_customers"):
        out[col] = _numbers(out[col]).astype("int64")
    out["complete"] = period_end(pd.DatetimeIndex(out["period"]), period) <= as_of
    out.attrs["as_of"] = as_of
    return out


def _period_totals(snap: Snapshot, unit: str) -> tuple[ir.Table, ir.Table]:
    """Per period: revenue, distinct purchase orders and buyers; and new customers per period.

    From the order-day table (integer keys, one row per order) when no order spans two days; an order
    spanning days may span periods and counts in each, which only the lines know.
    """
    if snap.single_day_orders():
        od = snap.order_days()
        od = od.mutate(period=od.day.truncate(unit).cast("timestamp"))
        buy = ~od.is_return
        totals = od.group_by("period").aggregate(
            revenue=od.amount.sum(), n_orders=od.count(where=buy), active_customers=od.ckey.nunique(where=buy)
        )
        firsts = od.filter(buy).group_by("ckey").aggregate(first=od.day.min())
        firsts = firsts.mutate(period=firsts["first"].truncate(unit).cast("timestamp"))
    else:
        t = snap.table()
        t = t.mutate(period=t.order_date.truncate(unit))
        buy = ~t.is_return
        totals = t.group_by("period").aggregate(
            revenue=t.amount.sum(),
            n_orders=t.order_id.nunique(where=buy),
            active_customers=t.customer_id.nunique(where=buy),
        )
        firsts = t.filter(buy).group_by("customer_id").aggregate(first=t.order_date.min())
        firsts = firsts.mutate(period=firsts["first"].truncate(unit))
    return totals, firsts.group_by("period").aggregate(new_customers=firsts.count())


def customer_main_value(data: Data, column: str, *, as_of: DateLike | None = None) -> pd.Series:
    """Each customer's main value of a line-level column (channel, category, product) before the as-of date.

    The main value is the one with the most distinct purchase orders; ties go to the alphabetically first
    value. Churn rates and survival curves use it to split customers "by channel" or "by category".

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id`` (sorted), named after ``column``; customers whose purchase lines all
        lack the column are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import customer_main_value
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "b"], "order_id": ["1", "2", "3", "4"],
    ...                    "order_date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"],
    ...                    "amount": 10.0, "channel": ["store", "online", "online", "phone"]})
    >>> customer_main_value(df, "channel").to_dict()
    {'a': 'online', 'b': 'phone'}
    """
    check_choice("column", column, ("category", "channel", "product"))
    snap = snapshot(data, as_of=as_of)
    if not snap.has(column):
        raise ParameterError(f"The data has no {column!r} column, so customers have no main {column}.")
    from_bits = _mix_from_bits(snap, column)
    if from_bits is not None:
        top = from_bits.select("ckey", from_bits.top.name(column))
    else:
        counts, _ = _value_orders(snap, column)
        top = _top_value(counts, column).select("ckey", column)
    out = snap.customer_frame(top)
    series = out[column].astype("str")
    series.index = series.index.astype("str")
    return series


def _value_orders(snap: Snapshot, column: str) -> tuple[ir.Table, ir.Table]:
    """Distinct purchase orders per customer and value of ``column``, and per customer in all.

    The purchase lines are reduced once to their distinct (customer, order, value) triples; counting
    rows of that table replaces a distinct count inside every group (which DuckDB cannot spread over
    its threads). Both results are keyed by ``ckey``: ``counts`` (``ckey``, ``column``, ``n``) and
    ``totals`` (``ckey``, ``total``: orders with a known value, ``n_values``).
    """
    keys, _ = customer_keys(snap.transactions)
    t = snap.table()
    t = t.filter(~t.is_return & t[column].notnull())
    triples = t.select("customer_id", "order_id", column).distinct()
    counts = triples.group_by(["customer_id", column]).aggregate(n=triples.count())
    orders = triples.group_by("customer_id").aggregate(total=triples.order_id.nunique())
    counts = counts.join(keys, "customer_id").select("ckey", column, "n")
    values = counts.group_by("ckey").aggregate(n_values=counts.count())
    totals = orders.join(keys, "customer_id").select("ckey", "total").join(values, "ckey")
    return counts, totals


def _mix_from_bits(snap: Snapshot, column: str) -> ir.Table | None:
    """Per customer, the value of ``column`` in the most purchase orders, from the order-day table's bit sets.

    Each purchase row of :meth:`Snapshot.order_days` is one order when no order spans days, and its
    ``bits_<column>`` holds one bit per distinct value of its lines; summing each bit per customer counts
    the distinct orders per value, one grouping of integers over the table every summary already built,
    where the lines' distinct (customer, order, value) triples cost a scan and a text grouping per column.
    Columns ``ckey``, ``top`` (ties: the alphabetically first value, as the sorted codes give), ``n_top``,
    ``total`` (orders with a known value) and ``n_values``; customers with no known value are left out.
    None when the table carries no bit set for the column (too many values, a backend without a bitwise
    OR) or some order spans days (then only the lines tell its values apart).
    """
    bits = f"bits_{column}"
    od = snap.order_days()  # building it looks up the sorted values the bits number
    values = _state(snap.transactions).caches.get(("distinct_values", column))
    if bits not in od.columns or not values or not snap.single_day_orders():
        return None
    known = od.filter(~od.is_return & od[bits].notnull())
    code = known[bits]
    counts = {f"n{i}": ((code >> i) & 1).cast("int64").sum() for i in range(len(values))}
    per = known.group_by("ckey").aggregate(total=known.count(), **counts)
    names = list(counts)
    best = ibis.greatest(*[per[n] for n in names]) if len(names) > 1 else per[names[0]]
    # The first code with the most orders: codes number the values in sorted order.
    top = ibis.cases(
        *[(per[n] == best, ibis.literal(v, "string")) for n, v in zip(names, values, strict=True)]
    )
    n_values = sum((per[n] > 0).ifelse(1, 0) for n in names)
    return per.select("ckey", top=top, n_top=best, total=per.total, n_values=n_values)


def _top_value(counts: ir.Table, column: str) -> ir.Table:
    """Each customer's value in the most orders; ties go to the alphabetically first value."""
    order = [ibis.desc("n"), column]
    ranked = counts.mutate(rank=ibis.row_number().over(group_by="ckey", order_by=order))
    return ranked.filter(ranked["rank"] == 0)


def customer_gaps(data: Data, *, as_of: DateLike | None = None) -> pd.DataFrame:
    """Days between a customer's consecutive purchase days, summarised per customer.

    Several orders on one day count as one visit, so the gaps measure how often a customer comes back,
    not how an order was split. Personas use the median gap as the customer's "typical days between
    orders".

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with ``gap_median_days``, ``gap_mean_days`` and ``n_gaps``
        (purchase days minus one). Customers with a single purchase day have no gap and are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import customer_gaps
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"],
    ...                    "order_date": ["2024-01-01", "2024-01-11", "2024-01-11", "2024-02-10", "2024-01-05"],
    ...                    "amount": 10.0})
    >>> customer_gaps(df)
                 gap_median_days  gap_mean_days  n_gaps
    customer_id
    a                       20.0           20.0       2
    """
    snap = snapshot(data, as_of=as_of)
    gaps = snap.gaps()
    expr = gaps.group_by("ckey").aggregate(
        gap_median_days=gaps.gap_days.median(),
        gap_mean_days=gaps.gap_days.mean(),
        n_gaps=gaps.gap_days.count(),
    )
    out = snap.customer_frame(expr)
    out["gap_median_days"] = out["gap_median_days"].astype(float)
    out["gap_mean_days"] = out["gap_mean_days"].astype(float).round(2)
    out["n_gaps"] = out["n_gaps"].astype("int64")
    out.attrs["as_of"] = snap.as_of
    return out


def customer_mix(data: Data, column: str, *, as_of: DateLike | None = None) -> pd.DataFrame:
    """Each customer's favourite value of a line-level column and the share of orders it takes.

    Works for ``category``, ``channel``, ``product`` and for customer attributes carried through
    :func:`segkit.read_transactions` (``attributes=["Country"]``), where the favourite value is simply the
    customer's most frequent one.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted): ``top`` (the value in the most distinct purchase orders; ties
        go to the alphabetically first), ``top_share`` (those orders over the customer's purchase orders
        with a known value) and ``n_values`` (distinct values bought). Customers whose purchase lines all
        lack the column are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> from segkit.engine import customer_mix
    >>> df = pd.DataFrame({"customer_id": ["a", "a", "a", "a", "b"], "order_id": ["1", "2", "3", "4", "5"],
    ...                    "order_date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01"],
    ...                    "amount": 10.0, "channel": ["store", "online", "online", "online", "phone"]})
    >>> customer_mix(df, "channel")
                   top  top_share  n_values
    customer_id
    a           online       0.75         2
    b            phone       1.00         1
    """
    snap = snapshot(data, as_of=as_of)
    if not snap.has(column) or column in ("customer_id", "order_id", "order_date", "amount", "is_return"):
        raise ParameterError(
            f"column={column!r} is not a category-like column of the data (it has "
            f"{list(snap.table().columns)}). Pass 'category', 'channel', 'product' or an attribute column "
            "given to read_transactions."
        )
    from_bits = _mix_from_bits(snap, column)
    if from_bits is not None:
        expr = from_bits.select(
            "ckey",
            "top",
            top_share=from_bits.n_top.cast("float64") / from_bits.total,
            n_values=from_bits.n_values,
        )
    else:
        counts, totals = _value_orders(snap, column)
        top = _top_value(counts, column).join(totals, "ckey")
        expr = top.select("ckey", top=top[column], top_share=top.n / top.total, n_values=top.n_values)
    out = snap.customer_frame(expr)
    out["top"] = out["top"].astype(_STR)
    out["top_share"] = out["top_share"].astype(float).clip(upper=1.0)
    out["n_values"] = out["n_values"].astype("int64")
    out.attrs["as_of"] = snap.as_of
    return out
