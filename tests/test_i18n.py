"""The message catalogue: both languages complete and consistent, every text reachable, formats per locale."""

from __future__ import annotations

import ast
import itertools
import re
import string
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.i18n import (
    LANGUAGES,
    catalogue_keys,
    format_axes,
    format_date,
    format_money,
    format_number,
    format_percent,
    label,
    localize_axes,
    localize_text,
    persona_label,
    t,
)
from segkit.i18n._catalogue import kinds, placeholders

matplotlib.use("Agg")

PACKAGE = Path(segkit.__file__).resolve().parent
NBSP = "\u00a0"
# Latin words allowed in Russian texts: acronyms, product and method names, and codes shown as they are.
LATIN_OK = {
    "ABC", "XYZ", "RFM", "LTV", "CLV", "NBD", "ROC", "AUC", "CSV", "Excel", "VIP", "HHI", "data", "sample_transactions",
    "csv", "customer_id", "Python",
}  # fmt: skip


def _constants(paths: list[Path]) -> set[str]:
    """Every string constant of the given modules (implicit concatenation already joined by the parser)."""
    out: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def _fstring_patterns(paths: list[Path]) -> list[re.Pattern[str]]:
    """Every f-string of the given modules as a pattern: its literal parts, anything for each field."""
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = [
                    re.escape(part.value) if isinstance(part, ast.Constant) else ".+?" for part in node.values
                ]
                out.append(re.compile("".join(parts), re.DOTALL))
    return out


ALL_CODE = sorted(PACKAGE.rglob("*.py"))
# The analysis code: what produces the vocabularies (not the layers that translate them).
PRESENTATION = {PACKAGE / "i18n", PACKAGE / "report" / "_format.py", PACKAGE / "report" / "_exports.py"}
ANALYSIS = [p for p in ALL_CODE if not any(p == q or q in p.parents for q in PRESENTATION)]


# Notebooks (the report's and the training lessons, shipped inside the package) look texts up by key too.
NOTEBOOKS = sorted(PACKAGE.parent.glob("notebooks/**/*.ipynb")) + sorted(PACKAGE.rglob("*.ipynb"))


def _notebook_constants(paths: list[Path]) -> set[str]:
    """Every string constant of the code cells of the given notebooks (IPython magics left out)."""
    import nbformat

    out: set[str] = set()
    for path in paths:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(
                line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
            )
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    out.add(node.value)
    return out


@pytest.fixture(scope="module")
def all_constants() -> set[str]:
    return _constants(ALL_CODE) | _notebook_constants(NOTEBOOKS)


@pytest.fixture(scope="module")
def analysis_constants() -> set[str]:
    return _constants(ANALYSIS)


# ---------------------------------------------------------------------------------------------------
# completeness and consistency
# ---------------------------------------------------------------------------------------------------


def test_every_key_exists_in_both_languages():
    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    assert sorted(set(en) - set(ru)) == []
    assert sorted(set(ru) - set(en)) == []
    assert len(en) > 400


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_is_empty(lang):
    empty = [key for key, text in catalogue_keys(lang).items() if not str(text).strip()]
    assert empty == []


def test_placeholders_are_identical_in_both_languages():
    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    differ = {
        key: (placeholders(en[key]), placeholders(ru[key]))
        for key in en
        if placeholders(en[key]) != placeholders(ru[key])
    }
    assert differ == {}


def test_template_codes_have_the_placeholders_of_their_text():
    en = catalogue_keys("en")
    for key, text in en.items():
        code = key.split(".", 2)[-1]
        if key.startswith("labels.") and placeholders(code):
            assert placeholders(code) == placeholders(text), key


def test_russian_texts_are_russian():
    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    english = {}
    for key, text in ru.items():
        plain = re.sub(r"\{\w+\}", "", text)
        words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", plain)) - LATIN_OK
        if words:
            english[key] = sorted(words)
    assert english == {}
    # A Russian text identical to the English one is only allowed for codes and acronyms ("R", "ROC AUC").
    same = [key for key in en if en[key] == ru[key] and set(re.findall(r"[A-Za-z]{3,}", en[key])) - LATIN_OK]
    assert same == []


def test_a_missing_key_or_field_is_a_clear_error():
    with pytest.raises(segkit.ParameterError, match="Unknown message key"):
        t("no.such.key", lang="ru")
    with pytest.raises(segkit.ParameterError, match="needs the field"):
        t("table.rows_shown", lang="en", shown=3)
    with pytest.raises(segkit.ParameterError, match="lang"):
        t("common.yes", lang="de")
    with pytest.raises(segkit.ParameterError, match="kind"):
        label("colour", "red")


