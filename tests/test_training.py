"""The training track: sources and generated notebooks in sync, both languages, every check right and fallible.

The notebook runs (every solution notebook in both languages, one kernel each) are the slow part; the checks'
failures on plausible wrong answers are proven here directly, one case per recognised mistake at least.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import segkit
from segkit.i18n import LANGUAGES, t
from segkit.training import (
    EXERCISES,
    EXPORT_COLUMNS,
    LESSONS_DIR,
    build,
    check,
    expected_answer,
    parse_lesson,
    render,
    stale_notebooks,
    write_1c_export,
)

SOURCES = sorted((LESSONS_DIR / "src").glob("*.lesson"))
LESSONS = [p.stem for p in SOURCES]
AS_OF = "2025-01-01"


# ---------------------------------------------------------------------------------------------------
# one source per lesson, four notebooks from it
# ---------------------------------------------------------------------------------------------------


def test_there_are_six_lessons():
    assert LESSONS == [
        "01_base_quality",
        "02_abc_xyz",
        "03_rfm_segments",
        "04_personas",
        "05_cohorts_churn",
        "06_crm_view",
    ]


def test_generated_notebooks_are_up_to_date_with_their_sources():
    stale = [str(p.relative_to(LESSONS_DIR)) for p in stale_notebooks()]
    assert stale == [], "run `make training` (python -m segkit.training build) and commit the notebooks"


def test_a_changed_source_makes_its_notebooks_stale(tmp_path):
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "01_x.lesson"
    source.write_text("%% md en\n# X\n%% md ru\n# Икс\n%% parameters\n%% code\nx = 1\n", encoding="utf-8")
    assert len(build(tmp_path)) == 4
    assert stale_notebooks(tmp_path) == []
    source.write_text(source.read_text(encoding="utf-8").replace("x = 1", "x = 2"), encoding="utf-8")
    assert len(stale_notebooks(tmp_path)) == 4
    (tmp_path / "en" / "orphan.ipynb").write_text("{}", encoding="utf-8")
    assert tmp_path / "en" / "orphan.ipynb" in stale_notebooks(tmp_path)
    build(tmp_path)
    assert stale_notebooks(tmp_path) == [] and not (tmp_path / "en" / "orphan.ipynb").exists()


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_exists_in_both_languages_with_nothing_missing(lesson):
    books = {
        (lang, variant): nbformat.read(LESSONS_DIR / lang / sub / f"{lesson}.ipynb", as_version=4)
        for lang in LANGUAGES
        for variant, sub in (("learner", ""), ("solution", "solutions"))
    }
    for (lang, variant), nb in books.items():
        markdown = [c for c in nb.cells if c.cell_type == "markdown"]
        assert markdown and all(c.metadata["tags"] == [f"lang-{lang}"] for c in markdown)
        assert all(c.source.strip() for c in nb.cells if "parameters" not in c.metadata.get("tags", []))
        assert (
            f'lang = "{lang}"'
            in nb.cells[[c.metadata.get("tags") for c in nb.cells].index(["parameters"])].source
        )
        tags = [tag for c in nb.cells for tag in c.metadata.get("tags", [])]
        assert ("solution" in tags) == (variant == "solution") and ("exercise" in tags) == (
            variant == "learner"
        )
    # The two languages have the same cells, in the same order, with the same narrative structure.
    en, ru = books["en", "solution"], books["ru", "solution"]
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in ru.cells]
    lesson_ = parse_lesson(LESSONS_DIR / "src" / f"{lesson}.lesson")
    assert lesson_.exercises == lesson_.checks >= 2


def test_russian_narrative_is_russian():
    for lesson in LESSONS:
        nb = nbformat.read(LESSONS_DIR / "ru" / f"{lesson}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                prose = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", "", cell.source, flags=re.S)
                assert len(re.findall(r"[А-Яа-яЁё]", prose)) > len(re.findall(r"[A-Za-z]", prose)), (
                    cell.source
                )


def test_language_comments_are_kept_only_in_their_language(tmp_path):
    source = tmp_path / "01_y.lesson"
    source.write_text(
        "%% md en\n# Y\n%% md ru\n# Игрек\n%% parameters\n%% code\n# en: English\n# ru: Русский\nx = 1\n",
        encoding="utf-8",
    )
    lesson = parse_lesson(source)
    code = {lang: render(lesson, lang, "learner").cells[2].source for lang in LANGUAGES}
    assert code == {"en": "# English\nx = 1", "ru": "# Русский\nx = 1"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("%% md en\n# A\n%% parameters\n", "Russian twin"),
        ("%% md en\n# A\n%% md ru\n## Б\n%% parameters\n", "structure"),
        ("%% md en\n# A\n- one\n%% md ru\n# Б\n%% parameters\n", "structure"),
        (
            "%% md en\n# A\n%% md ru\n# Б\n%% parameters\n%% exercise\nx = ...\n%% check\ncheck()\n",
            "solution",
        ),
        ("%% md en\n# A\n%% md ru\n# Б\n%% code\nx = 1\n", "parameters"),
    ],
)
def test_a_broken_source_is_a_clear_error(tmp_path, text, problem):
    source = tmp_path / "01_z.lesson"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(segkit.ParameterError, match=problem):
        parse_lesson(source)


def test_every_check_in_the_lessons_names_a_known_exercise_and_every_exercise_is_used():
    used = set()
    for source in SOURCES:
        used |= set(re.findall(r'check\("([a-z_.]+)"', source.read_text(encoding="utf-8")))
    assert used == set(EXERCISES)


def test_the_report_runs_only_the_top_level_notebooks():
    from segkit.report._runner import _notebook_paths

    notebooks = LESSONS_DIR.parent
    assert list(LESSONS_DIR.rglob("*.ipynb"))
    paths = _notebook_paths(notebooks)
    assert paths and all(p.parent == notebooks.resolve() for p in paths)
    assert not any(p.is_relative_to(LESSONS_DIR) for p in paths)


# ---------------------------------------------------------------------------------------------------
# every check: correct on the right answer, and a named mistake on a plausible wrong one
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tx():
    return segkit.read_transactions(segkit.sample_path())


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_1c_export(tmp_path_factory.mktemp("export") / "sales_1c.csv")


@pytest.fixture(scope="module")
def crm():
    return segkit.make_crm(120, seed=7)[0]


@pytest.fixture(scope="module")
def contexts(tx, export, crm):
    """What each exercise's check cell passes, as the lessons build it."""
    now = segkit.rfm_segments(segkit.rfm(tx, as_of=AS_OF))
    crm_as_of = segkit.crm_as_of(crm)
    return {
        "base": {"path": export},
        "sample": {"data": tx, "as_of": AS_OF},
        "sales": {
            "sales": pd.Series(
                {"K1": 6e6, "K2": 1.2e6, "K3": 8e5, "K4": 5e5, "K5": 4e5}
                | {"K6": 3e5, "K7": 2.5e5, "K8": 2e5, "K9": 1.5e5, "K10": 2e5}
            )
        },
        "days": {"days": pd.Series({"K1": 3, "K2": 40, "K3": 120, "K4": 10, "K5": 300})},
        "migration": {"before": segkit.rfm_segments(segkit.rfm(tx, as_of="2024-10-01")), "after": now},
        "model": {"model": segkit.personas(tx, as_of=AS_OF, random_state=0)},
        "segments": {"segments": now},
        "cohorts": {"cohorts": segkit.cohorts(tx, period="quarter", as_of=AS_OF), "period_number": 3},
        "churn": {"start": 200, "lost": 30, "won": 50},
        "scores": {"scores": pd.Series([10, 9, 9, 8, 8, 7, 6, 5, 3, 2, 1, 10])},
        "renew": {"renew": segkit.renew_index(crm, as_of=crm_as_of), "at_least": 12},
        "matrix": {"matrix": segkit.activity_capacity(crm, as_of=crm_as_of)},
    }


