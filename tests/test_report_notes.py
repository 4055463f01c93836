"""What a reader sees of skipped sections, table headers and the language check, in either language."""

from __future__ import annotations

import pandas as pd
import pytest

import segkit
from segkit.report import format_table, section, show_table
from segkit.report._outputs import skipped_note
from segkit.report._screenshots import check_html


def _page(body: str) -> str:
    return f"<html><head><title>Отчёт</title></head><body>{body}</body></html>"


def test_code_options_citations_and_notation_are_not_english_prose():
    body = (
        "<p>Передайте таблицу: --crm leads=FILE или --param k_max=3.</p>"
        '<p>При <code>monetary = "mean"</code> — выручка на заказ.</p>'
        "<p>Источник: «Counting your customers the easy way». Вероятность P(alive) высока.</p>"
    )
    assert check_html(_page(body), lang="ru") == []


def test_english_prose_beside_them_is_still_found():
    body = "<p>Передайте таблицу: --crm leads=FILE.</p><p>At Risk</p><p>the renew index needs the leads</p>"
    problems = check_html(_page(body), lang="ru")
    assert any("At Risk" in p for p in problems)
    assert any("leads" in p for p in problems)


def _missing_leads() -> None:
    crm = segkit.read_crm(
        {"surveys": pd.DataFrame({"customer_id": ["a"], "survey_date": ["01.02.2024"], "score": [9]})}
    )
    crm.require("leads", analysis="The renew index")


def test_a_skipped_section_says_why_in_the_readers_language(capsys):
    with section("Индекс возобновления", hint="--crm leads=FILE", lang="ru") as s:
        _missing_leads()
    shown = capsys.readouterr().out
    assert not s.ok
    assert "«лиды»" in shown and "(переданы: опросы)" in shown and "--crm leads=FILE" in shown
    assert "which was not given" not in shown
    assert "which was not given" in s.reason  # the full English text stays for the run log
    info = segkit.skipped_sections()[-1]
    assert info["lang"] == "ru" and info["shown"] in shown


def test_an_english_section_shows_the_error_itself(capsys):
    with section("Renew index", lang="en"):
        _missing_leads()
    assert "The renew index needs the CRM table 'leads'" in capsys.readouterr().out


def test_an_untranslated_reason_is_replaced_by_a_pointer_outside_english(capsys):
    with section("Выживаемость", lang="ru"):
        raise segkit.ParameterError("only 3 customers in the smallest group")
    out = capsys.readouterr().out
    assert "only 3 customers" not in out and "run.json" in out


def test_the_html_note_uses_what_the_section_showed():
    info = {"section": "Индекс", "reason": "English text", "hint": "", "shown": "Русский текст", "lang": "ru"}
    assert "Русский текст" in skipped_note(info, lang="ru")
    # A note made in another language than the page's falls back to the catalogue or the pointer.
    assert "Русский текст" not in skipped_note(info, lang="en")


def test_unstacked_base_states_are_named_as_base_states():
    table = pd.DataFrame({"active": [3], "former": [1]}, index=pd.Index(["web"], name="channel"))
    table.columns.name = "state"
    assert format_table(table, lang="ru")[0].columns.tolist()[1:] == [
        "текущий клиент",
        "бывший клиент (отток)",
    ]
    table.columns.name = "status"
    assert format_table(table, lang="ru")[0].columns.tolist()[1] == "активный"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_shown_table_prints_the_same_on_every_run(lang):
    table = pd.DataFrame({"customers": [1200, 30]}, index=pd.Index(["At Risk", "Lost"], name="segment"))
    first, second = show_table(table, lang=lang), show_table(table.copy(), lang=lang)
    assert repr(first) == repr(second) == "<table: 2 x 2>"
    assert "0x" not in repr(first)
