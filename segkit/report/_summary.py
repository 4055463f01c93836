"""The key figures and findings of a report index, from the notebooks' results or the report's canonical table.

Each figure comes from the public analysis its page uses (concentration for the A share, customer status
for the at-risk group, churn rate, segment migration against the previous dated report). The pages save the
figures of what they computed (:func:`save_summary_figures`, a small JSON file per part in the report
folder) and the index reads them, so a large base is not analysed twice; a part without its file, or
computed with other settings than the index's, is computed again from the canonical table. A figure that
cannot be computed for a base is replaced by the reason, so the index never fails because of it.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import ParameterError, SegkitError
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

__all__ = ["ReportSummary", "report_summary", "save_summary_figures", "summary_findings"]

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
#: The result file of one part of the summary in a report folder (removed once the index is written).
FIGURES_FILE = ".summary-{part}.json"
#: The parts a page can save, and the settings each was computed with (the index reuses a part only when
#: they are the index's own).
PARTS = ("base", "at_risk", "churn_rate")


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
    reused : list of str
        The parts (``base``, ``at_risk``, ``churn_rate``) read from the pages' result files.
    computed : list of str
        The parts computed from the canonical table (no result file, or one made with other settings).
    """

    figures: dict[str, Any] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    computed: list[str] = field(default_factory=list)


def _base_figures(health: Any) -> dict[str, Any]:
    return {
        "customers": health.n_customers,
        "revenue": health.total_value,
        "a_share": health.share_customers_a,
        "a_share_range": tuple(health.a_share_range),
        "concentration_warnings": list(health.warnings),
    }


def _at_risk_figures(status: pd.DataFrame) -> dict[str, Any]:
    current = status[status["base"] == "current"]
    risky = current[current["status"] == "at_risk"]
    revenue = float(current["revenue"].clip(lower=0).sum())
    return {
        "at_risk_share": len(risky) / len(current) if len(current) else 0.0,
        "at_risk_customers": len(risky),
        "at_risk_revenue": float(risky["revenue"].clip(lower=0).sum()),
        "at_risk_revenue_share": float(risky["revenue"].clip(lower=0).sum()) / revenue if revenue else 0.0,
        "inactivity_days": int(status.attrs["inactivity_days"]),
    }


def _churn_figures(rates: pd.DataFrame) -> dict[str, Any]:
    import segkit

    pooled = segkit.churn_summary(rates)
    return {"churn_rate": float(pooled["churn_rate"].iloc[0])}


