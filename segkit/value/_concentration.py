"""How concentrated a customer base is: the Pareto (Lorenz) curve and the health figures built on it.

ABC analysis and the overview report share these, so "how many customers make 80 % of revenue" is
computed once. Everything here works on one number per customer (revenue or margin), obtained from the
engine layer; the curve and the figures are plain numpy over that small vector.

Conventions shared with :func:`segkit.abc`:

* customers are ordered by value, largest first, then by ``customer_id`` so that the order never
  depends on the row order of the input;
* shares are shares of the **positive part** of the value: customers with zero or negative value
  (for example loss-making customers in a profit analysis) get share 0, so the shares of all customers
  add up to exactly 1 and the cumulative curve only rises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, check_choice
from ..engine import Snapshot, period_start, snapshot
from ..io._contract import Transactions, as_transactions

__all__ = ["Concentration", "as_percent", "concentration", "pareto_curve"]

VALUES = ("revenue", "margin", "quantity")

#: The methodology's healthy range for the share of customers in class A [S1].
HEALTHY_A_SHARE = (0.20, 0.30)
#: Above this share of value, losing the single largest customer is a material risk.
TOP1_RISK = 0.10
#: Above this share of value, the ten largest customers carry the business.
TOP10_RISK = 0.50
#: US merger-guidelines convention: HHI above 1,000 is moderately, above 1,800 highly concentrated.
HHI_MODERATE, HHI_HIGH = 1_000.0, 1_800.0


# --------------------------------------------------------------------------------------------------
# one value per customer
# --------------------------------------------------------------------------------------------------


def customer_values(
    data: Transactions | pd.DataFrame | pd.Series,
    *,
    value: str = "revenue",
    as_of: Any = None,
    start: Any = None,
) -> pd.DataFrame:
    """One row per customer with the value to rank (``value``), net ``revenue`` and ``n_orders``.

    ``margin`` and ``quantity`` (units bought) come along when the data have them, and ``ckey`` (the
    engine's compact customer key) for transactions. ``data`` may also be a Series of values indexed by
    customer id (already aggregated elsewhere); ``as_of`` and ``start`` then do not apply.
    ``result.attrs`` holds ``value``, ``as_of`` and ``start``.
    """
    check_choice("value", value, VALUES)
    if isinstance(data, pd.Series):
        return _values_from_series(data, value=value, as_of=as_of, start=start)
    snap, start = value_snapshot(data, value=value, as_of=as_of, start=start)
    return keyed_values(snap, value=value, start=start)


def value_snapshot(data: Any, *, value: str, as_of: Any, start: Any) -> tuple[Snapshot, pd.Timestamp | None]:
    """The snapshot to rank customers on and the window start, with the value checked against the data.

    A snapshot brings its date and window; explicit arguments win. The snapshot returned is the one given
    when its date and window fit (so its cached aggregates serve), else one at ``as_of`` over all history.
    """
    if isinstance(data, Snapshot):
        as_of = data.as_of if as_of is None else as_of
        start = data.start if start is None else start
    tx = transactions_of(data)
    if value in ("margin", "quantity") and not tx.has(value):
        how = (
            "margin='<profit column>' or cost='<cost column>' (margin = amount - cost)"
            if value == "margin"
            else "quantity='<units column>'"
        )
        raise DataContractError(
            f"value={value!r} needs a {value} column, and these transactions have none. Read the data with "
            f"segkit.read_transactions(..., {how}), or use value='revenue'."
        )
    given = data if isinstance(data, Snapshot) else None
    snap = given.at(as_of) if given is not None else snapshot(tx, as_of=as_of)
    if start is not None:
        try:
            start = pd.Timestamp(start)
        except (ValueError, TypeError) as exc:
            raise ParameterError(f"start must be a date such as '2024-01-01'; got {start!r}.") from exc
        if start.normalize() >= snap.as_of:
            raise ParameterError(
                f"start={start.date()} is not before as_of={snap.as_of.date()}; pick an earlier start."
            )
    if snap.start is not None and (start is None or start < snap.start):
        # An explicit start before the snapshot's window needs the history the window leaves out.
        snap = snapshot(tx, as_of=snap.as_of)
    return snap, start


def keyed_values(
    snap: Snapshot, *, value: str, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """:func:`customer_values` of a snapshot: the engine's per-customer totals, sorted by id and key.

    The totals are computed once per snapshot and window (days ``[start, end)``) and shared by every value
    and method ranked over them (an ABC page ranks revenue, units and margin by three methods); each call
    gets a frame of its own.
    """
    first = None if start is None else period_start(pd.Timestamp(start), "day")
    last = None if end is None else period_start(pd.Timestamp(end), "day")
    if first is not None and last == snap.as_of:
        last = None  # the window ends where the snapshot does: the same days, the same sums
    totals = snap.cached(
        ("customer_totals", first, last), lambda: customer_totals(snap, start=first, end=last)
    )
    out = totals.assign(value=totals[value].astype(float))
    as_of = snap.as_of if end is None else end
    out.attrs.update(value=value, as_of=as_of, start=None if start is None else pd.Timestamp(start))
    return out


def customer_totals(
    snap: Snapshot, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per customer with a purchase order: net ``revenue``, ``n_orders``, ``margin`` and ``quantity``.

    One aggregate over the snapshot's order-day table, keyed by the compact customer key. Over the whole
    snapshot (no ``start``) the figures are those of :func:`segkit.customer_summary`; over the days
    ``[start, end)`` (``end`` defaults to the snapshot's date) money is summed per customer and day and
    rounded to cents there, as :func:`segkit.engine.customer_window_totals` does, so a window that ends
    before the snapshot's date needs no snapshot of its own. Returned indexed by ``customer_id`` (sorted),
    with the key in column ``ckey`` (ascending too: keys number the sorted ids).
    """
    od = snap.order_days()
    has = {name: name in od.columns for name in ("margin", "quantity")}
    if start is None and end is None:
        buy = ~od.is_return
        metrics: dict[str, Any] = {
            "revenue": od.amount.sum(),
            "n_orders": od.orders.sum(where=buy).coalesce(0),
        }
        if has["margin"]:
            metrics["margin"] = od.margin.sum()
        if has["quantity"]:
            metrics["quantity"] = od.quantity.sum(where=buy)
        totals = od.group_by("ckey").aggregate(**metrics)
    else:
        if start is not None:
            od = od.filter(od.day >= period_start(pd.Timestamp(start), "day").date())
        if end is not None:
            od = od.filter(od.day < period_start(pd.Timestamp(end), "day").date())
        buy = ~od.is_return
        # Money per customer and day first, rounded to cents there, like the day periods.
        daily_sums: dict[str, Any] = {"revenue": od.amount.sum().round(2)}
        if has["margin"]:
            daily_sums["margin"] = od.margin.sum().round(2)
        if has["quantity"]:
            daily_sums["quantity"] = od.quantity.sum(where=buy)
        daily = od.group_by(["ckey", "day"]).aggregate(n_orders=od.count(where=buy), **daily_sums)
        totals = daily.group_by("ckey").aggregate(
            n_orders=daily.n_orders.sum(), **{name: daily[name].sum() for name in daily_sums}
        )
    totals = totals.filter(totals.n_orders > 0)
    out = snap.customer_frame(totals.mutate(key=totals.ckey))
    columns = ["revenue", "n_orders", *(name for name, present in has.items() if present)]
    out = out.rename(columns={"key": "ckey"})[[*columns, "ckey"]]
    windowed = start is not None or end is not None
    for name in columns:
        numbers = pd.to_numeric(out[name], errors="coerce")
        if name == "n_orders":
            out[name] = numbers.astype("int64")
        elif name != "quantity" or windowed:
            out[name] = numbers.astype(float).round(2)
    out["ckey"] = out["ckey"].astype("int64")
    return out


def _values_from_series(series: pd.Series, *, value: str, as_of: Any, start: Any) -> pd.DataFrame:
    if as_of is not None or start is not None:
        raise ParameterError(
            "as_of and start apply to transactions; a Series of per-customer values is used as it is. "
            "Filter the data before aggregating, or pass the transactions instead."
        )
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataContractError(
            f"The per-customer values must be numbers; got dtype {series.dtype}. Pass a numeric Series "
            "indexed by customer id, or the transactions."
        )
    values = pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index.astype("str"))
    bad = values.isna() | ~np.isfinite(values)
    if bad.any():
        raise DataContractError(
            f"The per-customer values contain {int(bad.sum())} missing or infinite value(s) (customers "
            f"{list(values.index[bad][:5])}). Fill or drop them first."
        )
    if values.index.duplicated().any():
        dups = values.index[values.index.duplicated()].unique()
        raise DataContractError(
            f"The per-customer values have {len(dups)} duplicated customer id(s) (e.g. {list(dups[:5])}); "
            "aggregate to one value per customer first."
        )
    if values.empty:
        raise DataContractError("The per-customer values are empty: there is nothing to rank.")
    out = pd.DataFrame({value: values.round(2)})
    out.index.name = "customer_id"
    if value != "revenue":
        out["revenue"] = np.nan  # unknown: only the ranked value was given
    out["value"] = out[value]
    out.attrs.update(value=value, as_of=None, start=None)
    return out


