"""The refused base and the renew index (индекс возобновления).

The refused base (отказ) is the prospects who asked and did not buy: usually the largest block of the base.
For each refused lead the methodology rates, 1-5 each, the strength of their brand, the attractiveness of
the order and how close we came to winning; the renew index is the sum (3-15), and the list is sorted by it.
Re-contact 1-2 weeks before the winner's project deadline, or about two months after the winner's launch.

Kit conventions, documented here and tested:

- **Ties** in the index are broken by how close we came (the best predictor of a second chance), then the
  attractiveness of the order, then the brand, then the earlier re-contact date, then the lead id: the
  ranking is total and the same on every run.
- **Re-contact window**: from 14 to 7 days before the winner's deadline when it is known; otherwise from 60
  to 67 days after the winner's launch (two months, give or take a week); otherwise no date.
- A lead with a missing rating gets no index and is listed after the rated ones (``rated`` is False).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from ._common import crm_as_of
from ._tables import CRM

__all__ = ["RENEW_RATINGS", "renew_index"]

#: The three ratings of the renew index, in the order of the tie rule.
RENEW_RATINGS = ("closeness", "order_attractiveness", "brand_strength")


def renew_index(
    crm: CRM,
    *,
    as_of: Any = None,
    before_deadline_days: tuple[int, int] = (14, 7),
    after_launch_days: tuple[int, int] = (60, 67),
) -> pd.DataFrame:
    """The refused leads ranked by the renew index, with suggested re-contact dates.

    Parameters
    ----------
    crm : CRM
        Needs the ``leads`` table with the stage ``refused`` and the three ratings (``brand_strength``,
        ``order_attractiveness``, ``closeness``, each 1-5); ``winner_deadline`` / ``winner_launch`` give
        the re-contact dates.
    as_of : date-like, optional
        The report date: says whether each re-contact window is ahead (``upcoming``), open (``due``)
        or over (``missed``). Default: the day after the last transaction or CRM date.
    before_deadline_days : (int, int), default (14, 7)
        Window before the winner's deadline, in days (from, to).
    after_launch_days : (int, int), default (60, 67)
        Window after the winner's launch, in days (from, to).

    Returns
    -------
    pandas.DataFrame
        One row per refused lead, best first: ``rank``, ``lead_id``, the three ratings,
        ``renew_index`` (3-15), ``rated``, ``recontact_from``, ``recontact_to``, ``recontact_basis``
        (``deadline``, ``launch`` or ``none``), ``recontact_status`` and the lead's other columns.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> leads = pd.DataFrame({
    ...     "lead_id": ["L1", "L2", "L3"], "contact_date": ["2024-01-10"] * 3, "stage": ["refused"] * 3,
    ...     "brand_strength": [5, 3, 4], "order_attractiveness": [4, 4, 4], "closeness": [3, 5, 4],
    ...     "winner_deadline": ["2025-03-01", None, None], "winner_launch": [None, "2024-12-01", None]})
    >>> r = segkit.renew_index(segkit.read_crm({"leads": leads}), as_of="2025-01-15")
    >>> r[["rank", "lead_id", "renew_index", "recontact_from", "recontact_status"]]
       rank lead_id  renew_index recontact_from recontact_status
    0     1      L2           12     2025-01-30         upcoming
    1     2      L3           12            NaT          no date
    2     3      L1           12     2025-02-15         upcoming
    """
    (leads,) = crm.require("leads", analysis="The renew index")
    missing = [c for c in RENEW_RATINGS if c not in leads.columns]
    if missing:
        raise ParameterError(
            f"The renew index needs the leads' ratings {', '.join(missing)} (1-5 each); the leads table has "
            f"none. Map them with columns={{'leads': {{{missing[0]!r}: 'your column'}}}}."
        )
    _check_window("before_deadline_days", before_deadline_days)
    _check_window("after_launch_days", after_launch_days)
    as_of = crm_as_of(crm, as_of)
    refused = leads.loc[leads["stage"] == "refused"].copy()
    ratings = refused[list(RENEW_RATINGS)].astype("float")
    refused["rated"] = ratings.notna().all(axis=1)
    refused["renew_index"] = ratings.sum(axis=1, min_count=3).astype("Int64")

    never = pd.Series(pd.NaT, index=refused.index, dtype="datetime64[ns]")
    deadline = refused["winner_deadline"] if "winner_deadline" in refused else never
    launch = refused["winner_launch"] if "winner_launch" in refused else never
    by_deadline = deadline.notna()
    by_launch = ~by_deadline & launch.notna()
    lo = np.where(
        by_deadline,
        deadline - pd.Timedelta(days=before_deadline_days[0]),
        launch + pd.Timedelta(days=after_launch_days[0]),
    )
    hi = np.where(
        by_deadline,
        deadline - pd.Timedelta(days=before_deadline_days[1]),
        launch + pd.Timedelta(days=after_launch_days[1]),
    )
    refused["recontact_from"] = pd.to_datetime(pd.Series(lo, index=refused.index)).where(
        by_deadline | by_launch
    )
    refused["recontact_to"] = pd.to_datetime(pd.Series(hi, index=refused.index)).where(
        by_deadline | by_launch
    )
    refused["recontact_basis"] = np.select([by_deadline, by_launch], ["deadline", "launch"], "none")
    refused["recontact_status"] = np.select(
        [
            refused["recontact_from"].isna(),
            refused["recontact_to"] < as_of,
            refused["recontact_from"] > as_of,
        ],
        ["no date", "missed", "upcoming"],
        "due",
    )
    # The tie rule: index, closeness, attractiveness, brand (all descending), earlier window, lead id.
    order = refused.assign(
        _idx=refused["renew_index"].astype("float").fillna(-1),
        _date=refused["recontact_from"].fillna(pd.Timestamp.max),
    ).sort_values(
        ["_idx", *RENEW_RATINGS, "_date", "lead_id"],
        ascending=[False, False, False, False, True, True],
        na_position="last",
        kind="mergesort",
    )
    order = order.drop(columns=["_idx", "_date"]).reset_index(drop=True)
    order.insert(0, "rank", np.arange(1, len(order) + 1))
    first = [
        "rank",
        "lead_id",
        *reversed(RENEW_RATINGS),
        "renew_index",
        "rated",
        "recontact_from",
        "recontact_to",
        "recontact_basis",
        "recontact_status",
    ]
    rest = [c for c in order.columns if c not in first and c != "stage"]
    return order[first + rest]


def _check_window(name: str, window: Any) -> None:
    ok = (
        isinstance(window, tuple | list)
        and len(window) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in window)
    )
    if not ok:
        raise ParameterError(f"{name} must be two whole numbers of days (from, to); got {window!r}.")