# ---------------------------------------------------------------------------------------------------
# every text is used
# ---------------------------------------------------------------------------------------------------


def test_every_message_key_is_referenced_from_segkit_code(all_constants):
    unused = [
        key
        for key in catalogue_keys("en")
        if key.startswith("messages.") and key[len("messages.") :] not in all_constants
    ]
    assert unused == []


def test_every_vocabulary_is_mapped_by_the_presentation_code():
    constants = _constants([p for p in ALL_CODE if any(p == q or q in p.parents for q in PRESENTATION)])
    assert [kind for kind in kinds() if kind not in constants] == []


def _pieces(text: str) -> list[str]:
    return [literal for literal, _, _, _ in string.Formatter().parse(text) if literal.strip()]


def test_every_label_names_something_the_analysis_code_produces(analysis_constants):
    # A label is used when its code, or its English text, is written in the analysis code: as a string,
    # as a text an f-string of the analysis makes ("total margin (positive part)"), or, for a template,
    # with every literal piece written there (so "revenue lost if the top {k} left" matches its f-string).
    fstrings = _fstring_patterns(ANALYSIS)

    def produced(text: str) -> bool:
        if placeholders(text):
            if all(any(piece in constant for constant in analysis_constants) for piece in _pieces(text)):
                return True
            text = text.format(**dict.fromkeys(placeholders(text), "0"))  # an example of the text
        return any(text in constant for constant in analysis_constants) or any(
            p.fullmatch(text) for p in fstrings
        )

    unused = []
    for key, text in catalogue_keys("en").items():
        if not key.startswith("labels."):
            continue
        code = key.split(".", 2)[2]
        if not (produced(code) or produced(text)):
            unused.append(key)
    assert unused == []


def test_the_unused_check_can_fail(analysis_constants):
    assert not any("Platinum whales" in constant for constant in analysis_constants)


# ---------------------------------------------------------------------------------------------------
# the vocabularies of the analysis are covered, and their English is the analysis' own text
# ---------------------------------------------------------------------------------------------------


def test_segment_names_descriptions_and_actions():
    for bins in (2, 3, 5):
        scheme = segkit.default_scheme(bins)
        for segment in scheme.segments:
            assert label("segment", segment, "en") == segment
            assert label("segment", segment, "ru") != segment
            assert label("segment_description", segment, "en") == scheme.descriptions[segment]
            assert label("segment_action", segment, "en") == scheme.actions[segment]
            # The analysis' English text also finds its translation (a summary table carries the text).
            assert label("segment_action", scheme.actions[segment], "ru") == label(
                "segment_action", segment, "ru"
            )
    assert label("segment", "Champions", "ru") == "Чемпионы"
    assert label("segment", "At Risk", "ru") == "Под угрозой оттока"


def test_abc_xyz_strategies():
    table = segkit.default_strategies()
    for cell, text in table["strategy"].items():
        assert label("strategy", cell, "en") == text
        assert label("strategy", text, "ru") == label("strategy", cell, "ru") != text


def test_statuses_and_features():
    for status in segkit.STATUSES:
        assert label("status", status, "ru") != status
    assert label("status", "at_risk", "ru") == "под угрозой оттока"
    from segkit.portraits._features import FEATURE_LABELS

    for feature, text in FEATURE_LABELS.items():
        assert label("feature", feature, "en") == text
    from segkit.lifecycle._churn import FEATURE_MEANINGS

    for feature, text in FEATURE_MEANINGS.items():
        generated = text.format(w=90, w2=180)
        assert label("churn_feature", generated, "ru") != generated, feature


def test_every_persona_approach_and_name_translates():
    from segkit.portraits._personas import _QUALIFIERS, _approach, _name

    flags = (
        "one_time",
        "new",
        "lapsed",
        "frequent",
        "occasional",
        "high",
        "low",
        "big_basket",
        "small_basket",
    )
    names, approaches = set(), set()
    for values in itertools.product((False, True), repeat=len(flags)):
        traits = dict(zip(flags, values, strict=True))
        names.add(_name(traits))
        approaches.add(_approach(traits))
    for text in approaches:
        assert label("persona_approach", text, "ru") != text
    for name in names:
        assert persona_label(name, "ru") != name
    for high, low in _QUALIFIERS.values():
        assert persona_label(f"Regular buyers, {high} (2)", "ru").endswith(" (2)")
        assert label("persona_qualifier", low, "ru") != low
    assert (
        persona_label("Regular buyers, higher revenue", "ru")
        == "Постоянные покупатели, выше: выручка (за вычетом возвратов)"
    )


