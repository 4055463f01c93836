"""The structure of the client base over time: stage, readiness, B2B/B2C, acquisition channel.

The methodology's base is current clients + refused prospects + churned clients, and the types of base
are B2B / B2C; by stage leads, active and former clients; by readiness cold, warm, hot; by acquisition
channel. At a date each entity of the base (a customer, or a lead that has not become one) is in one state:

| state | rule (kit convention for the thresholds) |
|---|---|
| active | bought within the last ``inactivity_days`` days (default 365) |
| former | bought before, but not within the last ``inactivity_days`` days |
| refused | a lead marked refused (on its refusal date, else its contact date) that has not bought |
| lead | a lead (or a customer record) with no purchase yet and not refused |

Readiness (cold / warm / hot) is the lead's current stage: the tables hold no stage history, so at a past
date an open lead shows the stage it has now (a documented limitation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import customer_periods, date_range, known_customers, last_purchase_and_revenue
from ..io import Transactions
from ._common import crm_as_of, in_period, period
from ._tables import CRM, MissingTableError

__all__ = ["BASE_STATES", "base_movement", "base_states", "base_structure", "lead_conversion"]

BASE_STATES = ("lead", "active", "former", "refused")
_DIMENSIONS = ("customer_kind", "state", "readiness", "channel")
_STATE_COLUMNS = ("state", "readiness", "customer_kind", "channel", "last_purchase", "revenue_12m")


def base_states(crm: CRM, *, as_of: Any = None, inactivity_days: int = 365) -> pd.DataFrame:
    """The state of every entity of the base at ``as_of`` (entities not yet known then are left out).

    Parameters
    ----------
    crm : CRM
        Needs the ``leads`` table or the transactions (or both); ``customers`` adds B2B/B2C and channel.
    as_of : date-like, optional
        The date; default the day after the last transaction.
    inactivity_days : int, default 365
        A customer who bought within this many days before ``as_of`` is active, else former.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``entity_id`` (the customer id, or ``lead:<lead_id>`` for a lead without one):
        ``state``, ``readiness`` (leads only), ``customer_kind``, ``channel``, ``last_purchase``,
        ``revenue_12m`` (net revenue in the 12 months before ``as_of``).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> tx = segkit.read_transactions(pd.DataFrame({"customer_id": ["a", "b"],
    ...     "order_date": ["2024-11-01", "2022-05-01"], "amount": [100.0, 50.0]}))
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "contact_date": ["2024-10-01"] * 3,
    ...     "customer_id": ["a", None, None], "stage": ["won", "refused", "warm"]})
    >>> crm = segkit.read_crm({"leads": leads}, transactions=tx)
    >>> segkit.base_states(crm, as_of="2025-01-01")[["state", "readiness"]]
              state readiness
    entity_id
    a        active       NaN
    b        former       NaN
    lead:L2 refused       NaN
    lead:L3    lead      warm
    """
    if isinstance(inactivity_days, bool) or not isinstance(inactivity_days, int) or inactivity_days < 1:
        raise ParameterError(f"inactivity_days must be a positive int; got {inactivity_days!r}.")
    if not (crm.has("leads") or crm.has("transactions")):
        # The customers table alone has no dates: it cannot tell active from former clients or leads.
        raise MissingTableError(
            "The base structure needs the CRM table 'leads' or the transactions (orders), neither of which "
            "was given. Pass them to segkit.read_crm (in a report: --crm leads=FILE, --data FILE)."
        )
    as_of = crm_as_of(crm, as_of)
    purchases = _purchases(crm, as_of)
    entities = _entities(crm, as_of)
    last = purchases["last_purchase"].reindex(entities.index)
    bought = last.notna()
    recent = bought & ((as_of - last.dt.normalize()).dt.days <= inactivity_days)
    refused = entities["refused_on"].notna() & (entities["refused_on"] < as_of) & ~bought
    entities["state"] = np.select([recent, bought, refused], ["active", "former", "refused"], "lead")
    entities["readiness"] = entities["readiness"].where(entities["state"] == "lead")
    entities["last_purchase"] = last
    entities["revenue_12m"] = purchases["revenue_12m"].reindex(entities.index).fillna(0.0)
    out = entities[list(_STATE_COLUMNS)].sort_index()
    out.attrs = {"as_of": as_of, "inactivity_days": inactivity_days}
    return out


def _states_at(
    crm: CRM, states: pd.DataFrame | None, as_of: pd.Timestamp, inactivity_days: int
) -> pd.DataFrame:
    """``states`` when it is :func:`base_states` of this date and threshold, else computed here."""
    if states is None:
        return base_states(crm, as_of=as_of, inactivity_days=inactivity_days)
    if not isinstance(states, pd.DataFrame) or not set(_STATE_COLUMNS) <= set(states.columns):
        raise ParameterError(
            f"states must be the table segkit.base_states returns; got {type(states).__name__}."
        )
    made = (states.attrs.get("as_of"), states.attrs.get("inactivity_days"))
    if made != (as_of, inactivity_days):
        raise ParameterError(
            f"states were computed as of {made[0]} with inactivity_days={made[1]}, but this call is as of "
            f"{as_of} with inactivity_days={inactivity_days}; pass the base_states of the same date and "
            "threshold, or states=None."
        )
    return states


def base_structure(
    crm: CRM,
    *,
    as_of: Any = None,
    by: str | tuple[str, ...] | list[str] = ("customer_kind", "state"),
    inactivity_days: int = 365,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts, shares and revenue of the base at ``as_of`` by state, readiness, B2B/B2C or channel.

    Parameters
    ----------
    crm : CRM
        As for :func:`base_states`.
    as_of : date-like, optional
        The date; default the day after the last transaction.
    by : str or sequence of str, default ("customer_kind", "state")
        One or more of ``customer_kind``, ``state``, ``readiness``, ``channel``.
    inactivity_days : int, default 365
        A customer who bought within this many days before ``as_of`` is active, else former.
    states : DataFrame, optional
        :func:`base_states` of the same ``crm``, ``as_of`` and ``inactivity_days``, computed once for
        several breakdowns (each of which would otherwise compute it again); other dates are an error.

    Returns
    -------
    pandas.DataFrame
        Per group: ``entities``, ``share`` (of all entities), ``revenue_12m``, ``revenue_share``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> tx = segkit.read_transactions(pd.DataFrame({"customer_id": ["a", "b"],
    ...     "order_date": ["2024-11-01", "2022-05-01"], "amount": [100.0, 50.0]}))
    >>> segkit.base_structure(segkit.read_crm({}, transactions=tx), as_of="2025-01-01", by="state")
            entities  share  revenue_12m  revenue_share
    state
    active         1    0.5        100.0            1.0
    former         1    0.5          0.0            0.0
    """
    keys = [by] if isinstance(by, str) else list(by)
    for key in keys:
        check_choice("by", key, _DIMENSIONS)
    if states is None:
        states = base_states(crm, as_of=as_of, inactivity_days=inactivity_days)
    else:
        states = _states_at(crm, states, crm_as_of(crm, as_of), inactivity_days)
    filled = {k: states[k].astype("object").fillna("(unknown)") for k in keys}
    if "readiness" in filled:
        not_lead = np.where(states["state"] == "lead", "(unknown)", "(not a lead)")
        filled["readiness"] = (
            states["readiness"].astype("object").where(states["readiness"].notna(), not_lead)
        )
    frame = states.assign(**filled)
    out = frame.groupby(keys).agg(entities=("state", "size"), revenue_12m=("revenue_12m", "sum"))
    out.insert(1, "share", out["entities"] / max(len(states), 1))
    total = out["revenue_12m"].sum()
    out["revenue_share"] = out["revenue_12m"] / total if total else 0.0
    if "state" in keys and len(keys) == 1:
        out = out.reindex([s for s in BASE_STATES if s in out.index])
    return out