def transactions_of(data: Any) -> Transactions:
    """The transactions behind ``data``: a snapshot's own, or the data contract's reading of a frame."""
    return data.transactions if isinstance(data, Snapshot) else as_transactions(data)


# --------------------------------------------------------------------------------------------------
# ordering and shares
# --------------------------------------------------------------------------------------------------


def to_cents(values: np.ndarray) -> np.ndarray:
    """Values as whole cents (float64 holding integers): sums and comparisons become exact."""
    return np.round(np.asarray(values, dtype=float) * 100.0)


def ranked(values: pd.DataFrame, ids: Callable[[np.ndarray], pd.Index] | None = None) -> pd.DataFrame:
    """Sort by value (largest first) then customer id, and add rank, shares and customer share.

    ``ids`` maps the engine keys (column ``ckey``) in rank order to the ranked index
    (:meth:`Snapshot.ids_of`, which shares the ids of one order among results); default: the values'
    own index, taken in rank order.
    """
    if "ckey" not in values.columns and not values.index.is_monotonic_increasing:
        values = values.sort_index(kind="mergesort")
    # Engine values arrive sorted by key, which is id order. A stable sort on the value alone keeps the id
    # order within ties: one numeric sort instead of a two-key sort on text ids.
    value = values["value"].to_numpy(dtype=float)
    order = np.argsort(-value, kind="stable")
    cents = to_cents(value[order])
    positive = np.where(cents > 0, cents, 0.0)
    total = positive.sum()
    n = len(order)
    if total <= 0:
        largest = float(value.max()) if n else float("nan")
        raise DataContractError(
            f"No customer has a positive {values.attrs.get('value', 'value')} ({n:,} customers, "
            f"largest value {largest:,.2f}); shares and classes cannot be computed. Check the "
            "sign of the column, the returns policy, or the date window."
        )
    rank = np.arange(1, n + 1, dtype="int64")
    columns: dict[str, Any] = {"rank": rank}
    columns.update({name: values[name].to_numpy()[order] for name in values.columns})
    columns["share"] = positive / total
    # Exact cents sums, so the last customer's cumulative share is exactly 1.
    columns["cumulative_share"] = np.cumsum(positive) / total
    columns["customer_share"] = rank / n
    # One new frame built from the sorted columns: no copy of the input, no per-column inserts.
    if ids is not None and "ckey" in columns:
        index = ids(columns["ckey"])
    else:
        index = values.index.take(order)
    frame = pd.DataFrame(columns, index=index)
    frame.index.name = "customer_id"
    frame.attrs.update(values.attrs)
    return frame