@pytest.fixture(scope="module")
def fitted():
    """The kit's analyses, fitted once on a small generated base."""
    from segkit.datasets import make_transactions

    frame, _ = make_transactions(300, seed=4)
    tx = segkit.read_transactions(frame)
    as_of = segkit.as_of_date(tx, None)
    rfm = segkit.rfm(tx, as_of=as_of)
    segments = segkit.rfm_segments(rfm)
    earlier = segkit.rfm_segments(segkit.rfm(tx, as_of=as_of - pd.Timedelta(days=90)))
    static = segkit.static_segment(pd.DataFrame({"customer_id": segments.index[:5]}), name="VIP")
    with_static = segkit.add_static_segments(segments, static)
    model = segkit.ChurnModel(horizon_days=60, random_state=0).fit(tx, as_of=as_of)
    rates = segkit.churn_rate(tx, as_of=as_of)
    return {
        "tx": tx,
        "as_of": as_of,
        "matrix": segkit.abc_xyz(tx, as_of=as_of),
        "rfm": rfm,
        "segments": segments,
        "with_static": with_static,
        "summary": segkit.segment_summary(segments),
        "migration": segkit.segment_migration(earlier, segments),
        "personas": segkit.personas(
            tx, as_of=as_of, segments=segments["segment"], n_resamples=0, k_range=(3, 4)
        ),
        "cohorts": segkit.cohorts(tx, as_of=as_of),
        "rates": rates,
        "survival": segkit.survival_curves(tx, as_of=as_of),
        "model": model,
        "evaluation": model.evaluate(tx, as_of=as_of),
    }


@pytest.fixture(scope="module")
def results(fitted):
    """Every result table the kit produces today."""
    f = fitted
    tx, as_of, matrix, personas = f["tx"], f["as_of"], f["matrix"], f["personas"]
    return {
        "quality": tx.quality.to_frame(),
        "period_totals": segkit.period_totals(tx, as_of=as_of),
        "concentration": segkit.concentration(tx, as_of=as_of).to_frame(),
        "abc_summary": matrix.abc_.summary_,
        "abc_table": matrix.abc_.table_,
        "xyz_summary": matrix.xyz_.summary_,
        "xyz_table": matrix.xyz_.table_,
        "matrix": matrix.matrix_,
        "abc_xyz_table": matrix.table_,
        "rfm_table": f["rfm"].table_,
        "rfm_thresholds": f["rfm"].thresholds_,
        "scheme": segkit.default_scheme(5).to_frame(),
        "segment_table": segkit.default_scheme(5).segment_table(),
        "segments": f["segments"],
        "segment_summary": f["summary"],
        "migration_summary": f["migration"].summary_,
        "migration_counts": f["migration"].counts_,
        "features": personas.features_,
        "k_scores": personas.k_scores_,
        "persona_cards": personas.persona_cards(),
        "profiles": personas.profiles_,
        "assignments": personas.assignments(),
        "status": segkit.customer_status(tx, as_of=as_of),
        "average_curve": f["cohorts"].average_curve_,
        "client_base": segkit.client_base(tx, as_of=as_of),
        "transitions": segkit.status_transitions(tx, previous=as_of - pd.Timedelta(days=90), as_of=as_of),
        "churn_rate": f["rates"],
        "churn_summary": segkit.churn_summary(f["rates"]),
        "survival": f["survival"].summary_,
        "metrics": f["evaluation"].metrics,
        "calibration": f["evaluation"].calibration,
        "importance": f["model"].importance_,
        "scores": f["model"].score(tx, as_of=as_of),
        "customer_summary": segkit.customer_summary(tx, as_of=as_of),
        "abc_rules": segkit.abc_rules(matrix.abc_),
        "abc_rules_rare": segkit.abc_rules(segkit.abc(tx, as_of=as_of, d_rule="rare")),
        "abc_rare_table": segkit.abc(tx, as_of=as_of, d_rule="rare").table_,
        "xyz_rules": matrix.xyz_.rules_,
        "xyz_cv_rules": segkit.xyz(tx, as_of=as_of, method="cv").rules_,
        "strategies": segkit.default_strategies(),
        "abc_portrait": segkit.abc_portrait(matrix.abc_, tx),
        "static_segments": f["with_static"],
        "static_summary": segkit.segment_summary(f["with_static"]),
        "segment_size_check": segkit.segment_size_check(
            segkit.segment_summary(f["with_static"]), n_personas=9
        ),
    }


def test_every_result_column_has_a_human_label(results):
    from segkit.report import column_label

    missing = {}
    for name, frame in results.items():
        names = [*map(str, frame.columns), *(str(n) for n in frame.index.names if n is not None)]
        for column in names:
            if column.isdigit():
                continue  # period numbers of cohort matrices
            if column_label(column, "ru") == column and column_label(column, "en") == column:
                missing.setdefault(name, []).append(column)
    assert missing == {}


