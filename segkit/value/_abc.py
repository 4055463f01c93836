"""ABC analysis of customers: which customers feed the company.

Two methods from the methodology: the cumulative share (Pareto) and the multiple of the average customer.
Both rank one value per customer (net revenue, or margin for a profit ABC) obtained from the engine
layer, so the classes are exact and reproducible; the classification itself is numpy over that vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..io._contract import Transactions
from ._concentration import (
    Concentration,
    check_thresholds,
    cumulative_classes,
    customer_values,
    health_figures,
    ranked,
    to_cents,
)

__all__ = ["ABC_CLASSES", "ABCResult", "abc"]

#: Class labels in order of importance; D exists only for negative values (loss-making customers).
ABC_CLASSES = ("A", "B", "C", "D")
METHODS = ("cumulative", "average_multiple")


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
        ``method="average_multiple"`` also ``average`` (P) and ``C_max`` (P times the lower multiplier).
    value, method, thresholds, multipliers, as_of, start
        The parameters used (``as_of`` resolved to a date).
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


def abc(
    data: Transactions | pd.DataFrame | pd.Series,
    *,
    value: str = "revenue",
    method: str = "cumulative",
    thresholds: tuple[float, float] = (0.80, 0.95),
    multipliers: tuple[float, float] = (6.0, 0.5),
    as_of: Any = None,
    start: Any = None,
) -> ABCResult:
    """ABC analysis: class every customer A, B or C by the value it brings (D: loss-making).

    Parameters
    ----------
    data : Transactions, DataFrame or Series
        Canonical transactions (see :func:`segkit.read_transactions`), or a Series of per-customer
        values indexed by customer id (when the aggregation was done elsewhere).
    value : {"revenue", "margin"}
        ``"revenue"``: net revenue (returns subtracted). ``"margin"``: profit ABC on the margin column
        (read the data with ``margin=`` or ``cost=``); customers with a negative margin get class **D**.
    method : {"cumulative", "average_multiple"}
        ``"cumulative"`` (Pareto): sort customers by value, largest first; A are the customers that
        together make the first ``thresholds[0]`` of the value, B the next ones up to ``thresholds[1]``,
        C the rest. ``"average_multiple"``: with P = total value / number of customers, A if
        value >= ``multipliers[0]`` * P, C if value <= ``multipliers[1]`` * P, B otherwise.
    thresholds : (float, float)
        Cumulative-share thresholds, 0 < first < second <= 1. Default 80 % / 95 %; the methodology
        also uses 75 % / 95 %.
    multipliers : (float, float)
        The A and C multiples of the average customer for ``method="average_multiple"`` (6 and 1/2).
    as_of : date-like, optional
        Analysis date (exclusive); defaults to the day after the last transaction.
    start : date-like, optional
        Only count transactions on or after this day (e.g. the last 12 months). Default: all history.

    Returns
    -------
    ABCResult
        ``.table_`` (per customer: value, share, cumulative share, class), ``.summary_`` (per class),
        ``.health_`` (concentration figures and warnings), ``.cutoffs_``.

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
      (value = 6 P is A, value = P/2 is C). A single customer is B (its value is P).
    * **Profit, zero and negative values.** Shares are shares of the positive part of the total, so
      they add up to 1 and the curve only rises. Customers with a negative value are class D (share 0)
      and are left out of P. Customers with a value of exactly zero are class C (share 0) and count
      in P. With ``value="revenue"`` a negative value only occurs when returns exceed purchases.
    * Customers whose only transactions before ``as_of`` are returns have no purchase and are not
      classed (the engine's :func:`segkit.customer_summary` leaves them out).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.Series({"a": 50.0, "b": 25.0, "c": 15.0, "d": 10.0})
    >>> segkit.abc(values).table_[["value", "share", "cumulative_share", "abc_class"]]
                 value  share  cumulative_share abc_class
    customer_id
    a             50.0   0.50              0.50         A
    b             25.0   0.25              0.75         A
    c             15.0   0.15              0.90         A
    d             10.0   0.10              1.00         B
    >>> segkit.abc(values, method="average_multiple", multipliers=(1.5, 0.5)).table_["abc_class"].tolist()
    ['A', 'B', 'B', 'C']

    From transactions, a profit ABC with a loss-making customer:

    >>> df = pd.DataFrame({"customer_id": ["a", "b", "c"], "order_date": ["2024-01-05"] * 3,
    ...                    "amount": [100.0, 80.0, 30.0], "margin": [40.0, -5.0, 10.0]})
    >>> segkit.abc(df, value="margin").table_[["value", "share", "abc_class", "revenue"]]
                 value  share abc_class  revenue
    customer_id
    a             40.0    0.8         A    100.0
    c             10.0    0.2         B     30.0
    b             -5.0    0.0         D     80.0
    """
    check_choice("value", value, ("revenue", "margin"))
    check_choice("method", method, METHODS)
    low, high = check_thresholds("thresholds", thresholds)
    m_a, m_c = _check_multipliers(multipliers)
    values = customer_values(data, value=value, as_of=as_of, start=start)
    frame = ranked(values)
    cents = to_cents(frame["value"].to_numpy())
    if method == "cumulative":
        classes = cumulative_classes(cents, (low, high))
        cutoffs: dict[str, float] = {}
    else:
        classes, average = _average_multiple_classes(cents, m_a, m_c)
        cutoffs = {"average": average, "C_max": round(m_c * average, 2)}
    frame["abc_class"] = pd.array(classes, dtype="str")
    for cls in ("A", "B"):
        members = frame.loc[frame["abc_class"] == cls, "value"]
        cutoffs[f"{cls}_min"] = float(members.min()) if len(members) else float("nan")
    table = _table_columns(frame, value)
    return ABCResult(
        table_=table,
        summary_=_summary(table, include_d=value == "margin"),
        health_=health_figures(frame, classes),
        cutoffs_=cutoffs,
        value=value,
        method=method,
        thresholds=(low, high),
        multipliers=(m_a, m_c),
        as_of=values.attrs.get("as_of"),
        start=values.attrs.get("start"),
    )


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
    if value == "margin":
        columns += [c for c in ("revenue",) if c in frame.columns]
    table = frame[columns].copy()
    table.attrs.update(frame.attrs)
    return table


def _summary(table: pd.DataFrame, *, include_d: bool) -> pd.DataFrame:
    """Per-class counts and shares; vectorised over the small per-customer table."""
    labels = list(ABC_CLASSES if include_d or (table["abc_class"] == "D").any() else ABC_CLASSES[:3])
    grouped = table.groupby("abc_class")
    out = pd.DataFrame(
        {
            "n_customers": grouped.size(),
            "value": grouped["value"].sum(),
            "share_value": grouped["share"].sum(),
            "min_value": grouped["value"].min(),
            "max_value": grouped["value"].max(),
        }
    ).reindex(labels)
    out["n_customers"] = out["n_customers"].fillna(0).astype("int64")
    out["value"] = out["value"].fillna(0.0).round(2)
    out["share_value"] = out["share_value"].fillna(0.0)
    out.insert(1, "share_customers", out["n_customers"] / len(table))
    out.index.name = "abc_class"
    return out