def cumulative_classes(cents: np.ndarray, thresholds: tuple[float, float]) -> np.ndarray:
    """A/B/C/D by cumulative share for values (in cents) sorted largest first.

    A tie group (equal values) is classed as one block by the cumulative share *before* it: the block
    that crosses a threshold belongs to the upper class, so equal values always share a class.
    """
    cents = np.asarray(cents, dtype=float)
    if cents.size == 0:
        return np.array([], dtype=object)
    positive = np.where(cents > 0, cents, 0.0)
    total = positive.sum()
    cum = np.cumsum(positive)
    new_group = np.r_[True, cents[1:] != cents[:-1]]
    group_first = np.flatnonzero(new_group)[np.cumsum(new_group) - 1]
    before = cum[group_first] - positive[group_first]
    # Rounding the products to 1e-6 cent strips binary noise such as 0.8 * 10 = 8.000000000000002.
    cut_a, cut_b = (round(t * total, 6) for t in thresholds)
    classes = np.where(before < cut_a, "A", np.where(before < cut_b, "B", "C")).astype(object)
    classes[cents <= 0] = "C"
    classes[cents < 0] = "D"
    return classes


def check_thresholds(name: str, thresholds: Any, *, upper_inclusive: bool = True) -> tuple[float, float]:
    """Two increasing numbers in (0, 1] (or (0, inf) when ``upper_inclusive`` is False)."""
    try:
        low, high = (float(t) for t in thresholds)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be two numbers such as (0.8, 0.95); got {thresholds!r}.") from exc
    top_ok = high <= 1.0 if upper_inclusive else np.isfinite(high)
    if not (0.0 < low < high and top_ok):
        limit = "0 < first < second <= 1" if upper_inclusive else "0 < first < second"
        raise ParameterError(f"{name} must satisfy {limit}; got {thresholds!r}.")
    return low, high