def test_every_measure_of_the_summary_tables_translates(results):
    for name in ("quality", "concentration"):
        for measure in results[name]["measure"]:
            assert label("measure", measure, "ru") != measure, measure
    for effect in results["importance"]["effect"]:
        assert label("effect", effect, "ru") != effect
    for ranking in results["metrics"].index:
        assert label("ranking", ranking, "ru") != ranking


# Result columns whose values are codes of a vocabulary (the presentation maps them the same way).
VALUE_VOCABULARIES = {
    "source": "source",
    "kind": "segment_kind",
    "verdict": "verdict",
    "guidance": "guidance",
    "d_reason": "d_reason",
}


def test_every_code_of_the_new_columns_translates(results):
    untranslated = {}
    for name, frame in results.items():
        for column, kind in VALUE_VOCABULARIES.items():
            if column not in frame.columns:
                continue
            for value in frame[column].dropna().astype(str).unique():
                if value and label(kind, value, "ru") == value:
                    untranslated.setdefault(name, []).append(value)
    assert untranslated == {}
    # The rare-buyer rule of group D did put someone in D, so its reason was checked above.
    assert (results["abc_rare_table"]["d_reason"] != "").any()
    assert label("d_reason", "margin rate 1.2% below 5.0%", "ru") == f"норма маржи 1,2{NBSP}% ниже 5,0{NBSP}%"
    assert label("segment_kind", "static", "ru") == "статический"


def test_every_rule_of_the_abc_and_xyz_rule_tables_translates(fitted):
    tx, as_of = fitted["tx"], fitted["as_of"]
    tables = [
        segkit.abc_rules(segkit.abc(tx, as_of=as_of)),
        segkit.abc_rules(segkit.abc(tx, as_of=as_of, method="average_multiple")),
        segkit.abc_rules(segkit.abc(tx, as_of=as_of, method="volume_frequency", d_rule="rare")),
        segkit.abc_rules(segkit.abc(tx, as_of=as_of, d_rule="none")),
        segkit.xyz(tx, as_of=as_of).rules_,
        segkit.xyz(tx, as_of=as_of, method="cv").rules_,
    ]
    untranslated = []
    for table in tables:
        for rule, setting in table["setting"].items():
            if label("rule", rule, "ru") == rule:
                untranslated.append(rule)
            if label("setting", setting, "ru") == setting and label("strategy", setting, "ru") == setting:
                untranslated.append(setting)
    assert untranslated == []
    window = label("setting", "12 complete months, 2024-01-01 to 2024-12-31", "ru")
    assert window.startswith("полных периодов: 12 (период — месяц)"), window


def test_static_segment_action_translates():
    assert label("segment_action", segkit.STATIC_ACTION, "ru") != segkit.STATIC_ACTION
    assert label("strategy", segkit.D_ACTION, "ru").startswith("Убыточный хвост")


# ---------------------------------------------------------------------------------------------------
# CRM and CLV: every code their analyses emit has a translation
# ---------------------------------------------------------------------------------------------------

# The CRM and CLV result columns whose values are codes of a vocabulary.
CRM_VOCABULARIES = {
    **VALUE_VOCABULARIES,
    "source": ("source", "channel"),
    "strongest": "loyalty_type",
    "type": "loyalty_type",
    "signals": "loyalty_signals",
    "action": "loyalty_action",
    "quadrant": "quadrant",
    "strategy": "quadrant_strategy",
    "state": "base_state",
    "state_before": "base_state",
    "readiness": "readiness",
    "channel": "channel",
    "recontact_basis": "recontact_basis",
    "recontact_status": "recontact_status",
    "part": "clv_part",
    "predictor": "predictor",
    "inactivity rule": "reconcile",
}


@pytest.fixture(scope="module")
def crm_results():
    """Every result table of the CRM analyses, on the bundled sample CRM."""
    crm = segkit.load_sample_crm()
    as_of = "2025-01-01"
    loyalty = segkit.loyalty_scores(crm, as_of=as_of)
    matrix = segkit.activity_capacity(crm, as_of=as_of)
    return {
        "loyalty_scores": loyalty.scores,
        "loyalty_signals": loyalty.signals,
        "loyalty_profile": segkit.loyalty_profile(loyalty),
        "strong_share": segkit.strong_share(loyalty),
        "loyalty_actions": segkit.loyalty_actions(),
        "csi_nps": segkit.csi_nps(crm, as_of=as_of),
        "csi_nps_by_manager": segkit.csi_nps(crm, by="manager", as_of=as_of),
        "activity_capacity": matrix,
        "quadrant_summary": segkit.quadrant_summary(matrix),
        "base_states": segkit.base_states(crm, as_of=as_of),
        "base_structure": segkit.base_structure(crm, as_of=as_of, by="state"),
        "base_movement": segkit.base_movement(crm, start="2024-07-01", as_of=as_of),
        "lead_conversion": segkit.lead_conversion(crm, as_of=as_of, window_months=24),
        "renew_index": segkit.renew_index(crm, as_of=as_of),
    }