def _setting(value: Any) -> Any:
    """A setting as JSON keeps it: dates as ISO text, so equal dates compare equal after a round trip."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return pd.Timestamp(value).isoformat()


def save_summary_figures(
    output_dir: str | Path | None,
    *,
    as_of: Any,
    concentration: Any = None,
    start: Any = None,
    status: pd.DataFrame | None = None,
    inactivity_days: int | None = None,
    churn_rates: pd.DataFrame | None = None,
    period: str = "month",
) -> list[Path]:
    """Save the index's figures of what a page computed, so the report index does not compute them again.

    Each result given is saved as one part of the summary (a small JSON file in ``output_dir``) with the
    settings it was computed with; the index uses a part only when those are the index's own settings, and
    computes it from the canonical table otherwise.

    Parameters
    ----------
    output_dir : path or None
        The report's folder (the notebooks' ``output_dir``); ``None`` (a notebook run by hand) saves nothing.
    as_of : date-like
        The date the results were computed for (for the concentration: the end of its window).
    concentration : Concentration, optional
        :func:`segkit.concentration` over the report's analysis window, which starts at ``start``.
    start : date-like, optional
        The start of that window (``None``: all history).
    status : DataFrame, optional
        :func:`segkit.customer_status`, computed with ``inactivity_days`` (``None``: derived).
    inactivity_days : int, optional
        The ``inactivity_days`` given to :func:`segkit.customer_status`.
    churn_rates : DataFrame, optional
        :func:`segkit.churn_rate` by ``period`` over the whole base, computed with the inactivity threshold
        of ``status`` (``status.attrs["inactivity_days"]``), which must be given too.
    period : str
        The period of ``churn_rates``.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile, segkit
    >>> tx = segkit.load_report_data(None)
    >>> health = segkit.concentration(tx, as_of="2025-01-01")
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in segkit.save_summary_figures(folder, as_of="2025-01-01", concentration=health)]
    ['.summary-base.json']
    >>> segkit.save_summary_figures(None, as_of="2025-01-01", concentration=health)
    []
    """
    if output_dir is None:
        return []
    parts: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    if concentration is not None:
        parts["base"] = ({"as_of": _setting(as_of), "start": _setting(start)}, _base_figures(concentration))
    if status is not None:
        settings = {"as_of": _setting(as_of), "inactivity_days": _setting(inactivity_days)}
        parts["at_risk"] = (settings, _at_risk_figures(status))
    if churn_rates is not None:
        if status is None:
            raise ParameterError(
                "churn_rates is saved with the inactivity threshold it was computed with: pass the status "
                "(segkit.customer_status) whose attrs['inactivity_days'] was given to segkit.churn_rate."
            )
        threshold = status.attrs["inactivity_days"]
        settings = {"as_of": _setting(as_of), "period": period, "inactivity_days": _setting(threshold)}
        parts["churn_rate"] = (settings, _churn_figures(churn_rates))
    written = []
    for part, (settings, figures) in parts.items():
        path = Path(output_dir) / FIGURES_FILE.format(part=part)
        path.write_text(json.dumps({"settings": settings, "figures": figures}), encoding="utf-8")
        written.append(path)
    return written


def _saved_figures(folder: Path | None, part: str, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    """The figures a page saved for ``part``, when it computed them with ``settings``; else None."""
    path = None if folder is None else folder / FIGURES_FILE.format(part=part)
    if path is None or not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a half-written file (a page killed while saving) is as good as none
    if saved.get("settings") != {k: _setting(v) for k, v in settings.items()}:
        return None
    figures = dict(saved["figures"])
    if "a_share_range" in figures:
        figures["a_share_range"] = tuple(figures["a_share_range"])
    return figures


def remove_summary_figures(folder: str | Path) -> None:
    """Remove the pages' result files from a report folder (the index has read them)."""
    for part in PARTS:
        (Path(folder) / FIGURES_FILE.format(part=part)).unlink(missing_ok=True)


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
    figures_dir: str | Path | None = None,
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
    figures_dir : path, optional
        The report folder the pages saved their figures in (:func:`save_summary_figures`); the parts found
        there with the index's settings are read instead of computed.

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
    folder = None if figures_dir is None else Path(figures_dir)
    summary = ReportSummary()

    def reuse_or(part: str, settings: dict[str, Any], compute: Callable[[], Mapping[str, Any]]) -> None:
        saved = _saved_figures(folder, part, settings)
        if saved is not None:
            summary.figures.update(saved)
            summary.reused.append(part)
        else:
            summary.computed.append(part)
            _attempt(summary, part, compute)

    end = window.end if window.start is not None else as_of
    reuse_or(
        "base",
        {"as_of": end, "start": window.start},
        lambda: _base_figures(segkit.concentration(tx, as_of=end, start=window.start)),
    )
    reuse_or(
        "at_risk",
        {"as_of": as_of, "inactivity_days": None},
        lambda: _at_risk_figures(segkit.customer_status(tx, as_of=as_of)),
    )
    days = summary.figures.get("inactivity_days")
    reuse_or(
        "churn_rate",
        {"as_of": as_of, "period": "month", "inactivity_days": days},
        lambda: _churn_figures(segkit.churn_rate(tx, period="month", inactivity_days=days, as_of=as_of)),
    )
    _attempt(
        summary, "migration", lambda: _largest_migration(tx, as_of, reports_root, dict(rfm_options or {}))
    )
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
