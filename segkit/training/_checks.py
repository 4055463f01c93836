"""Self-checks for the training lessons: "correct", or what is wrong and a hint, in the lesson's language.

Every exercise is a small specification: how to compute the right answer with segkit from the context the
check cell passes (the data, the as-of date, a tiny table written in the lesson), and the plausible wrong
answers learners give (the wrong threshold direction, an unweighted mean, future cohort cells counted as 0,
...), each with its own hint. A check recognises those mistakes and names them; any other wrong answer gets
the exercise's general hint. It never prints the right answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import crm as _crm
from .. import i18n, io, lifecycle, segments, value
from .._errors import ParameterError, check_choice
from ._export import EXPORT_COLUMNS

__all__ = ["CheckResult", "EXERCISES", "check", "expected_answer"]

# Two answers are the same number when they agree to 0.1 % (a share typed as 0.244 for 0.24446 passes);
# a kit convention, tight enough to tell every listed mistake from the right answer on the sample.
_REL_TOL = 1e-3
_ABS_TOL = 1e-9


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one exercise check: ``ok``, a ``status`` code and the ``message`` shown to the learner.

    ``status`` is ``"correct"``, ``"not_answered"``, ``"wrong_type"``, ``"wrong"`` (no known mistake
    recognised) or the code of the recognised mistake. The notebook shows ``message`` (its repr).
    """

    exercise: str
    ok: bool
    status: str
    message: str

    def __repr__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class _Exercise:
    hint: str  # the catalogue key of the general hint
    kind: str  # number | share | count | pair | mapping | transactions
    expected: Callable[[Mapping[str, Any]], Any]
    # catalogue key of the mistake's hint (its last part is the status code) -> how it is recognised
    mistakes: dict[str, Callable[[Any, Mapping[str, Any]], bool]] = field(default_factory=dict)
    context: tuple[str, ...] = ()


# --- comparisons ---------------------------------------------------------------------------------------


def _close(a: Any, b: Any) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=_ABS_TOL)
    except (TypeError, ValueError):
        return False


def _same(answer: Any, target: Any, kind: str) -> bool:
    if kind in ("number", "share", "count"):
        return _close(answer, target)
    if kind == "pair":
        return len(answer) == len(target) and all(_close(a, b) for a, b in zip(answer, target, strict=True))
    if kind == "mapping":
        return {str(k): str(v) for k, v in dict(answer).items()} == {
            str(k): str(v) for k, v in dict(target).items()
        }
    raise AssertionError(kind)  # the transactions kind is compared by its own summary


def _equals(wrong: Callable[[Mapping[str, Any]], Any], kind: str) -> Callable[[Any, Mapping[str, Any]], bool]:
    """A mistake recognised by the value it produces."""

    def matches(answer: Any, ctx: Mapping[str, Any]) -> bool:
        try:
            target = wrong(ctx)
        except (KeyError, ZeroDivisionError):
            return False
        return _same(answer, target, kind)

    return matches


def _is_number(answer: Any) -> bool:
    return isinstance(answer, int | float | np.integer | np.floating) and not isinstance(
        answer, bool | np.bool_
    )


def _normalise(answer: Any, kind: str) -> Any:
    """The answer in the form the comparisons use, or ``None`` when it has the wrong type."""
    if kind in ("number", "share", "count"):
        return float(answer) if _is_number(answer) and math.isfinite(float(answer)) else None
    if kind == "pair":
        ok = isinstance(answer, tuple | list) and len(answer) == 2 and all(_is_number(a) for a in answer)
        return tuple(float(a) for a in answer) if ok else None
    if kind == "mapping":
        if isinstance(answer, pd.Series):
            return answer.to_dict()
        return dict(answer) if isinstance(answer, Mapping) else None
    if kind == "transactions":
        return answer if isinstance(answer, io.Transactions) else None
    raise AssertionError(kind)


# --- lesson 1: the base and data quality ---------------------------------------------------------------

_READ_CACHE: dict[tuple[str, float], io.Transactions] = {}