@pytest.fixture(scope="module")
def clv_results(fitted):
    """Every result table of the CLV analyses, on the small generated base."""
    tx, as_of = fitted["tx"], fitted["as_of"]
    full = segkit.btyd_summary(tx, time_scale=7, as_of=as_of)
    split = segkit.btyd_summary(tx, time_scale=7, as_of=as_of, calibration_end=as_of - pd.Timedelta(days=180))
    bg = segkit.BetaGeoModel().fit(full)
    with (
        warnings.catch_warnings()
    ):  # the small generated base correlates spend with frequency; irrelevant here
        warnings.simplefilter("ignore", segkit.SpendDependenceWarning)
        # Spend barely varies within a customer here, so p runs off without a penalizer (the fit's own advice).
        gg = segkit.GammaGammaModel(penalizer=0.001).fit(full)
    values = segkit.customer_value(bg, gg, full)
    status = segkit.customer_status(tx, as_of=as_of)
    joined = segkit.join_segments(values, rfm=fitted["segments"], abc=fitted["matrix"].abc_, status=status)
    holdout_model = segkit.BetaGeoModel().fit(split)
    check = segkit.holdout_validation(holdout_model, split, max_frequency=5)
    reconciled = segkit.reconcile_status(values, status, low_p_alive=0.5)
    return {
        "summary": full,
        "split": split,
        "values": values,
        "joined": joined,
        "by_group": segkit.clv_by_group(joined, "abc_class"),
        "tracking": segkit.cumulative_tracking(holdout_model, tx, split),
        "holdout_by_frequency": check.by_frequency,
        "holdout_customers": check.customers,
        "holdout_metrics": check.metrics,
        "p_alive_calibration": check.p_alive_calibration,
        "agreement": reconciled.agreement,
        "by_status": reconciled.by_status,
        "bg_summary": bg.summary_,
        "gg_summary": gg.summary_,
    }


