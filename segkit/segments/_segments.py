"""Named RFM segments: a rule table from score cells to segments, its validation, and the summary.

A scheme is an ordered table of rules; each rule gives a score range for R, F and M and the segment it
names. A scheme is only accepted when every one of the ``bins ** 3`` cells maps to exactly one segment
and every segment is reachable, so a segment map can neither overlap nor leave customers unmapped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import validate_params
from ._rfm import BINS, RFMResult

__all__ = ["SegmentScheme", "default_scheme", "rfm_segments", "segment_summary", "validate_scheme"]

_DIMS = ("r", "f", "m")
_ANY = {"*", "any", "all", ""}

# The default schemes. Every segment has a one-line description (who they are), an action (what to
# do) and its source. The methodology [S1, S2] names three cells: 5-5-5 the best clients (premium
# treatment), 1-5-5 bought much and often but long ago (renew urgently), 5-5-1 frequent and recent with
# almost no revenue (consider dropping them or passing them to partners). The other segment names are the
# common English RFM segments, a kit convention. The 5-point map is laid out on R x F, with M splitting
# the frequent customers.
_METHOD = "methodology [S1, S2]"
_KIT = "kit convention"
_SOURCES = {"Champions": _METHOD, "Can't Lose Them": _METHOD, "Frequent Low Value": _METHOD}
_TEXT = {
    "Champions": (
        "Bought recently, buy often and spend the most (cell 5-5-5).",
        "Premium treatment: early access, loyalty perks, ask for reviews and referrals. No discounts needed.",
    ),
    "Frequent Low Value": (
        "Buy often and recently but bring almost no revenue (cell 5-5-1).",
        "Consider whether serving them pays: drop them or pass them to partners; at most low-cost automation.",
    ),
    "Loyal": (
        "Buy regularly and recently; the core of the base.",
        "Upsell higher-value products, enrol them in the loyalty programme, ask for feedback.",
    ),
    "Potential Loyalist": (
        "Recent customers with a few orders already.",
        "Build the habit: loyalty programme, recommendations based on what they bought.",
    ),
    "New": (
        "Made their first purchase very recently.",
        "Onboard them: welcome series, help with the first use, a reason for a second order soon.",
    ),
    "Promising": (
        "Recent first-time buyers, a little less fresh than New.",
        "Create brand awareness; a time-limited offer for the second purchase.",
    ),
    "Need Attention": (
        "Average recency and frequency; may slip away.",
        "Personalised, limited-time offers based on past purchases; reactivate before they drift.",
    ),
    "About to Sleep": (
        "Few orders and recency below average.",
        "Share popular products and relevant recommendations; a modest incentive to reconnect.",
    ),
    "At Risk": (
        "Used to buy often, but not for a long time.",
        "Personal win-back messages with the products they used to buy; find out what changed.",
    ),
    "Can't Lose Them": (
        "Used to buy often and spend the most, but have not come back for a long time (cell 1-5-5).",
        "Renew the relationship urgently: a call from a manager, a strong personal offer.",
    ),
    "Hibernating": (
        "Few orders, long ago.",
        "Low-cost reactivation: relevant offers in regular mailings; do not spend much on them.",
    ),
    "Lost": (
        "Few orders, the longest ago.",
        "One reactivation attempt, then keep them only in free channels.",
    ),
}

# (segment, r, f, m) rules per number of bins; "*" is any score.
_DEFAULT_RULES: dict[int, list[tuple[str, str, str, str]]] = {
    5: [
        ("Champions", "4-5", "4-5", "4-5"),
        ("Frequent Low Value", "4-5", "4-5", "1"),
        ("Loyal", "4-5", "4-5", "2-3"),
        ("Loyal", "3", "4-5", "*"),
        ("Potential Loyalist", "4-5", "2-3", "*"),
        ("New", "5", "1", "*"),
        ("Promising", "4", "1", "*"),
        ("Need Attention", "3", "3", "*"),
        ("About to Sleep", "3", "1-2", "*"),
        ("At Risk", "1-2", "3", "*"),
        ("At Risk", "1-2", "4-5", "1-3"),
        ("Can't Lose Them", "1-2", "4-5", "4-5"),
        ("Hibernating", "2", "1-2", "*"),
        ("Lost", "1", "1-2", "*"),
    ],
    3: [
        ("Champions", "3", "3", "3"),
        ("Frequent Low Value", "3", "3", "1"),
        ("Loyal", "3", "3", "2"),
        ("Loyal", "2", "3", "*"),
        ("Potential Loyalist", "3", "2", "*"),
        ("New", "3", "1", "*"),
        ("Need Attention", "2", "2", "*"),
        ("About to Sleep", "2", "1", "*"),
        ("At Risk", "1", "3", "1-2"),
        ("Can't Lose Them", "1", "3", "3"),
        ("Hibernating", "1", "2", "*"),
        ("Lost", "1", "1", "*"),
    ],
    2: [
        ("Champions", "2", "2", "2"),
        ("Loyal", "2", "2", "1"),
        ("New", "2", "1", "*"),
        ("At Risk", "1", "2", "1"),
        ("Can't Lose Them", "1", "2", "2"),
        ("Lost", "1", "1", "*"),
    ],
}


@dataclass(frozen=True, eq=False)  # identity equality: it travels in DataFrame.attrs, which pandas compares
class SegmentScheme:
    """A validated segment scheme: ordered rules mapping every R/F/M score cell to one segment.

    Build one with :func:`validate_scheme` (from a dict, a DataFrame or a YAML file) or
    :func:`default_scheme`; the constructor does not validate.

    Attributes
    ----------
    name : str
        A label for reports.
    bins : int
        The score scale the rules are written for.
    rules : pandas.DataFrame
        One row per rule: ``segment``, ``r``, ``f``, ``m`` (tuples of the scores each rule covers).
    segments : tuple of str
        Segment names in the scheme's order (the order of first appearance in the rules).
    actions, descriptions : dict
        Per segment, the recommended action and a one-line description.
    sources : dict
        Per segment, where the segment and its action come from (the methodology's article, "kit
        convention", or "user scheme").
    """

    name: str
    bins: int
    rules: pd.DataFrame
    segments: tuple[str, ...]
    actions: dict[str, str]
    descriptions: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The rule table with readable score ranges (``"4-5"``, ``"*"`` for any score)."""
        out = self.rules[["segment"]].copy()
        for dim in _DIMS:
            out[dim] = self.rules[dim].map(lambda scores: _format_range(scores, self.bins)).astype("str")
        out["action"] = out["segment"].map(self.actions).astype("str")
        out["source"] = out["segment"].map(lambda s: self.sources.get(s, "user scheme")).astype("str")
        return out.reset_index(drop=True)

    def segment_table(self) -> pd.DataFrame:
        """One row per segment: ``description``, ``action``, its ``source`` and the number of cells."""
        cells = self.cell_map()["segment"].value_counts()
        return pd.DataFrame(
            {
                "description": [self.descriptions.get(s, "") for s in self.segments],
                "action": [self.actions[s] for s in self.segments],
                "source": [self.sources.get(s, "user scheme") for s in self.segments],
                "cells": [int(cells.get(s, 0)) for s in self.segments],
            },
            index=pd.Index(self.segments, name="segment"),
        )

    def cell_map(self) -> pd.DataFrame:
        """Every score cell (``r``, ``f``, ``m``, ``rfm_cell``) with the segment(s) it maps to.

        Cells of a valid scheme have exactly one segment; ``n_segments`` is there for diagnosis.
        """
        grid = _cell_hits(self.rules, self.bins, self.segments)
        r, f, m = np.meshgrid(*(np.arange(1, self.bins + 1),) * 3, indexing="ij")
        hits = grid.reshape(-1, len(self.segments))
        names = np.asarray(self.segments, dtype=object)
        segment = [" | ".join(names[row]) if row.any() else "" for row in hits]
        return pd.DataFrame(
            {
                "r": r.ravel(),
                "f": f.ravel(),
                "m": m.ravel(),
                "rfm_cell": [f"{a}{b}{c}" for a, b, c in zip(r.ravel(), f.ravel(), m.ravel(), strict=True)],
                "segment": pd.array(segment, dtype="str"),
                "n_segments": hits.sum(axis=1),
            }
        )

    def assign(self, r: Any, f: Any, m: Any) -> np.ndarray:
        """Segment names for arrays of R, F and M scores (each 1..bins)."""
        lookup = _lookup(self)
        r, f, m = (np.asarray(x, dtype="int64") for x in (r, f, m))
        return np.asarray(self.segments, dtype=object)[lookup[r - 1, f - 1, m - 1]]

    def to_dict(self) -> dict[str, Any]:
        """The scheme as plain data (the YAML layout :func:`validate_scheme` reads)."""
        segments = []
        for name in self.segments:
            rules = self.rules.loc[self.rules["segment"] == name]
            segments.append(
                {
                    "name": name,
                    "description": self.descriptions.get(name, ""),
                    "action": self.actions[name],
                    "source": self.sources.get(name, "user scheme"),
                    "rules": [
                        {dim: _format_range(row[dim], self.bins) for dim in _DIMS}
                        for _, row in rules.iterrows()
                    ],
                }
            )
        return {"name": self.name, "bins": self.bins, "segments": segments}

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write (when ``path`` is given) and return the scheme as YAML, a template for custom schemes."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=110)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def default_scheme(bins: int = 5) -> SegmentScheme:
    """The built-in scheme for a 5-, 3- or 2-point scale.

    The 5-point scheme has twelve segments. Three follow the methodology's cells [S1, S2]: Champions
    (5-5-5, premium treatment), Can't Lose Them (1-5-5, renew urgently) and Frequent Low Value (5-5-1,
    consider dropping them or passing them to partners). The others are the common English RFM segments
    (a kit convention): Loyal, Potential Loyalist, New, Promising, Need Attention, About to Sleep, At Risk,
    Hibernating and Lost. It is laid out on R x F; M splits the frequent customers (R 4-5: M 4-5 Champions,
    M 1 Frequent Low Value; R 1-2 and M 4-5 Can't Lose Them). The coarser scales keep the segments that
    still have room (11 for 3 points, 6 for 2). ``to_frame()`` and ``segment_table()`` show each
    segment's ``source``.

    Examples
    --------
    >>> import segkit
    >>> s = segkit.default_scheme(5)
    >>> len(s.segments), len(s.cell_map())
    (12, 125)
    >>> s.assign([5, 1, 5], [5, 1, 5], [5, 1, 1]).tolist()
    ['Champions', 'Lost', 'Frequent Low Value']
    >>> s.segment_table().loc["Frequent Low Value", "source"]
    'methodology [S1, S2]'

    """
    if bins not in _DEFAULT_RULES:
        raise ParameterError(
            f"There is a default segment scheme for bins=5, 3 and 2 only; got bins={bins!r}. "
            "Pass scheme= with your own rules (a dict, a DataFrame or a YAML file), or use one of those scales."
        )
    rules = [{"segment": s, "r": r, "f": f, "m": m} for s, r, f, m in _DEFAULT_RULES[bins]]
    names = dict.fromkeys(rule["segment"] for rule in rules)
    return validate_scheme(
        {
            "name": f"default ({bins}-point)",
            "bins": bins,
            "segments": [
                {
                    "name": name,
                    "description": _TEXT[name][0],
                    "action": _TEXT[name][1],
                    "source": _SOURCES.get(name, _KIT),
                    "rules": [{d: rule[d] for d in _DIMS} for rule in rules if rule["segment"] == name],
                }
                for name in names
            ],
        },
        bins=bins,
    )


@validate_params(bins=BINS)
def validate_scheme(scheme: Any = None, bins: int = 5) -> SegmentScheme:
    """Read a segment scheme and check that it maps every score cell to exactly one segment.

    Parameters
    ----------
    scheme : SegmentScheme, dict, DataFrame, str, Path or None
        ``None`` is the default scheme for ``bins`` (:func:`default_scheme`). A **dict** has a
        ``segments`` list; each segment has a ``name``, an ``action``, an optional ``description`` and
        ``rules``, a list of ``{r: ..., f: ..., m: ...}`` score ranges. A range is a score (``4``), an
        inclusive span (``"4-5"``), a list (``[1, 3]``) or ``"*"`` for any score (also when a dimension is
        left out). Optional top-level keys: ``name`` and ``bins``. A **DataFrame** is the rule table:
        columns ``segment``, ``r``, ``f``, ``m`` and ``action`` (and optionally ``description``), one row
        per rule; a segment's action is taken from its first row. A **str or Path** is a YAML file in the
        dict layout (see :meth:`SegmentScheme.to_yaml`).
    bins : int
        The score scale to validate against; a scheme that declares another ``bins`` is refused.

    Returns
    -------
    SegmentScheme

    Raises
    ------
    ParameterError
        When the scheme cannot be read, a range is outside ``1..bins``, a segment has no action, some
        cells map to no segment or to several, or a segment is unreachable. The message lists the cells.

    Examples
    --------
    >>> import segkit
    >>> scheme = {"segments": [
    ...     {"name": "Active", "action": "Keep in touch", "rules": [{"r": "2"}]},
    ...     {"name": "Lapsed", "action": "Win back", "rules": [{"r": 1}]},
    ... ]}
    >>> segkit.validate_scheme(scheme, bins=2).to_frame().drop(columns="source")
      segment  r  f  m         action
    0  Active  2  *  *  Keep in touch
    1  Lapsed  1  *  *       Win back
    >>> segkit.validate_scheme({"segments": [{"name": "Active", "action": "x", "rules": [{"r": 2}]}]}, bins=2)
    Traceback (most recent call last):
    ...
    segkit._errors.ParameterError: The segment scheme leaves 4 of 8 cells (r, f, m) unmapped, e.g. 111, 112, ...
    """
    bins = int(bins)
    if isinstance(scheme, SegmentScheme):
        if scheme.bins != bins:
            raise ParameterError(
                f"The scheme {scheme.name!r} is written for bins={scheme.bins}, but the scores have bins={bins}. "
                f"Use a scheme for {bins} points (segkit.default_scheme({bins}) for the default)."
            )
        _check_cells(scheme)
        return scheme
    if scheme is None:
        return default_scheme(bins)
    if isinstance(scheme, str | Path):
        scheme = _read_yaml(Path(scheme))
    if isinstance(scheme, pd.DataFrame):
        parsed = _from_frame(scheme, bins)
    elif isinstance(scheme, Mapping):
        parsed = _from_dict(scheme, bins)
    else:
        raise ParameterError(
            f"scheme must be None, a dict, a DataFrame, a YAML file path or a SegmentScheme; got {type(scheme).__name__}."
        )
    _check_cells(parsed)
    return parsed


@validate_params(bins=[None, *BINS])
def rfm_segments(
    rfm_result: RFMResult | pd.DataFrame,
    *,
    scheme: Any = None,
    bins: int | None = None,
) -> pd.DataFrame:
    """Name each customer's segment from their R, F and M scores.

    Parameters
    ----------
    rfm_result : RFMResult or DataFrame
        The result of :func:`segkit.rfm`, or its ``table_`` (any frame with ``r_score``, ``f_score`` and
        ``m_score`` columns).
    scheme : optional
        Anything :func:`validate_scheme` accepts; ``None`` is the default scheme for the scale.
    bins : int, optional
        The scale of the scores; taken from the :class:`~segkit.RFMResult`, else from a
        :class:`SegmentScheme`, else 5.

    Returns
    -------
    pandas.DataFrame
        The RFM table plus ``segment`` (an ordered categorical in the scheme's order, so empty segments
        still show in counts) and ``action``. ``attrs["scheme"]`` holds the :class:`SegmentScheme`.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> scores = pd.DataFrame({"r_score": [5, 1, 5], "f_score": [5, 5, 1], "m_score": [5, 5, 3]},
    ...                       index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> segkit.rfm_segments(scores)["segment"].tolist()
    ['Champions', "Can't Lose Them", 'New']
    """
    if isinstance(rfm_result, RFMResult):
        table, scale = rfm_result.table_, rfm_result.bins_
    elif isinstance(rfm_result, pd.DataFrame):
        table = rfm_result
        scale = bins if bins is not None else (scheme.bins if isinstance(scheme, SegmentScheme) else 5)
    else:
        raise ParameterError(
            f"rfm_result must be a segkit.RFMResult or a DataFrame with r_score, f_score and m_score; "
            f"got {type(rfm_result).__name__}. Compute it with segkit.rfm(data)."
        )
    if bins is not None and bins != scale:
        raise ParameterError(f"bins={bins} disagrees with the RFM result's scale ({scale}); leave bins out.")
    checked = validate_scheme(scheme, bins=scale)
    _check_scores(table, scale)
    out = table.copy()
    # Segment codes straight from the cell lookup: no text is hashed per customer.
    r, f, m = (out[c].to_numpy(dtype="int64") - 1 for c in ("r_score", "f_score", "m_score"))
    codes = _lookup(checked)[r, f, m]
    segments = list(checked.segments)
    out["segment"] = pd.Categorical.from_codes(codes, categories=segments, ordered=True)
    actions = np.asarray([checked.actions[name] for name in segments], dtype=object)
    out["action"] = pd.Series(actions[codes], index=out.index).astype("str")
    out.attrs["scheme"] = checked
    return out


def segment_summary(segments: pd.DataFrame, *, scheme: Any = None) -> pd.DataFrame:
    """Per segment: customers, their share, revenue share, and mean R, F, M (values and scores).

    Parameters
    ----------
    segments : DataFrame
        The output of :func:`rfm_segments` (a ``segment`` column plus the RFM columns).
    scheme : SegmentScheme, optional
        The scheme, for the segment order and the actions; by default the one :func:`rfm_segments`
        stored in ``segments.attrs``, else the order of the categorical and the ``action`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``segment`` in the scheme's order, every segment listed (empty ones with zero
        customers): ``customers``, ``customers_share``, ``revenue``, ``revenue_share``, ``recency_days``,
        ``frequency``, ``monetary`` (means), ``r_score``, ``f_score``, ``m_score`` (mean scores),
        ``action``, ``source`` and ``kind``: ``"dynamic"`` for the rule-based segments (re-evaluated at the
        as-of date) and ``"static"`` for the rows of hand-picked lists, when the table has a
        ``static_segment`` column (see :func:`segkit.add_static_segments`; a listed customer is counted
        in both its dynamic segment and its list). Shares are fractions of 1. Revenue is net revenue (the ``revenue`` column, or
        ``monetary`` when the table has no ``revenue``).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> t = pd.DataFrame({"r_score": [2, 2, 1], "f_score": [1, 1, 1], "m_score": [1, 2, 1],
    ...                   "recency_days": [3, 5, 40], "frequency": [1, 2, 1], "monetary": [10.0, 30.0, 60.0]},
    ...                  index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> seg = segkit.rfm_segments(t, scheme={"segments": [
    ...     {"name": "Active", "action": "Keep", "rules": [{"r": 2}]},
    ...     {"name": "Lapsed", "action": "Win back", "rules": [{"r": 1}]}]}, bins=2)
    >>> segkit.segment_summary(seg)[["customers", "revenue_share", "recency_days", "r_score"]]
             customers  revenue_share  recency_days  r_score
    segment
    Active           2            0.4           4.0      2.0
    Lapsed           1            0.6          40.0      1.0
    """
    if not isinstance(segments, pd.DataFrame) or "segment" not in segments.columns:
        raise ParameterError(
            "segments must be the DataFrame segkit.rfm_segments(...) returns (it needs a 'segment' column)."
        )
    if scheme is not None and not isinstance(scheme, SegmentScheme):
        raise ParameterError(
            f"scheme must be a SegmentScheme (from segkit.validate_scheme(...)) or None; got {type(scheme).__name__}."
        )
    checked = scheme if scheme is not None else segments.attrs.get("scheme")
    if checked is not None:
        order = list(checked.segments)
    elif isinstance(segments["segment"].dtype, pd.CategoricalDtype):
        order = list(segments["segment"].cat.categories)
    else:
        order = list(dict.fromkeys(segments["segment"].tolist()))
    key = segments["segment"].astype("str")
    revenue = segments["revenue"] if "revenue" in segments else segments.get("monetary")
    frame = pd.DataFrame({"segment": key})
    columns = ["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"]
    for col in columns:
        if col in segments:
            frame[col] = segments[col].astype(float)
    if revenue is not None:
        frame["revenue_"] = revenue.astype(float)
    grouped = frame.groupby("segment", sort=False)
    out = pd.DataFrame(index=pd.Index(order, name="segment"))
    out["customers"] = grouped.size().reindex(order).fillna(0).astype("int64")
    total = out["customers"].sum()
    out["customers_share"] = out["customers"] / total if total else np.nan
    if revenue is not None:
        out["revenue"] = grouped["revenue_"].sum().reindex(order).fillna(0.0).round(2)
        rev_total = float(frame["revenue_"].sum())
        out["revenue_share"] = out["revenue"] / rev_total if rev_total else np.nan
    for col in columns:
        if col in frame:
            out[col] = grouped[col].mean().reindex(order)
    if checked is not None:
        out["action"] = pd.Series(checked.actions).reindex(order).astype("str")
        out["source"] = pd.Series({s: checked.sources.get(s, "user scheme") for s in order}).astype("str")
    elif "action" in segments:
        out["action"] = segments.groupby(key, sort=False)["action"].first().reindex(order).astype("str")
    out["kind"] = "dynamic"
    if "static_segment" in segments.columns:
        out = pd.concat([out, _static_rows(segments, frame, out.columns)])
        out.index.name = "segment"
    return out


def _static_rows(segments: pd.DataFrame, frame: pd.DataFrame, columns: pd.Index) -> pd.DataFrame:
    """Summary rows for the hand-picked lists, computed like the dynamic rows."""
    from ._static import STATIC_ACTION

    labels = segments["static_segment"].astype("str")
    listed = labels != ""
    names = sorted(labels[listed].unique())
    if not names:
        return pd.DataFrame(columns=columns)
    part = frame.loc[listed.to_numpy()].assign(segment=labels[listed].to_numpy())
    grouped = part.groupby("segment")
    rows = pd.DataFrame(index=pd.Index(names, name="segment"))
    rows["customers"] = grouped.size().reindex(names).astype("int64")
    rows["customers_share"] = rows["customers"] / len(frame)
    if "revenue_" in part:
        rows["revenue"] = grouped["revenue_"].sum().reindex(names).round(2)
        total = float(frame["revenue_"].sum())
        rows["revenue_share"] = rows["revenue"] / total if total else np.nan
    for col in ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"):
        if col in part:
            rows[col] = grouped[col].mean().reindex(names)
    rows["action"] = STATIC_ACTION
    rows["source"] = "methodology [S0]"
    rows["kind"] = "static"
    return rows[[c for c in columns if c in rows.columns]]


# ---------------------------------------------------------------------------------------------------
# parsing and checks
# ---------------------------------------------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    import yaml

    if not path.is_file():
        raise ParameterError(
            f"scheme file {str(path)!r} does not exist. Pass a YAML file path, a dict or None."
        )
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"scheme file {str(path)!r} is not valid YAML: {exc}") from exc


