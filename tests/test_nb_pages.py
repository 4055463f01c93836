"""The personas and cohorts pages follow the two-language convention; their plots and lists translate."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import nbformat
import pandas as pd
import pytest

import segkit
from segkit.i18n import label, localize_figure, persona_label

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
PAGES = ("03_personas", "04_cohorts_churn")
# Python, not prose: a printed text must come from the catalogue, never from an f-string or a literal.
_PRINTED_LITERAL = re.compile(r"print\(\s*f?[\"']")


def _notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)


def _structure(text: str) -> tuple:
    """What twins share: heading levels, list items, table rows, links and inline code spans."""
    lines = text.splitlines()
    headings = tuple(len(m.group(1)) for line in lines if (m := re.match(r"^(#+) ", line)))
    items = sum(bool(re.match(r"^\s*([-*]|\d+\.) ", line)) for line in lines)
    rows = sum(line.startswith("|") for line in lines)
    links = len(re.findall(r"\]\(", text))
    code = sorted(re.findall(r"`([^`]+)`", text))
    return headings, items, rows, links, code


@pytest.mark.parametrize("name", PAGES)
def test_markdown_cells_are_adjacent_language_twins(name):
    cells = _notebook(name).cells
    markdown = [i for i, c in enumerate(cells) if c.cell_type == "markdown"]
    assert markdown, "the page has a narrative"
    for i in markdown:
        tags = cells[i].metadata.get("tags", [])
        assert tags in (["lang-en"], ["lang-ru"]), (i, tags)
        if tags == ["lang-en"]:
            twin = cells[i + 1]
            assert twin.cell_type == "markdown" and twin.metadata.get("tags") == ["lang-ru"], i
            assert _structure(cells[i].source) == _structure(twin.source), i
            assert re.search("[а-яё]{4,}", twin.source, re.IGNORECASE), i
        else:
            assert cells[i - 1].metadata.get("tags") == ["lang-en"], i


def test_the_twin_check_can_fail():
    assert _structure("## A\n\n- x\n- y") != _structure("## A\n\n- x")
    assert _structure("# A `k_min`") != _structure("# A `k_max`")


@pytest.mark.parametrize("name", PAGES)
def test_parameters_declare_language_and_currency(name):
    (params,) = [c for c in _notebook(name).cells if "parameters" in c.metadata.get("tags", [])]
    assert re.search(r'^lang = "en"', params.source, re.M)
    assert re.search(r"^currency = None", params.source, re.M)


@pytest.mark.parametrize("name", PAGES)
def test_outputs_hold_no_repr_and_prints_no_literal(name):
    nb = _notebook(name)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not _PRINTED_LITERAL.search(code)
    assert "!r}" not in code and "repr(" not in code and ".to_csv(" not in code
    shown = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/html", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    for bad in ("Transactions(", "CohortResult(", "ChurnEvaluation(", "NaN", "True", "False"):
        assert bad not in shown, bad


@pytest.mark.parametrize("name", PAGES)
def test_every_catalogue_key_of_the_page_exists(name):
    code = "\n".join(c.source for c in _notebook(name).cells if c.cell_type == "code")
    keys = set(re.findall(r"\"(nb\.[a-z_]+\.[a-z_]+)\"", code))
    assert keys
    from segkit.i18n import catalogue_keys

    for lang in ("en", "ru"):
        known = catalogue_keys(lang)
        assert sorted(k for k in keys if f"messages.{k}" not in known) == [], lang


def test_the_page_texts_exist_in_both_languages():
    from segkit.i18n import catalogue_keys

    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    mine = {k for k in en if k.startswith(("messages.nb.personas.", "messages.nb.cohorts."))}
    assert len(mine) > 30
    assert mine <= set(ru)


@pytest.fixture(scope="module")
def model():
    from segkit.datasets import make_transactions

    frame, _ = make_transactions(300, seed=4)
    return segkit.personas(frame, k_range=(3, 4), n_resamples=0, random_state=0)


def test_persona_heatmap_ticks_and_title_translate(model):
    ax = segkit.plot_persona_heatmap(model)
    localize_figure(ax.figure, lang="ru")
    names = [tick.get_text() for tick in ax.get_yticklabels()]
    assert names == [persona_label(n, "ru") for n in model.names_]
    assert all(re.search("[а-я]", n) for n in names)
    features = [tick.get_text() for tick in ax.get_xticklabels()]
    assert "дней с последней покупки" in features
    assert ax.get_title().startswith("Профили персон")
    assert ax.figure.axes[-1].get_ylabel() == "стандартизованное среднее (0 — база)"
    matplotlib.pyplot.close(ax.figure)


def test_numeric_ticks_stay_numbers_under_translation():
    fig, ax = matplotlib.pyplot.subplots()
    ax.bar(["online", "store"], [0.2, 0.4])
    ax.set_yticks([0.0, 0.2, 0.4])
    ax.plot([0, 1], [0.1, 0.3], label="store")
    ax.legend(title="channel")
    localize_figure(fig, lang="ru")
    assert ax.get_legend().get_title().get_text() == label("column", "channel", "ru")
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["магазин"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["онлайн", "магазин"]
    matplotlib.pyplot.close(fig)


def test_persona_notes_translate(model):
    notes = [
        "Only 5 distinct customer profiles: k_range capped at (3, 4).",
        "The best silhouette is 0.21 (under 0.25): the customers do not fall into clearly separated groups, "
        "so treat the personas as a convenient partition.",
    ]
    out = [label("warning", note, "ru") for note in notes]
    assert out[0] == "Различных профилей клиентов всего 5: диапазон числа персон сужен до (3, 4)."
    assert out[1].startswith("Лучший силуэт — 0,21")


def test_class_filler_and_channels_translate():
    table = pd.DataFrame({"abc_class": ["A", "(none)"], "channel": ["online", "phone"]})
    shown = segkit.show_table(table, lang="ru").data
    assert shown.iloc[1, 0] == "нет класса"
    assert list(shown.iloc[:, 1]) == ["онлайн", "телефон"]


def test_numeric_looking_customer_ids_are_shown_as_written():
    table = pd.DataFrame({"revenue": [10.0, 2.5]}, index=pd.Index(["14646", "C00001"], name="customer_id"))
    shown = segkit.show_table(table, lang="ru").data
    assert list(shown.iloc[:, 0]) == ["14646", "C00001"]


def test_period_codes_are_not_formatted_as_numbers():
    table = pd.DataFrame({"cohort": ["2010-Q4", "2011-Q1"], "churn_rate": [0.1, 0.2]})
    shown = segkit.show_table(table, lang="ru").data
    assert list(shown.iloc[:, 0]) == ["2010-Q4", "2011-Q1"]


def _churn_model_cell() -> str:
    (cell,) = [c.source for c in _notebook("04_cohorts_churn").cells if "model.fit(" in c.source]
    return cell


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_churn_page_names_the_training_sample_and_the_current_base(monkeypatch, capsys, lang):
    # The model trains on a seeded sample of at most max_customers current customers; on a base larger
    # than that the page must say how many it trained on and how many current customers there were.
    import functools

    tx = segkit.load_report_data()
    as_of = segkit.as_of_date(tx, None)
    namespace = {
        "segkit": segkit,
        "tx": tx,
        "as_of": as_of,
        "horizon_days": 90,
        "inactivity_days": None,
        "history_days": (as_of - tx.quality.date_min).days,
        "lang": lang,
    }
    monkeypatch.setattr(segkit, "ChurnModel", functools.partial(segkit.ChurnModel, max_customers=300))
    exec(_churn_model_cell(), namespace)
    model, printed = namespace["model"], capsys.readouterr().out
    assert model.n_training_ == 300 < model.n_customers_
    training = segkit.format_number(300, lang=lang)
    current = segkit.format_number(model.n_customers_, lang=lang)
    expected = {
        "en": f"on a random sample of {training} of the {current} current customers",
        "ru": f"на случайной выборке из {training} текущих клиентов (всего текущих клиентов — {current}",
    }
    assert expected[lang] in printed

    # Trained on every current customer, the page says so with the one number.
    monkeypatch.undo()
    exec(_churn_model_cell(), namespace)
    model, printed = namespace["model"], capsys.readouterr().out
    assert model.n_training_ == model.n_customers_
    current = segkit.format_number(model.n_customers_, lang=lang)
    assert ("sample" not in printed and "выборк" not in printed) and current in printed