def base_movement(
    crm: CRM,
    *,
    start: Any,
    as_of: Any = None,
    inactivity_days: int = 365,
    states: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How the base moved between two dates: state at ``start`` (rows) by state at ``as_of`` (columns).

    Entities that joined the base in between are in the row ``new in the base``. ``states`` may be
    :func:`base_states` at ``as_of`` (with the same ``inactivity_days``), computed once for the page.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> tx = segkit.read_transactions(pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...     "order_date": ["2023-01-05", "2024-11-01", "2024-06-01"], "amount": [10.0, 100.0, 50.0]}))
    >>> segkit.base_movement(segkit.read_crm({}, transactions=tx), start="2024-03-01", as_of="2025-01-01",
    ...                      inactivity_days=300)
    state_now          active
    state_before
    former                  1
    new in the base         1
    """
    as_of = crm_as_of(crm, as_of)
    begin = pd.Timestamp(start)
    if begin >= as_of:
        raise ParameterError(f"start must be before the as-of date {as_of.date()}; got {start!r}.")
    before = base_states(crm, as_of=begin, inactivity_days=inactivity_days)["state"]
    now = _states_at(crm, states, as_of, inactivity_days)["state"]
    joined = before.reindex(now.index).fillna("new in the base")
    table = pd.crosstab(joined.rename("state_before"), now.rename("state_now"))
    rows = [s for s in (*BASE_STATES, "new in the base") if s in table.index]
    cols = [s for s in BASE_STATES if s in table.columns]
    return table.loc[rows, cols]


def lead_conversion(
    crm: CRM,
    *,
    by: str | None = "source",
    as_of: Any = None,
    start: Any = None,
    window_months: int = 12,
) -> pd.DataFrame:
    """Lead-to-order conversion of the leads contacted in ``[start, as_of)``.

    A lead is converted when its customer placed an order on or after the contact date and before
    ``as_of`` (a lead's customer id links it to the transactions).

    Parameters
    ----------
    crm : CRM
        Needs ``leads`` and the transactions.
    by : {"source", "manager", "customer_kind", "stage"} or None
        Grouping of the leads.

    Returns
    -------
    pandas.DataFrame
        ``leads``, ``converted``, ``conversion`` and ``median_days_to_order`` per group (``all`` without by).

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> tx = segkit.read_transactions(pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-03-01"],
    ...     "amount": [100.0]}))
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2"], "contact_date": ["2024-02-20", "2024-02-25"],
    ...     "customer_id": ["a", None], "stage": ["won", "refused"], "source": ["referral", "ads"]})
    >>> segkit.lead_conversion(segkit.read_crm({"leads": leads}, transactions=tx), as_of="2025-01-01")
              leads  converted  conversion  median_days_to_order
    source
    ads           1          0         0.0                   NaN
    referral      1          1         1.0                  10.0
    """
    leads, orders = crm.require("leads", "transactions", analysis="Lead-to-order conversion")
    begin, end = period(crm, as_of, start, window_months)
    if by is not None:
        check_choice("by", by, ("source", "manager", "customer_kind", "stage"))
        if by not in leads:
            raise ParameterError(f"by={by!r}: the leads table has no {by!r} column; pass by=None.")
    leads = leads.loc[in_period(leads["contact_date"], begin, end)].copy()
    first = _first_order_days(orders, leads, end)
    leads["first_order"] = leads["lead_id"].map(first)
    leads["days"] = (leads["first_order"] - leads["contact_date"].dt.normalize()).dt.days
    labels = leads[by].astype("object").fillna("(unknown)") if by else pd.Series("all", index=leads.index)
    grouped = leads.groupby(labels.rename(by or "group"))
    out = pd.DataFrame(
        {
            "leads": grouped.size(),
            "converted": grouped["first_order"].count(),
            "median_days_to_order": grouped["days"].median(),
        }
    )
    out.insert(2, "conversion", out["converted"] / out["leads"])
    return out


# --------------------------------------------------------------------------------------------------


def _purchases(crm: CRM, as_of: pd.Timestamp) -> pd.DataFrame:
    if not crm.has("transactions"):
        return pd.DataFrame(
            {"last_purchase": pd.Series(dtype="datetime64[ns]"), "revenue_12m": pd.Series(dtype=float)}
        )
    if as_of <= date_range(crm.transactions)[0]:
        return pd.DataFrame(
            {"last_purchase": pd.Series(dtype="datetime64[ns]"), "revenue_12m": pd.Series(dtype=float)}
        )
    return last_purchase_and_revenue(crm.transactions, as_of=as_of, months=12)


def _first_order_days(orders: Transactions, leads: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Per lead id, the day of its customer's first purchase on or after the contact day and before ``end``.

    The engine returns only the purchase days (returns excluded) of the customers the leads name, from the
    earliest contact day on; the transactions stay where they live (a Spark or warehouse table included).
    """
    none = pd.Series(dtype="datetime64[ns]")
    if "customer_id" not in leads:
        return none
    linked = leads[["lead_id", "customer_id", "contact_date"]].dropna()
    if linked.empty or end <= date_range(orders)[0]:
        return none
    linked = linked.assign(contact_day=linked["contact_date"].dt.normalize())
    days = customer_periods(
        orders,
        period="day",
        as_of=end,
        start=linked["contact_day"].min(),
        customers=linked["customer_id"].unique(),
    )
    days = days.loc[days["n_orders"] > 0, ["customer_id", "period"]]
    pairs = linked.merge(days, on="customer_id")
    pairs = pairs.loc[pairs["period"] >= pairs["contact_day"]]
    return pairs.groupby("lead_id")["period"].min()


