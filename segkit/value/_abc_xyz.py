"""The ABC-XYZ matrix: importance (ABC) crossed with regularity (XYZ), with a strategy for each cell.

Both axes are computed by :func:`segkit.abc` and :func:`segkit.xyz` over the same window by default, so
the matrix describes one year (or whatever window) of the business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import Snapshot, snapshot
from ..io._contract import Transactions
from ._abc import (
    ABC_CLASSES,
    D_ACTION,
    D_RULES,
    METHODOLOGY_THRESHOLDS,
    METHODS,
    ABCResult,
    Params,
    _check_multipliers,
    _check_rate,
    cached_abc,
)
from ._concentration import check_thresholds, value_snapshot
from ._xyz import XYZ_CLASSES, XYZResult, _unwindowed, cached_xyz, xyz_params

__all__ = ["ABCXYZResult", "abc_xyz", "default_strategies"]

#: The ranked values besides revenue, each summed per cell under its own name (money or units).
_RANKED = ("margin", "quantity")
#: The nine cells, in reading order (rows A, B, C; columns X, Y, Z).
CELLS = tuple(a + x for a in "ABC" for x in "XYZ")
#: Customers outside the nine cells: the unprofitable tail, too new to judge, no net sales, or idle.
OTHER_KEYS = ("D", "short history", "no sales", "inactive")

_S0_S1 = "methodology [S0, S1]"
_KIT = "kit convention"
# (strategy, source): the methodology gives AX/AY (retention, keep and develop), AZ (less valuable, rare),
# moving Y and Z toward X, bonuses by class and importance, and group D; the rest are kit conventions.
_DEFAULT_STRATEGIES = {
    "AX": (
        "Retain and develop: key-account care (a personal manager), bonuses tied to their importance.",
        _S0_S1,
    ),
    "AY": (
        "Retain and develop: key-account care, bonuses tied to importance; make buying regular to move them "
        "toward X.",
        _S0_S1,
    ),
    "AZ": (
        "Stabilise: rare, possibly one-off large purchases; find out why, agree a schedule or contract; move "
        "toward X.",
        _S0_S1,
    ),
    "BX": ("Grow the cheque: cross-sell and up-sell; they already buy steadily (move them toward A).", _KIT),
    "BY": (
        "Grow the cheque (cross-sell, up-sell) and move them toward X with reminders and standing orders.",
        _S0_S1,
    ),
    "BZ": ("Move them toward X (reminders, scheduled offers, subscriptions), then grow the cheque.", _S0_S1),
    "CX": (
        "Serve efficiently: standard terms and automated service; research whether they could buy more.",
        _KIT,
    ),
    "CY": ("Serve efficiently: automated reminders and standard offers; keep the cost to serve low.", _KIT),
    "CZ": ("Cut the cost to serve or change terms: minimum order, prepayment, self-service channels.", _KIT),
    "D": (D_ACTION, "methodology [S1]"),
    "short history": (
        "Too new to judge regularity: onboard and nurture, reassess once the history is long enough.",
        _KIT,
    ),
    "no sales": (
        "Returns cancel the purchases in the window: check the returns and the reason behind them.",
        _KIT,
    ),
    "inactive": ("No purchase in the XYZ window: a reactivation candidate (see the churn report).", _KIT),
}


def default_strategies() -> pd.DataFrame:
    """The strategy for each ABC-XYZ cell, as an editable table with the ``source`` of each.

    Rows are the nine cells (AX ... CZ) and the groups outside the matrix: ``D`` (the unprofitable tail),
    ``short history``, ``no sales`` and ``inactive``. ``source`` names the methodology's article ([S0] on
    the ABC-XYZ matrix, [S1] on ABC and XYZ) or says "kit convention". Edit the ``strategy`` column and
    pass the table (or a ``{cell: text}`` dict) to :func:`segkit.abc_xyz` as ``strategies=``.

    Examples
    --------
    >>> import segkit
    >>> table = segkit.default_strategies()
    >>> table.loc["CZ", ["strategy", "source"]].tolist()
    ['Cut the cost to serve or change terms: minimum order, prepayment, self-service channels.', 'kit convention']
    >>> list(table.index[:3]), len(table), table.loc["AX", "source"]
    (['AX', 'AY', 'AZ'], 13, 'methodology [S0, S1]')
    """
    table = pd.DataFrame(
        {
            "strategy": pd.Series({k: v[0] for k, v in _DEFAULT_STRATEGIES.items()}, dtype="str"),
            "source": pd.Series({k: v[1] for k, v in _DEFAULT_STRATEGIES.items()}, dtype="str"),
        }
    )
    table.index.name = "cell"
    return table


def _resolve_strategies(strategies: Mapping[str, str] | pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """The strategy text and its source per cell; a cell the user rewrote has the source "user"."""
    defaults = default_strategies()
    table = defaults["strategy"].copy()
    sources = defaults["source"].copy()
    if strategies is None:
        return table, sources
    if isinstance(strategies, pd.DataFrame):
        if "strategy" not in strategies.columns:
            raise ParameterError(
                f"strategies must have a 'strategy' column (it has {list(strategies.columns)}); start from "
                "segkit.default_strategies()."
            )
        frame = strategies.set_index("cell") if "cell" in strategies.columns else strategies
        given = dict(zip(frame.index.astype(str), frame["strategy"], strict=True))
    elif isinstance(strategies, Mapping):
        given = {str(k): v for k, v in strategies.items()}
    else:
        raise ParameterError(
            f"strategies must be a dict {{cell: text}} or a DataFrame like segkit.default_strategies(); "
            f"got {type(strategies).__name__}."
        )
    unknown = sorted(set(given) - set(table.index))
    if unknown:
        raise ParameterError(f"strategies has unknown cell(s) {unknown}; the cells are {list(table.index)}.")
    for cell, text in given.items():
        text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
        if text != table[cell]:
            table[cell] = text
            sources[cell] = "user"
    return table, sources


@dataclass
class ABCXYZResult:
    """The outcome of :func:`segkit.abc_xyz`.

    Attributes
    ----------
    table_ : pandas.DataFrame
        One row per customer (ABC order): ``abc_class``, ``xyz_class``, ``cell`` (``"AX"`` ... ``"CZ"``, or
        the group outside the matrix: ``"D"``, ``"short history"``, ``"no sales"``, ``"inactive"``),
        ``value``, ``revenue``, ``regularity``, ``cv``, ``strategy``.
    matrix_ : pandas.DataFrame
        One row per cell: the nine cells always (empty ones with zeros), then the non-empty groups outside
        the matrix, split by ABC class (``cell`` like ``"A / short history"``; ``D`` is one row).
        Columns: ``cell``, ``abc_class``, ``xyz_class``, ``in_matrix``, ``n_customers``,
        ``share_customers`` (of all customers analysed), ``revenue``, ``share_revenue`` (of the net total,
        so all rows add up to 1), ``margin`` / ``share_margin`` for a profit ABC (``value="margin"``),
        ``quantity`` / ``share_quantity`` (units bought in the ABC window, and their share) for an ABC in
        units (``value="quantity"``), ``strategy`` and its ``source``.
    strategies_ : pandas.Series
        The strategy text used for each cell and group (defaults overridden by ``strategies=``).
    sources_ : pandas.Series
        Where each strategy comes from: the methodology's article, "kit convention", or "user".
    abc_, xyz_ : ABCResult, XYZResult
        The two analyses the matrix combines.
    """

    table_: pd.DataFrame
    matrix_: pd.DataFrame
    strategies_: pd.Series
    sources_: pd.Series
    abc_: ABCResult
    xyz_: XYZResult

    def grid(self, by: str = "count") -> pd.DataFrame:
        """The 3 x 3 matrix (rows A, B, C; columns X, Y, Z) of customer counts, revenue or margin.

        ``by`` is ``"count"``, ``"share_customers"``, ``"revenue"``, ``"share_revenue"`` (and ``"margin"``,
        ``"share_margin"`` for a profit ABC, ``"quantity"``, ``"share_quantity"`` for an ABC in units).
        """
        column = "n_customers" if by == "count" else by
        allowed = ["count"] + [
            c for c in self.matrix_.columns if c.startswith("share_") or c in ("revenue", *_RANKED)
        ]
        check_choice("by", by, allowed)
        cells = self.matrix_.loc[self.matrix_["in_matrix"]]
        out = cells.pivot(index="abc_class", columns="xyz_class", values=column)
        return out.reindex(index=list("ABC"), columns=list("XYZ"))

    def customers(self, cell: str) -> pd.Index:
        """The ids of the customers in ``cell`` (``"AX"``, ..., or ``"D"``, ``"short history"``, ...)."""
        check_choice("cell", cell, (*CELLS, *OTHER_KEYS))
        return self.table_.index[self.table_["cell"] == cell]

    def __repr__(self) -> str:
        inside = int(self.table_["cell"].isin(CELLS).sum())
        return f"ABCXYZResult({len(self.table_):,} customers, {inside:,} in the nine cells)"

    def _repr_html_(self) -> str:
        return self.matrix_.to_html(index=False)


def abc_xyz(
    data: Transactions | pd.DataFrame | Snapshot,
    *,
    value: str = "revenue",
    method: str = "cumulative",
    abc_thresholds: tuple[float, float] = METHODOLOGY_THRESHOLDS,
    multipliers: tuple[float, float] = (6.0, 0.5),
    d_rule: str = "auto",
    d_margin_rate: float = 0.0,
    xyz_method: str = "frequency",
    period: str = "month",
    n_periods: int = 12,
    measure: str = "revenue",
    xyz_thresholds: tuple[float, float] | None = None,
    count_from: str = "first_purchase",
    min_periods: int | None = None,
    ddof: int = 0,
    abc_window: str = "xyz",
    strategies: Mapping[str, str] | pd.DataFrame | None = None,
    as_of: Any = None,
) -> ABCXYZResult:
    """The ABC-XYZ matrix: every customer's importance and regularity, and what to do with each cell.

    Parameters
    ----------
    data : Transactions, DataFrame or Snapshot
        Canonical transactions, or a :func:`segkit.snapshot` without a window (its date applies).
    value, method, abc_thresholds, multipliers, d_rule, d_margin_rate
        The ABC axis and group D; see :func:`segkit.abc` (``abc_thresholds`` is its ``thresholds``).
    xyz_method, period, n_periods, measure, xyz_thresholds, count_from, min_periods, ddof
        The XYZ axis; see :func:`segkit.xyz` (``xyz_method`` is its ``method``, ``xyz_thresholds`` its
        ``thresholds``; regularity by purchase frequency by default).
    abc_window : {"xyz", "all"}
        ``"xyz"`` (default): ABC over the same complete periods as XYZ, so both axes describe the same
        time span. ``"all"``: ABC over all history before ``as_of``; customers without a purchase in the
        XYZ window are then ``"inactive"``.
    strategies : dict or DataFrame, optional
        Replaces the default strategy of the given cells: ``{"CZ": "...", ...}`` or an edited
        :func:`segkit.default_strategies` table. Cells not given keep the default.
    as_of : date-like, optional
        Analysis date; defaults to the day after the last transaction.

    Returns
    -------
    ABCXYZResult
        ``.matrix_`` (per cell: customers, shares, revenue, strategy), ``.table_`` (per customer),
        ``.grid(by=...)`` (the 3 x 3 view), ``.abc_`` and ``.xyz_``.

    Notes
    -----
    Default strategies (:func:`segkit.default_strategies`, each with its source) follow the methodology:
    AX/AY retain and develop (key-account care, bonuses tied to importance), AZ stabilise, Y/Z customers
    are moved toward X, D gets new terms or a minimum order. Customers outside the nine cells are counted
    in extra rows, never dropped: the unprofitable tail (``D``), ``short history``, ``no sales`` and
    ``inactive``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> months = pd.date_range("2024-01-01", periods=6, freq="MS") + pd.Timedelta(days=4)
    >>> df = pd.DataFrame({
    ...     "customer_id": ["big"] * 6 + ["small"] * 6 + ["lumpy"],
    ...     "order_date": list(months) * 2 + [months[2]],
    ...     "amount": [900.0] * 6 + [10.0, 30.0, 10.0, 30.0, 10.0, 30.0] + [400.0],
    ... })
    >>> m = segkit.abc_xyz(df, n_periods=6, as_of="2024-07-01", d_rule="none")
    >>> m.table_[["abc_class", "xyz_class", "cell"]]
                abc_class xyz_class cell
    customer_id
    big                 A         X   AX
    lumpy               B         Z   BZ
    small               C         X   CX
    >>> m.grid()
    xyz_class  X  Y  Z
    abc_class
    A          1  0  0
    B          0  0  1
    C          1  0  0
    """
    check_choice("abc_window", abc_window, ("xyz", "all"))
    check_choice("value", value, ("revenue", "margin", "quantity"))
    check_choice("method", method, METHODS)
    check_choice("d_rule", d_rule, D_RULES)
    abc_params = Params(
        value=value,
        method=method,
        thresholds=check_thresholds("abc_thresholds", abc_thresholds),
        multipliers=_check_multipliers(multipliers),
        much_value=None,
        often_orders=None,
        d_rule=d_rule,
        d_margin_rate=_check_rate(d_margin_rate),
        d_max_orders=1,
    )
    params = xyz_params(xyz_method, period, n_periods, measure, xyz_thresholds, count_from, min_periods, ddof)
    strategy, sources = _resolve_strategies(strategies)
    tx = _unwindowed(data)
    if isinstance(data, Snapshot) and as_of is None:
        as_of = data.as_of
    snap = snapshot(data if isinstance(data, Snapshot) else tx, as_of=as_of)
    value_snapshot(snap, value=value, as_of=None, start=None)  # the value's column must exist
    # Both axes come from the snapshot's cache: the XYZ and ABC pages of the same report computed them.
    xyz_result = cached_xyz(snap, *params)
    start, end = xyz_result.window_
    window = {"start": start, "end": end} if abc_window == "xyz" else {}
    abc_result = cached_abc(snap, abc_params, **window)
    table, abc_codes, xyz_codes = _customer_table(abc_result, xyz_result, strategy)
    matrix = _matrix(table, strategy, value=value, abc_codes=abc_codes, xyz_codes=xyz_codes)
    matrix["source"] = _matrix_keys(matrix).map(sources).astype("str")
    return ABCXYZResult(
        table_=table,
        matrix_=matrix,
        strategies_=strategy,
        sources_=sources,
        # The two results stay in the snapshot's cache for the next call: the caller gets copies.
        abc_=abc_result.detached(),
        xyz_=xyz_result.detached(),
    )


#: The XYZ labels of the matrix table: the XYZ classes, then "inactive" (no purchase in the XYZ window).
_XYZ_LABELS = (*XYZ_CLASSES, "inactive")
_INACTIVE = len(XYZ_CLASSES)
_D = ABC_CLASSES.index("D")


def _positions(abc_result: ABCResult, xyz_result: XYZResult) -> np.ndarray:
    """Each ABC customer's row in the XYZ table, -1 when it is not there (one search on integer keys)."""
    akeys = None if abc_result._rows is None else abc_result._rows.keys
    xkeys = None if xyz_result._rows is None else xyz_result._rows.keys
    if akeys is None or xkeys is None:
        return xyz_result.table_.index.get_indexer(abc_result.table_.index)
    if not len(xkeys):
        return np.full(len(akeys), -1, dtype=np.int64)
    at = np.searchsorted(xkeys, akeys).clip(max=len(xkeys) - 1)
    return np.where(xkeys[at] == akeys, at, -1)