def _read(ctx, **options):
    return segkit.read_transactions(ctx["path"], **{**EXPORT_COLUMNS, **options})


def _abc_table(ctx):
    return segkit.abc(ctx["data"], as_of=ctx["as_of"]).table_


def _cohort(ctx):
    result = ctx["cohorts"]
    return result.retention_[3], result.sizes_


def _segments(ctx):
    return segkit.rfm_segments(segkit.rfm(ctx["data"], as_of=ctx["as_of"]))


def _base(ctx):
    return segkit.client_base(ctx["data"], as_of=ctx["as_of"])["customers"]


# (exercise, context, the right answer computed independently, [(wrong answer, the mistake it must be named as)])
CASES = [
    (
        "base.read_export",
        "base",
        lambda c: _read(c),
        [
            (lambda c: _read(c, returns="drop"), "returns_dropped"),
            (lambda c: _read(c, placeholders="keep"), "placeholders_kept"),
            (lambda c: _read(c, amount="Количество", quantity=None), "quantity_as_amount"),
            (lambda c: _read(c, customer="Документ", order=None), "wrong"),
        ],
    ),
    (
        "base.rows_dropped",
        "base",
        lambda c: 30,  # 6 doubled lines and 24 placeholder lines, by the export's construction
        [
            (lambda c: _read(c).quality.dropped["exact duplicate"], "one_reason"),
            (lambda c: _read(c).quality.dropped["placeholder customer"], "one_reason"),
            (lambda c: 30 + _read(c).quality.returns_found, "returns_counted"),
        ],
    ),
    (
        "base.revenue_per_customer",
        "sample",
        lambda c: c["data"].data["amount"].sum() / c["data"].data["customer_id"].nunique(),
        [
            (lambda c: c["data"].data["amount"].mean(), "per_row"),
            (
                lambda c: (
                    segkit.customer_summary(c["data"])["revenue"].sum()
                    / segkit.customer_summary(c["data"])["n_orders"].sum()
                ),
                "per_order",
            ),
        ],
    ),
    (
        "abc.worked_example",
        "none",
        lambda c: (2_400_000, 200_000),
        [
            (lambda c: (200_000, 2_400_000), "swapped"),
            (lambda c: (600_000_000, 50_000_000), "no_average"),
            (lambda c: (2_400_000, 400_000), "wrong"),
        ],
    ),
    (
        "abc.by_hand",
        "sales",
        lambda c: {"K1": "A", "K2": "B", "K3": "B"} | {f"K{i}": "C" for i in range(4, 11)},
        [
            (lambda c: {"K1": "C", "K2": "B", "K3": "B"} | {f"K{i}": "A" for i in range(4, 11)}, "direction"),
            (
                lambda c: {"K1": "B", "K2": "B", "K3": "B", "K4": "B"} | {f"K{i}": "C" for i in range(5, 11)},
                "strict",
            ),
        ],
    ),
    (
        "abc.share_a",
        "sample",
        lambda c: (_abc_table(c)["abc_class"] == "A").mean(),
        [
            (lambda c: (_abc_table(c)["abc_class"] == "A").sum(), "count"),
            (lambda c: 100 * (_abc_table(c)["abc_class"] == "A").mean(), "percent"),
            (
                lambda c: segkit.abc(c["data"], as_of=c["as_of"]).summary_.loc["A", "share_value"],
                "revenue_share",
            ),
        ],
    ),
    (
        "abc_xyz.retain",
        "sample",
        lambda c: segkit.abc_xyz(c["data"], as_of=c["as_of"]).table_["cell"].isin(["AX", "AY"]).sum(),
        [
            (lambda c: (segkit.abc_xyz(c["data"], as_of=c["as_of"]).table_["cell"] == "AX").sum(), "ax_only"),
            (
                lambda c: (segkit.abc_xyz(c["data"], as_of=c["as_of"]).table_["abc_class"] == "A").sum(),
                "all_a",
            ),
        ],
    ),
    (
        "rfm.recency_scores",
        "days",
        lambda c: {"K1": 5, "K4": 4, "K2": 3, "K3": 2, "K5": 1},
        [(lambda c: {"K1": 1, "K4": 2, "K2": 3, "K3": 4, "K5": 5}, "direction")],
    ),
    (
        "rfm.champions_share",
        "sample",
        lambda c: (
            segkit.rfm_segments(segkit.rfm(c["data"], as_of=c["as_of"]))["segment"] == "Champions"
        ).mean(),
        [
            (
                lambda c: (
                    segkit.rfm_segments(segkit.rfm(c["data"], as_of=c["as_of"]))["segment"] == "Champions"
                ).sum(),
                "count",
            ),
            (lambda c: 100 * (_segments(c)["segment"] == "Champions").mean(), "percent"),
            (
                lambda c: (
                    _segments(c).loc[_segments(c)["segment"] == "Champions", "revenue"].sum()
                    / _segments(c)["revenue"].sum()
                ),
                "revenue_share",
            ),
        ],
    ),
    (
        "rfm.stayed_champions",
        "migration",
        lambda c: (
            ((c["before"]["segment"] == "Champions") & (c["after"]["segment"] == "Champions")).sum()
            / (c["before"]["segment"] == "Champions").sum()
        ),
        [
            (
                lambda c: (
                    ((c["before"]["segment"] == "Champions") & (c["after"]["segment"] == "Champions")).sum()
                    / (c["after"]["segment"] == "Champions").sum()
                ),
                "wrong_denominator",
            )
        ],
    ),
    (
        "personas.cheque",
        "model",
        lambda c: (
            c["model"].features_.loc[c["model"].labels_ == c["model"].labels_.mode()[0], "revenue"].sum()
            / c["model"].features_.loc[c["model"].labels_ == c["model"].labels_.mode()[0], "n_orders"].sum()
        ),
        [
            (
                lambda c: (
                    c["model"]
                    .features_.loc[c["model"].labels_ == c["model"].labels_.mode()[0], "avg_order_value"]
                    .mean()
                ),
                "unweighted",
            ),
            (
                lambda c: (
                    c["model"]
                    .features_.loc[c["model"].labels_ == c["model"].labels_.mode()[0], "revenue"]
                    .mean()
                ),
                "per_customer",
            ),
        ],
    ),
    (
        "personas.sizes_within",
        "segments",
        lambda c: segkit.segment_size_check(c["segments"])["share"].between(0.07, 0.10).sum(),
        [
            (lambda c: (segkit.segment_size_check(c["segments"])["share"] >= 0.07).sum(), "above_counted"),
            (lambda c: (segkit.segment_size_check(c["segments"])["share"] <= 0.10).sum(), "below_counted"),
        ],
    ),
    (
        "cohorts.retention",
        "cohorts",
        lambda c: c["cohorts"].average_curve_.loc[3, "retention"],  # segkit's own weighted average curve
        [
            (
                lambda c: (_cohort(c)[0].fillna(0) * _cohort(c)[1]).sum() / _cohort(c)[1].sum(),
                "future_as_zero",
            ),
            (lambda c: _cohort(c)[0].fillna(0).mean(), "future_as_zero"),
            (lambda c: _cohort(c)[0].dropna().mean(), "unweighted"),
        ],
    ),
    (
        "base.churned_share",
        "sample",
        lambda c: (segkit.customer_status(c["data"], as_of=c["as_of"])["status"] == "churned").mean(),
        [
            (
                lambda c: (
                    segkit.customer_status(c["data"], as_of=c["as_of"])["status"]
                    .isin(["churned", "at_risk"])
                    .mean()
                ),
                "at_risk_counted",
            ),
            (lambda c: _base(c)[("lapsed", "churned")] / _base(c)[("current", "total")], "of_current"),
        ],
    ),
    (
        "churn.rate_by_hand",
        "churn",
        lambda c: 0.15,
        [(lambda c: 30 / 250, "with_new"), (lambda c: 30 / 220, "of_end"), (lambda c: 0.2, "wrong")],
    ),
    (
        "crm.csi_by_hand",
        "scores",
        lambda c: 2.0,  # 6 of 12 answers are 8-10, 3 of 12 are 1-3
        [
            (lambda c: 0.5 - 0.25, "difference"),
            (lambda c: 0.25 / 0.5, "inverse"),
            (lambda c: (4 / 12) / (5 / 12), "nps_bands"),
        ],
    ),
    (
        "crm.renew_count",
        "renew",
        lambda c: (c["renew"]["rated"] & (c["renew"]["renew_index"] >= 12)).sum(),
        [(lambda c: (c["renew"]["rated"] & (c["renew"]["renew_index"] > 12)).sum(), "strict")],
    ),
    (
        "crm.stars",
        "matrix",
        lambda c: (c["matrix"]["quadrant"] == "stars").sum(),
        [
            (lambda c: (c["matrix"]["quadrant"] == "cash cows").sum(), "axes_swapped"),
            (lambda c: (c["matrix"]["quadrant"] == "problem children").sum(), "problem_children"),
        ],
    ),
]


