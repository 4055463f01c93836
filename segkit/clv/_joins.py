"""CLV and P(alive) beside the other views of a customer: RFM segment, persona, ABC class, churn status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._validation import Interval, validate_params

__all__ = ["StatusReconciliation", "clv_by_group", "join_segments", "reconcile_status"]

_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _labels(obj: Any, name: str, column: str, getter: str | None = None) -> pd.Series:
    """The per-customer label in ``obj``: a Series, a frame with ``column``, or a fitted segkit result."""
    if getter is not None and hasattr(obj, getter):
        obj = getattr(obj, getter)
        obj = obj() if callable(obj) else obj
    if isinstance(obj, pd.DataFrame):
        if column not in obj.columns:
            raise ParameterError(
                f"{name}: the frame has no column {column!r}; pass the output of the segkit function."
            )
        obj = obj[column]
    if not isinstance(obj, pd.Series):
        raise ParameterError(
            f"{name} must be a Series of labels by customer id or a segkit result; got {type(obj).__name__}."
        )
    out = obj.copy()
    out.index = out.index.astype(str)
    return out


def _check_values(values: pd.DataFrame) -> None:
    if not isinstance(values, pd.DataFrame) or not {"clv", "p_alive"} <= set(values.columns):
        raise ParameterError("values must be the output of segkit.customer_value (columns clv and p_alive).")


def join_segments(
    values: pd.DataFrame, *, rfm: Any = None, personas: Any = None, abc: Any = None, status: Any = None
) -> pd.DataFrame:
    """Add the RFM segment, persona, ABC class and churn status of each customer to the CLV table.

    Parameters
    ----------
    values : DataFrame
        :func:`segkit.customer_value`.
    rfm : DataFrame or Series, optional
        :func:`segkit.rfm_segments` (its ``segment``) or labels by customer id.
    personas : Personas or DataFrame or Series, optional
        A fitted :class:`segkit.Personas` (its persona names), its ``assignments()``, or labels.
    abc : ABCResult or DataFrame or Series, optional
        :func:`segkit.abc` (its ``abc_class``) or labels.
    status : DataFrame or Series, optional
        :func:`segkit.customer_status` (its ``status``) or labels.

    Returns
    -------
    DataFrame
        ``values`` plus ``segment``, ``persona``, ``abc_class``, ``status`` for those given. A customer absent
        from a source gets a missing label; ``attrs["missing"]`` counts them per column.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.DataFrame({"clv": [30.0, 5.0], "p_alive": [0.9, 0.2]}, index=["a", "b"])
    >>> segkit.join_segments(values, abc=pd.Series({"a": "A", "b": "C"}))["abc_class"].tolist()
    ['A', 'C']
    """
    _check_values(values)
    out = values.copy()
    missing: dict[str, int] = {}
    sources = (
        ("segment", rfm, "rfm", "segment", None),
        ("persona", personas, "personas", "persona_name", "assignments"),
        ("abc_class", abc, "abc", "abc_class", "table_"),
        ("status", status, "status", "status", None),
    )
    for col, obj, name, column, getter in sources:
        if obj is None:
            continue
        labels = _labels(obj, name, column, getter)
        out[col] = labels.reindex(out.index.astype(str)).to_numpy()
        if isinstance(labels.dtype, pd.CategoricalDtype):
            out[col] = pd.Categorical(out[col], categories=labels.cat.categories, ordered=labels.cat.ordered)
        missing[col] = int(out[col].isna().sum())
    out.attrs = dict(values.attrs, missing={**values.attrs.get("missing", {}), **missing})
    return out


def clv_by_group(values: pd.DataFrame, by: str | pd.Series) -> pd.DataFrame:
    """CLV per group: how many customers, how much of the base's value, and how alive.

    Parameters
    ----------
    values : DataFrame
        :func:`segkit.customer_value` or :func:`segkit.join_segments`.
    by : str or Series
        A column of ``values`` (``"segment"``, ``"persona"``, ``"abc_class"``, ``"status"``) or labels by
        customer id.

    Returns
    -------
    DataFrame
        Per group: ``customers``, ``share_customers``, ``clv_total``, ``share_clv``, ``clv_mean``,
        ``clv_median``, ``p_alive_mean``, ``expected_purchases_mean``; sorted by ``clv_total``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.DataFrame({"clv": [30.0, 10.0, 5.0], "p_alive": [0.9, 0.5, 0.2],
    ...                        "expected_purchases": [3.0, 1.0, 0.5], "abc_class": ["A", "B", "B"]})
    >>> segkit.clv_by_group(values, "abc_class")["share_clv"].round(2).tolist()
    [0.67, 0.33]
    """
    _check_values(values)
    if isinstance(by, str):
        if by not in values.columns:
            raise ParameterError(
                f"by={by!r} is not a column of values; columns: {', '.join(values.columns)}."
            )
        key = values[by]
    else:
        key = _labels(by, "by", "", None).reindex(values.index.astype(str))
        key.index = values.index
    frame = values.assign(_group=key.to_numpy())
    if isinstance(key.dtype, pd.CategoricalDtype):
        frame["_group"] = pd.Categorical(frame["_group"], categories=key.cat.categories)
    grouped = frame.groupby("_group", observed=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "clv_total": grouped["clv"].sum(),
            "clv_mean": grouped["clv"].mean(),
            "clv_median": grouped["clv"].median(),
            "p_alive_mean": grouped["p_alive"].mean(),
        }
    )
    if "expected_purchases" in values.columns:
        out["expected_purchases_mean"] = grouped["expected_purchases"].mean()
    out.insert(1, "share_customers", out["customers"] / len(values))
    total = values["clv"].sum()
    out.insert(3, "share_clv", out["clv_total"] / total if total > 0 else np.nan)
    out.index.name = by if isinstance(by, str) else (by.name or "group")
    return out.sort_values("clv_total", ascending=False, kind="stable")


@dataclass(frozen=True)
class StatusReconciliation:
    """Inactivity-rule status versus model P(alive) (the result of :func:`reconcile_status`).

    Attributes
    ----------
    by_status : DataFrame
        Rows: statuses; columns: customers per P(alive) band, the total, the mean P(alive) and the number of
        one-time buyers (no repeat purchase: P(alive) is 1 under BG/NBD whatever their silence).
    agreement : DataFrame
        2 x 2 counts: churned by the rule (rows) versus low P(alive) (columns).
    agreement_rate : float
        Share of customers on which the two verdicts agree.
    low_p_alive : float
        The P(alive) below which a customer counts as probably gone.
    """

    by_status: pd.DataFrame
    agreement: pd.DataFrame
    agreement_rate: float
    low_p_alive: float


@validate_params(low_p_alive=[Interval(float, 0, 1, closed="neither")])
def reconcile_status(values: pd.DataFrame, status: Any, *, low_p_alive: float = 0.5) -> StatusReconciliation:
    """Set "churned by the inactivity rule" (:func:`segkit.customer_status`) beside "low P(alive)".

    The rule calls a customer churned after ``T`` silent days whatever their rhythm; the model weighs the
    silence against the customer's own purchase rate. Customers the rule calls churned with a high P(alive)
    are slow but regular buyers; active ones with a low P(alive) are frequent buyers gone unusually quiet:
    both are worth a look.

    Parameters
    ----------
    values : DataFrame
        :func:`segkit.customer_value` (P(alive) at the same date as ``status``).
    status : DataFrame or Series
        :func:`segkit.customer_status` or statuses by customer id.
    low_p_alive : float
        Below this P(alive) the model calls a customer probably gone (0.5 is a kit convention).

    Returns
    -------
    StatusReconciliation

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> values = pd.DataFrame({"clv": [1.0, 1.0, 1.0], "p_alive": [0.9, 0.1, 0.2]}, index=["a", "b", "c"])
    >>> rec = segkit.reconcile_status(values, pd.Series({"a": "active", "b": "churned", "c": "active"}))
    >>> int(rec.agreement.loc["churned by rule", "low P(alive)"]), round(rec.agreement_rate, 2)
    (1, 0.67)
    """
    _check_values(values)
    labels = _labels(status, "status", "status")
    stat = labels.reindex(values.index.astype(str))
    known = stat.notna().to_numpy()
    if not known.any():
        raise ParameterError(
            "status shares no customer id with values; compute both on the same data and date."
        )
    p = values["p_alive"].to_numpy()[known]
    stat = stat[known]
    bands = pd.cut(
        p,
        _BANDS,
        include_lowest=True,
        labels=[_band(lo, hi) for lo, hi in zip(_BANDS, _BANDS[1:], strict=False)],
    )
    table = pd.crosstab(
        pd.Series(stat.to_numpy(), name="status"), pd.Series(bands, name="p_alive"), dropna=False
    )
    if isinstance(labels.dtype, pd.CategoricalDtype):
        table = table.reindex([c for c in labels.cat.categories if c in table.index])
    table["customers"] = table.sum(axis=1)
    table["p_alive_mean"] = pd.Series(p).groupby(stat.to_numpy()).mean().reindex(table.index).to_numpy()
    if "frequency" in values.columns:
        # BG/NBD gives P(alive) = 1 to anyone without a repeat purchase: show how many such rows a band holds.
        once = pd.Series(values["frequency"].to_numpy()[known] == 0).groupby(stat.to_numpy()).sum()
        table["one_time_buyers"] = once.reindex(table.index).fillna(0).astype(int).to_numpy()
    churned = stat.to_numpy() == "churned"
    low = p < low_p_alive
    agree = pd.DataFrame(
        [
            [int((churned & low).sum()), int((churned & ~low).sum())],
            [int((~churned & low).sum()), int((~churned & ~low).sum())],
        ],
        index=pd.Index(["churned by rule", "not churned"], name="inactivity rule"),
        columns=pd.Index(["low P(alive)", "high P(alive)"], name=f"model (threshold {low_p_alive:g})"),
    )
    rate = float((churned == low).mean())
    return StatusReconciliation(
        by_status=table, agreement=agree, agreement_rate=rate, low_p_alive=float(low_p_alive)
    )


def _band(lo: float, hi: float) -> str:
    return f"{lo:.2f}-{hi:.2f}"
