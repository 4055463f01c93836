"""The activity x capacity matrix (the methodology's analogue of the BCG matrix).

- **Activity**: how much the client initiates: client-initiated requests plus orders in the period.
- **Capacity**: how much more we could sell them: a manager's rating (1-5, the latest before the as-of date).

| quadrant | activity | capacity | strategy (methodology) |
|---|---|---|---|
| stars (звёзды) | high | high | develop |
| problem children (трудные дети) | low | high | raise their activity |
| cash cows (дойные коровы) | high | low | look for new niches with them |
| dogs (собаки) | low | low | drop, or hand to junior partners |

Boundaries (kit convention, tested): activity is high when it is **at least** the threshold, by default the
median activity of the rated customers (so the split adapts to the base); capacity is high when the rating is
**at least** 4 (above the middle of the 1-5 scale). A customer without a rating is not placed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ._common import in_period, period
from ._loyalty import _period_summary
from ._tables import CRM

__all__ = ["QUADRANT_STRATEGIES", "activity_capacity"]

#: Strategy per quadrant, in the methodology's words.
QUADRANT_STRATEGIES = {
    "stars": "develop",
    "problem children": "raise their activity",
    "cash cows": "look for new niches with them",
    "dogs": "drop, or hand to junior partners",
}


def activity_capacity(
    crm: CRM,
    *,
    as_of: Any = None,
    start: Any = None,
    window_months: int = 12,
    activity_threshold: float | None = None,
    capacity_threshold: float = 4,
) -> pd.DataFrame:
    """Place each rated customer in the activity x capacity matrix.

    Parameters
    ----------
    crm : CRM
        Needs ``assessments`` (the capacity rating) and at least one of ``requests`` (client-initiated
        ones count) and the transactions (orders).
    as_of, start, window_months
        The period ``[start, as_of)`` in which activity is counted (default: the 12 months before).
    activity_threshold : float, optional
        Activity at or above it is high; default: the median activity of the rated customers.
    capacity_threshold : float, default 4
        Rating at or above it is high.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``client_requests``, ``orders``, ``activity``, ``capacity``,
        ``quadrant``, ``strategy``; ``attrs`` hold the thresholds used.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> crm = segkit.read_crm({
    ...     "assessments": pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "capacity": [5, 4, 3, 1]}),
    ...     "requests": pd.DataFrame({"customer_id": ["a", "a", "c", "c", "d"],
    ...                               "request_date": ["2024-06-01", "2024-06-02"] * 2 + ["2024-07-01"]}),
    ... })
    >>> m = segkit.activity_capacity(crm, as_of="2025-01-01", activity_threshold=2)
    >>> m[["activity", "capacity", "quadrant"]]
                 activity  capacity          quadrant
    customer_id
    a                   2         5             stars
    b                   0         4  problem children
    c                   2         3         cash cows
    d                   1         1              dogs
    """
    (ratings,) = crm.require("assessments", analysis="The activity x capacity matrix")
    if not (crm.has("requests") or crm.has("transactions")):
        crm.require("requests", analysis="The activity x capacity matrix (activity)")
    begin, end = period(crm, as_of, start, window_months)
    if "assessment_date" in ratings:
        ratings = ratings.loc[ratings["assessment_date"].isna() | (ratings["assessment_date"] < end)]
        ratings = ratings.sort_values("assessment_date", na_position="first", kind="mergesort")
    latest = ratings.groupby("customer_id")["capacity"].last().astype(float)
    out = pd.DataFrame(index=latest.index.rename("customer_id"))
    out["client_requests"] = 0
    if crm.has("requests"):
        req = crm["requests"]
        req = req.loc[in_period(req["request_date"], begin, end)]
        if "initiated_by" in req:
            req = req.loc[req["initiated_by"].fillna("client") == "client"]
        out["client_requests"] = req.groupby("customer_id").size().reindex(out.index).fillna(0).astype(int)
    out["orders"] = 0
    if crm.has("transactions"):
        summary = _period_summary(crm.transactions, begin, end)
        out["orders"] = summary["n_orders"].reindex(out.index).fillna(0).astype(int)
    out["activity"] = out["client_requests"] + out["orders"]
    out["capacity"] = latest.astype(int)
    if activity_threshold is None:
        activity_threshold = float(out["activity"].median()) if len(out) else 0.0
    elif not isinstance(activity_threshold, int | float) or isinstance(activity_threshold, bool):
        raise ParameterError(f"activity_threshold must be a number; got {activity_threshold!r}.")
    if not isinstance(capacity_threshold, int | float) or not 1 <= capacity_threshold <= 5:
        raise ParameterError(f"capacity_threshold must be a number from 1 to 5; got {capacity_threshold!r}.")
    active = out["activity"] >= activity_threshold
    capable = out["capacity"] >= capacity_threshold
    out["quadrant"] = np.select(
        [active & capable, ~active & capable, active & ~capable],
        ["stars", "problem children", "cash cows"],
        "dogs",
    )
    out["strategy"] = out["quadrant"].map(QUADRANT_STRATEGIES)
    out.attrs.update(
        activity_threshold=float(activity_threshold),
        capacity_threshold=float(capacity_threshold),
        start=begin,
        end=end,
    )
    return out


def quadrant_summary(matrix: pd.DataFrame) -> pd.DataFrame:
    """Customers per quadrant with the strategy, in the order stars, problem children, cash cows, dogs."""
    counts = matrix["quadrant"].value_counts().reindex(list(QUADRANT_STRATEGIES), fill_value=0)
    out = pd.DataFrame({"customers": counts, "share": counts / max(len(matrix), 1)})
    out["strategy"] = [QUADRANT_STRATEGIES[q] for q in out.index]
    out.index.name = "quadrant"
    return out
