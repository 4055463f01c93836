"""RFM scores: recency, frequency and monetary value per customer, scored 1..N.

Why a scoring rule of our own: pandas ``qcut`` crashes on duplicate edges when most customers bought
once, pymc-marketing silently shrinks the scale, R ``rfm`` leaves empty bins without saying so. Here the
rule is rank based, so ties never crash it, and every gap in the scale is reported in the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import Interval, Options, validate_params
from ..engine import Snapshot, customer_summary, snapshot
from ..io._contract import Transactions, as_transactions

__all__ = ["DIMENSIONS", "RECENCY_BANDS", "RFMResult", "rfm"]

#: The three RFM dimensions, the table column each is measured in, and its score column.
DIMENSIONS = {
    "recency": ("recency_days", "r_score"),
    "frequency": ("frequency", "f_score"),
    "monetary": ("monetary", "m_score"),
}
_ALIASES = {"r": "recency", "f": "frequency", "m": "monetary"}
# Below this many customers per score a coarser scale is advised (the methodology: 1-2 for a small base).
_MIN_PER_SCORE = 10
#: Absolute recency bands in days per scale (upper-inclusive edges, best score first): with 5 points,
#: up to 30 days scores 5, up to 90 days 4, up to 180 days 3, up to a year 2, older 1. A kit convention.
RECENCY_BANDS = {2: (180,), 3: (90, 365), 4: (30, 90, 365), 5: (30, 90, 180, 365)}
RECENCY_METHODS = ("auto", "quantile", "days")
#: Points on a score scale: cell codes such as "545" hold one digit per dimension, hence at most 9.
BINS = [Interval(int, 2, 9)]


@dataclass
class RFMResult:
    """RFM values and scores per customer, with the thresholds that produced them.

    Attributes
    ----------
    table_ : pandas.DataFrame
        Indexed by ``customer_id``: ``recency_days``, ``frequency``, ``monetary``, ``revenue`` (net
        revenue, kept for revenue shares whatever ``monetary`` is), ``r_score``, ``f_score``,
        ``m_score`` and ``rfm_cell`` (the three scores as text, e.g. ``"545"``).
    thresholds_ : pandas.DataFrame
        One row per dimension and score: the observed ``min`` and ``max`` value of the customers with
        that score, their number (``customers``), ``share`` and the ``source`` of the cut rule. Empty
        scores have ``customers == 0``.
    breakpoints_ : dict
        Per dimension, the ``bins - 1`` upper-inclusive edges that reproduce the scores (the format the
        ``breakpoints`` argument of :func:`rfm` takes), so a later report can reuse today's thresholds.
    bins_ : int
        The requested scale (scores run from 1 to ``bins_``).
    bins_used_ : dict
        Per dimension, how many distinct scores actually occur. Less than ``bins_`` means heavy ties
        (or the breakpoints) left some scores empty; ``empty_scores_`` lists them and ``notes_`` says so.
    empty_scores_ : dict
        Per dimension, the scores no customer received.
    methods_ : dict
        Per dimension, ``"quantile"``, ``"breakpoints"`` or (recency) ``"days"``.
    notes_ : list of str
        Plain-language remarks: empty scores, a base too small for the scale, where frequency comes from.
    as_of_ : pandas.Timestamp
        The analysis date (exclusive).
    monetary_ : str
        ``"sum"`` or ``"mean"``.
    frequency_source_ : str
        Where order ids come from (the quality report's ``order_id_source``).
    customers_without_purchases_ : int
        Customers whose only rows before ``as_of`` are returns; they have nothing to score and are left out.
    """

    table_: pd.DataFrame
    thresholds_: pd.DataFrame
    breakpoints_: dict[str, list[float]]
    bins_: int
    bins_used_: dict[str, int]
    empty_scores_: dict[str, list[int]]
    methods_: dict[str, str]
    notes_: list[str] = field(default_factory=list)
    as_of_: pd.Timestamp | None = None
    monetary_: str = "sum"
    frequency_source_: str = ""
    customers_without_purchases_: int = 0

    @property
    def scale_complete_(self) -> bool:
        """True when every dimension uses all ``bins_`` scores."""
        return all(n == self.bins_ for n in self.bins_used_.values())

    def __repr__(self) -> str:
        used = ", ".join(f"{d}={n}" for d, n in self.bins_used_.items())
        lines = [
            f"RFMResult({len(self.table_):,} customers as of {self.as_of_:%Y-%m-%d}, bins={self.bins_}, "
            f"monetary={self.monetary_!r}; distinct scores used: {used})"
        ]
        lines += [f"  note: {note}" for note in self.notes_]
        return "\n".join(lines)


@validate_params(bins=BINS, monetary=[Options(("sum", "mean"))], recency=[Options(RECENCY_METHODS)])
def rfm(
    data: Transactions | pd.DataFrame | Snapshot,
    *,
    as_of: Any = None,
    bins: int = 5,
    monetary: str = "sum",
    breakpoints: Mapping[str, Sequence[float]] | None = None,
    recency: str = "auto",
    recency_bands: Sequence[float] | None = None,
) -> RFMResult:
    """Score every customer on recency, frequency and monetary value from 1 (worst) to ``bins`` (best).

    Parameters
    ----------
    data : Transactions, DataFrame or Snapshot
        Canonical transactions (see :func:`segkit.read_transactions`), or a :func:`segkit.snapshot` (its date
        and window apply).
    as_of : date-like, optional
        Analysis date (exclusive); defaults to the day after the last transaction, never today.
    bins : int
        Points on the scale, 2 to 9. The default 5 gives the 125 cells of the methodology's 1-5 scores
        [S1, S2]; it suggests 1-2 for a small base (a note in the result says when the base looks too
        small; 3 points is a kit convention in between).
    monetary : {"sum", "mean"}
        ``"sum"``: net revenue (purchases minus returns) before ``as_of``; ``"mean"``: net revenue per
        order. Both are rounded to cents.
    breakpoints : mapping, optional
        Fixed thresholds instead of quantiles, per dimension (keys ``"recency"``, ``"frequency"``,
        ``"monetary"`` or ``"r"``, ``"f"``, ``"m"``; dimensions left out are scored by quantiles). Each is
        a list of ``bins - 1`` non-decreasing, upper-inclusive edges in the dimension's own unit. For
        frequency and monetary a higher value is better: with ``[1, 2, 3, 5]`` one order scores 1, two
        score 2, three score 3, four or five score 4 and six or more score 5. For recency (days) a lower
        value is better: with ``[30, 90, 180, 365]`` up to 30 days scores 5 and more than 365 scores 1.
    recency : {"auto", "quantile", "days"}
        How recency is scored when ``breakpoints`` does not fix it. ``"quantile"``: relative to the other
        customers (the best fifth scores 5). ``"days"``: absolute bands in days (``recency_bands``), so a
        base that has been silent for years scores 1 however it ranks internally. ``"auto"`` (default):
        quantiles, unless they would mislead: when the customers the quantiles would score best bought,
        at the median, longer ago than the second band (90 days with 5 points), the bands are used and a
        note says so.
    recency_bands : sequence of float, optional
        ``bins - 1`` upper-inclusive edges in days for ``recency="days"``; default
        :data:`RECENCY_BANDS` for the scale (30 / 90 / 180 / 365 days with 5 points; a kit convention).

    Returns
    -------
    RFMResult
        ``.table_`` has one row per customer; ``.thresholds_`` and ``.breakpoints_`` the thresholds used;
        ``.bins_used_``, ``.empty_scores_`` and ``.notes_`` say when ties left scores empty.

    Notes
    -----
    *Recency* is the number of whole days from the customer's last purchase day to ``as_of``.
    *Frequency* is the number of distinct purchase order ids (returns excluded). When the data has no
    order column, :func:`segkit.read_transactions` derives one order per customer and day, so frequency
    is then the number of purchase days; ``frequency_source_`` and the notes say which applies.

    Quantile tie rule (deterministic, a kit convention): a customer's percentile is the share of the
    *other* customers whose value is strictly worse, ``p = worse / (n - 1)``, and the score is
    ``1 + floor(bins * p)`` (capped at ``bins``), computed in integers; **the customers with the best
    value always score** ``bins``. So tied customers always get the same score, a customer who is best on
    a dimension gets the top score, and the worst value scores 1 unless it is also the best. When every
    customer has the same value (fifty identical monthly buyers) or there is a single customer, everybody
    is best and scores ``bins``: equal customers are never pushed to the bottom. Heavy ties (70 % of
    customers with one order) never raise: they leave some scores empty (one-order customers score 1,
    two orders beat 70 % of the base and score 4). The scale is never renumbered to hide that;
    ``bins_used_`` and ``notes_`` report it.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "order_id": ["1", "2", "3", "4", "5", "6"],
    ...     "order_date": ["2024-03-01", "2024-03-20", "2024-03-30", "2024-02-01", "2024-03-10", "2024-01-05"],
    ...     "amount": [100.0, 80.0, 120.0, 40.0, 30.0, 500.0],
    ... })
    >>> res = segkit.rfm(df, as_of="2024-04-01", bins=3)
    >>> res.table_[["recency_days", "frequency", "monetary"]]
                 recency_days  frequency  monetary
    customer_id
    a                       2          3     300.0
    b                      22          2      70.0
    c                      87          1     500.0
    >>> res.table_[["r_score", "f_score", "m_score", "rfm_cell"]]
                 r_score  f_score  m_score rfm_cell
    customer_id
    a                  3        3        2      332
    b                  2        2        1      221
    c                  1        1        3      113
    >>> res.breakpoints_["frequency"]
    [1.0, 2.0]
    """
    bins = int(bins)
    fixed = _check_breakpoints(breakpoints, bins)
    bands = _check_bands(recency_bands, bins)
    if isinstance(data, Snapshot):
        snap = data if as_of is None else data.at(as_of)
    else:
        snap = snapshot(as_transactions(data), as_of=as_of)
    tx, as_of = snap.transactions, snap.as_of
    summary = customer_summary(snap, copy=False)  # read only: the scores go into a table of their own
    if summary.empty:
        raise ParameterError(
            f"No customer has a purchase before as_of={as_of.date()}; there is nothing to score. "
            "Pick a later as_of."
        )
    table = _values(summary, monetary)
    days_note = ""
    quantile: dict[str, np.ndarray] = {}
    if "recency" not in fixed and recency != "quantile":
        values = table["recency_days"].to_numpy(dtype=float)
        quantile["recency"] = _quantile_scores(-values, bins)
        top = quantile["recency"] == bins
        typical = float(np.median(values[top]))
        limit = bands[1] if len(bands) > 1 else bands[0]
        if recency == "days" or typical > limit:
            fixed["recency"] = np.asarray(bands, dtype=float)
            if recency == "auto":
                days_note = (
                    f"recency is scored in absolute day bands {list(map(int, bands))}: the customers that "
                    f"quantiles would call the most recent bought a median {typical:,.0f} days ago "
                    f"(more than {limit:,.0f}), so a relative score would mislead."
                )

    scores: dict[str, np.ndarray] = {}
    edges: dict[str, list[float]] = {}
    methods: dict[str, str] = {}
    for dim, (column, score_col) in DIMENSIONS.items():
        values = table[column].to_numpy(dtype=float)
        # Scores grow with "goodness": fewer days since the last purchase is better.
        lower_is_better = dim == "recency"
        if dim in fixed:
            scores[dim] = _score_by_edges(values, fixed[dim], bins, lower_is_better)
            edges[dim] = [float(e) for e in fixed[dim]]
            by_days = dim == "recency" and (breakpoints is None or "recency" not in _dims(breakpoints))
            methods[dim] = "days" if by_days else "breakpoints"
        else:
            goodness = -values if lower_is_better else values
            scores[dim] = quantile[dim] if dim in quantile else _quantile_scores(goodness, bins)
            edges[dim] = _edges_from_scores(values, scores[dim], bins, lower_is_better)
            methods[dim] = "quantile"
        table[score_col] = scores[dim]
    # The cell code as text through a lookup of the (at most 999) codes, not three string casts per row.
    digits = (
        table["r_score"].to_numpy() * 100 + table["f_score"].to_numpy() * 10 + table["m_score"].to_numpy()
    )
    cells = np.asarray([f"{code:03d}" for code in range(1000)], dtype=object)
    table["rfm_cell"] = cells[digits]

    thresholds = _thresholds(table, bins)
    # Where each dimension's thresholds come from: the scale is the methodology's, the cut rule is not.
    origin = {
        "quantile": "kit convention (quantile tie rule)",
        "days": "kit convention (day bands)",
        "breakpoints": "user breakpoints",
    }
    thresholds["source"] = [origin[methods[dim]] for dim in thresholds.index.get_level_values("dimension")]
    # Scores are 1..bins: counting them is one pass, no sort.
    counts = {dim: np.bincount(s, minlength=bins + 1)[1:] for dim, s in scores.items()}
    used = {dim: int((c > 0).sum()) for dim, c in counts.items()}
    empty = {dim: [int(k) + 1 for k in np.flatnonzero(c == 0)] for dim, c in counts.items()}
    notes = _notes(table, bins, empty, methods, tx, summary)
    if days_note:
        notes.insert(0, days_note)
    return RFMResult(
        table_=table,
        thresholds_=thresholds,
        breakpoints_=edges,
        bins_=bins,
        bins_used_=used,
        empty_scores_=empty,
        methods_=methods,
        notes_=notes,
        as_of_=as_of,
        monetary_=monetary,
        frequency_source_=tx.quality.order_id_source,
        customers_without_purchases_=int(summary.attrs.get("customers_without_purchases", 0)),
    )


def _dims(breakpoints: Mapping[str, Any]) -> set[str]:
    return {_ALIASES.get(str(k).lower(), str(k).lower()) for k in breakpoints}


def _check_bands(bands: Sequence[float] | None, bins: int) -> tuple[float, ...]:
    if bands is None:
        if bins in RECENCY_BANDS:
            return RECENCY_BANDS[bins]
        # Other scales: spread the 5-point bands' span evenly (a kit convention).
        return tuple(float(x) for x in np.linspace(30, 365, bins - 1))
    try:
        arr = tuple(float(b) for b in bands)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"recency_bands must be a list of days such as [30, 90, 180, 365]; got {bands!r}."
        ) from exc
    if (
        len(arr) != bins - 1
        or not all(np.isfinite(arr))
        or any(b > a for a, b in zip(arr[1:], arr[:-1], strict=False))
    ):
        raise ParameterError(
            f"recency_bands needs bins - 1 = {bins - 1} increasing numbers of days for bins={bins}, such as "
            f"{list(RECENCY_BANDS.get(bins, (30, 90, 180, 365)))}; got {bands!r}."
        )
    return arr


def _check_breakpoints(breakpoints: Mapping[str, Sequence[float]] | None, bins: int) -> dict[str, np.ndarray]:
    if breakpoints is None:
        return {}
    if not isinstance(breakpoints, Mapping):
        raise ParameterError(
            f"breakpoints must be a mapping such as {{'frequency': [1, 2, 3, 5]}}; got {type(breakpoints).__name__}."
        )
    out: dict[str, np.ndarray] = {}
    for key, edges in breakpoints.items():
        dim = _ALIASES.get(str(key).lower(), str(key).lower())
        if dim not in DIMENSIONS:
            raise ParameterError(
                f"breakpoints has an unknown key {key!r}; use 'recency', 'frequency' or 'monetary' (or r, f, m)."
            )
        try:
            arr = np.asarray(list(edges), dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"breakpoints[{key!r}] must be a list of numbers; got {edges!r}.") from exc
        if arr.ndim != 1 or arr.size != bins - 1:
            raise ParameterError(
                f"breakpoints[{key!r}] needs bins - 1 = {bins - 1} edges for bins={bins}; got {arr.size} ({edges!r})."
            )
        if not np.isfinite(arr).all() or (np.diff(arr) < 0).any():
            raise ParameterError(f"breakpoints[{key!r}] must be finite and non-decreasing; got {edges!r}.")
        out[dim] = arr
    return out


def _values(summary: pd.DataFrame, monetary: str) -> pd.DataFrame:
    table = pd.DataFrame(index=summary.index)
    table["recency_days"] = summary["recency_days"].astype("int64")
    table["frequency"] = summary["n_orders"].astype("int64")
    revenue = summary["revenue"].astype(float)
    if monetary == "sum":
        table["monetary"] = revenue
    else:
        table["monetary"] = (revenue / table["frequency"]).round(2)
    table["revenue"] = revenue
    return table


def _quantile_scores(goodness: np.ndarray, bins: int) -> np.ndarray:
    """``1 + floor(bins * worse / (n - 1))``, capped at ``bins``; ties share a score (see :func:`rfm`)."""
    n = goodness.size
    if n <= 1:
        return np.full(n, bins, dtype="int64")
    worse = _count_worse(goodness)
    # Integer arithmetic: a percentile exactly on a boundary must not drift below it in floating point.
    scores = np.minimum(1 + (bins * worse) // (n - 1), bins)
    # The best value is the top score, however many customers share it.
    scores[goodness == goodness.max()] = bins
    return scores.astype("int64")


def _count_worse(goodness: np.ndarray) -> np.ndarray:
    """For each value, how many values are strictly smaller.

    Days and order counts are whole numbers in a narrow range: a histogram counts them in one pass.
    Other values (money) are ordered once: in sorted order, a value's count is the position where its
    run of equal values starts, scattered back to the customers. (Searching each value in the sorted
    array instead costs a random memory access per search, several times the sort on a million.)
    """
    low, high = float(goodness.min()), float(goodness.max())
    # A histogram of at most a million bins (8 MB); recency and frequency stay far below.
    whole = np.isfinite(low) and np.isfinite(high) and high - low < 1_000_000
    if whole and np.array_equal(goodness, np.round(goodness)):
        shifted = (goodness - low).astype(np.int64)
        counts = np.bincount(shifted)
        below = np.concatenate(([0], np.cumsum(counts)[:-1]))
        return below[shifted]
    if np.isnan(goodness).any():  # NaN equals nothing, so it has no run: search, as NumPy orders it
        return np.searchsorted(np.sort(goodness), goodness, side="left")
    order = np.argsort(goodness, kind="stable")
    ordered = goodness[order]
    position = np.arange(len(ordered))
    starts = np.ones(len(ordered), dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    below = np.maximum.accumulate(np.where(starts, position, 0))
    worse = np.empty(len(ordered), dtype=np.int64)
    worse[order] = below
    return worse


def _score_by_edges(values: np.ndarray, edges: np.ndarray, bins: int, lower_is_better: bool) -> np.ndarray:
    passed = np.searchsorted(edges, values, side="left")  # edges strictly below the value
    scores = bins - passed if lower_is_better else 1 + passed
    return scores.astype("int64")


def _edges_from_scores(
    values: np.ndarray, scores: np.ndarray, bins: int, lower_is_better: bool
) -> list[float]:
    """Upper-inclusive edges that reproduce ``scores`` through :func:`_score_by_edges`."""
    if values.size == 0:
        return [float("nan")] * (bins - 1)
    edges = []
    for k in range(1, bins):
        if lower_is_better:
            # Days up to the edge score at least bins - k + 1; recency is in whole days, so one day below
            # the best value of the next lower group is an exact boundary. No such group (every value
            # scores higher): an edge at the largest value passes nobody.
            group = values[scores <= bins - k]
            edges.append(float(group.min() - 1) if group.size else float(values.max()))
        else:
            # No customer scores k or less (ties at the top): an edge below every value.
            group = values[scores <= k]
            edges.append(float(group.max()) if group.size else float(values.min() - 1))
    return edges


def _thresholds(table: pd.DataFrame, bins: int) -> pd.DataFrame:
    rows = []
    n = len(table)
    for dim, (column, score_col) in DIMENSIONS.items():
        values = table[column].to_numpy(dtype=float)
        scores = table[score_col].to_numpy()
        for score in range(bins, 0, -1):
            vals = values[scores == score]
            rows.append(
                {
                    "dimension": dim,
                    "score": score,
                    "min": float(vals.min()) if len(vals) else np.nan,
                    "max": float(vals.max()) if len(vals) else np.nan,
                    "customers": len(vals),
                    "share": len(vals) / n if n else np.nan,
                }
            )
    return pd.DataFrame(rows).set_index(["dimension", "score"])


def _notes(
    table: pd.DataFrame,
    bins: int,
    empty: dict[str, list[int]],
    methods: dict[str, str],
    tx: Transactions,
    summary: pd.DataFrame,
) -> list[str]:
    notes = []
    if tx.quality.order_id_source.startswith("derived"):
        notes.append(
            "The data has no order id: frequency counts purchase days (one order per customer and day)."
        )
    for dim, gaps in empty.items():
        if not gaps:
            continue
        column = DIMENSIONS[dim][0]
        used = bins - len(gaps)
        if methods[dim] in ("breakpoints", "days"):
            why = "no customer falls between some of the given breakpoints or day bands"
            fix = "Adjust the breakpoints (or recency_bands)"
        elif table[column].nunique() <= 1:
            why = "every customer has the same value, so no ranking is possible"
            fix = "Nothing to rank here; check the data or drop this dimension from the reading"
        else:
            top_value, top_share = _largest_tie(table[column])
            why = f"heavy ties ({top_share:.0%} of customers share the value {top_value:g})"
            fix = f"Consider fixed breakpoints (breakpoints={{'{dim}': [...]}}) or fewer bins"
        notes.append(
            f"{dim}: {why}; score(s) {', '.join(map(str, gaps))} are empty, {used} of {bins} scores are used. {fix}."
        )
    if len(table) < _MIN_PER_SCORE * bins:
        notes.append(
            f"Only {len(table):,} customers for a {bins}-point scale (fewer than {_MIN_PER_SCORE} per score); "
            "the methodology suggests a 1-2 scale (bins=2) for a small base; bins=3 is a middle way."
        )
    dropped = int(summary.attrs.get("customers_without_purchases", 0))
    if dropped:
        notes.append(
            f"{dropped:,} customers with only returns before the as-of date have no purchase to score."
        )
    return notes


def _largest_tie(values: pd.Series) -> tuple[float, float]:
    counts = values.value_counts(sort=True)
    return float(counts.index[0]), float(counts.iloc[0] / len(values))
