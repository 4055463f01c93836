"""Kaplan-Meier curves of the time from a customer's first purchase to churn, with correct censoring.

**Time to churn**: a customer churns on the day their silence first exceeds the inactivity threshold
``T``, i.e. ``T + 1`` days after the last purchase before their first lapse (a lapse is a gap of more than
``T`` days between purchases, or the silence up to the as-of date). The duration is counted in days from
the first purchase day to that churn day. A customer who lapses and later comes back still churned at the
first lapse: the curve describes the first customer life.

**Censoring**: a customer with no lapse whose last purchase is at most ``T`` days before the as-of date is
still inside the inactivity window: not churned, only observed for ``as_of - first purchase`` days. They
are censored there, never counted as churned (counting them would make every recent customer look like a
loss). Censoring at the as-of date is administrative (it depends only on when the customer arrived), which
is what the Kaplan-Meier estimator assumes.

Customers who bought before the data begins show up with their first purchase *in* the data, so the
earliest cohort's lifetimes are understated; compare it with later cohorts with that in mind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError
from .._progress import track
from .._validation import DateLike, Interval, Options, validate_params
from ..engine import Snapshot, snapshot
from ..io import Transactions
from ._status import activity_stretches, customer_groups, resolve_threshold

Data = Transactions | pd.DataFrame | Snapshot

__all__ = ["SurvivalResult", "churn_durations", "survival_curves"]


@validate_params(inactivity_days=[None, Interval(int, 1, None)], as_of=[None, "date"])
def churn_durations(
    data: Data, *, inactivity_days: int | None = None, as_of: DateLike | None = None
) -> pd.DataFrame:
    """Per-customer time to churn (days since the first purchase) and whether churn was observed.

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    inactivity_days : int, optional
        Threshold ``T``; ``None`` derives it (see :func:`segkit.inactivity_threshold`).
    as_of : date-like, optional
        Analysis date; default the day after the last transaction.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``first_purchase`` (day), ``last_active`` (last purchase day before the
        first lapse, or the last purchase day), ``churned`` (True = event observed, False = censored),
        ``churn_date`` (``last_active + T + 1`` days; NaT when censored) and ``duration_days`` (to the
        churn date, or to ``as_of`` when censored). ``attrs`` holds ``inactivity_days``,
        ``threshold_source`` and ``as_of``.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "c"],
    ...     "order_date": ["2024-01-01", "2024-01-21", "2024-06-01", "2024-03-01", "2024-06-10"],
    ...     "amount": 10.0,
    ... })
    >>> d = segkit.churn_durations(df, inactivity_days=30, as_of="2024-07-01")
    >>> d[["last_active", "churned", "duration_days"]]
                last_active  churned  duration_days
    customer_id
    a            2024-01-21     True             51
    b            2024-03-01     True             31
    c            2024-06-10    False             21
    """
    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    threshold, source = resolve_threshold(snap, inactivity_days)
    # The first stretch of activity is the first customer life: it ends at the first lapse.
    st = activity_stretches(snap, threshold)
    st = st.filter(st.stretch == 1)
    first_life = snap.customer_frame(
        st.select(
            "ckey", first_purchase=st.first_day.cast("timestamp"), last_active=st.last_day.cast("timestamp")
        )
    )
    first = pd.to_datetime(first_life["first_purchase"]).astype("datetime64[ns]")
    last_active = pd.to_datetime(first_life["last_active"]).astype("datetime64[ns]")
    churn_date = last_active + pd.Timedelta(days=threshold + 1)
    churned = churn_date <= as_of
    end = churn_date.where(churned, as_of)
    out = pd.DataFrame(
        {
            "first_purchase": first,
            "last_active": last_active,
            "churned": churned.to_numpy(),
            "churn_date": churn_date.where(churned),
            "duration_days": (end - first).dt.days.astype("int64"),
        }
    )
    out.attrs.update(as_of=as_of, inactivity_days=threshold, threshold_source=source)
    return out


@dataclass(frozen=True)
class SurvivalResult:
    """Kaplan-Meier survival curves of time to churn; see :func:`survival_curves`.

    Attributes
    ----------
    by : str
        What the groups are ("all", "cohort", "channel", "category" or "segment").
    inactivity_days : int
        The threshold ``T``; ``threshold_source`` says how it was obtained.
    curves_ : pandas.DataFrame
        Long table: ``group``, ``days``, ``survival`` (share not yet churned), ``ci_lower``, ``ci_upper``
        (95 % confidence band).
    summary_ : pandas.DataFrame
        Per group: ``customers``, ``churned``, ``censored``, ``median_days_to_churn`` (NaN when more than
        half the group has not churned within the observed time), ``median_active_days``
        (``median_days_to_churn - T - 1``: first to last purchase) and the survival share at 180, 365 and
        730 days (NaN beyond the group's longest observation; 1.0 up to day ``T``, as nobody can churn
        sooner).
    at_risk_ : pandas.DataFrame
        Customers still at risk (neither churned nor censored before the day) per group (rows) at the
        days in the columns.
    durations_ : pandas.DataFrame
        Per customer, from :func:`churn_durations`, with the ``group``.
    fitters_ : dict
        The lifelines ``KaplanMeierFitter`` per group, for further analysis.
    """

    by: str
    as_of: pd.Timestamp
    inactivity_days: int
    threshold_source: str
    curves_: pd.DataFrame
    summary_: pd.DataFrame
    at_risk_: pd.DataFrame
    durations_: pd.DataFrame
    fitters_: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"SurvivalResult(by={self.by!r}, {len(self.summary_)} group(s), "
            f"{int(self.summary_['customers'].sum()):,} customers, inactivity_days={self.inactivity_days})"
        )


@validate_params(
    period=[Options(("month", "quarter", "year"))],
    min_customers=[Interval(int, 1, None)],
    inactivity_days=[None, Interval(int, 1, None)],
    as_of=[None, "date"],
)
def survival_curves(
    data: Data,
    *,
    by: Any = None,
    inactivity_days: int | None = None,
    as_of: DateLike | None = None,
    period: str = "quarter",
    times: Any = None,
    min_customers: int = 20,
) -> SurvivalResult:
    """Kaplan-Meier curves of the time from first purchase to churn, overall or by group (lifelines).

    Parameters
    ----------
    data : Transactions or DataFrame
        Canonical transactions.
    by : None, "cohort", "channel", "category", mapping or Series, optional
        Groups: acquisition cohort (``period`` of the first purchase), the customer's main channel or
        category, or a mapping from customer id to a segment or persona label.
    inactivity_days : int, optional
        Threshold ``T``; ``None`` derives it (see :func:`segkit.inactivity_threshold`).
    as_of : date-like, optional
        Analysis date; default the day after the last transaction.
    period : {"quarter", "month", "year"}
        Cohort length when ``by="cohort"``.
    times : list of int, optional
        Days at which ``at_risk_`` counts customers; default every 90 days up to the longest duration.
    min_customers : int, default 20
        Groups with fewer customers are left out (a curve from a handful of customers is noise); their
        names are in ``summary_.attrs["dropped_groups"]``.

    Returns
    -------
    SurvivalResult

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> df = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "d", "d"],
    ...     "order_date": ["2024-01-01", "2024-01-21", "2024-03-01", "2024-06-10", "2024-02-01", "2024-04-01"],
    ...     "amount": 10.0,
    ... })
    >>> res = segkit.survival_curves(df, inactivity_days=30, as_of="2024-07-01", min_customers=1)
    >>> res.durations_[["churned", "duration_days"]].to_dict("list")
    {'churned': [True, True, False, True], 'duration_days': [51, 31, 21, 31]}
    >>> res.summary_[["customers", "churned", "censored", "median_days_to_churn"]]
           customers  churned  censored  median_days_to_churn
    group
    all            4        3         1                  31.0
    """
    from lifelines import KaplanMeierFitter

    snap = snapshot(data, as_of=as_of)
    as_of = snap.as_of
    durations = churn_durations(snap, inactivity_days=inactivity_days)
    threshold, source = durations.attrs["inactivity_days"], durations.attrs["threshold_source"]
    groups, _ = customer_groups(snap, by, period=period)
    durations = durations.join(groups.rename("group"), how="inner")
    sizes = durations["group"].value_counts()
    dropped = sorted(sizes.index[sizes < min_customers])
    durations = durations.loc[~durations["group"].isin(dropped)]
    if durations.empty:
        raise ParameterError(
            f"Every group has fewer than min_customers={min_customers} customers (sizes: "
            f"{sizes.to_dict()}). Lower min_customers or use coarser groups."
        )
    if times is None:
        step = 90 if durations["duration_days"].max() <= 3 * 365 else 180
        times = list(range(0, int(durations["duration_days"].max()) + 1, step))
    times = [int(t) for t in times]

    fitters: dict[str, Any] = {}
    curves, summary, at_risk = [], [], []
    grouped = durations.groupby("group", sort=True)
    for name, part in track(
        grouped, desc="survival: Kaplan-Meier per group", total=grouped.ngroups, unit=" groups"
    ):
        name = str(name)
        kmf = KaplanMeierFitter(label=name).fit(part["duration_days"], part["churned"])
        fitters[name] = kmf
        ci = kmf.confidence_interval_survival_function_
        curves.append(
            pd.DataFrame(
                {
                    "group": name,
                    "days": kmf.survival_function_.index.to_numpy(dtype=float),
                    "survival": kmf.survival_function_.iloc[:, 0].to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                }
            )
        )
        summary.append(_summarise(name, part, kmf, threshold))
        d = part["duration_days"].to_numpy()
        at_risk.append(pd.Series([int((d >= t).sum()) for t in times], index=times, name=name))
    summary_frame = pd.DataFrame(summary).set_index("group")
    summary_frame.attrs["dropped_groups"] = dropped
    at_risk_frame = pd.DataFrame(at_risk).rename_axis(index="group", columns="days")
    return SurvivalResult(
        by="all" if by is None else (by if isinstance(by, str) else "segment"),
        as_of=as_of,
        inactivity_days=threshold,
        threshold_source=source,
        curves_=pd.concat(curves, ignore_index=True),
        summary_=summary_frame,
        at_risk_=at_risk_frame,
        durations_=durations,
        fitters_=fitters,
    )


def _summarise(name: str, part: pd.DataFrame, kmf: Any, threshold: int) -> dict[str, Any]:
    median = float(kmf.median_survival_time_)
    median = np.nan if not np.isfinite(median) else median
    longest = part["duration_days"].max()
    row: dict[str, Any] = {
        "group": name,
        "customers": len(part),
        "churned": int(part["churned"].sum()),
        "censored": int((~part["churned"]).sum()),
        "median_days_to_churn": median,
        "median_active_days": median - threshold - 1,
    }
    for t in (180, 365, 730):
        row[f"survival_{t}d"] = float(kmf.predict(t)) if t <= longest else np.nan
    return row