def _export_read(ctx: Mapping[str, Any]) -> io.Transactions:
    """The export read the right way (cached per file and modification time: one read per lesson)."""
    path = Path(ctx["path"])
    key = (str(path.resolve()), path.stat().st_mtime)
    if key not in _READ_CACHE:
        _READ_CACHE[key] = io.read_transactions(path, **EXPORT_COLUMNS)
    return _READ_CACHE[key]


def _tx_summary(tx: io.Transactions) -> tuple[int, int, float]:
    q = tx.quality
    return q.rows_kept, q.n_customers, round(q.net_revenue, 2)


def _read_export_expected(ctx: Mapping[str, Any]) -> tuple[int, int, float]:
    return _tx_summary(_export_read(ctx))


def _quantity_as_amount(answer: io.Transactions, ctx: Mapping[str, Any]) -> bool:
    return _close(answer.quality.net_revenue, _export_read(ctx).data["quantity"].sum())


def _customer_summary(data: Any, as_of: Any) -> pd.DataFrame:
    from .. import engine

    return engine.customer_summary(data, as_of=as_of)


# --- lesson 2: ABC and XYZ -----------------------------------------------------------------------------

# The methodology's worked example of the multiple-of-average rule: M = 100,000,000 rub over N = 250 clients.
WORKED_M = 100_000_000
WORKED_N = 250


def _abc_by_hand(ctx: Mapping[str, Any]) -> dict[str, str]:
    table = value.abc(pd.Series(ctx["sales"], dtype=float), method="average_multiple").table_
    return table["abc_class"].astype(str).to_dict()


def _abc_by_hand_swapped(ctx: Mapping[str, Any]) -> dict[str, str]:
    swap = {"A": "C", "C": "A"}
    return {k: swap.get(v, v) for k, v in _abc_by_hand(ctx).items()}


def _abc_by_hand_strict(ctx: Mapping[str, Any]) -> dict[str, str]:
    sales = pd.Series(ctx["sales"], dtype=float)
    p = sales.sum() / len(sales)
    return {k: "A" if v > 6 * p else "C" if v < p / 2 else "B" for k, v in sales.items()}


def _abc_summary(ctx: Mapping[str, Any]) -> pd.DataFrame:
    return value.abc(ctx["data"], as_of=ctx["as_of"]).summary_


def _abc_xyz_cells(ctx: Mapping[str, Any]) -> pd.Series:
    return value.abc_xyz(ctx["data"], as_of=ctx["as_of"]).table_["cell"].astype(str).value_counts()


def _abc_xyz_a(ctx: Mapping[str, Any]) -> pd.Series:
    table = value.abc_xyz(ctx["data"], as_of=ctx["as_of"]).table_
    return table.loc[table["abc_class"].astype(str) == "A", "cell"].astype(str).value_counts()


# --- lesson 3: RFM, segments, migration ----------------------------------------------------------------


def _recency_scores(ctx: Mapping[str, Any]) -> dict[str, int]:
    # Fewer days since the last purchase is better: the most recent client gets 5. With one client per
    # score (the lesson's five clients) the quintile score is simply the rank.
    days = pd.Series(ctx["days"], dtype=float)
    return (len(days) + 1 - days.rank(method="first")).astype(int).to_dict()


def _recency_reversed(ctx: Mapping[str, Any]) -> dict[str, int]:
    return {k: len(ctx["days"]) + 1 - v for k, v in _recency_scores(ctx).items()}


def _segment_counts(ctx: Mapping[str, Any]) -> pd.DataFrame:
    table = segments.rfm_segments(segments.rfm(ctx["data"], as_of=ctx["as_of"]))
    return table.groupby("segment", observed=True).agg(
        customers=("segment", "size"), revenue=("revenue", "sum")
    )


def _champions_share(ctx: Mapping[str, Any]) -> float:
    counts = _segment_counts(ctx)
    return counts.loc["Champions", "customers"] / counts["customers"].sum()


def _migration_counts(ctx: Mapping[str, Any]) -> pd.DataFrame:
    return segments.segment_migration(ctx["before"], ctx["after"]).counts_


def _stayed(ctx: Mapping[str, Any]) -> float:
    counts = _migration_counts(ctx)
    return counts.loc["Champions", "Champions"] / counts.loc["Champions"].sum()


