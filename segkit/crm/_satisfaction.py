"""CSI (индекс удовлетворённости) and NPS from 0-10 answers to "would you recommend us?".

- **CSI** (the methodology's): attract = share of answers 8-10, detract = share of answers 1-3;
  CSI = attract / detract. It should be **well above 1**: a CSI near 1 means for every client who would
  bring others there is one who would warn them off, so word of mouth cancels out; below 1 it works against
  us. Kit convention: on a 0-10 scale an answer of 0 counts as detract too (it is worse than 1).
- **NPS** (the standard variant): promoters 9-10 minus detractors 0-6, in points from -100 to 100.

Edge cases (defined here, tested): no answers gives NaN for both; answers but no detractors gives
CSI = inf (all attract, no detract) or NaN when there are no attractors either (0/0); NPS is always defined
when there is at least one answer.

Confidence intervals are normal approximations: for NPS the variance of the difference of two multinomial
shares; for CSI the delta method on log(attract / detract), with half an answer added to both counts when
one of them is zero (so the interval still says something; the upper end is then inf when there are no
detractors). A group with fewer than ``min_answers`` answers (30 by default, a kit convention) is flagged
``small_sample``: its interval is wide and its CSI can swing on one answer.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ._common import group_labels, in_period
from ._tables import CRM

__all__ = ["csi_nps", "satisfaction_scores"]

_BY = ("segment", "manager", "quarter", "customer")


def satisfaction_scores(scores: Any, *, confidence: float = 0.95, min_answers: int = 30) -> dict[str, Any]:
    """CSI and NPS of one set of 0-10 answers, with confidence intervals.

    Examples
    --------
    >>> import segkit
    >>> r = segkit.satisfaction_scores([10, 9, 8, 8, 2, 7])
    >>> r["attract"], r["detract"], r["csi"], round(r["nps"], 2)
    (0.6666666666666666, 0.16666666666666666, 4.0, 16.67)
    >>> segkit.satisfaction_scores([9, 10])["csi"]
    inf
    >>> import math; math.isnan(segkit.satisfaction_scores([])["nps"])
    True
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be between 0 and 1; got {confidence!r}.")
    if isinstance(min_answers, bool) or not isinstance(min_answers, int) or min_answers < 1:
        raise ParameterError(f"min_answers must be a positive int; got {min_answers!r}.")
    values = pd.to_numeric(pd.Series(list(scores), dtype=object), errors="coerce")
    bad = values.isna() | ~values.isin(range(11))
    if bad.any():
        raise ParameterError(
            f"scores must be whole numbers 0-10; got {values[bad].head(5).tolist()} ({int(bad.sum())} values)."
        )
    n = len(values)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    n_attract = int((values >= 8).sum())
    n_detract = int((values <= 3).sum())
    n_prom = int((values >= 9).sum())
    n_det = int((values <= 6).sum())
    out: dict[str, Any] = {
        "answers": n,
        "attract": n_attract / n if n else np.nan,
        "detract": n_detract / n if n else np.nan,
        "csi": np.nan,
        "csi_low": np.nan,
        "csi_high": np.nan,
        "promoters": n_prom / n if n else np.nan,
        "detractors": n_det / n if n else np.nan,
        "nps": np.nan,
        "nps_low": np.nan,
        "nps_high": np.nan,
        "small_sample": n < min_answers,
    }
    if n == 0:
        return out
    if n_detract > 0:
        out["csi"] = n_attract / n_detract
    elif n_attract > 0:
        out["csi"] = np.inf
    # Delta method on the log ratio; Haldane's half-count when a count is zero.
    half = 0.5 if (n_attract == 0 or n_detract == 0) else 0.0
    a, d, total = n_attract + half, n_detract + half, n + 2 * half
    pa, pd_ = a / total, d / total
    se = np.sqrt((1 - pa) / (total * pa) + (1 - pd_) / (total * pd_) + 2 / total)
    centre = np.log(pa / pd_)
    out["csi_low"] = float(np.exp(centre - z * se)) if n_attract > 0 else 0.0
    out["csi_high"] = float(np.exp(centre + z * se)) if n_detract > 0 else np.inf
    p, q = n_prom / n, n_det / n
    nps = p - q
    se_nps = np.sqrt(max(p + q - nps**2, 0.0) / n)
    out["nps"] = 100 * nps
    out["nps_low"] = max(-100.0, 100 * (nps - z * se_nps))
    out["nps_high"] = min(100.0, 100 * (nps + z * se_nps))
    return out