def _entities(crm: CRM, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer known before ``as_of`` and per lead without a customer id."""
    cols = ["customer_kind", "channel", "readiness", "refused_on"]
    parts = []
    leads = crm["leads"] if crm.has("leads") else None
    if leads is not None:
        leads = leads.loc[leads["contact_date"] < as_of].sort_values(
            ["contact_date", "lead_id"], kind="mergesort"
        )
        refused_on = (
            leads["refusal_date"].fillna(leads["contact_date"])
            if "refusal_date" in leads
            else leads["contact_date"]
        )
        lead_rows = pd.DataFrame(
            {
                "entity_id": leads["customer_id"].fillna("lead:" + leads["lead_id"])
                if "customer_id" in leads
                else "lead:" + leads["lead_id"],
                "customer_kind": leads["customer_kind"] if "customer_kind" in leads else np.nan,
                "channel": leads["source"] if "source" in leads else np.nan,
                "readiness": leads["stage"].where(leads["stage"].isin(["cold", "warm", "hot"])),
                "refused_on": refused_on.where(leads["stage"] == "refused"),
            }
        )
        # A customer's latest lead decides its readiness and refusal; the first one its channel.
        latest = lead_rows.groupby("entity_id").last()
        latest["channel"] = lead_rows.groupby("entity_id")["channel"].first()
        parts.append(latest)
    known = pd.Index([], dtype=object)
    if crm.has("transactions"):
        known = known.union(known_customers(crm.transactions, before=as_of))
    if leads is not None and "customer_id" in leads:
        known = known.union(pd.Index(leads["customer_id"].dropna().unique()))
    if crm.has("customers"):
        # Customers some dated table mentions (only the customers table asks: a full pass over the ids).
        ever = pd.Index([], dtype=object)
        if crm.has("transactions"):
            ever = ever.union(known_customers(crm.transactions))
        if leads is not None and "customer_id" in leads:
            ever = ever.union(pd.Index(crm["leads"]["customer_id"].dropna().unique()))
        customers = crm["customers"].set_index("customer_id")
        # A customer record joins the base with its first lead or order; one no dated table mentions
        # is taken as always known.
        customers = customers.loc[customers.index.isin(known) | ~customers.index.isin(ever)]
        known = known.union(customers.index)
        info = pd.DataFrame(index=customers.index)
        for col in ("customer_kind", "channel"):
            info[col] = customers[col] if col in customers else np.nan
        parts.insert(0, info)
    index = known.union(parts[-1].index) if parts else known
    frame = pd.DataFrame(index=index)
    for col in cols:
        values = pd.Series(np.nan, index=index, dtype=object)
        for part in parts:  # the customers table first, then the leads fill what it lacks
            if col in part:
                values = values.where(values.notna(), part[col].reindex(index).astype(object))
        frame[col] = values
    frame.index.name = "entity_id"
    frame["refused_on"] = pd.to_datetime(frame["refused_on"])
    return frame