def _parse_range(value: Any, bins: int, where: str) -> tuple[int, ...]:
    """A score range (``4``, ``"4-5"``, ``[1, 3]``, ``"*"``) as a sorted tuple of scores in 1..bins."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return tuple(range(1, bins + 1))
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _ANY:
            return tuple(range(1, bins + 1))
        scores: list[int] = []
        for part in text.replace(" ", "").split(","):
            lo, sep, hi = part.partition("-")
            try:
                a, b = int(lo), int(hi if sep else lo)
            except ValueError as exc:
                raise ParameterError(
                    f"{where}: cannot read the score range {value!r}; write e.g. 4, '4-5', [1, 3] or '*'."
                ) from exc
            if a > b:
                raise ParameterError(
                    f"{where}: the range {value!r} runs backwards; write it low-high, e.g. '4-5'."
                )
            scores.extend(range(a, b + 1))
    elif isinstance(value, Sequence | np.ndarray | set | tuple):
        scores = []
        for item in value:
            scores.extend(_parse_range(item, bins, where) if isinstance(item, str) else [item])
    else:
        scores = [value]
    out: list[int] = []
    for s in scores:
        if isinstance(s, bool) or not isinstance(s, int | np.integer) or not 1 <= int(s) <= bins:
            raise ParameterError(
                f"{where}: score {s!r} is outside 1..{bins} (the scheme is for bins={bins})."
            )
        out.append(int(s))
    if not out:
        raise ParameterError(f"{where}: the score range {value!r} is empty.")
    return tuple(sorted(set(out)))


def _from_dict(spec: Mapping[str, Any], bins: int) -> SegmentScheme:
    declared = spec.get("bins")
    if declared is not None and declared != bins:
        raise ParameterError(
            f"The scheme declares bins={declared!r}, but the scores have bins={bins}. "
            "Use a scheme written for this scale, or compute the scores with that many bins."
        )
    segments = spec.get("segments")
    if not isinstance(segments, Sequence) or isinstance(segments, str) or not segments:
        raise ParameterError(
            "A scheme dict needs a non-empty 'segments' list: "
            "[{'name': ..., 'action': ..., 'rules': [{'r': '4-5', 'f': '4-5', 'm': '*'}]}, ...]."
        )
    rows, actions, descriptions, sources = [], {}, {}, {}
    for i, seg in enumerate(segments, start=1):
        if not isinstance(seg, Mapping):
            raise ParameterError(
                f"Segment #{i} of the scheme must be a mapping with name, action and rules; got {seg!r}."
            )
        name = _segment_name(seg.get("name"), f"segment #{i}")
        if name in actions:
            raise ParameterError(
                f"Segment {name!r} appears twice in the scheme; give it one entry with several rules."
            )
        actions[name] = _action(seg.get("action"), name)
        descriptions[name] = str(seg.get("description") or "")
        sources[name] = str(seg.get("source") or "user scheme")
        rules = seg.get("rules")
        if isinstance(rules, Mapping):
            rules = [rules]
        if not isinstance(rules, Sequence) or isinstance(rules, str) or not rules:
            raise ParameterError(
                f"Segment {name!r} has no rules; add e.g. rules: [{{r: '4-5', f: '4-5', m: '*'}}]."
            )
        for j, rule in enumerate(rules, start=1):
            if not isinstance(rule, Mapping):
                raise ParameterError(
                    f"Rule {j} of segment {name!r} must be a mapping like {{r: '4-5'}}; got {rule!r}."
                )
            unknown = set(map(str, rule)) - set(_DIMS)
            if unknown:
                raise ParameterError(
                    f"Rule {j} of segment {name!r} has unknown key(s) {sorted(unknown)}; use r, f and m."
                )
            where = f"segment {name!r}, rule {j}"
            rows.append(
                {"segment": name, **{d: _parse_range(rule.get(d), bins, f"{where}, {d}") for d in _DIMS}}
            )
    return SegmentScheme(
        name=str(spec.get("name") or "custom"),
        bins=bins,
        rules=pd.DataFrame(rows, columns=["segment", *_DIMS]),
        segments=tuple(actions),
        actions=actions,
        descriptions=descriptions,
        sources=sources,
    )


def _from_frame(frame: pd.DataFrame, bins: int) -> SegmentScheme:
    missing = [c for c in ("segment", "action") if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"A scheme table needs the columns segment, r, f, m and action; {missing} missing "
            f"(it has {list(frame.columns)})."
        )
    segments: dict[str, dict[str, Any]] = {}
    for _, row in frame.iterrows():
        name = _segment_name(row["segment"], "a scheme row")
        entry = segments.setdefault(
            name,
            {
                "name": name,
                "action": row["action"],
                "description": row.get("description", ""),
                "source": row.get("source", ""),
                "rules": [],
            },
        )
        entry["rules"].append({d: row.get(d) for d in _DIMS})
    return _from_dict({"segments": list(segments.values())}, bins)


def _segment_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{where} needs a non-empty segment name; got {value!r}.")
    return value.strip()


def _action(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(
            f"Segment {name!r} has no action; every segment must say what to do with it (action: '...')."
        )
    return value.strip()


def _cell_hits(rules: pd.DataFrame, bins: int, segments: Sequence[str]) -> np.ndarray:
    """Boolean array [r, f, m, segment]: which segments each cell matches."""
    hits = np.zeros((bins, bins, bins, len(segments)), dtype=bool)
    index = {name: i for i, name in enumerate(segments)}
    for _, rule in rules.iterrows():
        r, f, m = (np.asarray(rule[d]) - 1 for d in _DIMS)
        hits[np.ix_(r, f, m, [index[rule["segment"]]])] = True
    return hits


def _lookup(scheme: SegmentScheme) -> np.ndarray:
    hits = _cell_hits(scheme.rules, scheme.bins, scheme.segments)
    return hits.argmax(axis=3)


def _check_cells(scheme: SegmentScheme) -> None:
    cells = scheme.cell_map()
    total = len(cells)
    unmapped = cells.loc[cells["n_segments"] == 0, "rfm_cell"]
    if len(unmapped):
        raise ParameterError(
            f"The segment scheme leaves {len(unmapped)} of {total} cells (r, f, m) unmapped, e.g. "
            f"{', '.join(unmapped.head(8))}. Add rules so every cell belongs to a segment (use '*' for any score)."
        )
    overlap = cells.loc[cells["n_segments"] > 1]
    if len(overlap):
        examples = ", ".join(
            f"{c} ({s})" for c, s in zip(overlap["rfm_cell"].head(5), overlap["segment"].head(5), strict=True)
        )
        raise ParameterError(
            f"The segment scheme maps {len(overlap)} of {total} cells to more than one segment, e.g. {examples}. "
            "Narrow the rules so each cell belongs to exactly one segment."
        )
    reached = set(cells["segment"])
    unreachable = [s for s in scheme.segments if s not in reached]
    if unreachable:
        raise ParameterError(f"Segment(s) {unreachable} match no cell; remove them or fix their rules.")


def _check_scores(table: pd.DataFrame, bins: int) -> None:
    from .._errors import data_error

    for col in ("r_score", "f_score", "m_score"):
        if col not in table.columns:
            raise ParameterError(
                f"The RFM table has no {col!r} column (it has {list(table.columns)[:12]}); compute it with segkit.rfm(data)."
            )
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() | (values < 1) | (values > bins) | (values != values.round())
        if bad.any():
            raise data_error(
                col,
                f"scores outside 1..{bins}",
                int(bad.sum()),
                table.loc[bad, col].tolist(),
                f"Score the data with segkit.rfm(data, bins={bins}), or pass the matching bins=.",
            )


def _format_range(scores: Sequence[int], bins: int) -> str:
    scores = sorted(scores)
    if list(scores) == list(range(1, bins + 1)):
        return "*"
    if scores == list(range(scores[0], scores[-1] + 1)):
        return str(scores[0]) if len(scores) == 1 else f"{scores[0]}-{scores[-1]}"
    return ",".join(map(str, scores))