def _stayed_by_column(ctx: Mapping[str, Any]) -> float:
    counts = _migration_counts(ctx)
    return counts.loc["Champions", "Champions"] / counts["Champions"].sum()


# --- lesson 4: personas --------------------------------------------------------------------------------


def _largest_persona(ctx: Mapping[str, Any]) -> pd.DataFrame:
    model = ctx["model"]
    labels = model.labels_
    return model.features_.loc[labels == labels.value_counts().idxmax()]


def _persona_cheque(ctx: Mapping[str, Any]) -> float:
    members = _largest_persona(ctx)
    return members["revenue"].sum() / members["n_orders"].sum()


def _size_verdicts(ctx: Mapping[str, Any]) -> pd.Series:
    return segments.segment_size_check(ctx["segments"])["verdict"].value_counts()


# --- lesson 5: cohorts, churn, the client base ---------------------------------------------------------


def _cohort_cells(ctx: Mapping[str, Any]) -> tuple[pd.Series, pd.Series, pd.Series]:
    result, p = ctx["cohorts"], ctx["period_number"]
    return result.retention_[p], result.mature_[p].astype(bool), result.sizes_.astype(float)


def _retention_weighted(ctx: Mapping[str, Any]) -> float:
    rate, mature, sizes = _cohort_cells(ctx)
    return float((rate[mature] * sizes[mature]).sum() / sizes[mature].sum())


def _retention_future_zero(ctx: Mapping[str, Any]) -> float:
    rate, _, sizes = _cohort_cells(ctx)
    return float((rate.fillna(0) * sizes).sum() / sizes.sum())


def _retention_future_zero_unweighted(ctx: Mapping[str, Any]) -> float:
    rate, _, _ = _cohort_cells(ctx)
    return float(rate.fillna(0).mean())


def _retention_unweighted(ctx: Mapping[str, Any]) -> float:
    rate, mature, _ = _cohort_cells(ctx)
    return float(rate[mature].mean())


def _client_base(ctx: Mapping[str, Any]) -> pd.DataFrame:
    return lifecycle.client_base(ctx["data"], as_of=ctx["as_of"])


def _churned_share(ctx: Mapping[str, Any]) -> float:
    return float(_client_base(ctx).loc[("lapsed", "churned"), "share_of_all"])


def _churned_with_at_risk(ctx: Mapping[str, Any]) -> float:
    base = _client_base(ctx)
    return float(
        base.loc[("lapsed", "churned"), "share_of_all"] + base.loc[("current", "at_risk"), "share_of_all"]
    )


def _churned_of_current(ctx: Mapping[str, Any]) -> float:
    base = _client_base(ctx)
    return float(base.loc[("lapsed", "churned"), "customers"] / base.loc[("current", "total"), "customers"])


# --- lesson 6: the CRM view ----------------------------------------------------------------------------


def _scores(ctx: Mapping[str, Any]) -> pd.Series:
    return pd.Series(ctx["scores"], dtype=float)


def _renew_table(ctx: Mapping[str, Any]) -> pd.DataFrame:
    table = ctx["renew"]
    return table[table["rated"].astype(bool)]


def _quadrants(ctx: Mapping[str, Any]) -> pd.Series:
    return ctx["matrix"]["quadrant"].astype(str).value_counts()


