"""Readable tables and cards: locale numbers, human labels, no index, no reprs, cut long tables."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.i18n import catalogue_keys, label
from segkit.report import (
    column_label,
    downloads_html,
    format_table,
    key_figures_html,
    pages_html,
    parameters_html,
    persona_cards,
    persona_descriptions,
    report_title,
    segment_cards,
    show_table,
)
from segkit.report._screenshots import check_html

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def sample():
    tx = segkit.load_report_data()
    as_of = segkit.as_of_date(tx, None)
    segments = segkit.rfm_segments(segkit.rfm(tx, as_of=as_of))
    return {
        "tx": tx,
        "as_of": as_of,
        "segments": segments,
        "summary": segkit.segment_summary(segments),
        "status": segkit.customer_status(tx, as_of=as_of),
    }


def _page(body: str, title: str = "Report") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'


def test_columns_are_formatted_by_meaning():
    frame = pd.DataFrame(
        {
            "n_customers": [1234, 5],
            "share_customers": [0.18, 0.0],
            "revenue": [1234.5, -0.001],
            "cv": [0.1234, np.nan],
            "in_matrix": [True, False],
            "first_purchase": pd.to_datetime(["2024-07-01", None]),
        },
        index=pd.Index(["Champions", "Lost"], name="segment"),
    )
    out, note = format_table(frame, lang="ru", currency="RUB")
    assert list(out.columns) == [
        "Сегмент",
        "Клиенты",
        "Доля клиентов",
        "Выручка",
        "Коэффициент вариации",
        "В матрице",
        "Первая покупка",
    ]
    assert out.iloc[0].tolist() == [
        "Чемпионы",
        f"1{NBSP}234",
        f"18,0{NBSP}%",
        f"1{NBSP}234,50{NBSP}₽",
        "0,12",
        "да",
        "01.07.2024",
    ]
    # No "-0.00", an em dash for a missing value, yes/no words.
    assert out.iloc[1].tolist() == ["Потерянные", "5", f"0,0{NBSP}%", f"0,00{NBSP}₽", "—", "нет", "—"]
    assert note is None
    en, _ = format_table(frame, lang="en", currency="USD")
    assert en.iloc[0].tolist() == ["Champions", "1,234", "18.0%", "$1,234.50", "0.12", "yes", "2024-07-01"]


def test_share_and_money_columns_can_be_declared_by_the_caller():
    frame = pd.DataFrame(
        {"customer_id": ["007", "12"], "p_alive": [0.8125, np.nan], "clv": [15250.4, -0.2], "orders": [3, 1]},
    ).set_index("customer_id")
    out, _ = format_table(
        frame, lang="ru", currency="RUB", shares=["p_alive"], money=["clv"], money_decimals=0
    )
    assert out.to_dict("list") == {
        "Клиент": ["007", "12"],
        "Вероятность, что клиент активен": [f"81,3{NBSP}%", "—"],
        "Пожизненная ценность клиента (CLV)": [f"15{NBSP}250{NBSP}₽", f"0{NBSP}₽"],
        "Заказы": ["3", "1"],
    }
    # Undeclared, the same numbers are plain: the names do not say they are shares or money.
    plain, _ = format_table(frame, lang="en")
    assert plain["Customer lifetime value (CLV)"].tolist() == ["15,250.40", "-0.20"]
    # A single name may be given as a string; the money default is two decimals.
    cents, _ = format_table(frame, lang="en", currency="USD", money="clv")
    assert cents["Customer lifetime value (CLV)"].tolist() == ["$15,250.40", "-$0.20"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shares": ["conversion"]}, r"shares= names the column 'conversion'.*p_alive"),
        ({"money": ["segment"]}, r"money= needs numeric columns; 'segment' holds"),
        ({"shares": ["p_alive"], "money": ["p_alive"]}, "both shares= and money="),
        ({"money": ["clv"], "money_decimals": 0.5}, "money_decimals"),
    ],
)
def test_declared_columns_are_checked(options, message):
    frame = pd.DataFrame({"segment": ["Lost"], "p_alive": [0.5], "clv": [10.0]})
    with pytest.raises(segkit.ParameterError, match=message):
        show_table(frame, **options)


def test_score_edges_are_whole_days_and_orders_and_money(sample):
    result = segkit.rfm(sample["tx"], as_of=sample["as_of"], recency="days")
    out, _ = format_table(result.thresholds_, lang="ru", currency="RUB", max_rows=None)
    rows = {dim: out.loc[out["Измерение"] == label("dimension", dim, "ru")] for dim in result.breakpoints_}
    assert rows["recency"]["До"].tolist()[:4] == ["30", "89", "180", "365"]  # the day bands, no "30,00"
    assert all(re.fullmatch(r"\d+", v) for v in rows["frequency"][["От", "До"]].to_numpy().ravel())
    assert all(v.endswith(f"{NBSP}₽") for v in rows["monetary"][["От", "До"]].to_numpy().ravel())
    en, _ = format_table(result.thresholds_, lang="en", max_rows=None)
    assert en["From"].tolist()[0] == "1" and re.fullmatch(r"\d+\.\d\d", en["To"].tolist()[-1])
    # Any other table keeps one format per column.
    edges = pd.DataFrame({"dimension": ["width", "height"], "min": [1.0, 1.5], "max": [2.5, 3.0]})
    other, _ = format_table(edges, lang="en")
    assert other.iloc[0].tolist()[1:] == ["1.00", "2.50"]


def test_numbers_align_right_and_words_left():
    frame = pd.DataFrame({"method": ["cumulative share"], "customers": [1234], "share_customers": [0.5]})
    html_text = show_table(frame, lang="ru").to_html()
    align = {}
    for selectors, props in re.findall(r"([^{}]+)\{([^{}]*)\}", html_text):
        found = re.search(r"text-align: (\w+)", props)
        for cell in re.findall(r"_row0_(col\d)\b", selectors):
            align[cell] = found.group(1) if found else align.get(cell)
    assert align == {"col0": "left", "col1": "right", "col2": "right"}


def test_generated_column_names_follow_the_locale():
    bands = pd.DataFrame({"0.00-0.25": [0.5], "0.25-0.50": [0.25]}, index=pd.Index(["active"], name="status"))
    out, _ = format_table(bands, lang="ru")
    assert list(out.columns) == ["Статус", "0,00-0,25", "0,25-0,50"]


def test_a_plain_row_number_is_dropped_and_a_named_index_kept():
    out, _ = format_table(pd.DataFrame({"customers": [1, 2]}), lang="en")
    assert list(out.columns) == ["Customers"]
    html = show_table(pd.DataFrame({"customers": [1, 2]}), lang="en").to_html()
    assert "row_heading" not in html and "blank" not in html


def test_long_tables_show_the_top_rows_and_name_the_download(sample):
    status = sample["status"].sort_values("revenue", ascending=False)
    styler = show_table(status, lang="ru", max_rows=10, download="customer_status.csv")
    assert len(styler.data) == 10
    assert styler.caption == "Показано строк: 10 из 2\u00a0000. Полная таблица — в файле customer_status.csv."
    assert styler.data["Клиент"].tolist() == status.index[:10].tolist()
    assert show_table(status.head(5), lang="en").caption is None
    with pytest.raises(segkit.ParameterError, match="max_rows"):
        show_table(status, max_rows=0)


def test_wide_matrices_can_be_cut_and_formatted_as_one_measure():
    retention = pd.DataFrame(
        [[1.0, 0.4, 0.3, 0.2], [1.0, 0.5, np.nan, np.nan]],
        index=pd.Index(pd.to_datetime(["2024-01-01", "2024-02-01"]), name="cohort"),
        columns=pd.Index([0, 1, 2, 3], name="period_number"),
    )
    out, note = format_table(retention, kind="retention", lang="ru", max_columns=3)
    assert list(out.columns) == ["Когорта", "0", "1"]
    assert out.iloc[1].tolist() == ["01.02.2024", f"100,0{NBSP}%", f"50,0{NBSP}%"]
    assert note == "Показано столбцов: 3 из 5."
    with pytest.raises(segkit.ParameterError, match="kind"):
        format_table(retention, kind="heat")


def test_vocabulary_values_are_translated(sample):
    summary = sample["summary"]
    out, _ = format_table(summary, lang="ru")
    assert out["Сегмент"].iloc[0] == "Чемпионы"
    assert out["Действие"].iloc[0].startswith("Поощрять")
    status, _ = format_table(sample["status"].head(3), lang="ru")
    assert set(status["Статус"]) <= {"новый", "активный", "вернувшийся", "под угрозой оттока", "ушедший"}
    quality, _ = format_table(sample["tx"].quality.to_frame(), lang="ru")
    assert "прочитано строк" in quality["Показатель"].tolist()
    assert f"15{NBSP}814" in quality["Значение"].tolist()


def test_column_labels():
    assert column_label("n_customers", "ru") == "Клиенты"
    assert column_label("revenue_median", "en") == "revenue (net of returns), median"
    assert column_label("Champions", "ru") == "Чемпионы"
    assert column_label("my_column", "ru") == "my_column"


def test_the_html_is_stable_and_reads_as_russian(sample):
    table = sample["summary"].drop(columns="action")
    first = show_table(table, lang="ru", currency="RUB").to_html()
    assert first == show_table(table, lang="ru", currency="RUB").to_html()
    assert check_html(_page(first, "Сегменты"), lang="ru") == []
    english = show_table(table, lang="en").to_html()
    assert check_html(_page(english, "Segments"), lang="ru")  # the checker sees the English


def test_segment_cards(sample):
    cards = segment_cards(sample["summary"], scheme=segkit.default_scheme(5), lang="ru", currency="RUB")
    assert cards.html.count('class="segkit-card"') == len(sample["summary"])
    assert "<pre" not in cards.html and "Чемпионы" in cards.html and "Что делать" in cards.html
    assert check_html(_page(cards.html, "Сегменты"), lang="ru") == []
    assert "Champions" in repr(segment_cards(sample["summary"], lang="en"))
    custom = pd.DataFrame(
        {"customers": [3], "customers_share": [1.0], "action": ["Call them"]},
        index=pd.Index(["Whales"], name="segment"),
    )
    assert "Call them" in segment_cards(custom, lang="ru").html
    with pytest.raises(segkit.ParameterError, match="segment_summary"):
        segment_cards(pd.DataFrame({"x": [1]}))


def test_persona_cards(sample):
    model = segkit.personas(
        sample["tx"], as_of=sample["as_of"], segments=sample["segments"]["segment"], n_resamples=0
    )
    cards = persona_cards(model, lang="ru", currency="RUB")
    assert cards.html.count('class="segkit-card"') == model.k_
    problems = check_html(_page(cards.html, "Портреты"), lang="ru")
    assert problems == []
    english = persona_cards(model, lang="en")
    assert model.names_.iloc[0] in english.html
    assert re.search(r"\d", repr(english))
    with pytest.raises(segkit.ParameterError, match="fitted"):
        persona_cards(segkit.Personas())


def test_persona_descriptions_follow_the_language(sample, tmp_path):
    model = segkit.personas(sample["tx"], as_of=sample["as_of"], n_resamples=0)
    russian = persona_descriptions(model, lang="ru", currency="RUB")
    assert russian.index.equals(model.descriptions_.index) and russian.name == "description"
    page = "".join(f"<p>{html.escape(text)}</p>" for text in russian)
    assert check_html(_page(page, "Портреты"), lang="ru") == []
    # The downloaded profiles say what the page's cards say.
    cards = persona_cards(model, lang="ru", currency="RUB").html
    for text in russian:
        assert html.escape(text.split(". ")[1]) in cards
    path = segkit.export_csv(model.profiles_.assign(description=russian), tmp_path / "p.csv", lang="ru")
    written = pd.read_csv(path, sep=";", encoding="utf-8-sig")["description"]
    assert written.tolist() == russian.tolist()
    # The estimator's own descriptions stay English.
    assert model.descriptions_.str.contains("customers").all()
    assert persona_descriptions(model, lang="en").str.match(r"[\d,]+ customers \(\d+% of the base\)").all()
    with pytest.raises(segkit.ParameterError, match="fitted"):
        persona_descriptions(segkit.Personas())


def test_index_parts_are_in_the_chosen_language():
    figures = {
        "customers": 2000,
        "revenue": 1422375.9,
        "a_share": 0.15,
        "at_risk_share": 0.16,
        "at_risk_revenue": 12000,
        "churn_rate": 0.08,
        "migration": {"customers": 57, "before": "Loyal", "after": "At Risk"},
    }
    body = "".join(
        [
            f"<h1>{report_title('2025-01-01', 'ru')}</h1>",
            key_figures_html(figures, lang="ru", currency="RUB"),
            pages_html([("02_rfm", "02_rfm.html", None), ("04_cohorts_churn", "", "нет данных")], lang="ru"),
            downloads_html(["rfm_segments"], workbook="customer_lists.xlsx", lang="ru"),
            parameters_html({"as_of": pd.Timestamp("2025-01-01"), "bins": 5, "scheme": None}, lang="ru"),
        ]
    )
    assert "1\u00a0422\u00a0376\u00a0₽" in body
    assert "меньше 20 %" in body  # the A share under the methodology's 20-30 %
    assert "«Лояльные» в «Под угрозой оттока»" in body
    assert 'href="rfm_segments.csv"' in body and "01.01.2025" in body and "не задан" in body
    assert check_html(_page(body, "Отчёт"), lang="ru") == []


def test_every_catalogue_text_is_reachable_from_the_format_layer():
    # The catalogue keys the format layer uses exist: rendering does not raise for any page or list name.
    from segkit.report._format import LISTS, PAGES, list_title, page_description, page_title

    keys = catalogue_keys("ru")
    for name in PAGES:
        assert page_title(name, "ru") != page_title(name, "en")
        assert page_description(name, "ru")
    for name, key in LISTS.items():
        assert f"messages.{key}" in keys and list_title(name, "ru") != name


def test_sample_categories_are_named_in_the_language():
    frame = pd.DataFrame({"top_category": ["home", "garden tools"], "top_category_share": [0.5, 0.25]})
    out, _ = format_table(frame, lang="ru")
    assert out["Любимая категория"].tolist() == ["товары для дома", "garden tools"]  # other data: as given