def _unlabelled_columns(tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    from segkit.report import column_label

    missing = {}
    for name, frame in tables.items():
        names = [*map(str, frame.columns), *(str(n) for n in frame.index.names if n is not None)]
        for column in names:
            if re.fullmatch(r"[\d.]+-[\d.]+", column):
                continue  # P(alive) bands of the reconciliation ("0.25-0.50")
            if column_label(column, "ru") == column and column_label(column, "en") == column:
                missing.setdefault(name, []).append(column)
    return missing


def _untranslated_codes(tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    out = {}
    for name, frame in tables.items():
        flat = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
        for column, vocabularies in CRM_VOCABULARIES.items():
            if column not in flat.columns:
                continue
            vocabularies = (vocabularies,) if isinstance(vocabularies, str) else vocabularies
            for value in flat[column].dropna().astype(str).unique():
                if value and all(label(kind, value, "ru") == value for kind in vocabularies):
                    out.setdefault(name, []).append(f"{column}: {value}")
    return out


def test_every_crm_and_clv_result_column_has_a_human_label(crm_results, clv_results):
    assert _unlabelled_columns(crm_results) == {}
    assert _unlabelled_columns(clv_results) == {}


def test_every_code_the_crm_and_clv_analyses_emit_translates(crm_results, clv_results):
    assert _untranslated_codes(crm_results) == {}
    assert _untranslated_codes(clv_results) == {}
    # The tables did carry the codes checked above.
    assert set(crm_results["activity_capacity"]["quadrant"]) == set(segkit.QUADRANT_STRATEGIES)
    assert set(crm_results["base_states"]["state"]) == set(segkit.BASE_STATES)


def test_the_crm_vocabularies_of_the_code_are_complete():
    # The module constants, whether or not the sample produces every one of them.
    for loyalty_type in segkit.LOYALTY_TYPES:
        assert label("loyalty_type", loyalty_type, "ru") != loyalty_type
        assert label("column", loyalty_type, "ru") == loyalty_type  # a column named by its type ...
        from segkit.report import column_label

        assert column_label(loyalty_type, "ru") == label("loyalty_type", loyalty_type, "ru")  # ... translates
    for quadrant, strategy in segkit.QUADRANT_STRATEGIES.items():
        assert label("quadrant", quadrant, "ru") != quadrant
        assert label("quadrant_strategy", strategy, "ru") != strategy
    for state in (*segkit.BASE_STATES, "new in the base"):
        assert label("base_state", state, "ru") != state
    actions = segkit.loyalty_actions()
    for column, kind in (("signals", "loyalty_signals"), ("action", "loyalty_action"), ("source", "source")):
        for value in actions[column].unique():
            assert label(kind, value, "ru") != value, value
    assert label("quadrant", "problem children", "ru") == "трудные дети"
    assert label("loyalty_type", "process", "ru") == "процессуальная"
    # Codes the renew index writes in its own module (the sample need not reach every one).
    renew = _constants([PACKAGE / "crm" / "_renew.py"])
    assert {"due", "missed", "no date", "upcoming"} <= renew
    for status in ("due", "missed", "no date", "upcoming"):
        assert label("recontact_status", status, "ru") != status


@pytest.fixture(scope="module")
def plots(fitted):
    """Every plot function of the kit, drawn from the fitted analyses."""
    import matplotlib.pyplot as plt

    f = fitted
    tx, as_of, matrix = f["tx"], f["as_of"], f["matrix"]
    calls = {
        "period_totals": lambda: segkit.plot_period_totals(segkit.period_totals(tx, as_of=as_of)),
        "pareto": lambda: segkit.plot_pareto(matrix.abc_),
        "lorenz": lambda: segkit.plot_pareto(tx, as_of=as_of, kind="lorenz"),
        "cv": lambda: segkit.plot_cv_distribution(matrix.xyz_),
        "regularity": lambda: segkit.plot_regularity(matrix.xyz_),
        "heatmap": lambda: segkit.plot_abc_xyz_heatmap(matrix, by="revenue"),
        "segment_sizes": lambda: segkit.plot_segment_sizes(f["summary"]),
        "migration": lambda: segkit.plot_migration(f["migration"]),
        "retention_heatmap": lambda: segkit.plot_retention_heatmap(f["cohorts"], kind="retention"),
        "ltv_curves": lambda: segkit.plot_retention_curves(f["cohorts"], kind="ltv"),
        "churn_rate": lambda: segkit.plot_churn_rate(f["rates"]),
        "survival": lambda: segkit.plot_survival(f["survival"]),
        "calibration": lambda: segkit.plot_calibration(f["evaluation"]),
        "k_scores": lambda: segkit.plot_persona_k_scores(f["personas"]),
        "persona_sizes": lambda: segkit.plot_persona_sizes(f["personas"]),
        "projection": lambda: segkit.plot_persona_projection(f["personas"]),
    }
    yield {name: draw() for name, draw in calls.items()}
    plt.close("all")


def test_every_plot_text_translates(plots):
    untranslated = {}
    for name, ax in plots.items():
        texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        texts += [text.get_text() for text in legend.get_texts()] if legend is not None else []
        localize_axes(ax, lang="ru")
        after = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        after += [text.get_text() for text in legend.get_texts()] if legend is not None else []
        same = [
            before
            for before, now in zip(texts, after, strict=True)
            if before == now and re.search(r"[a-z]{3}", before)
        ]
        if same:
            untranslated[name] = same
    assert untranslated == {}
    # Heatmap cells are relocalized numbers ("36%" -> "36 %"), or bare percentages ("36") when the cells are
    # narrow (many periods).
    cells = [text.get_text() for text in plots["retention_heatmap"].texts if text.get_text()]
    assert cells and all("." not in cell for cell in cells)
    assert all(re.fullmatch(rf"\d+({NBSP}%)?", cell) for cell in cells)


# ---------------------------------------------------------------------------------------------------
# locale formats
# ---------------------------------------------------------------------------------------------------


def test_number_formats():
    assert format_number(1234.5, 2, "ru") == f"1{NBSP}234,50"
    assert format_number(1234.5, 2, "en") == "1,234.50"
    assert format_number(1234567, 0, "ru") == f"1{NBSP}234{NBSP}567"
    assert format_number(2.5, 0) == "3"  # half up, not to even
    assert format_number(-0.004, 2) == "0.00"
    assert format_number(np.nan) == format_number(None) == format_number(pd.NA) == "—"
    with pytest.raises(segkit.ParameterError, match="decimals"):
        format_number(1, -1)


def test_percent_money_and_dates():
    assert format_percent(0.1849, 1, "ru") == f"18,5{NBSP}%"
    assert format_percent(0.1849, 0, "en") == "18%"
    assert format_money(1234.5, "RUB", lang="ru") == f"1{NBSP}234,50{NBSP}₽"
    assert format_money(1234.5, "USD", lang="en") == "$1,234.50"
    assert format_money(1234.5, "usd", lang="ru") == f"1{NBSP}234,50{NBSP}$"
    assert format_money(1234.5, None, lang="ru") == f"1{NBSP}234,50"
    assert format_money(-3, "EUR") == "-€3.00"
    with pytest.raises(segkit.ParameterError, match="currency"):
        format_money(1, "rubles")
    assert format_date(pd.Timestamp("2024-07-01"), "ru") == "01.07.2024"
    assert format_date("2024-07-01", "en") == "2024-07-01"
    assert format_date(pd.NaT, "ru") == "—"


def test_generated_texts_are_relocalized():
    assert localize_text("549 (27.5%)", "ru") == f"549 (27,5{NBSP}%)"
    assert localize_text("1,422,375.93", "ru") == f"1{NBSP}422{NBSP}375,93"
    assert localize_text("%Y-%m-%d", "ru") == "%Y-%m-%d"
    assert localize_text("C00441", "ru") == "C00441"
    assert label("measure", "customers making 80 % of revenue", "ru") == "клиентов дают 80 % выручки"
    assert label("measure", "dropped: missing customer_id", "ru") == "отброшено: нет кода клиента"


@pytest.mark.parametrize(
    "value", [0, 7, 0.125, 12.345, 999.5, 1234.5, -1234.5, 0.001, 1234567.891, 10_000, 2_500_000]
)
@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_localizing_russian_numbers_again_changes_nothing(value, decimals):
    # A text that already went through the locale formats (NBSP groups, decimal commas) must survive a second
    # pass: the report localizes plot annotations and table cells that can hold such texts.
    plain = format_number(value, decimals, "ru")
    # A lone "12,345" cannot tell English thousands from three Russian decimals: it is read as English.
    ambiguous = decimals == 3 and abs(value) >= 1 and NBSP not in plain
    for text in (
        *([] if ambiguous else [plain]),
        format_percent(value / 100, decimals, "ru"),
        format_money(value, "RUB", decimals, "ru"),
    ):
        assert localize_text(text, "ru") == text
        assert localize_text(f"{text} и {text} ({text})", "ru") == f"{text} и {text} ({text})"


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("1,234.50", f"1{NBSP}234,50"),
        ("0.125", "0,125"),
        ("12,345 rows dropped", f"12{NBSP}345 rows dropped"),
        ("-5.5 (12.5%)", f"-5,5 (12,5{NBSP}%)"),
        ("0.25-0.50", "0,25-0,50"),
        ("as of 2024-12-31", "as of 31.12.2024"),
        ("10,000", f"10{NBSP}000"),
    ],
)
def test_english_numbers_are_localized_once(english, russian):
    assert localize_text(english, "ru") == russian
    assert localize_text(russian, "ru") == russian