def test_every_exercise_and_every_recognised_mistake_is_proven():
    assert [case[0] for case in CASES] == list(EXERCISES)
    for exercise, _, _, wrongs in CASES:
        named = {key.rsplit(".", 1)[1] for key in EXERCISES[exercise].mistakes}
        assert named <= {status for _, status in wrongs}, exercise


@pytest.mark.parametrize(("exercise", "context", "right", "wrongs"), CASES, ids=[c[0] for c in CASES])
def test_a_check_passes_on_the_right_answer_and_names_the_mistake(contexts, exercise, context, right, wrongs):
    ctx = contexts.get(context, {})
    for lang in LANGUAGES:
        result = check(exercise, right(ctx), lang=lang, **ctx)
        assert result.ok and result.status == "correct", (lang, result)
        assert repr(result).startswith(t("training.correct", lang).rstrip("."))
    for wrong, status in wrongs:
        answer = wrong(ctx)
        result = check(exercise, answer, lang="ru", **ctx)
        assert not result.ok and result.status == status, (answer, result)
        assert repr(result).startswith("✗") and re.search("[А-Яа-я]", repr(result))
        assert check(exercise, answer, lang="en", **ctx).status == status
    assert _shown_answer_is_not_leaked(exercise, ctx, right(ctx), wrongs)