EXERCISES: dict[str, _Exercise] = {
    "base.read_export": _Exercise(
        "training.base.read_export.hint",
        "transactions",
        _read_export_expected,
        {
            "training.base.read_export.returns_dropped": lambda a, ctx: a.quality.returns_policy == "drop",
            "training.base.read_export.placeholders_kept": lambda a, ctx: (
                a.quality.placeholder_policy == "keep"
            ),
            "training.base.read_export.quantity_as_amount": _quantity_as_amount,
        },
        ("path",),
    ),
    "base.rows_dropped": _Exercise(
        "training.base.rows_dropped.hint",
        "count",
        lambda ctx: _export_read(ctx).quality.rows_dropped,
        {
            "training.base.rows_dropped.one_reason": lambda a, ctx: any(
                _close(a, n) for n in _export_read(ctx).quality.dropped.values() if n
            ),
            "training.base.rows_dropped.returns_counted": _equals(
                lambda ctx: _export_read(ctx).quality.rows_dropped + _export_read(ctx).quality.returns_found,
                "count",
            ),
        },
        ("path",),
    ),
    "base.revenue_per_customer": _Exercise(
        "training.base.revenue_per_customer.hint",
        "number",
        lambda ctx: _customer_summary(ctx["data"], ctx.get("as_of"))["revenue"].mean(),
        {
            "training.base.revenue_per_customer.per_row": _equals(
                lambda ctx: ctx["data"].data["amount"].mean(), "number"
            ),
            "training.base.revenue_per_customer.per_order": _equals(
                lambda ctx: ctx["data"].quality.net_revenue / ctx["data"].quality.n_orders, "number"
            ),
        },
        ("data",),
    ),
    "abc.worked_example": _Exercise(
        "training.abc.worked_example.hint",
        "pair",
        lambda ctx: (6 * WORKED_M / WORKED_N, WORKED_M / WORKED_N / 2),
        {
            "training.abc.worked_example.swapped": _equals(
                lambda ctx: (WORKED_M / WORKED_N / 2, 6 * WORKED_M / WORKED_N), "pair"
            ),
            "training.abc.worked_example.no_average": _equals(
                lambda ctx: (6 * WORKED_M, WORKED_M / 2), "pair"
            ),
        },
    ),
    "abc.by_hand": _Exercise(
        "training.abc.by_hand.hint",
        "mapping",
        _abc_by_hand,
        {
            "training.abc.by_hand.direction": _equals(_abc_by_hand_swapped, "mapping"),
            "training.abc.by_hand.strict": _equals(_abc_by_hand_strict, "mapping"),
        },
        ("sales",),
    ),
    "abc.share_a": _Exercise(
        "training.abc.share_a.hint",
        "share",
        lambda ctx: _abc_summary(ctx).loc["A", "share_customers"],
        {
            "training.abc.share_a.revenue_share": _equals(
                lambda ctx: _abc_summary(ctx).loc["A", "share_value"], "share"
            ),
            "training.abc.share_a.count": _equals(
                lambda ctx: _abc_summary(ctx).loc["A", "n_customers"], "count"
            ),
            "training.abc.share_a.percent": _equals(
                lambda ctx: 100 * _abc_summary(ctx).loc["A", "share_customers"], "number"
            ),
        },
        ("data", "as_of"),
    ),
    "abc_xyz.retain": _Exercise(
        "training.abc_xyz.retain.hint",
        "count",
        lambda ctx: _abc_xyz_cells(ctx).reindex(["AX", "AY"]).fillna(0).sum(),
        {
            "training.abc_xyz.retain.ax_only": _equals(lambda ctx: _abc_xyz_cells(ctx).get("AX", 0), "count"),
            # every A client: the three A cells, or also the A clients too new to judge their regularity
            "training.abc_xyz.retain.all_a": lambda a, ctx: (
                _same(a, _abc_xyz_a(ctx).sum(), "count")
                or _same(a, _abc_xyz_a(ctx).reindex(["AX", "AY", "AZ"]).fillna(0).sum(), "count")
            ),
        },
        ("data", "as_of"),
    ),
    "rfm.recency_scores": _Exercise(
        "training.rfm.recency_scores.hint",
        "mapping",
        _recency_scores,
        {"training.rfm.recency_scores.direction": _equals(_recency_reversed, "mapping")},
        ("days",),
    ),
    "rfm.champions_share": _Exercise(
        "training.rfm.champions_share.hint",
        "share",
        _champions_share,
        {
            "training.rfm.champions_share.count": _equals(
                lambda ctx: _segment_counts(ctx).loc["Champions", "customers"], "count"
            ),
            "training.rfm.champions_share.revenue_share": _equals(
                lambda ctx: (
                    _segment_counts(ctx).loc["Champions", "revenue"] / _segment_counts(ctx)["revenue"].sum()
                ),
                "share",
            ),
            "training.rfm.champions_share.percent": _equals(
                lambda ctx: 100 * _champions_share(ctx), "number"
            ),
        },
        ("data", "as_of"),
    ),
    "rfm.stayed_champions": _Exercise(
        "training.rfm.stayed_champions.hint",
        "share",
        _stayed,
        {"training.rfm.stayed_champions.wrong_denominator": _equals(_stayed_by_column, "share")},
        ("before", "after"),
    ),
    "personas.cheque": _Exercise(
        "training.personas.cheque.hint",
        "number",
        _persona_cheque,
        {
            "training.personas.cheque.unweighted": _equals(
                lambda ctx: _largest_persona(ctx)["avg_order_value"].mean(), "number"
            ),
            "training.personas.cheque.per_customer": _equals(
                lambda ctx: _largest_persona(ctx)["revenue"].mean(), "number"
            ),
        },
        ("model",),
    ),
    "personas.sizes_within": _Exercise(
        "training.personas.sizes_within.hint",
        "count",
        lambda ctx: _size_verdicts(ctx).get("within", 0),
        {
            "training.personas.sizes_within.above_counted": _equals(
                lambda ctx: _size_verdicts(ctx).reindex(["within", "above"]).fillna(0).sum(), "count"
            ),
            "training.personas.sizes_within.below_counted": _equals(
                lambda ctx: _size_verdicts(ctx).reindex(["within", "below"]).fillna(0).sum(), "count"
            ),
        },
        ("segments",),
    ),
    "cohorts.retention": _Exercise(
        "training.cohorts.retention.hint",
        "share",
        _retention_weighted,
        {
            "training.cohorts.retention.future_as_zero": lambda a, ctx: (
                _same(a, _retention_future_zero(ctx), "share")
                or _same(a, _retention_future_zero_unweighted(ctx), "share")
            ),
            "training.cohorts.retention.unweighted": _equals(_retention_unweighted, "share"),
        },
        ("cohorts", "period_number"),
    ),
    "base.churned_share": _Exercise(
        "training.base.churned_share.hint",
        "share",
        _churned_share,
        {
            "training.base.churned_share.at_risk_counted": _equals(_churned_with_at_risk, "share"),
            "training.base.churned_share.of_current": _equals(_churned_of_current, "share"),
        },
        ("data", "as_of"),
    ),
    "churn.rate_by_hand": _Exercise(
        "training.churn.rate_by_hand.hint",
        "share",
        lambda ctx: ctx["lost"] / ctx["start"],
        {
            "training.churn.rate_by_hand.with_new": _equals(
                lambda ctx: ctx["lost"] / (ctx["start"] + ctx["won"]), "share"
            ),
            "training.churn.rate_by_hand.of_end": _equals(
                lambda ctx: ctx["lost"] / (ctx["start"] + ctx["won"] - ctx["lost"]), "share"
            ),
        },
        ("start", "lost", "won"),
    ),
    "crm.csi_by_hand": _Exercise(
        "training.crm.csi_by_hand.hint",
        "number",
        lambda ctx: _crm.satisfaction_scores(_scores(ctx))["csi"],
        {
            "training.crm.csi_by_hand.difference": _equals(
                lambda ctx: _scores(ctx).between(8, 10).mean() - _scores(ctx).between(1, 3).mean(), "number"
            ),
            "training.crm.csi_by_hand.inverse": _equals(
                lambda ctx: 1 / _crm.satisfaction_scores(_scores(ctx))["csi"], "number"
            ),
            "training.crm.csi_by_hand.nps_bands": _equals(
                lambda ctx: _scores(ctx).between(9, 10).mean() / _scores(ctx).between(0, 6).mean(), "number"
            ),
        },
        ("scores",),
    ),
    "crm.renew_count": _Exercise(
        "training.crm.renew_count.hint",
        "count",
        lambda ctx: int((_renew_table(ctx)["renew_index"] >= ctx["at_least"]).sum()),
        {
            "training.crm.renew_count.strict": _equals(
                lambda ctx: int((_renew_table(ctx)["renew_index"] > ctx["at_least"]).sum()), "count"
            ),
        },
        ("renew", "at_least"),
    ),
    "crm.stars": _Exercise(
        "training.crm.stars.hint",
        "count",
        lambda ctx: _quadrants(ctx).get("stars", 0),
        {
            "training.crm.stars.axes_swapped": _equals(
                lambda ctx: _quadrants(ctx).get("cash cows", 0), "count"
            ),
            "training.crm.stars.problem_children": _equals(
                lambda ctx: _quadrants(ctx).get("problem children", 0), "count"
            ),
        },
        ("matrix",),
    ),
}