@pytest.mark.parametrize(
    "text",
    ["01.07.2024", "в 31.12.2024 19:37", "2024-01", "cohort 2024-Q3", "since 2024", "007", "v1.2.3", "0,125"],
)
def test_codes_dates_and_years_are_not_numbers(text):
    assert localize_text(text, "ru") == text


def _drawn_ticks(axis) -> list[str]:
    axis.axes.figure.canvas.draw()
    return [tick.get_text() for tick in axis.get_ticklabels() if tick.get_text()]


def test_polar_axes_are_localized():
    import matplotlib.pyplot as plt

    crm = segkit.load_sample_crm()
    loyalty = segkit.loyalty_scores(crm, as_of=segkit.crm_as_of(crm, None))
    ax = segkit.plot_loyalty_radar(loyalty)
    ax.set_yticks([0, 12.5, 25])  # radii with decimals
    segkit.localize_figure(ax.figure, lang="ru")
    spokes = _drawn_ticks(ax.xaxis)
    assert spokes == [label("loyalty_type", kind, "ru") for kind in loyalty.types]
    assert "финансовая" in spokes
    assert _drawn_ticks(ax.yaxis) == ["12,5", "25,0"]  # the centre has no label
    plt.close(ax.figure)


def test_colour_bar_ticks_are_localized():
    import matplotlib.pyplot as plt

    tx = segkit.load_report_data()
    for ax in (
        segkit.plot_abc_xyz_heatmap(segkit.abc_xyz(tx, as_of=segkit.as_of_date(tx, None)), by="revenue"),
        segkit.plot_retention_heatmap(segkit.cohorts(tx)),
    ):
        fig = segkit.localize_figure(ax.figure, lang="ru")
        colour_bar = fig.axes[-1]
        ticks = _drawn_ticks(colour_bar.yaxis)
        assert ticks, "the colour bar has tick labels"
        # No English decimal point or thousands comma; percentages with the no-break space.
        assert not [t for t in ticks if re.search(r"\d[.,]\d{3}\b|\d\.\d", t)], ticks
        assert all(t.endswith(f"{NBSP}%") for t in ticks) or any(NBSP in t for t in ticks), ticks
        # The cell annotations too: "12,345\n(4.5%)" becomes "12 345\n(4,5 %)".
        assert not [a.get_text() for a in ax.texts if re.search(r"\d\.\d", a.get_text())]
        plt.close(fig)