def _shown_answer_is_not_leaked(exercise, ctx, right, wrongs):
    """A failing check's message never contains the right answer."""
    if isinstance(right, segkit.Transactions | dict):
        return True
    for wrong, _ in wrongs:
        message = repr(check(exercise, wrong(ctx), lang="en", **ctx))
        if isinstance(right, tuple):
            if all(segkit.format_number(r, lang="en") in message for r in right):
                return False
        elif segkit.format_number(right, decimals=2, lang="en") in message:
            return False
    return True


def test_the_right_answers_agree_with_segkit(contexts):
    # The cohort exercise's formula is segkit's average curve; the worked example is the methodology's.
    ctx = contexts["cohorts"]
    assert expected_answer("cohorts.retention", **ctx) == pytest.approx(
        ctx["cohorts"].average_curve_.loc[3, "retention"]
    )
    assert expected_answer("abc.worked_example") == (2_400_000, 200_000)
    assert expected_answer("crm.csi_by_hand", **contexts["scores"]) == pytest.approx(2.0)


@pytest.mark.parametrize("answer", [..., None])
def test_an_empty_exercise_says_not_answered(answer):
    result = check("churn.rate_by_hand", answer, lang="ru", start=200, lost=30, won=50)
    assert not result.ok and result.status == "not_answered"
    assert repr(result) == t("training.not_answered", "ru")