_KIND_KEYS = {
    "number": "training.kind.number",
    "share": "training.kind.share",
    "count": "training.kind.count",
    "pair": "training.kind.pair",
    "mapping": "training.kind.mapping",
    "transactions": "training.kind.transactions",
}


def _spec(exercise: str) -> _Exercise:
    check_choice("exercise", exercise, sorted(EXERCISES))
    return EXERCISES[exercise]


def _context(exercise: str, spec: _Exercise, context: Mapping[str, Any]) -> Mapping[str, Any]:
    missing = [name for name in spec.context if name not in context]
    if missing:
        raise ParameterError(
            f"check({exercise!r}) needs the keyword argument(s) {missing} (got {sorted(context)}); "
            "copy the check cell from the lesson unchanged."
        )
    return context


def expected_answer(exercise: str, **context: Any) -> Any:
    """The right answer of ``exercise`` on the given context (for facilitators and the tests).

    Examples
    --------
    >>> from segkit.training import expected_answer
    >>> expected_answer("abc.worked_example")
    (2400000.0, 200000.0)
    """
    spec = _spec(exercise)
    return spec.expected(_context(exercise, spec, context))


def _shown(answer: Any, kind: str, lang: str) -> str:
    if kind == "share" and 0 <= answer <= 1:
        return i18n.format_percent(answer, decimals=1, lang=lang)
    if kind == "count" or (kind == "number" and float(answer).is_integer()):
        return i18n.format_number(answer, lang=lang)
    if kind in ("number", "share"):
        return i18n.format_number(answer, decimals=2, lang=lang)
    if kind == "pair":
        return " / ".join(i18n.format_number(a, lang=lang) for a in answer)
    return ""


