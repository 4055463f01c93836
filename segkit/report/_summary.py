"""The key figures and findings of a report index, computed from the report's canonical table.

Each figure comes from the public analysis its page uses (concentration for the A share, customer status
for the at-risk group, churn rate, segment migration against the previous dated report). A figure that
cannot be computed for a base is replaced by the reason, so the index never fails because of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import SegkitError
from ..i18n import (
    check_currency,
    check_lang,
    format_date,
    format_money,
    format_number,
    format_percent,
    label,
    t,
)

__all__ = ["ReportSummary", "report_summary", "summary_findings"]

#: The page that explains each figure (the findings link to it).
FIGURE_PAGES = {
    "a_share": "01_abc_xyz",
    "concentration": "00_overview",
    "at_risk": "04_cohorts_churn",
    "churn_rate": "04_cohorts_churn",
    "migration": "02_rfm",
}
#: Kit convention: at-risk revenue above this share of the current base's revenue is a finding of its own.
AT_RISK_REVENUE_ALERT = 0.10


@dataclass
class ReportSummary:
    """The figures of a report index.

    Attributes
    ----------
    figures : dict
        ``customers``, ``revenue``, ``a_share``, ``at_risk_share``, ``at_risk_revenue``,
        ``at_risk_revenue_share``, ``churn_rate``, ``migration`` (``customers``, ``before``, ``after``,
        ``since``) and ``concentration_warnings``; a figure that could not be computed is absent.
    unavailable : dict
        Figure name -> the reason it could not be computed for this base.
    """

    figures: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def _attempt(summary: ReportSummary, name: str, compute: Callable[[], Mapping[str, Any]]) -> None:
    try:
        summary.figures.update(compute())
    except SegkitError as exc:
        # A base too small or too short for one figure must not cost the reader the whole index.
        summary.unavailable[name] = str(exc)


def report_summary(
    tx: Any,
    *,
    as_of: Any,
    window_months: int = 12,
    reports_root: str | Path | None = None,
    rfm_options: Mapping[str, Any] | None = None,
) -> ReportSummary:
    """Compute the key figures of a report index.

    Parameters
    ----------
    tx : Transactions
        The report's canonical table.
    as_of : date-like
        The report's analysis date.
    window_months : int
        The report's analysis window: customers, revenue and the A share are measured in it, as on the
        ABC page.
    reports_root : path, optional
        The folder of dated reports; the largest migration is measured against the newest report before
        ``as_of`` (its ``rfm_segments.csv``). Without one there is no migration figure.
    rfm_options : mapping, optional
        ``bins``, ``monetary``, ``recency`` as given to the RFM page.

    Returns
    -------
    ReportSummary

    Examples
    --------
    >>> import segkit
    >>> from segkit.report._summary import report_summary
    >>> tx = segkit.load_report_data(None)
    >>> s = report_summary(tx, as_of="2025-01-01")
    >>> s.figures["customers"], round(s.figures["a_share"], 3), s.figures["migration"]["customers"]
    (1590, 0.208, None)
    """
    import segkit

    as_of = segkit.as_of_date(tx, as_of)
    window = segkit.analysis_window(as_of, window_months)
    summary = ReportSummary()

    def base() -> dict[str, Any]:
        end = window.end if window.start is not None else as_of
        health = segkit.concentration(tx, as_of=end, start=window.start)
        return {
            "customers": health.n_customers,
            "revenue": health.total_value,
            "a_share": health.share_customers_a,
            "a_share_range": tuple(health.a_share_range),
            "concentration_warnings": list(health.warnings),
        }

    def at_risk() -> dict[str, Any]:
        status = segkit.customer_status(tx, as_of=as_of)
        current = status[status["base"] == "current"]
        risky = current[current["status"] == "at_risk"]
        revenue = float(current["revenue"].clip(lower=0).sum())
        return {
            "at_risk_share": len(risky) / len(current) if len(current) else 0.0,
            "at_risk_customers": len(risky),
            "at_risk_revenue": float(risky["revenue"].clip(lower=0).sum()),
            "at_risk_revenue_share": float(risky["revenue"].clip(lower=0).sum()) / revenue
            if revenue
            else 0.0,
            "inactivity_days": int(status.attrs["inactivity_days"]),
        }

    def churn() -> dict[str, Any]:
        days = summary.figures.get("inactivity_days")
        rates = segkit.churn_rate(tx, period="month", inactivity_days=days, as_of=as_of)
        pooled = segkit.churn_summary(rates)
        return {"churn_rate": float(pooled["churn_rate"].iloc[0])}

    def migration() -> dict[str, Any]:
        return _largest_migration(tx, as_of, reports_root, dict(rfm_options or {}))

    _attempt(summary, "base", base)
    _attempt(summary, "at_risk", at_risk)
    _attempt(summary, "churn_rate", churn)
    _attempt(summary, "migration", migration)
    return summary


def _largest_migration(
    tx: Any, as_of: pd.Timestamp, reports_root: str | Path | None, rfm_options: dict[str, Any]
) -> dict[str, Any]:
    import segkit

    scheme = rfm_options.pop("scheme", None)
    options = {k: v for k, v in rfm_options.items() if k in ("bins", "monetary", "recency")}
    if segkit.previous_segments(reports_root, as_of=as_of) is None:
        # The summary compares reports, not the same data earlier: the first report has nothing to show.
        return {"migration": {"customers": None, "before": None, "after": None, "since": None}}
    baseline = segkit.migration_baseline(tx, as_of=as_of, reports_root=reports_root, **options)
    now = segkit.rfm_segments(segkit.rfm(tx, as_of=as_of, **options), scheme=scheme)
    moves = segkit.segment_migration(baseline.segments, now).counts_
    stacked = moves.stack()
    # Moves between two segments only: staying put, entering and leaving the base are not migrations.
    stacked = stacked[
        [b != a and b != "(new)" and a != "(left)" for b, a in stacked.index]  # (before, after) pairs
    ]
    if stacked.empty or int(stacked.max()) == 0:
        return {"migration": {"customers": 0, "before": None, "after": None, "since": baseline.as_of}}
    (before, after), count = stacked.idxmax(), int(stacked.max())
    return {"migration": {"customers": count, "before": before, "after": after, "since": baseline.as_of}}


def summary_findings(
    summary: ReportSummary, *, lang: str = "en", currency: str | None = None, pages: Mapping[str, str]
) -> list[tuple[str, str | None]]:
    """The findings of a report: ``(sentence, link)`` per rule that fires over the key figures.

    Parameters
    ----------
    summary : ReportSummary
        From :func:`report_summary`.
    lang, currency
        Language and currency of the sentences.
    pages : mapping
        Page name -> the file that shows it (``{"02_rfm": "02_rfm.html"}``); a finding links to its page
        when that page is in the report.

    Examples
    --------
    >>> from segkit.report._summary import ReportSummary, summary_findings
    >>> s = ReportSummary(figures={"a_share": 0.12, "a_share_range": (0.2, 0.3)})
    >>> summary_findings(s, lang="en", pages={"01_abc_xyz": "01_abc_xyz.html"})
    [('Only 12.0% of customers are in class A (healthy: 20%–30%): the revenue depends on a few customers.', '01_abc_xyz.html')]
    """
    lang = check_lang(lang)
    currency = check_currency(currency)
    f = summary.figures
    out: list[tuple[str, str | None]] = []

    def add(figure: str, text: str) -> None:
        out.append((text, pages.get(FIGURE_PAGES[figure])))

    if f.get("a_share") is not None:
        low, high = f.get("a_share_range", (0.2, 0.3))
        fields = {
            "share": format_percent(f["a_share"], 1, lang),
            "low": format_percent(low, 0, lang),
            "high": format_percent(high, 0, lang),
        }
        key = (
            "finding.a_share_low"
            if f["a_share"] < low
            else "finding.a_share_high"
            if f["a_share"] > high
            else "finding.a_share_healthy"
        )
        add("a_share", t(key, lang, **fields))
    for warning in f.get("concentration_warnings", []):
        if "class A" not in warning:  # the A share has its own finding above
            add("concentration", label("warning", warning, lang))
    if f.get("at_risk_share") is not None and f.get("at_risk_customers"):
        key = (
            "finding.at_risk_alert"
            if f.get("at_risk_revenue_share", 0) > AT_RISK_REVENUE_ALERT
            else "finding.at_risk"
        )
        add(
            "at_risk",
            t(
                key,
                lang,
                share=format_percent(f["at_risk_share"], 1, lang),
                revenue=format_money(f["at_risk_revenue"], currency, 0, lang),
                revenue_share=format_percent(f.get("at_risk_revenue_share", 0), 1, lang),
            ),
        )
    if f.get("churn_rate") is not None:
        add("churn_rate", t("finding.churn_rate", lang, rate=format_percent(f["churn_rate"], 1, lang)))
    move = f.get("migration")
    if move and move.get("customers"):
        add(
            "migration",
            t(
                "finding.migration",
                lang,
                customers=format_number(move["customers"], 0, lang),
                before=label("segment", move["before"], lang),
                after=label("segment", move["after"], lang),
                date=format_date(move["since"], lang),
            ),
        )
    return out