@pytest.mark.parametrize("answer", ["15 %", True, (0.1, 0.2), float("nan")])
def test_an_answer_of_the_wrong_kind_says_what_is_expected(answer):
    result = check("churn.rate_by_hand", answer, lang="en", start=200, lost=30, won=50)
    assert result.status == "wrong_type" and "a share" in repr(result)


def test_bad_calls_are_clear_errors():
    with pytest.raises(segkit.ParameterError, match="exercise"):
        check("no.such.exercise", 1)
    with pytest.raises(segkit.ParameterError, match="won"):
        check("churn.rate_by_hand", 0.15, start=200, lost=30)
    with pytest.raises(segkit.ParameterError, match="lang"):
        check("abc.worked_example", (1, 2), lang="de")


# ---------------------------------------------------------------------------------------------------
# every solution notebook runs in both languages, and every check in it says "correct"
# ---------------------------------------------------------------------------------------------------


def _execute(path: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def _text(cell) -> str:
    return "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", [])
    )


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solution_notebook_runs_and_every_check_is_correct(lesson, lang):
    nb = _execute(LESSONS_DIR / lang / "solutions" / f"{lesson}.ipynb")
    checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
    assert checks
    correct = t("training.correct", lang).rstrip(".")
    assert [_text(c).startswith(correct) for c in checks] == [True] * len(checks), [_text(c) for c in checks]
    printed = "".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stderr"
    )
    assert printed == "", printed  # no warning or traceback reaches the learner
    if lang == "ru":
        english = {t(key, "en") for key in ("training.correct", "training.not_answered")}
        assert not any(text in _text(c) for c in nb.cells for text in english)


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_learner_notebook_runs_with_its_exercises_still_open(lesson):
    """No cell after an exercise reads the exercise's answer, except a check or a cell guarded by isinstance."""
    import ast

    nb = nbformat.read(LESSONS_DIR / "en" / f"{lesson}.ipynb", as_version=4)
    answers: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        tags = cell.metadata.get("tags", [])
        if "exercise" in tags:
            assert isinstance(tree.body[-1], ast.Assign) and isinstance(tree.body[-1].value, ast.Constant)
            assert tree.body[-1].value.value is Ellipsis
            answers |= {t.id for t in tree.body[-1].targets if isinstance(t, ast.Name)}
            continue
        if "check" in tags:
            continue
        read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        guarded = {
            n.args[0].id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == "isinstance"
            and isinstance(n.args[0], ast.Name)
        }
        assert not (read & answers) - guarded, cell.source