def check(exercise: str, answer: Any, *, lang: str = "en", **context: Any) -> CheckResult:
    """Check a learner's answer to one lesson exercise.

    Parameters
    ----------
    exercise : str
        The exercise's name as the lesson writes it, e.g. ``"abc.worked_example"`` (see ``EXERCISES``).
    answer : object
        The learner's answer; ``...`` (the placeholder in the learner notebook) means "not answered yet".
    lang : {"en", "ru"}
        The language of the message.
    **context
        What the right answer is computed from (the data, the as-of date, the lesson's tiny table); the lesson's
        check cell passes it.

    Returns
    -------
    CheckResult
        ``ok`` is true only for the right answer; the repr is the message: "Correct", or what is wrong and a
        hint (a recognised mistake gets its own hint).

    Examples
    --------
    >>> from segkit.training import check
    >>> check("abc.worked_example", (2_400_000, 200_000))
    ✓ Correct: 2,400,000 / 200,000.
    >>> check("abc.worked_example", (200_000, 2_400_000)).status
    'swapped'
    """
    i18n.check_lang(lang)
    spec = _spec(exercise)
    ctx = _context(exercise, spec, context)
    if answer is Ellipsis or answer is None:
        return CheckResult(exercise, False, "not_answered", i18n.t("training.not_answered", lang))
    normal = _normalise(answer, spec.kind)
    if normal is None:
        what = i18n.t(_KIND_KEYS[spec.kind], lang)
        return CheckResult(exercise, False, "wrong_type", i18n.t("training.wrong_type", lang, expected=what))
    target = spec.expected(ctx)
    if spec.kind == "transactions":
        right = _tx_summary(normal) == target
    else:
        right = _same(normal, target, spec.kind)
    if right:
        shown = _shown(normal, spec.kind, lang)
        key = "training.correct_value" if shown else "training.correct"
        return CheckResult(exercise, True, "correct", i18n.t(key, lang, value=shown))
    for key, matches in spec.mistakes.items():
        if matches(normal, ctx):
            hint = i18n.t(key, lang)
            return CheckResult(
                exercise, False, key.rsplit(".", 1)[1], i18n.t("training.mistake", lang, hint=hint)
            )
    hint = i18n.t(spec.hint, lang)
    return CheckResult(exercise, False, "wrong", i18n.t("training.wrong", lang, hint=hint))