def _cell_codes(abc_codes: np.ndarray, xyz_codes: np.ndarray) -> np.ndarray:
    """Cell codes: 0-8 the nine cells (AX ... CZ), then ``9 + k`` for ``_OTHER_CELLS[k]``."""
    plain = (abc_codes < _D) & (xyz_codes < 3)
    other = np.select(
        [abc_codes == _D, xyz_codes == XYZ_CLASSES.index("short history"), xyz_codes == _INACTIVE],
        [0, 1, 3],
        default=2,
    )
    return np.where(plain, abc_codes.astype(np.int64) * 3 + xyz_codes, 9 + other)


#: Cells outside the matrix in the order of the cell codes: D, short history, no sales, inactive.
_OTHER_CELLS = ("D", "short history", "no sales", "inactive")


def _customer_table(
    abc_result: ABCResult, xyz_result: XYZResult, strategy: pd.Series
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The per-customer table (ABC order) and each row's ABC and XYZ codes (``_XYZ_LABELS`` for XYZ)."""
    abc_table = abc_result.table_
    at = _positions(abc_result, xyz_result)
    found = at >= 0
    safe = np.where(found, at, 0)
    xyz_table = xyz_result.table_
    if abc_result._rows is not None and xyz_result._rows is not None:
        abc_codes, xyz_all = abc_result._rows.codes, xyz_result._rows.codes
    else:
        abc_codes = _codes_of(abc_table["abc_class"], ABC_CLASSES)
        xyz_all = _codes_of(xyz_table["xyz_class"], XYZ_CLASSES)
    xyz_codes = np.where(found, xyz_all[safe] if len(xyz_all) else 0, _INACTIVE).astype(np.int64)

    def column(name: str) -> np.ndarray:
        values = xyz_table[name].to_numpy(dtype=float)
        return np.where(found, values[safe] if len(values) else np.nan, np.nan)

    cells = _cell_codes(abc_codes, xyz_codes)
    cell_labels = np.asarray([a + x for a in "ABC" for x in "XYZ"] + list(_OTHER_CELLS), dtype=object)
    texts = np.asarray([strategy.get(label) for label in cell_labels], dtype=object)
    revenue = abc_table["revenue"] if "revenue" in abc_table else abc_table["value"]
    # One frame from numpy columns: labels are shared objects taken by code, nothing is aligned on ids.
    table = pd.DataFrame(
        {
            "abc_class": abc_table["abc_class"].to_numpy(),
            "xyz_class": np.asarray(_XYZ_LABELS, dtype=object)[xyz_codes],
            "cell": cell_labels[cells],
            "value": abc_table["value"].to_numpy(),
            "revenue": revenue.to_numpy(),
            "regularity": column("regularity"),
            "cv": column("cv"),
            "strategy": texts[cells],
        },
        index=abc_table.index,
    )
    table.attrs.update(abc_table.attrs)
    return table, abc_codes.astype(np.int64), xyz_codes


def _codes_of(labels: pd.Series, vocabulary: tuple[str, ...]) -> np.ndarray:
    values = labels.to_numpy(dtype=object)
    codes = np.zeros(len(values), dtype=np.int8)
    for code, label in enumerate(vocabulary):
        codes[values == label] = code
    return codes


def _matrix(
    table: pd.DataFrame, strategy: pd.Series, *, value: str, abc_codes: np.ndarray, xyz_codes: np.ndarray
) -> pd.DataFrame:
    """Counts and sums per cell and group, by counting integer group codes (no groupby on labels)."""
    # Rows outside the nine cells keep their ABC class, except D which is one group whatever its XYZ.
    width = len(_XYZ_LABELS) + 1  # the XYZ labels, then "any" for D
    groups = abc_codes * width + np.where(abc_codes == _D, width - 1, xyz_codes)
    size = len(ABC_CLASSES) * width
    # The ranked value beside the revenue, under its own name: margin in money, quantity in units.
    sums = {"revenue": "revenue"} if value == "revenue" else {"revenue": "revenue", value: "value"}
    counts = np.bincount(groups, minlength=size)
    totals = {
        name: np.bincount(groups, weights=table[col].to_numpy(dtype=float), minlength=size)
        for name, col in sums.items()
    }
    xyz_names = (*_XYZ_LABELS, "any")
    cells = [a * width + x for a in range(3) for x in range(3)]
    others = [g for g in range(size) if counts[g] and g not in cells]
    order = cells + sorted(others, key=lambda g: (g // width, _other_rank(xyz_names[g % width])))
    out = pd.DataFrame(
        {
            "abc_class": [ABC_CLASSES[g // width] for g in order],
            "xyz_class": [xyz_names[g % width] for g in order],
            "n_customers": counts[order].astype("int64"),
            **{name: sums_[order] for name, sums_ in totals.items()},
        }
    )
    out["in_matrix"] = out["abc_class"].isin(list("ABC")) & out["xyz_class"].isin(list("XYZ"))
    out["cell"] = np.where(
        out["in_matrix"],
        out["abc_class"] + out["xyz_class"],
        np.where(out["abc_class"] == "D", "D", out["abc_class"] + " / " + out["xyz_class"]),
    )
    out["strategy"] = _matrix_keys(out).map(strategy).astype("str")
    out["share_customers"] = out["n_customers"] / max(len(table), 1)
    columns = ["cell", "abc_class", "xyz_class", "in_matrix", "n_customers", "share_customers"]
    for name in sums:
        total = float(table[sums[name]].sum())
        out[name] = out[name].astype(float).round(2)
        out[f"share_{name}"] = out[name] / total if total > 0 else np.nan
        columns += [name, f"share_{name}"]
    return out[[*columns, "strategy"]]


def _matrix_keys(matrix: pd.DataFrame) -> pd.Series:
    """The strategy key of each matrix row: the cell, ``D``, or the group outside the matrix."""
    key = np.where(
        matrix["in_matrix"], matrix["cell"], np.where(matrix["abc_class"] == "D", "D", matrix["xyz_class"])
    )
    return pd.Series(key, index=matrix.index)


def _other_rank(xyz_class: str) -> int:
    order = ("short history", "no sales", "inactive", "any")
    return order.index(xyz_class) if xyz_class in order else len(order)