# --------------------------------------------------------------------------------------------------
# public: the curve
# --------------------------------------------------------------------------------------------------


def pareto_curve(
    data: Transactions | pd.DataFrame | pd.Series,
    *,
    value: str = "revenue",
    as_of: Any = None,
    start: Any = None,
) -> pd.DataFrame:
    """The Pareto curve: customers sorted by value, with their share and the cumulative share.

    Plot ``customer_share`` (x) against ``cumulative_share`` (y) to see how much of the value the top
    x % of customers bring (:func:`segkit.plot_pareto` does it, with the A/B/C bands).

    Parameters
    ----------
    data : Transactions, DataFrame or Series
        Canonical transactions, or a Series of per-customer values indexed by customer id.
    value : {"revenue", "margin"}
        Net revenue (returns subtracted), or margin (needs a margin column, see
        :func:`segkit.read_transactions`).
    as_of : date-like, optional
        Analysis date (exclusive); defaults to the day after the last transaction.
    start : date-like, optional
        Only count transactions on or after this day (for example the last 12 months).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``, sorted by value (largest first), then by customer id so the order
        never depends on the input's row order. Columns: ``rank`` (1 = largest), ``value``, ``share``
        (of the positive part of the total: customers with zero or negative value get 0, so shares add
        up to 1), ``cumulative_share``, ``customer_share`` (``rank / number of customers``), plus
        ``revenue`` (and ``margin``) as aggregated.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({"customer_id": ["a", "b", "c", "a"],
    ...                    "order_date": ["2024-01-05", "2024-01-06", "2024-02-01", "2024-02-03"],
    ...                    "amount": [50.0, 30.0, 20.0, 50.0]})
    >>> segkit.pareto_curve(df)[["rank", "value", "share", "cumulative_share", "customer_share"]]
                 rank  value     share  cumulative_share  customer_share
    customer_id
    a               1  100.0  0.666667          0.666667        0.333333
    b               2   30.0  0.200000          0.866667        0.666667
    c               3   20.0  0.133333          1.000000        1.000000
    """
    values = customer_values(data, value=value, as_of=as_of, start=start)
    frame = ranked(values)
    extra = [c for c in ("revenue", "margin") if c in frame.columns and c != "value"]
    return frame[["rank", "value", "share", "cumulative_share", "customer_share", *extra]]