def test_survival_legend_names_the_groups_in_the_language():
    import matplotlib.pyplot as plt

    tx = segkit.load_report_data()
    channel = tx.data.groupby("customer_id")["channel"].first()
    result = segkit.survival_curves(tx, by=channel, as_of=segkit.as_of_date(tx, None))
    ax = segkit.plot_survival(result)
    segkit.localize_figure(ax.figure, lang="ru")
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend and all(re.fullmatch(r"[а-яё ]+ \(клиентов: [\d\u00a0]+\)", text) for text in legend), (
        legend
    )
    plt.close(ax.figure)


def test_localizing_a_figure_twice_changes_nothing():
    import matplotlib.pyplot as plt

    tx = segkit.load_report_data()
    ax = segkit.plot_abc_xyz_heatmap(segkit.abc_xyz(tx, as_of=segkit.as_of_date(tx, None)), by="revenue")
    fig = segkit.localize_figure(ax.figure, lang="ru")
    once = [a.get_text() for a in ax.texts] + _drawn_ticks(fig.axes[-1].yaxis)
    segkit.localize_figure(fig, lang="ru")
    assert [a.get_text() for a in ax.texts] + _drawn_ticks(fig.axes[-1].yaxis) == once
    plt.close(fig)


def test_axes_formats_and_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 0.5], [0, 2500])
    ax.set_title("Churn rate over time (churned = no purchase for more than 71 days)")
    ax.set_xlabel("share of customers (largest first)")
    ax.set_ylabel("cumulative share of revenue")
    ax.legend(["all customers equal"])
    format_axes(ax, x="percent", y="money", lang="ru", currency="RUB")
    localize_axes(ax, lang="ru")
    assert ax.xaxis.get_major_formatter()(0.25, 0) == f"25{NBSP}%"
    assert ax.yaxis.get_major_formatter()(2500, 0) == f"2{NBSP}500{NBSP}₽"
    assert ax.get_title() == "Отток во времени (ушедший — нет покупок больше 71 дн.)"
    assert ax.get_xlabel() == "доля клиентов (от крупных к мелким)"
    assert ax.get_legend().get_texts()[0].get_text() == "все клиенты равны"
    with pytest.raises(segkit.ParameterError, match="axis format"):
        format_axes(ax, x="money!")
    plt.close(fig)


def test_every_concentration_warning_translates():
    concentrated = pd.Series({"big": 1000.0, **{f"c{i}": 1.0 for i in range(20)}})
    moderate = pd.Series({f"c{i}": float(i + 1) for i in range(12)})
    healthy = segkit.concentration(segkit.load_report_data())
    messages = [
        *segkit.concentration(concentrated).messages(),
        *segkit.concentration(moderate).messages(),
        *healthy.messages(),
        segkit.concentration(concentrated).report().splitlines()[0],
    ]
    assert len(messages) >= 6
    for message in messages:
        russian = label("warning", message, "ru")
        assert russian != message, message
        assert not re.search(r"\b(?:revenue|margin)\b", russian), russian


def test_a_key_defined_by_two_topic_files_is_an_error(tmp_path, monkeypatch):
    from segkit.i18n import _catalogue

    (tmp_path / "a.en.yaml").write_text('messages:\n  x.one: "One"\n', encoding="utf-8")
    (tmp_path / "b.en.yaml").write_text(
        'messages:\n  x.two: "Two"\nlabels:\n  k:\n    c: "C"\n', encoding="utf-8"
    )
    monkeypatch.setattr(_catalogue, "_DIR", tmp_path)
    _catalogue._load.cache_clear()
    try:
        merged = _catalogue._load("en")
        assert merged["messages"] == {"x.one": "One", "x.two": "Two"} and merged["labels"] == {
            "k": {"c": "C"}
        }
        (tmp_path / "c.en.yaml").write_text('messages:\n  x.one: "Again"\n', encoding="utf-8")
        _catalogue._load.cache_clear()
        with pytest.raises(RuntimeError, match=r"x\.one.*a\.en\.yaml.*c\.en\.yaml"):
            _catalogue._load("en")
    finally:
        _catalogue._load.cache_clear()
