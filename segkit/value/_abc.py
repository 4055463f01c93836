"""ABC analysis of customers: which customers feed the company.

Three methods from the methodology [S1, S0]: the cumulative share (Pareto), the multiple of the average
customer, and the simplified ABC of the loyalty table (how much and how often). All rank one value per
customer (net revenue, margin for a profit ABC, or units) obtained from the engine layer, so the classes
are exact and reproducible; the classification itself is numpy over that vector. Group D, the
unprofitable tail, follows the methodology's rule (see :func:`abc`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import Snapshot
from ..io._contract import Transactions
from ._concentration import (
    Concentration,
    a_share_range,
    check_thresholds,
    cumulative_classes,
    customer_values,
    health_figures,
    keyed_values,
    ranked,
    to_cents,
    value_snapshot,
)
from ._rows import Rows

__all__ = [
    "ABC_CLASSES",
    "D_ACTION",
    "METHODOLOGY_THRESHOLDS",
    "PARETO_THRESHOLDS",
    "ABCResult",
    "abc",
    "abc_rules",
]

#: Class labels in order of importance; D is the unprofitable tail (see :func:`abc`).
ABC_CLASSES = ("A", "B", "C", "D")
METHODS = ("cumulative", "average_multiple", "volume_frequency")
D_RULES = ("auto", "margin", "rare", "none")
#: The methodology's cumulative thresholds (A up to about 75 % of sales, B up to 95 %) [S1].
METHODOLOGY_THRESHOLDS = (0.75, 0.95)
#: The common Pareto alternative (80 / 95), a documented option.
PARETO_THRESHOLDS = (0.80, 0.95)
#: The methodology's action for group D [S1].
D_ACTION = (
    "Unprofitable tail: part with them politely, e.g. a letter offering new terms or a minimum order; "
    "check prices, discounts and the cost to serve first."
)


@dataclass
class ABCResult:
    """The outcome of :func:`segkit.abc`.

    Attributes
    ----------
    table_ : pandas.DataFrame
        One row per customer, indexed by ``customer_id``, in rank order (value descending, then customer
        id): ``rank``, ``value``, ``share``, ``cumulative_share``, ``customer_share``, ``abc_class``, plus
        ``revenue`` (and ``margin``) when the value is margin.
    summary_ : pandas.DataFrame
        One row per class (A, B, C, and D when ``value="margin"`` or a value is negative):
        ``n_customers``, ``share_customers``, ``value`` (sum), ``share_value`` (of the positive part),
        ``min_value``, ``max_value``.
    health_ : Concentration
        Health figures (share of customers in A under *this* method, customers making 50 % / 80 %,
        loss if the top 1/5/10 left, HHI) with plain-language ``.warnings``.
    cutoffs_ : dict
        The value boundaries the method produced: ``A_min`` (smallest value in A), ``B_min``; for
        ``method="average_multiple"`` also ``average`` (P) and ``C_max`` (P times the lower multiplier);
        for ``method="volume_frequency"`` ``much_value`` and ``often_orders``.
    value, method, thresholds, multipliers, d_rule, d_margin_rate, d_max_orders, as_of, start
        The parameters used (``as_of`` resolved to a date; ``d_rule`` resolved from ``"auto"``).
    """

    table_: pd.DataFrame
    summary_: pd.DataFrame
    health_: Concentration
    cutoffs_: dict[str, float]
    value: str
    method: str
    thresholds: tuple[float, float]
    multipliers: tuple[float, float]
    as_of: pd.Timestamp | None
    start: pd.Timestamp | None = None
    d_rule: str = "none"
    d_margin_rate: float = 0.0
    d_max_orders: int = 1
    # The compact customer keys of ``table_``'s rows (rank order) and their class codes (index into
    # ABC_CLASSES): ABC-XYZ joins and groups on these integers instead of the ids and labels.
    _rows: Rows | None = field(default=None, repr=False, compare=False)
    # The cached result a copy was made from: the snapshot only references it weakly, so it stays found
    # exactly as long as some copy of it is alive.
    _origin: ABCResult | None = field(default=None, repr=False, compare=False)

    @property
    def rules_(self) -> pd.DataFrame:
        """The rules this analysis applied, each with its ``source`` (a methodology article or a kit convention)."""
        return abc_rules(self)

    def top(self, n: int = 10, abc_class: str | None = "A") -> pd.DataFrame:
        """The ``n`` most valuable customers (of ``abc_class``; ``None`` for any class)."""
        if abc_class is not None:
            check_choice("abc_class", abc_class, ABC_CLASSES)
            return self.table_.loc[self.table_["abc_class"] == abc_class].head(n)
        return self.table_.head(n)

    def customers(self, abc_class: str) -> pd.Index:
        """The ids of the customers in ``abc_class``, most valuable first."""
        check_choice("abc_class", abc_class, ABC_CLASSES)
        return self.table_.index[self.table_["abc_class"] == abc_class]

    def __repr__(self) -> str:
        counts = self.table_["abc_class"].value_counts().reindex(list(ABC_CLASSES), fill_value=0)
        shown = ", ".join(f"{k}={v:,}" for k, v in counts.items() if v or k != "D")
        return f"ABCResult(value={self.value!r}, method={self.method!r}, {len(self.table_):,} customers: {shown})"

    def _repr_html_(self) -> str:
        return self.summary_.to_html()

    def detached(self) -> ABCResult:
        """A copy whose tables, figures and cut-offs are its own, for a result kept in a snapshot's cache.

        The cache keeps one result per snapshot and parameters, which :func:`segkit.abc` and
        :func:`segkit.abc_xyz` hand out: editing the copy a caller got, in place or not, never changes
        what a later call returns.
        """
        return replace(
            self,
            table_=self.table_.copy(),
            summary_=self.summary_.copy(),
            health_=copy.deepcopy(self.health_),
            cutoffs_=dict(self.cutoffs_),
            _rows=None if self._rows is None else self._rows.detached(),
            _origin=self,
        )


def abc(
    data: Transactions | pd.DataFrame | pd.Series | Snapshot,
    *,
    value: str = "revenue",
    method: str = "cumulative",
    thresholds: tuple[float, float] = METHODOLOGY_THRESHOLDS,
    multipliers: tuple[float, float] = (6.0, 0.5),
    much_value: float | None = None,
    often_orders: int | None = None,
    d_rule: str = "auto",
    d_margin_rate: float = 0.0,
    d_max_orders: int = 1,
    as_of: Any = None,
    start: Any = None,
) -> ABCResult:
    """ABC analysis: class every customer A, B or C by the value it brings; D is the unprofitable tail.

    Parameters
    ----------
    data : Transactions, DataFrame, Snapshot or Series
        Canonical transactions (see :func:`segkit.read_transactions`; a :func:`segkit.snapshot` brings its
        date and window as ``as_of`` and ``start``), or a Series of per-customer
        values indexed by customer id (when the aggregation was done elsewhere).
    value : {"revenue", "margin", "quantity"}
        ``"revenue"``: net revenue (returns subtracted). ``"margin"``: profit ABC on the margin column
        (read the data with ``margin=`` or ``cost=``). ``"quantity"``: units bought, the methodology's
        second measure ("in money and in units") when the data have a quantity column.
    method : {"cumulative", "average_multiple", "volume_frequency"}
        ``"cumulative"`` (Pareto): sort customers by value, largest first; A are the customers that
        together make the first ``thresholds[0]`` of the value, B the next ones up to ``thresholds[1]``,
        C the rest. ``"average_multiple"``: with P = total value / number of customers, A if
        value >= ``multipliers[0]`` * P, C if value <= ``multipliers[1]`` * P, B otherwise.
        ``"volume_frequency"``: the simplified ABC of the loyalty table [S1]: A buys much and often, B
        buys often but little or rarely but much, C rarely and little (see ``much_value``).
    thresholds : (float, float)
        Cumulative-share thresholds, 0 < first < second <= 1. Default 75 % / 95 %, the methodology's
        rule [S1]; 80 % / 95 % (:data:`PARETO_THRESHOLDS`) is the common alternative.
    multipliers : (float, float)
        The A and C multiples of the average customer for ``method="average_multiple"`` (6 and 1/2) [S1].
    much_value, often_orders : optional
        ``method="volume_frequency"`` only: a customer "buys much" with a value of at least
        ``much_value`` (default: the median value of the customers) and "buys often" with at least
        ``often_orders`` orders (default: the median number of orders, at least 2). The medians are a kit
        convention; the methodology names the two axes but not the cut.
    d_rule : {"auto", "margin", "rare", "none"}
        Group D, the unprofitable tail [S1]. ``"margin"``: customers whose margin is below
        ``d_margin_rate`` of their revenue (negative margin with the default 0). ``"rare"``: C customers who
        buy rarely, at most ``d_max_orders`` orders in the analysed period (the methodology's "C clients
        who buy rarely and on bad terms", where terms are unknown). ``"auto"`` (default): ``"margin"``
        when the data have a margin column, else ``"rare"``. ``"none"``: no D except negative values.
    d_margin_rate : float
        The margin rate (margin / revenue) below which a customer is D under the margin rule (0.0).
    d_max_orders : int
        The most orders of a "rare" C customer (1).
    as_of : date-like, optional
        Analysis date (exclusive); defaults to the day after the last transaction.
    start : date-like, optional
        Only count transactions on or after this day (e.g. :func:`segkit.analysis_window`). Default: all
        history.

    Returns
    -------
    ABCResult
        ``.table_`` (per customer: value, share, cumulative share, class, ``d_reason``), ``.summary_``
        (per class), ``.health_`` (concentration figures and warnings), ``.cutoffs_``, ``.rules_``.

    Notes
    -----
    * **Order and ties.** Customers are sorted by value (largest first), then by ``customer_id``, so
      ``rank`` and ``cumulative_share`` never depend on the input's row order. Classes do not even
      depend on the id tie-break: **equal values always get the same class.**
    * **Boundary rule (cumulative).** The customer whose value makes the cumulative share cross a
      threshold belongs to the *upper* class: with shares 50 %, 25 %, 15 %, 10 % and 80 % / 95 %, the
      second customer (cumulative 50 % -> 75 %) and the third (75 % -> 90 %, crosses 80 %) are A, the
      fourth (90 % -> 100 %, crosses 95 %) is B. A customer whose predecessors already reach exactly
      80 % is B. Tied customers are classed as one block by the cumulative share before the block,
      so a block that straddles a threshold goes to the upper class entirely; in particular when all
      customers have the same value they are all A (no one is more important than another). Thus the
      A share of the value is at least ``thresholds[0]``, and without its last block it is below.
    * **Average multiple.** The comparisons are inclusive as the methodology states them
      (value = 6 P is A, value = P/2 is C). A single customer is B (its value is P). At most
      ``1 / multipliers[0]`` of the customers can be A under this rule, so its health check compares the
      A share with that ceiling rather than with 20-30 %.
    * **Group D.** D customers keep their rank and share; only their class changes, and ``d_reason``
      says why. Customers with a negative value are always D (share 0) and are left out of P.
      Customers with a value of exactly zero count in P.
    * Customers whose only transactions before ``as_of`` are returns have no purchase and are not
      classed (the engine's :func:`segkit.customer_summary` leaves them out).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.Series({"a": 50.0, "b": 25.0, "c": 15.0, "d": 10.0})
    >>> segkit.abc(values, thresholds=(0.8, 0.95)).table_[["value", "share", "cumulative_share", "abc_class"]]
                 value  share  cumulative_share abc_class
    customer_id
    a             50.0   0.50              0.50         A
    b             25.0   0.25              0.75         A
    c             15.0   0.15              0.90         A
    d             10.0   0.10              1.00         B

    The methodology's worked example of the multiple of the average: M = 100 mln rub over N = 250
    clients, so P = 400,000 rub, A from 6 P = 2.4 mln and C up to P / 2 = 200,000:

    >>> sales = pd.Series([2_400_000.0] * 10 + [2_399_999.0] + [200_001.0] + [200_000.0] * 200
    ...                   + [600_000.0] * 37 + [0.0], index=[f"c{i:03d}" for i in range(249)] + ["z"])
    >>> sales["z"] = 100_000_000.0 - sales.drop("z").sum()
    >>> r = segkit.abc(sales, method="average_multiple")
    >>> len(r.table_), float(r.table_["value"].sum()), r.cutoffs_["average"], r.cutoffs_["C_max"]
    (250, 100000000.0, 400000.0, 200000.0)
    >>> r.table_.loc[["c000", "c010", "c011", "c012"], "abc_class"].tolist()
    ['A', 'B', 'B', 'C']

    From transactions, a profit ABC with a loss-making customer:

    >>> df = pd.DataFrame({"customer_id": ["a", "b", "c"], "order_date": ["2024-01-05"] * 3,
    ...                    "amount": [100.0, 80.0, 30.0], "margin": [40.0, -5.0, 10.0]})
    >>> segkit.abc(df, value="margin").table_[["value", "share", "abc_class", "revenue", "d_reason"]]
                 value  share abc_class  revenue                       d_reason
    customer_id
    a             40.0    0.8         A    100.0
    c             10.0    0.2         B     30.0
    b             -5.0    0.0         D     80.0  margin rate -6.2% below 0.0%
    """
    check_choice("value", value, ("revenue", "margin", "quantity"))
    check_choice("method", method, METHODS)
    check_choice("d_rule", d_rule, D_RULES)
    low, high = check_thresholds("thresholds", thresholds)
    m_a, m_c = _check_multipliers(multipliers)
    params = Params(
        value=value,
        method=method,
        thresholds=(low, high),
        multipliers=(m_a, m_c),
        much_value=much_value,
        often_orders=often_orders,
        d_rule=d_rule,
        d_margin_rate=_check_rate(d_margin_rate),
        d_max_orders=_check_count("d_max_orders", d_max_orders, minimum=0),
    )
    if isinstance(data, pd.Series):
        return _abc(customer_values(data, value=value, as_of=as_of, start=start), params)
    snap, start = value_snapshot(data, value=value, as_of=as_of, start=start)
    return cached_abc(snap, params, start=start).detached()


class Params(NamedTuple):
    """The checked parameters of :func:`abc` (hashable: they key the snapshot's cache)."""

    value: str
    method: str
    thresholds: tuple[float, float]
    multipliers: tuple[float, float]
    much_value: float | None
    often_orders: int | None
    d_rule: str
    d_margin_rate: float
    d_max_orders: int


def cached_abc(
    snap: Snapshot, params: Params, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> ABCResult:
    """The ABC of a snapshot over ``[start, end)``, computed once per snapshot while it is in use.

    The same object while it (or a copy of it) is alive; one every caller dropped is computed again.
    """
    if start is not None and end is not None and pd.Timestamp(end) == snap.as_of:
        end = None  # a window ending at the snapshot's date is the snapshot's own end: one result for both
    key = ("abc", params, None if start is None else pd.Timestamp(start), end)
    return snap.shared(
        key,
        lambda: _abc(keyed_values(snap, value=params.value, start=start, end=end), params, ids=snap.ids_of),
    )


def _abc(
    values: pd.DataFrame, params: Params, ids: Callable[[np.ndarray], pd.Index] | None = None
) -> ABCResult:
    """Classes, shares and health figures of per-customer values (numpy over the ranked columns).

    ``ids`` maps engine keys to the ranked index (see :func:`ranked`).
    """
    value, method = params.value, params.method
    (low, high), (m_a, m_c) = params.thresholds, params.multipliers
    frame = ranked(values, ids)
    cents = to_cents(frame["value"].to_numpy())
    cutoffs: dict[str, float] = {}
    if method == "cumulative":
        classes = cumulative_classes(cents, (low, high))
    elif method == "average_multiple":
        classes, average = _average_multiple_classes(cents, m_a, m_c)
        cutoffs = {"average": average, "C_max": round(m_c * average, 2)}
    else:
        classes, cutoffs = _volume_frequency_classes(frame, params.much_value, params.often_orders)
    for cls in ("A", "B"):
        members = frame["value"].to_numpy()[classes == cls]
        cutoffs[f"{cls}_min"] = float(members.min()) if len(members) else float("nan")
    rule = _resolve_d_rule(params.d_rule, frame)
    reason = _d_reasons(frame, classes, rule, params.d_margin_rate, params.d_max_orders)
    classes = np.where(reason != "", "D", classes).astype(object)
    reason = np.where((classes == "D") & (reason == ""), "negative value", reason).astype(object)
    codes = np.zeros(len(classes), dtype=np.int8)
    for code, label in enumerate(ABC_CLASSES[1:], start=1):
        codes[classes == label] = code
    # Shared label objects (one per class), not a text copy per customer.
    frame["abc_class"] = np.asarray(ABC_CLASSES, dtype=object)[codes]
    frame["d_reason"] = reason
    table = _table_columns(frame, value)
    return ABCResult(
        table_=table,
        summary_=_summary(table, codes, include_d=value == "margin" or rule != "none"),
        health_=health_figures(frame, classes, method=method, multipliers=(m_a, m_c)),
        cutoffs_=cutoffs,
        value=value,
        method=method,
        thresholds=(low, high),
        multipliers=(m_a, m_c),
        as_of=values.attrs.get("as_of"),
        start=values.attrs.get("start"),
        d_rule=rule,
        d_margin_rate=params.d_margin_rate,
        d_max_orders=params.d_max_orders,
        _rows=Rows(frame["ckey"].to_numpy(dtype=np.int64) if "ckey" in frame.columns else None, codes),
    )


def abc_rules(result: ABCResult | None = None) -> pd.DataFrame:
    """The ABC rules with their source: the methodology's article or a kit convention.

    Without a result, the default rules; with one, the rules that result applied (its method, thresholds
    and D rule).

    Examples
    --------
    >>> import segkit
    >>> segkit.abc_rules().loc["cumulative thresholds", ["setting", "source"]].tolist()
    ['A up to 75% of the value, B up to 95%', 'methodology [S1]']
    """
    method = result.method if result is not None else "cumulative"
    low, high = result.thresholds if result is not None else METHODOLOGY_THRESHOLDS
    m_a, m_c = result.multipliers if result is not None else (6.0, 0.5)
    rule = result.d_rule if result is not None else "auto"
    rate = result.d_margin_rate if result is not None else 0.0
    orders = result.d_max_orders if result is not None else 1
    rows = [("method", method, "methodology [S1]")]
    if method == "cumulative":
        src = "methodology [S1]" if (low, high) == METHODOLOGY_THRESHOLDS else "user setting"
        if (low, high) == PARETO_THRESHOLDS:
            src = "kit option (common Pareto 80/95)"
        rows.append(("cumulative thresholds", f"A up to {low:.0%} of the value, B up to {high:.0%}", src))
    elif method == "average_multiple":
        src = "methodology [S1]" if (m_a, m_c) == (6.0, 0.5) else "user setting"
        rows.append(("multiples of the average P", f"A >= {m_a:g} P, C <= {m_c:g} P", src))
    else:
        rows.append(("much / often", "value and orders at or above the median", "kit convention"))
        rows.append(("classes", "A much and often; B one of the two; C neither", "methodology [S1]"))
    a_low, a_high = a_share_range(method, (m_a, m_c))
    rows.append(
        (
            "expected share of customers in A",
            f"{_pct(a_low)}-{_pct(a_high)}",
            "methodology [S1]" if method != "average_multiple" else "kit convention from [S1]",
        )
    )
    d_text = {
        "margin": f"margin below {rate:.0%} of revenue",
        "rare": f"class C with at most {orders} order(s) in the period",
        "auto": f"margin below {rate:.0%} of revenue; without margin, C with at most {orders} order(s)",
        "none": "only negative values",
    }[rule]
    rows.append(("group D", d_text, "methodology [S1]; the cut-offs are kit conventions"))
    rows.append(("group D action", D_ACTION, "methodology [S1]"))
    out = pd.DataFrame(rows, columns=["rule", "setting", "source"]).set_index("rule")
    return out


def _pct(share: float) -> str:
    """A share as a short percentage: 20%, 16.7%."""
    return f"{share:.1%}".replace(".0%", "%")


def _check_rate(rate: Any) -> float:
    try:
        value = float(rate)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"d_margin_rate must be a number such as 0.05 (5 %); got {rate!r}.") from exc
    if not -1.0 <= value < 1.0:
        raise ParameterError(
            f"d_margin_rate must be a margin rate between -1 and 1, such as 0.05; got {rate!r}."
        )
    return value


def _check_count(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name} must be a whole number >= {minimum}; got {value!r}.")
    return int(value)


def _resolve_d_rule(d_rule: str, frame: pd.DataFrame) -> str:
    has_margin = "margin" in frame.columns and frame["margin"].notna().all()
    if d_rule == "auto":
        return "margin" if has_margin else ("rare" if "n_orders" in frame.columns else "none")
    if d_rule == "margin" and not has_margin:
        raise ParameterError(
            "d_rule='margin' needs a margin column; read the data with margin= or cost=, or use "
            "d_rule='rare' (C customers who buy rarely) or d_rule='auto'."
        )
    if d_rule == "rare" and "n_orders" not in frame.columns:
        raise ParameterError(
            "d_rule='rare' needs order counts, which a Series of values does not have; pass the transactions."
        )
    return d_rule


def _d_reasons(
    frame: pd.DataFrame, classes: np.ndarray, rule: str, rate: float, max_orders: int
) -> np.ndarray:
    """Why each customer is in D ("" when it is not), by the rule of :func:`abc`."""
    n = len(frame)
    reason = np.full(n, "", dtype=object)
    if rule == "margin":
        margin = frame["margin"].to_numpy(dtype=float)
        revenue = frame["revenue"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mrate = np.where(revenue > 0, margin / revenue, np.where(margin < 0, -np.inf, 0.0))
        below = (mrate < rate - 1e-12) | (margin < 0)
        # Text only for the customers in D: formatting a rate per customer would dominate a large base.
        text = [
            f"margin rate {r:.1%} below {rate:.1%}" if np.isfinite(r) else "negative margin"
            for r in mrate[below]
        ]
        reason[below] = np.asarray(text, dtype=object)
    elif rule == "rare":
        orders = frame["n_orders"].to_numpy()
        rare = (classes == "C") & (orders <= max_orders)
        reason[rare] = f"class C with {max_orders} order(s) or fewer in the period"
    return reason


def _volume_frequency_classes(
    frame: pd.DataFrame, much_value: float | None, often_orders: int | None
) -> tuple[np.ndarray, dict[str, float]]:
    if "n_orders" not in frame.columns:
        raise ParameterError(
            "method='volume_frequency' needs order counts, which a Series of values does not have; pass the "
            "transactions."
        )
    values = frame["value"].to_numpy(dtype=float)
    orders = frame["n_orders"].to_numpy()
    much = float(np.median(values)) if much_value is None else float(much_value)
    often = max(2, int(np.ceil(np.median(orders)))) if often_orders is None else int(often_orders)
    is_much = values >= much
    is_often = orders >= often
    classes = np.where(is_much & is_often, "A", np.where(is_much | is_often, "B", "C")).astype(object)
    classes[values < 0] = "D"
    return classes, {"much_value": round(much, 2), "often_orders": float(often)}


def _check_multipliers(multipliers: Any) -> tuple[float, float]:
    try:
        m_a, m_c = (float(m) for m in multipliers)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"multipliers must be two numbers such as (6.0, 0.5); got {multipliers!r}."
        ) from exc
    if not (0.0 < m_c < m_a and np.isfinite(m_a)):
        raise ParameterError(
            f"multipliers must be (A multiple, C multiple) with A > C > 0, such as (6.0, 0.5); got {multipliers!r}."
        )
    return m_a, m_c


def _average_multiple_classes(cents: np.ndarray, m_a: float, m_c: float) -> tuple[np.ndarray, float]:
    """A/B/C by multiples of P = total / count over the non-negative customers; D below zero."""
    counted = cents >= 0
    n = int(counted.sum())
    total = float(cents[counted].sum())
    # value >= m * P  <=>  value * n >= m * total: no division, so cent values compare exactly.
    scaled = cents * n
    classes = np.where(scaled >= m_a * total, "A", np.where(scaled <= m_c * total, "C", "B")).astype(object)
    classes[~counted] = "D"
    average = round(total / n / 100.0, 2) if n else float("nan")
    return classes, average


def _table_columns(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    columns = ["rank", "value", "share", "cumulative_share", "customer_share", "abc_class"]
    if value != "revenue":
        columns += [c for c in ("revenue",) if c in frame.columns]
    columns += [c for c in ("n_orders",) if c in frame.columns] + ["d_reason"]
    table = frame[columns]
    table.attrs.update(frame.attrs)
    return table


def _summary(table: pd.DataFrame, codes: np.ndarray, *, include_d: bool) -> pd.DataFrame:
    """Per-class counts and shares, counted on the class codes (index into ABC_CLASSES)."""
    n_classes = len(ABC_CLASSES)
    labels = list(ABC_CLASSES if include_d or (codes == n_classes - 1).any() else ABC_CLASSES[:3])
    value = table["value"].to_numpy(dtype=float)
    counts = np.bincount(codes, minlength=n_classes)
    sums = np.bincount(codes, weights=value, minlength=n_classes)
    shares = np.bincount(codes, weights=table["share"].to_numpy(dtype=float), minlength=n_classes)
    lows = [float(value[codes == k].min()) if counts[k] else np.nan for k in range(n_classes)]
    highs = [float(value[codes == k].max()) if counts[k] else np.nan for k in range(n_classes)]
    out = pd.DataFrame(
        {
            "n_customers": counts.astype("int64"),
            "value": sums.round(2),
            "share_value": shares,
            "min_value": lows,
            "max_value": highs,
        },
        index=list(ABC_CLASSES),
    ).reindex(labels)
    out.insert(1, "share_customers", out["n_customers"] / len(table))
    out.index.name = "abc_class"
    return out
