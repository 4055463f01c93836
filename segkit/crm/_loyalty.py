"""The five loyalty types (типология лояльности): a 0-100 score per customer and type over a period.

Each type is measured from its signals, as the methodology lists them:

- **financial**: buys much (revenue) and often (number of deals), from the transactions;
- **recommending**: new clients name them as the source (leads ``referred_by``) and referrals;
- **process**: pays an invoice within 3 banking days of receiving it, signs documents within 3 working days,
  sends requests through our form;
- **contact**: sends requests, takes part in events, responds to mailings;
- **evaluative**: gives feedback and reviews (a complaint counts: it is engagement) and answers surveys.

How a signal becomes a number between 0 and 1 (kit convention): a share (invoices paid on time, mailing
response rate) is used as it is; a count or an amount is divided by a *target* and capped at 1. The default
target is the 90th percentile of the customers with a positive value, so the top tenth of the base scores
full marks; pass ``targets={"revenue": 1_000_000}`` for a fixed target. A type's score is 100 times the
weighted mean of its signals; a share with nothing to measure (no invoices in the period) leaves its
signal out of the mean, and a customer with no measurable signal of a type gets no score (NaN) for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ParameterError, check_choice
from ..engine import customer_summary, date_range, snapshot
from ..io import Transactions
from ._calendar import BusinessCalendar, business_days_between
from ._common import group_labels, in_period, period
from ._tables import CRM, MissingTableError, customer_ids

__all__ = [
    "LOYALTY_SIGNALS",
    "LOYALTY_TYPES",
    "LoyaltyScores",
    "loyalty_actions",
    "loyalty_profile",
    "loyalty_scores",
    "strong_share",
]

LOYALTY_TYPES = ("financial", "recommending", "process", "contact", "evaluative")
#: Default signals of each type with their weights within the type (the weights are a kit convention).
LOYALTY_SIGNALS: dict[str, dict[str, float]] = {
    "financial": {"revenue": 0.5, "orders": 0.5},
    "recommending": {"recommendations": 1.0},
    "process": {"paid_on_time": 1.0, "signed_on_time": 1.0, "requests_via_form": 1.0},
    "contact": {"client_requests": 1.0, "events": 1.0, "mailing_response": 1.0},
    "evaluative": {"feedback": 1.0, "survey_answers": 1.0},
}
# Signals that are shares already (0-1); all others are counts or amounts scaled by a target.
_SHARES = {"paid_on_time", "signed_on_time", "requests_via_form", "mailing_response"}
# The tables each signal comes from (any one of them is enough for the signal).
_SOURCES = {
    "revenue": ("transactions",),
    "orders": ("transactions",),
    "recommendations": ("referrals", "leads"),
    "paid_on_time": ("invoices",),
    "signed_on_time": ("invoices",),
    "requests_via_form": ("requests",),
    "client_requests": ("requests",),
    "events": ("events",),
    "mailing_response": ("mailings",),
    "feedback": ("feedback",),
    "survey_answers": ("surveys",),
}
_TARGET_QUANTILE = 0.9
_ACTIONS = (
    ("financial", "sales volume, number of deals", "sales promotions, volume discounts", "methodology"),
    ("financial", "sales volume, number of deals", "instalments for regular clients", "methodology (ABC)"),
    (
        "recommending",
        "referrals, named as the source by new clients",
        "ask them to tell others about us",
        "methodology",
    ),
    ("recommending", "referrals, named as the source by new clients", "referral gifts", "methodology"),
    (
        "process",
        "invoices paid within 3 banking days, documents signed within 3 working days, our request form",
        "say thank you for the documents",
        "methodology",
    ),
    (
        "process",
        "invoices paid within 3 banking days, documents signed within 3 working days, our request form",
        "small rewards for discipline",
        "methodology",
    ),
    ("contact", "requests, events, mailing responses", "invite to events", "methodology"),
    ("contact", "requests, events, mailing responses", "birthday greetings, personal contact", "methodology"),
    (
        "evaluative",
        "feedback, reviews, complaints, survey answers",
        "'tell us about us': post-order call surveys",
        "methodology",
    ),
    (
        "evaluative",
        "feedback, reviews, complaints, survey answers",
        "answer every complaint within a day",
        "kit suggestion",
    ),
)


@dataclass
class LoyaltyScores:
    """Loyalty scores per customer and the signals behind them.

    Attributes
    ----------
    scores : pandas.DataFrame
        Indexed by ``customer_id``: one 0-100 column per computed type (NaN: nothing to measure),
        ``loyalty`` (the weighted mean of the available types) and ``strongest`` (the type with the
        highest score).
    signals : pandas.DataFrame
        The raw signal values (counts, amounts, shares) per customer.
    targets : dict
        The target each count/amount signal was divided by.
    skipped : dict
        Types (and signals) not computed, with the missing table.
    start, end : Timestamp
        The period ``[start, end)``.
    """

    scores: pd.DataFrame
    signals: pd.DataFrame
    targets: dict[str, float]
    skipped: dict[str, str] = field(default_factory=dict)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None

    @property
    def types(self) -> list[str]:
        """The loyalty types computed."""
        return [t for t in LOYALTY_TYPES if t in self.scores.columns]

    def __repr__(self) -> str:
        span = "" if self.start is None or self.end is None else f"{self.start.date()} .. {self.end.date()}, "
        return (
            f"LoyaltyScores({len(self.scores):,} customers, {span}"
            f"types {', '.join(self.types) or 'none'}; skipped {', '.join(self.skipped) or 'none'})"
        )


def loyalty_scores(
    crm: CRM,
    *,
    as_of: Any = None,
    start: Any = None,
    window_months: int = 12,
    types: tuple[str, ...] | list[str] | None = None,
    weights: Mapping[str, float] | None = None,
    signal_weights: Mapping[str, Mapping[str, float]] | None = None,
    targets: Mapping[str, float] | None = None,
    pay_days: int = 3,
    sign_days: int = 3,
    banking_calendar: BusinessCalendar | None = None,
    working_calendar: BusinessCalendar | None = None,
) -> LoyaltyScores:
    """Score every customer 0-100 on each of the five loyalty types over a period.

    Parameters
    ----------
    crm : CRM
        The tables (see :func:`segkit.read_crm`). Financial loyalty needs the transactions; the others
        need the tables in :data:`LOYALTY_SIGNALS`' sources (referrals or leads; invoices or requests;
        requests, events or mailings; feedback or surveys).
    as_of : date-like, optional
        End of the period (exclusive); default: the day after the last transaction (never today).
    start : date-like, optional
        Start of the period; default ``window_months`` before ``as_of``.
    window_months : int, default 12
        Length of the default period.
    types : sequence of str, optional
        The types to compute. By default every type whose tables are present (the others are listed in
        ``skipped``); a type asked for explicitly whose tables are all absent raises
        :class:`MissingTableError`.
    weights : mapping, optional
        Weight of each type in the overall ``loyalty`` (default equal). The methodology says the type
        that matters most depends on the company's stage: a start-up lives on financial loyalty.
    signal_weights : mapping, optional
        Per type, weights of its signals, replacing :data:`LOYALTY_SIGNALS` for that type.
    targets : mapping, optional
        Fixed targets for count/amount signals (``{"revenue": 1e6, "orders": 12}``); default: the 90th
        percentile of the customers with a positive value.
    pay_days, sign_days : int, default 3
        Banking days to pay an invoice and working days to sign documents.
    banking_calendar, working_calendar : BusinessCalendar, optional
        Default: the Russian production calendar (:func:`segkit.russian_calendar`).

    Returns
    -------
    LoyaltyScores

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> crm = segkit.read_crm({
    ...     "customers": pd.DataFrame({"customer_id": ["a", "b"]}),
    ...     "referrals": pd.DataFrame({"referrer_id": ["a", "a", "b"],
    ...                                "referral_date": ["2024-02-01", "2024-03-01", "2024-03-05"]}),
    ... })
    >>> result = segkit.loyalty_scores(crm, as_of="2025-01-01", targets={"recommendations": 2})
    >>> result.scores["recommending"].tolist()
    [100.0, 50.0]
    >>> sorted(result.skipped)
    ['contact', 'evaluative', 'financial', 'process']
    """
    begin, end = period(crm, as_of, start, window_months)
    if types is None:
        wanted = list(LOYALTY_TYPES)
    else:
        wanted = list(types)
        for t in wanted:
            check_choice("types", t, LOYALTY_TYPES)
    for name, value in (("pay_days", pay_days), ("sign_days", sign_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParameterError(f"{name} must be a non-negative int; got {value!r}.")
    type_weights = _type_weights(weights)
    sig_weights = {t: dict(LOYALTY_SIGNALS[t]) for t in LOYALTY_TYPES}
    for t, w in dict(signal_weights or {}).items():
        check_choice("signal_weights", t, LOYALTY_TYPES)
        for s in w:
            check_choice(f"signal_weights[{t!r}]", s, tuple(LOYALTY_SIGNALS[t]))
        sig_weights[t] = {s: float(v) for s, v in w.items()}

    index = customer_ids(crm)
    raw = _signals(crm, index, begin, end, pay_days, sign_days, banking_calendar, working_calendar)
    skipped: dict[str, str] = {}
    scores = pd.DataFrame(index=index)
    used_targets: dict[str, float] = {}
    for t in wanted:
        present = {s: w for s, w in sig_weights[t].items() if s in raw.columns}
        if not present:
            tables = sorted({tab for s in sig_weights[t] for tab in _SOURCES[s]})
            message = f"needs the {' or the '.join(tables)} table, not given"
            if types is not None:
                raise MissingTableError(
                    f"{t} loyalty {message}. Pass it to segkit.read_crm (in a report: --crm {tables[-1]}=FILE)."
                )
            skipped[t] = message
            continue
        parts, total = [], []
        for s, w in present.items():
            values = raw[s]
            if s not in _SHARES:
                target = _target(values, s, targets)
                used_targets[s] = target
                values = (values / target).clip(upper=1.0) if target > 0 else values * 0.0
            parts.append(values.fillna(0.0) * w)
            total.append(values.notna().astype(float) * w)
        weight = sum(total)
        scores[t] = (100 * sum(parts) / weight.where(weight > 0)).round(1)
    computed = [t for t in LOYALTY_TYPES if t in scores.columns]
    if computed:
        w = pd.Series({t: type_weights[t] for t in computed})
        avail = scores[computed].notna().mul(w, axis=1)
        scores["loyalty"] = (
            scores[computed].fillna(0).mul(w, axis=1).sum(axis=1)
            / avail.sum(axis=1).where(avail.sum(axis=1) > 0)
        ).round(1)
        measured = scores[computed].notna().any(axis=1)
        scores["strongest"] = scores[computed].fillna(-1.0).idxmax(axis=1).where(measured)
    return LoyaltyScores(scores, raw, used_targets, skipped, begin, end)


def strong_share(result: LoyaltyScores, *, strong: float = 60.0, by: pd.Series | None = None) -> pd.DataFrame:
    """Share of customers strong (score >= ``strong``) in each loyalty type, overall or per group.

    ``strong=60`` is a kit convention (three fifths of the way to the top of the base). A customer with
    no score for a type (nothing to measure) is counted as not strong.

    Examples
    --------
    >>> import pandas as pd, segkit
    >>> scores = pd.DataFrame({"financial": [80.0, 40.0, None], "contact": [60.0, 10.0, 90.0]},
    ...                       index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> segkit.strong_share(segkit.LoyaltyScores(scores, scores, {})).round(3)
               customers  strong  share
    type
    financial          3       1  0.333
    contact            3       2  0.667
    """
    if not 0 <= strong <= 100:
        raise ParameterError(f"strong must be between 0 and 100; got {strong!r}.")
    types = [t for t in LOYALTY_TYPES if t in result.scores.columns]
    frame = result.scores[types] >= strong
    if by is None:
        out = pd.DataFrame({"customers": len(frame), "strong": frame.sum().astype(int)})
        out["share"] = out["strong"] / out["customers"]
        out.index.name = "type"
        return out
    labels = by.reindex(frame.index).astype("object").fillna("(none)").rename("group")
    return frame.groupby(labels).mean().rename_axis("group")


def loyalty_profile(result: LoyaltyScores, by: pd.Series | None = None) -> pd.DataFrame:
    """Mean score per type, overall (one row ``all``) or per group (customers without a score count as 0)."""
    types = result.types
    filled = result.scores[types].fillna(0.0)
    if by is None:
        return filled.mean().to_frame("all").T.round(1)
    labels = by.reindex(filled.index).astype("object").fillna("(none)").rename("group")
    return filled.groupby(labels).mean().round(1)


def loyalty_actions(types: Any = None) -> pd.DataFrame:
    """The actions per loyalty type: the methodology's examples, plus the kit's own marked as such.

    Examples
    --------
    >>> import segkit
    >>> segkit.loyalty_actions(["process"])[["type", "action", "source"]].iloc[0].tolist()
    ['process', 'say thank you for the documents', 'methodology']
    """
    frame = pd.DataFrame(_ACTIONS, columns=["type", "signals", "action", "source"])
    if types is not None:
        types = [types] if isinstance(types, str) else list(types)
        for t in types:
            check_choice("types", t, LOYALTY_TYPES)
        frame = frame.loc[frame["type"].isin(types)].reset_index(drop=True)
    return frame


def loyalty_groups(crm: CRM, result: LoyaltyScores, by: str) -> pd.Series:
    """Group labels for the customers of ``result`` from a customers-table column."""
    return group_labels(crm, by, result.scores.index)


# --------------------------------------------------------------------------------------------------
# signals
# --------------------------------------------------------------------------------------------------


def _signals(
    crm: CRM,
    index: pd.Index,
    start: pd.Timestamp,
    end: pd.Timestamp,
    pay_days: int,
    sign_days: int,
    banking: BusinessCalendar | None,
    working: BusinessCalendar | None,
) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    if crm.has("transactions"):
        summary = _period_summary(crm.transactions, start, end)
        out["revenue"] = summary["revenue"].reindex(index).fillna(0.0).clip(lower=0.0)
        out["orders"] = summary["n_orders"].reindex(index).fillna(0).astype(float)
    recs = _recommendations(crm, start, end)
    if recs is not None:
        out["recommendations"] = recs.reindex(index).fillna(0).astype(float)
    if crm.has("invoices"):
        inv = crm["invoices"]
        inv = inv.loc[in_period(inv["sent_date"], start, end)]
        out["paid_on_time"] = _on_time_share(inv, "sent_date", "paid_date", pay_days, end, banking, index)
        if "docs_sent_date" in inv and "docs_signed_date" in inv:
            docs = crm["invoices"]
            docs = docs.loc[in_period(docs["docs_sent_date"], start, end)]
            out["signed_on_time"] = _on_time_share(
                docs, "docs_sent_date", "docs_signed_date", sign_days, end, working, index
            )
    if crm.has("requests"):
        req = crm["requests"]
        req = req.loc[in_period(req["request_date"], start, end)]
        if "initiated_by" in req:
            req = req.loc[req["initiated_by"].fillna("client") == "client"]
        out["client_requests"] = req.groupby("customer_id").size().reindex(index).fillna(0).astype(float)
        if "via_form" in req:
            form = req["via_form"].astype("float")
            out["requests_via_form"] = form.groupby(req["customer_id"]).mean().reindex(index)
    if crm.has("events"):
        ev = crm["events"]
        ev = ev.loc[in_period(ev["event_date"], start, end)]
        out["events"] = ev.groupby("customer_id").size().reindex(index).fillna(0).astype(float)
    if crm.has("mailings"):
        mail = crm["mailings"]
        mail = mail.loc[in_period(mail["sent_date"], start, end)]
        if "responded" in mail:
            out["mailing_response"] = (
                mail["responded"]
                .astype("float")
                .fillna(0.0)
                .groupby(mail["customer_id"])
                .mean()
                .reindex(index)
            )
    if crm.has("feedback"):
        fb = crm["feedback"]
        fb = fb.loc[in_period(fb["feedback_date"], start, end)]
        out["feedback"] = fb.groupby("customer_id").size().reindex(index).fillna(0).astype(float)
    if crm.has("surveys"):
        sv = crm["surveys"]
        sv = sv.loc[in_period(sv["survey_date"], start, end)]
        out["survey_answers"] = sv.groupby("customer_id").size().reindex(index).fillna(0).astype(float)
    return out


def _period_summary(tx: Transactions, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per-customer revenue and orders in ``[start, end)``, through the engine (a windowed snapshot)."""
    first, last = date_range(tx)
    if end <= first or start > last:
        return pd.DataFrame({"revenue": pd.Series(dtype=float), "n_orders": pd.Series(dtype=float)})
    return customer_summary(snapshot(tx, as_of=end, window=start))


def _recommendations(crm: CRM, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
    """Recommendations per customer: referrals made, plus leads that name the customer as their source."""
    pairs = []
    if crm.has("referrals"):
        ref = crm["referrals"]
        ref = ref.loc[in_period(ref["referral_date"], start, end)]
        referred = ref["referred_id"] if "referred_id" in ref else pd.Series(np.nan, index=ref.index)
        # A referral without a named lead is its own recommendation.
        referred = referred.astype("object").where(referred.notna(), "referral#" + ref.index.astype(str))
        pairs.append(pd.DataFrame({"customer_id": ref["referrer_id"], "who": referred}))
    if crm.has("leads") and "referred_by" in crm["leads"]:
        leads = crm["leads"]
        leads = leads.loc[in_period(leads["contact_date"], start, end) & leads["referred_by"].notna()]
        pairs.append(pd.DataFrame({"customer_id": leads["referred_by"], "who": leads["lead_id"]}))
    if not pairs:
        return None
    # The same lead recorded both as a referral and as "heard from" counts once.
    both = pd.concat(pairs, ignore_index=True).drop_duplicates()
    return both.groupby("customer_id").size()


def _on_time_share(
    frame: pd.DataFrame,
    sent: str,
    done: str,
    days: int,
    end: pd.Timestamp,
    calendar: BusinessCalendar | None,
    index: pd.Index,
) -> pd.Series:
    """Share of ``frame`` rows done within ``days`` business days; rows still within the limit at ``end`` are left out.

    A row not done by ``end`` counts as late once more than ``days`` business days have passed since
    ``sent`` (the day before ``end`` is the last day seen).
    """
    frame = frame.loc[frame[sent].notna()]
    if frame.empty:
        return pd.Series(np.nan, index=index)
    elapsed = business_days_between(frame[sent], frame[done], calendar)
    done_mask = frame[done].notna().to_numpy() & (frame[done] < end).to_numpy()
    waited = business_days_between(
        frame[sent], pd.Series(end - pd.Timedelta(days=1), index=frame.index), calendar
    )
    on_time = done_mask & (elapsed <= days)
    decided = on_time | (waited > days)
    share = pd.Series(on_time.astype(float), index=frame.index).where(decided)
    return share.groupby(frame["customer_id"]).mean().reindex(index)


def _target(values: pd.Series, signal: str, targets: Mapping[str, float] | None) -> float:
    if targets and signal in targets:
        target = float(targets[signal])
        if not target > 0:
            raise ParameterError(f"targets[{signal!r}] must be positive; got {targets[signal]!r}.")
        return target
    positive = values[values > 0]
    return float(positive.quantile(_TARGET_QUANTILE)) if len(positive) else 0.0


def _type_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    out = dict.fromkeys(LOYALTY_TYPES, 1.0)
    for t, w in dict(weights or {}).items():
        check_choice("weights", t, LOYALTY_TYPES)
        if not isinstance(w, int | float) or w < 0:
            raise ParameterError(f"weights[{t!r}] must be a non-negative number; got {w!r}.")
        out[t] = float(w)
    if sum(out.values()) == 0:
        raise ParameterError("weights must not all be zero.")
    return out