# --------------------------------------------------------------------------------------------------
# public: the health figures
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concentration:
    """Health figures of a customer base: how much it depends on its largest customers.

    All shares are fractions (0.25 = 25 %) of the positive part of the value (see
    :func:`pareto_curve`).

    Attributes
    ----------
    value : str
        ``"revenue"`` or ``"margin"``.
    n_customers : int
        Customers analysed (including those with zero or negative value).
    total_value : float
        Sum of the positive values.
    share_customers_a : float
        Share of customers in ABC class A. The methodology expects 20-30 % [S1]; below 20 % the company
        depends on a few customers.
    customers_for_50, customers_for_80 : int
        The smallest number of (largest) customers that together make 50 % and 80 % of the value.
    top_loss : dict[int, float]
        Share of the value lost if the top 1, 5, 10 customers left (keys are the counts).
    hhi : float
        Herfindahl-Hirschman index of the customers' value shares on the antitrust scale:
        ``sum((100 * share) ** 2)``, from ~0 (spread) to 10,000 (one customer). Above 1,000 is moderately,
        above 1,800 highly concentrated (the US merger-guidelines bands).
    effective_customers : float
        ``1 / sum(share ** 2)``: the number of equally large customers with the same HHI.
    gini : float
        Gini coefficient of the positive values (0 = all equal, close to 1 = one customer has all).
    method : str
        The ABC method whose class A is measured.
    a_share_range : (float, float)
        The expected share of customers in A *for that method* (see :func:`a_share_range`): 20-30 % for
        the cumulative share and the simplified ABC; for the multiple of the average, from 10 % (the
        methodology's frequent outcome) up to what the rule can produce at most, 1 / (A multiple).
    """

    value: str
    n_customers: int
    total_value: float
    share_customers_a: float
    customers_for_50: int
    customers_for_80: int
    top_loss: dict[int, float] = field(default_factory=dict)
    hhi: float = 0.0
    effective_customers: float = 0.0
    gini: float = 0.0
    method: str = "cumulative"
    a_share_range: tuple[float, float] = HEALTHY_A_SHARE

    @property
    def warnings(self) -> list[str]:
        """Plain-language warnings about risky concentration (empty when there is none).

        The rules: share of customers in A outside :attr:`a_share_range` (20-30 % for the cumulative
        method [S1]); the largest customer above 10 % of the value; the
        top 10 above 50 % (when there are more than 10 customers); HHI above 1,000 (moderate) or 1,800
        (high).
        """
        what = self.value
        out: list[str] = []
        low, high = self.a_share_range
        expected = f"{low:.0%}-{high:.0%}".replace("%-", "-") + (
            f", the most this rule can give is {high:.1%}" if self.method == "average_multiple" else ""
        )
        if self.share_customers_a < low:
            out.append(
                f"Only {self.share_customers_a:.1%} of customers are in class A (expected for the {self.method} "
                f"method: {expected}): the business depends on a few customers. Losing one of them hurts; "
                "grow class B to spread the risk."
            )
        # With three customers one A is already 33 %: the upper check needs a base where 30 % is someone.
        elif self.share_customers_a > high + 1e-12 and self.n_customers * high >= 1:
            out.append(
                f"{self.share_customers_a:.1%} of customers are in class A (expected for the {self.method} "
                f"method: {expected}): the revenue is spread thinly and A does not single out key accounts. "
                "Check the thresholds, or work with A as a broad core."
            )
        top1 = self.top_loss.get(1)
        if top1 is not None and top1 > TOP1_RISK:
            out.append(
                f"The largest customer alone brings {top1:.1%} of the {what}: if it left, the company would "
                "lose that much. Give it key-account care and look for a replacement pipeline."
            )
        top10 = self.top_loss.get(10)
        # With ten customers or fewer "the top 10" is everyone: no information, no warning.
        if top10 is not None and top10 > TOP10_RISK and self.n_customers > 10:
            out.append(f"The ten largest customers bring {top10:.1%} of the {what}: more than half.")
        if self.hhi > HHI_HIGH:
            out.append(f"HHI is {self.hhi:,.0f} (above {HHI_HIGH:,.0f}): the {what} is highly concentrated.")
        elif self.hhi > HHI_MODERATE:
            out.append(
                f"HHI is {self.hhi:,.0f} (above {HHI_MODERATE:,.0f}): the {what} is moderately concentrated."
            )
        return out

    @property
    def risky(self) -> bool:
        """True when any of the :attr:`warnings` applies."""
        return bool(self.warnings)

    def messages(self) -> list[str]:
        """The warnings, or one sentence saying the concentration looks healthy."""
        if self.risky:
            return self.warnings
        return [
            f"No concentration risk: {self.share_customers_a:.1%} of customers are in class A, "
            f"{self.customers_for_80:,} customers make 80 % of the {self.value}, and the largest one brings "
            f"{self.top_loss.get(1, 0.0):.1%}."
        ]

    def report(self) -> str:
        """The :meth:`messages` as one text: a "WARNING" heading and bullets when risky, else one line.

        Examples
        --------
        >>> import pandas as pd, segkit
        >>> print(segkit.concentration(pd.Series({"a": 90.0, "b": 5.0, "c": 5.0})).report())
        WARNING - concentration risk:
        - The largest customer alone brings 90.0% of the revenue: if it left, the company would lose that much. ...
        - HHI is 8,150 (above 1,800): the revenue is highly concentrated.
        """
        if not self.risky:
            return self.messages()[0]
        return "WARNING - concentration risk:\n" + "\n".join(f"- {line}" for line in self.warnings)

    def to_frame(self) -> pd.DataFrame:
        """The figures as a two-column table (``measure``, ``value``), formatted for reading."""
        n = max(self.n_customers, 1)
        rows: list[tuple[str, str]] = [
            ("customers", f"{self.n_customers:,}"),
            (f"total {self.value} (positive part)", f"{self.total_value:,.2f}"),
            (
                f"share of customers in class A (expected for {self.method}: "
                f"{self.a_share_range[0]:.1%}-{self.a_share_range[1]:.1%})".replace(".0%", "%"),
                f"{self.share_customers_a:.1%}",
            ),
            (
                f"customers making 50 % of {self.value}",
                f"{self.customers_for_50:,} ({self.customers_for_50 / n:.1%})",
            ),
            (
                f"customers making 80 % of {self.value}",
                f"{self.customers_for_80:,} ({self.customers_for_80 / n:.1%})",
            ),
        ]
        rows += [(f"{self.value} lost if the top {k} left", f"{v:.1%}") for k, v in self.top_loss.items()]
        rows += [
            ("HHI (0-10,000; >1,000 moderate, >1,800 high)", f"{self.hhi:,.1f}"),
            ("effective number of customers (1 / HHI share)", f"{self.effective_customers:,.1f}"),
            ("Gini coefficient", f"{self.gini:.3f}"),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def to_dict(self) -> dict[str, Any]:
        """The figures as a JSON-serialisable dictionary."""
        return {
            "value": self.value,
            "n_customers": self.n_customers,
            "total_value": self.total_value,
            "share_customers_a": self.share_customers_a,
            "customers_for_50": self.customers_for_50,
            "customers_for_80": self.customers_for_80,
            "top_loss": {str(k): v for k, v in self.top_loss.items()},
            "hhi": self.hhi,
            "effective_customers": self.effective_customers,
            "gini": self.gini,
            "warnings": self.warnings,
        }

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def a_share_range(
    method: str = "cumulative", multipliers: tuple[float, float] = (6.0, 0.5)
) -> tuple[float, float]:
    """The share of customers in A to expect from an ABC ``method``.

    The methodology's 20-30 % [S1] for the cumulative share (and the simplified ABC). The multiple of the
    average cannot reach it: customers at or above ``m`` times the average can be at most ``1 / m`` of all
    (6 P each would otherwise exceed the total), so for that rule the range runs from 10 % (the
    methodology's frequent outcome, "often about 10 % A") to ``1 / m`` (a kit convention built from both).

    Examples
    --------
    >>> from segkit.value._concentration import a_share_range
    >>> a_share_range("cumulative"), tuple(round(x, 3) for x in a_share_range("average_multiple"))
    ((0.2, 0.3), (0.1, 0.167))
    """
    if method == "average_multiple":
        return (0.10, 1.0 / float(multipliers[0]))
    return HEALTHY_A_SHARE


def health_figures(
    frame: pd.DataFrame,
    classes: np.ndarray,
    *,
    top: tuple[int, ...] = (1, 5, 10),
    method: str = "cumulative",
    multipliers: tuple[float, float] = (6.0, 0.5),
) -> Concentration:
    """Concentration figures of a :func:`ranked` frame whose ABC classes are ``classes``."""
    share = frame["share"].to_numpy()
    cum = frame["cumulative_share"].to_numpy()
    n = len(frame)
    cents = to_cents(frame["value"].to_numpy())
    # Ascending, for the Gini formula: a ranked frame is sorted largest first, so reversing it is the sort.
    positive = np.where(cents > 0, cents, 0.0)[::-1]
    if positive.size > 1 and bool((positive[1:] < positive[:-1]).any()):
        positive = np.sort(positive)
    total = positive.sum()
    # Gini from the Lorenz curve over all customers: 1 - 2 * area under it (trapezoids).
    lorenz = np.r_[0.0, np.cumsum(positive) / total]
    gini = float(1.0 - (lorenz[1:] + lorenz[:-1]).sum() / n) if n else 0.0
    return Concentration(
        value=str(frame.attrs.get("value", "revenue")),
        n_customers=n,
        total_value=round(float(total) / 100.0, 2),
        share_customers_a=float(np.mean(classes == "A")) if n else 0.0,
        customers_for_50=_customers_for(cum, 0.5),
        customers_for_80=_customers_for(cum, 0.8),
        top_loss={k: float(cum[min(k, n) - 1]) for k in top},
        hhi=float(np.sum((100.0 * share) ** 2)),
        effective_customers=float(1.0 / np.sum(share**2)),
        gini=max(gini, 0.0),
        method=method,
        a_share_range=a_share_range(method, multipliers),
    )


def _customers_for(cum: np.ndarray, level: float) -> int:
    # The tolerance keeps a cumulative share of 0.8 computed as 0.7999999999999999 from missing 80 %.
    return int(np.searchsorted(cum, level - 1e-12, side="left") + 1)


def concentration(
    data: Transactions | pd.DataFrame | pd.Series,
    *,
    value: str = "revenue",
    as_of: Any = None,
    start: Any = None,
    thresholds: tuple[float, float] = (0.75, 0.95),
    top: tuple[int, ...] = (1, 5, 10),
) -> Concentration:
    """Health figures: how much the company depends on its largest customers.

    Parameters
    ----------
    data : Transactions, DataFrame or Series
        Canonical transactions, or a Series of per-customer values indexed by customer id.
    value : {"revenue", "margin"}
        What to measure (see :func:`pareto_curve`).
    as_of, start : date-like, optional
        The analysis window ``[start, as_of)``; by default everything before the day after the last
        transaction.
    thresholds : (float, float)
        Cumulative-share ABC thresholds used for the share of customers in class A (the methodology's
        75 % / 95 % [S1]). :func:`segkit.abc`
        computes the same figures with whatever method and thresholds it was given (``.health_``).
    top : tuple of int
        The "what if the top k left" sizes.

    Returns
    -------
    Concentration
        The figures, with ``.warnings`` (plain-language risks), ``.messages()``, ``.to_frame()``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.Series({"a": 60.0, "b": 20.0, "c": 10.0, "d": 10.0})
    >>> c = segkit.concentration(values)
    >>> c.share_customers_a, c.customers_for_50, c.customers_for_80, c.top_loss
    (0.5, 1, 2, {1: 0.6, 5: 1.0, 10: 1.0})
    >>> round(c.hhi), round(c.effective_customers, 2)
    (4200, 2.38)
    """
    low, high = check_thresholds("thresholds", thresholds)
    sizes = _check_top(top)
    frame = ranked(customer_values(data, value=value, as_of=as_of, start=start))
    classes = cumulative_classes(to_cents(frame["value"].to_numpy()), (low, high))
    return health_figures(frame, classes, top=sizes)


def _check_top(top: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(int(k) for k in top)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"top must be whole numbers such as (1, 5, 10); got {top!r}.") from exc
    if not sizes or min(sizes) < 1 or any(int(k) != k for k in top):
        raise ParameterError(f"top must be positive whole numbers such as (1, 5, 10); got {top!r}.")
    return sizes


def as_percent(frame: pd.DataFrame, columns: Any = None, *, decimals: int = 2) -> pd.DataFrame:
    """A copy of ``frame`` with share columns (fractions) shown as percentages, for reading.

    Parameters
    ----------
    frame : pandas.DataFrame
        A result table, e.g. ``segkit.abc(...).summary_``.
    columns : list of str, optional
        The columns to convert; default every column whose name contains ``"share"``.
    decimals : int
        Rounding of the percentages.

    Returns
    -------
    pandas.DataFrame
        The converted columns are multiplied by 100, rounded and renamed ``"<name> %"``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> segkit.as_percent(pd.DataFrame({"n": [3, 1], "share": [0.75, 0.25]}))
       n  share %
    0  3     75.0
    1  1     25.0
    """
    chosen = [c for c in frame.columns if "share" in str(c)] if columns is None else list(columns)
    missing = [c for c in chosen if c not in frame.columns]
    if missing:
        raise ParameterError(f"columns {missing} are not in the table (it has {list(frame.columns)}).")
    out = frame.copy()
    for col in chosen:
        out[col] = (out[col].astype(float) * 100.0).round(decimals)
    return out.rename(columns={c: f"{c} %" for c in chosen})