def csi_nps(
    crm: CRM,
    *,
    by: str | pd.Series | None = None,
    as_of: Any = None,
    start: Any = None,
    confidence: float = 0.95,
    min_answers: int = 30,
) -> pd.DataFrame:
    """CSI and NPS of the survey answers, overall or by segment, manager, quarter or customer.

    Parameters
    ----------
    crm : CRM
        Needs the ``surveys`` table; ``by="segment"`` also needs ``customers`` (its ``segment``
        column), ``by="manager"`` the surveys' ``manager`` column or else the customers' one.
    by : {"segment", "manager", "quarter", "customer"}, Series or None
        Grouping; a Series maps customer ids to any labels (RFM segments, personas).
    as_of, start : date-like, optional
        Only answers in ``[start, as_of)`` count; default: all answers before ``as_of`` (if given).
    confidence : float, default 0.95
        Level of the confidence intervals.
    min_answers : int, default 30
        Groups with fewer answers are flagged ``small_sample``.

    Returns
    -------
    pandas.DataFrame
        One row per group (``all`` without ``by``): ``answers``, ``attract``, ``detract``, ``csi``,
        ``csi_low``, ``csi_high``, ``promoters``, ``detractors``, ``nps``, ``nps_low``, ``nps_high``,
        ``small_sample``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> crm = segkit.read_crm({"surveys": pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"], "survey_date": ["2024-01-10", "2024-02-01", "2024-04-03", "2024-05-05"],
    ...     "score": [9, 2, 10, 8], "manager": ["Ivanova", "Ivanova", "Petrov", "Petrov"]})})
    >>> segkit.csi_nps(crm, by="manager")[["answers", "csi", "nps", "small_sample"]]
             answers  csi   nps  small_sample
    manager
    Ivanova        2  1.0   0.0          True
    Petrov         2  inf  50.0          True
    """
    (surveys,) = crm.require("surveys", analysis="CSI and NPS")
    if as_of is not None:
        end = pd.Timestamp(as_of)
        begin = pd.Timestamp(start) if start is not None else surveys["survey_date"].min()
        surveys = surveys.loc[in_period(surveys["survey_date"], begin, end)]
    elif start is not None:
        surveys = surveys.loc[surveys["survey_date"] >= pd.Timestamp(start)]
    if by is None:
        labels = pd.Series("all", index=surveys.index, name="group")
    elif isinstance(by, pd.Series):
        labels = by.reindex(surveys["customer_id"]).set_axis(surveys.index).astype("object").fillna("(none)")
        labels = labels.rename(by.name or "group")
    else:
        check_choice("by", by, _BY)
        labels = _labels(crm, surveys, by)
    rows = {
        key: satisfaction_scores(group["score"], confidence=confidence, min_answers=min_answers)
        for key, group in surveys.groupby(labels, sort=True)
    }
    out = pd.DataFrame.from_dict(rows, orient="index")
    if out.empty:
        out = pd.DataFrame(
            [satisfaction_scores([], confidence=confidence, min_answers=min_answers)], index=["all"]
        )
    out.index.name = labels.name
    return out


def _labels(crm: CRM, surveys: pd.DataFrame, by: str) -> pd.Series:
    if by == "quarter":
        return surveys["survey_date"].dt.to_period("Q").astype(str).rename("quarter")
    if by == "customer":
        return surveys["customer_id"].rename("customer_id")
    if by == "manager" and "manager" in surveys and surveys["manager"].notna().all():
        return surveys["manager"].rename("manager")
    labels = group_labels(crm, by, pd.Index(surveys["customer_id"].unique()))
    mapped = surveys["customer_id"].map(labels)
    if by == "manager" and "manager" in surveys:
        mapped = surveys["manager"].astype("object").fillna(mapped)
    return mapped.rename(by)
