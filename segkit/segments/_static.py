"""Static segments and the segment-size check.

The methodology [S0] distinguishes a **static segment**, a fixed list that does not change by itself (VIP
clients chosen by hand: not only the most profitable, also influential or long-standing ones), from a
**dynamic segment**, whoever meets the conditions at the as-of date (the RFM segments here). Both appear
in the segment tables; a static list keeps its members whatever their scores do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import DataContractError, ParameterError, data_error
from .._validation import Interval, Pair, validate_params

__all__ = [
    "PERSONA_GUIDANCE",
    "SEGMENT_SIZE_GUIDANCE",
    "STATIC_ACTION",
    "add_static_segments",
    "segment_size_check",
    "static_segment",
]

#: The methodology's guidance: a segment holds about 7-10 % of the base [S1].
SEGMENT_SIZE_GUIDANCE = (0.07, 0.10)
#: The methodology's guidance: usually 3-7 personas [S1].
PERSONA_GUIDANCE = (3, 7)
#: What a hand-picked list is for [S0].
STATIC_ACTION = "Hand-picked list: treat its members as agreed for the list, whatever their scores do."
STATIC_COLUMN = "static_segment"


def static_segment(
    source: str | Path | pd.DataFrame | pd.Series | Iterable[Any],
    *,
    name: str | None = None,
    column: str = "customer_id",
    segment_column: str | None = None,
) -> pd.Series:
    """Read a static segment: a user-supplied list of customers (a file, a column or ids).

    Parameters
    ----------
    source : path, DataFrame, Series or iterable of ids
        A CSV / Excel file or a DataFrame with a ``column`` of customer ids (and optionally a segment
        column); a Series of segment names indexed by customer id; or plain ids.
    name : str, optional
        The segment name for every listed customer (e.g. ``"VIP"``). Required unless the list has a
        segment column.
    column : str
        The customer-id column of a file or DataFrame.
    segment_column : str, optional
        A column holding the segment name per row (several static segments in one list). When omitted and
        the table has a ``segment`` column, that one is used unless ``name`` is given.

    Returns
    -------
    pandas.Series
        Indexed by ``customer_id`` (text), the static segment name of each listed customer.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> segkit.static_segment(["C001", "C007"], name="VIP").to_dict()
    {'C001': 'VIP', 'C007': 'VIP'}
    >>> table = pd.DataFrame({"client": ["7", "9"], "list": ["VIP", "Partner"]})
    >>> segkit.static_segment(table, column="client", segment_column="list").to_dict()
    {'7': 'VIP', '9': 'Partner'}
    """
    frame = _as_frame(source, column)
    if column not in frame.columns:
        raise DataContractError(
            f"The static segment list has no {column!r} column (it has {list(frame.columns)[:10]}); pass "
            "column='<customer id column>'."
        )
    ids = frame[column]
    missing = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing.any():
        raise data_error(
            column,
            "missing customer ids in the static list",
            int(missing.sum()),
            frame.index[missing].tolist(),
            "Remove the empty rows or fill in the ids.",
        )
    ids = ids.astype(str).str.strip()
    seg_col = segment_column or ("segment" if name is None and "segment" in frame.columns else None)
    if seg_col is not None:
        if seg_col not in frame.columns:
            raise DataContractError(
                f"segment_column={seg_col!r} is not a column of the static list (it has {list(frame.columns)[:10]})."
            )
        labels = frame[seg_col].astype(str).str.strip()
    elif name is None or not str(name).strip():
        raise ParameterError("A plain list of customers needs a segment name: pass name='VIP' (for example).")
    else:
        labels = pd.Series(str(name).strip(), index=frame.index)
    out = pd.Series(labels.to_numpy(), index=pd.Index(ids.to_numpy(), name="customer_id"), name=STATIC_COLUMN)
    dup = out.groupby(level=0).nunique()
    conflicting = dup.index[dup > 1]
    if len(conflicting):
        raise data_error(
            column,
            "customers listed in two static segments",
            len(conflicting),
            list(conflicting),
            "Give each customer one static segment.",
        )
    out = out[~out.index.duplicated()].sort_index().astype("str")
    if out.empty:
        raise DataContractError("The static segment list is empty; there is nobody to mark.")
    return out


def _as_frame(source: Any, column: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.reset_index(drop=source.index.name != column)
    if isinstance(source, pd.Series):
        frame = source.rename("segment").rename_axis(column).reset_index()
        frame[column] = frame[column].astype(str)
        return frame
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ParameterError(f"The static segment file {str(path)!r} does not exist.")
        if path.suffix.lower() in (".xlsx", ".xls"):
            return pd.read_excel(path, dtype=str)
        return pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    try:
        ids = list(source)
    except TypeError as exc:
        raise ParameterError(
            f"static segment source must be a file, a DataFrame, a Series or a list of ids; got "
            f"{type(source).__name__}."
        ) from exc
    return pd.DataFrame({column: pd.Series(ids, dtype=object).astype(str)})


def add_static_segments(segments: pd.DataFrame, static: pd.Series) -> pd.DataFrame:
    """Add the ``static_segment`` column ("" for customers on no list) to a segment table.

    Listed customers who are not in the table (no purchase before the as-of date) are counted in
    ``attrs["static_not_in_base"]``; they are not invented.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> seg = pd.DataFrame({"segment": ["Lost", "Champions"]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> out = segkit.add_static_segments(seg, segkit.static_segment(["a", "zz"], name="VIP"))
    >>> out["static_segment"].tolist(), out.attrs["static_not_in_base"]
    (['VIP', ''], 1)
    """
    if not isinstance(segments, pd.DataFrame):
        raise ParameterError("segments must be a segment table (a DataFrame indexed by customer id).")
    if not isinstance(static, pd.Series):
        raise ParameterError("static must be the Series segkit.static_segment(...) returns.")
    out = segments.copy()
    index = out.index.astype(str)
    out[STATIC_COLUMN] = pd.array(static.reindex(index).fillna("").to_numpy(), dtype="str")
    out.attrs["static_not_in_base"] = int((~static.index.isin(index)).sum())
    return out


@validate_params(guidance=[Pair(Interval(float, 0, 1))], n_personas=[None, Interval(int, 1, None)])
def segment_size_check(
    segments: pd.DataFrame | pd.Series,
    *,
    guidance: tuple[float, float] = SEGMENT_SIZE_GUIDANCE,
    n_personas: int | None = None,
) -> pd.DataFrame:
    """Every segment's share of the base against the methodology's 7-10 % guidance.

    Parameters
    ----------
    segments : DataFrame or Series
        A :func:`segkit.segment_summary` table (``customers`` column, indexed by segment), a segment table
        with a ``segment`` column, or a Series of segment labels per customer.
    guidance : (float, float)
        The expected share of the base per segment (7 % to 10 % [S1]).
    n_personas : int, optional
        The number of personas, checked against the 3-7 guidance [S1] in an extra row.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment: ``customers``, ``share``, ``guidance``, ``verdict`` ("below", "within",
        "above"), ``source``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> labels = pd.Series(["a"] * 8 + ["b"] * 80 + ["c"] * 12)
    >>> segkit.segment_size_check(labels, n_personas=9)[["customers", "share", "verdict"]]
                customers  share verdict
    segment
    a                   8   0.08  within
    b                  80   0.80   above
    c                  12   0.12   above
    (personas)          9    NaN   above
    """
    low, high = (float(g) for g in guidance)
    counts = _segment_counts(segments)
    total = int(counts.sum())
    share = counts / total if total else counts.astype(float)
    out = pd.DataFrame({"customers": counts.astype("int64"), "share": share.astype(float)})
    out["guidance"] = f"{low:.0%}-{high:.0%} of the base"
    out["verdict"] = np.where(
        out["share"] < low - 1e-12, "below", np.where(out["share"] > high + 1e-12, "above", "within")
    )
    out["source"] = "methodology [S1]"
    if n_personas is not None:
        p_low, p_high = PERSONA_GUIDANCE
        verdict = "below" if n_personas < p_low else ("above" if n_personas > p_high else "within")
        out.loc["(personas)"] = [
            int(n_personas),
            np.nan,
            f"{p_low}-{p_high} personas",
            verdict,
            "methodology [S1]",
        ]
        out["customers"] = out["customers"].astype("int64")
    out.index.name = "segment"
    return out


def _segment_counts(segments: pd.DataFrame | pd.Series) -> pd.Series:
    if isinstance(segments, pd.Series):
        return segments.astype(str).value_counts(sort=False).sort_index()
    if isinstance(segments, pd.DataFrame) and "customers" in segments.columns:
        frame = segments
        if "kind" in frame.columns:  # static lists overlap the dynamic segments; sizes are per kind
            frame = frame.loc[frame["kind"] == "dynamic"]
        return frame["customers"]
    if isinstance(segments, pd.DataFrame) and "segment" in segments.columns:
        column = segments["segment"]
        if isinstance(column.dtype, pd.CategoricalDtype):
            return column.value_counts(sort=False)
        return column.astype(str).value_counts(sort=False).sort_index()
    raise ParameterError(
        "segments must be a segment_summary table, a segment table with a 'segment' column, or a Series of labels."
    )
