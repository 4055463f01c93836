"""A report in the reader's language: parameters, narrative, page titles, the index summary, the lists.

The always-run tests share one Russian and one English report of the bundled sample made with a small
notebook that follows the language convention (the real notebooks take minutes); the ``slow`` tests run
the real notebooks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _nbparams import notebook_parameters  # tests/ is on sys.path

import segkit
from segkit import cli
from segkit.report._screenshots import check_html, check_report, find_chromium, rendered_dom, screenshot

PARAMETERS = notebook_parameters(lang="en", currency=None, min_orders=50)

BODY = """import segkit
from pathlib import Path
tx = segkit.load_report_data(data_path, columns=columns, read_options=read_options)
summary = segkit.customer_summary(tx, as_of=as_of).sort_values("revenue", ascending=False)
print(segkit.t("figure.customers", lang) + ": " + segkit.format_number(len(summary), lang=lang))
print(f"lang={lang} currency={currency}", file=open(Path(output_dir) / "seen.txt", "w"))
display(segkit.show_table(summary[["n_orders", "revenue"]], lang=lang, currency=currency, max_rows=5,
                          download="customer_status.csv"))
segkit.export_csv(summary[["n_orders", "revenue", "last_purchase"]], Path(output_dir) / "customer_status.csv",
                  lang=lang)
with segkit.section(segkit.t("card.customers", lang), hint=f"--param min_orders=1 (now {min_orders})", lang=lang) as big:
    raise segkit.ParameterError(f"no customer has {min_orders} orders")
"""

NARRATIVE = [
    ("# Customers\n\nThe largest customers by revenue ([method](https://example.org/abc)).", "lang-en"),
    ("# Клиенты\n\nКрупнейшие клиенты по выручке ([методика](https://example.org/abc)).", "lang-ru"),
]


def _converted_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    for source, tag in NARRATIVE:
        cell = nbformat.v4.new_markdown_cell(source)
        cell.metadata["tags"] = [tag]
        nb.cells.append(cell)
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells += [params, nbformat.v4.new_code_cell(BODY)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("books")
    _converted_notebook(folder / "02_rfm.ipynb")
    return folder


@pytest.fixture(scope="module")
def russian(books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    code = cli.main(
        ["report", "--notebooks", str(books), "--out", str(out), "--lang", "ru", "--currency", "RUB"]
    )
    assert code == 0
    return out / "2025-01-01"


@pytest.fixture(scope="module")
def english(books: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    result = segkit.run_report(notebooks=books, output=out, progress=lambda _: None)
    assert result.ok
    return result.folder


def test_lang_and_currency_reach_the_notebook(russian: Path, english: Path):
    assert (russian / "seen.txt").read_text().strip() == "lang=ru currency=RUB"
    assert (english / "seen.txt").read_text().strip() == "lang=en currency=None"
    run = json.loads((russian / "run.json").read_text())
    assert run["parameters"]["lang"] == "ru" and run["parameters"]["currency"] == "RUB"


def test_pages_carry_the_language_and_a_title(russian: Path, english: Path):
    for folder, lang, title in ((russian, "ru", "RFM-сегменты"), (english, "en", "RFM segments")):
        page = (folder / "02_rfm.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in page
        assert re.search(r"<title>(.*?)</title>", page).group(1) == title
        index = (folder / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in index
        assert re.search(r"<title>(.*?)</title>", index).group(1) == segkit.report_title("2025-01-01", lang)


def test_only_the_chosen_narrative_is_kept(russian: Path, english: Path):
    for folder, kept, dropped in (
        (russian, "Крупнейшие клиенты", "The largest"),
        (english, "The largest", "Крупнейшие"),
    ):
        page = (folder / "02_rfm.html").read_text(encoding="utf-8")
        executed = nbformat.read(folder / "02_rfm.ipynb", as_version=4)
        markdown = [c.source for c in executed.cells if c.cell_type == "markdown"]
        assert kept in page and dropped not in page
        assert len(markdown) == 1 and kept in markdown[0]


def test_russian_report_passes_the_page_check(russian: Path):
    assert check_report(russian, lang="ru") == {}


def test_english_report_passes_the_page_check(english: Path):
    assert check_report(english, lang="en") == {}


def test_skipped_section_note_is_in_the_page_language(russian: Path, english: Path):
    ru = (russian / "02_rfm.html").read_text(encoding="utf-8")
    assert "Раздел пропущен: Клиенты." in ru and "Что изменить: --param min_orders=1" in ru
    # The analysis message has no Russian twin: the page points at the log instead of showing English.
    assert "no customer has 50 orders" not in ru and "run.json" in ru
    en = (english / "02_rfm.html").read_text(encoding="utf-8")
    assert "Section skipped: Customers." in en and "no customer has 50 orders" in en


def test_index_is_a_summary_in_the_chosen_language(russian: Path):
    index = (russian / "index.html").read_text(encoding="utf-8")
    for heading in (
        "База в цифрах",
        "Выводы",
        "Страницы отчёта",
        "Списки клиентов для выгрузки",
        "Параметры",
    ):
        assert f"<h2>{heading}</h2>" in index
    # The key figures of the sample, from the analyses the pages use, in Russian formats.
    tx = segkit.load_report_data(None)
    health = segkit.concentration(tx, as_of="2025-01-01", start="2024-01-01")
    assert f"<b>{segkit.format_number(health.n_customers, lang='ru')}</b>" in index
    assert segkit.format_money(health.total_value, "RUB", 0, "ru") in index
    assert segkit.format_percent(health.share_customers_a, 1, "ru") in index
    assert "пока не с чем сравнить" in index  # no earlier report: no migration figure yet
    # Findings link to the page that explains them; the page list describes each page and its status.
    assert (
        re.search(r'<li><a href="02_rfm.html">[^<]*клиентов', index) is None
    )  # 01/04 are not in this report
    assert segkit.page_description("02_rfm", "ru") in index
    assert "Разделы, пропущенные для этой базы: Клиенты." in index
    # Parameters in words, Cyrillic as is, never JSON.
    assert "<td>Язык</td><td>ru</td>" in index and "<td>Валюта</td><td>RUB</td>" in index
    assert "\\u04" not in index and "{" not in index.rsplit("</style>", 1)[1]


def test_lists_download_as_csv_and_one_workbook(russian: Path):
    index = (russian / "index.html").read_text(encoding="utf-8")
    assert '<a href="customer_status.csv">CSV</a>' in index and '<a href="customer_lists.xlsx">' in index
    raw = (russian / "customer_status.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer_id;n_orders;revenue;last_purchase")
    assert re.search(rb";\d+,\d+;\d\d\.\d\d\.\d{4}", raw)
    sheets = pd.read_excel(russian / "customer_lists.xlsx", sheet_name=None)
    assert list(sheets) == ["Клиенты по статусам"]
    sheet = sheets["Клиенты по статусам"]
    assert list(sheet.columns[:3]) == ["Клиент", "Заказы", "Выручка"]
    assert len(sheet) == 2000 and pd.api.types.is_numeric_dtype(sheet["Выручка"])


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chromium_shows_the_index_and_a_page_cleanly(russian: Path, tmp_path: Path):
    for name, title in (("index", segkit.report_title("2025-01-01", "ru")), ("02_rfm", "RFM-сегменты")):
        page = russian / f"{name}.html"
        dom = rendered_dom(page)
        assert re.search(r"<title>(.*?)</title>", dom).group(1) == title
        assert check_html(dom, lang="ru") == []
        png = screenshot(page, tmp_path / f"{name}.png", width=1000, height=1400)
        assert png.stat().st_size > 20_000  # a page with content, not a blank one


def test_findings_follow_the_rules():
    from segkit.report._summary import ReportSummary, summary_findings

    pages = {
        "01_abc_xyz": "01_abc_xyz.html",
        "04_cohorts_churn": "04_cohorts_churn.html",
        "02_rfm": "02_rfm.html",
    }
    summary = ReportSummary(
        figures={
            "a_share": 0.35,
            "a_share_range": (0.2, 0.3),
            "at_risk_share": 0.16,
            "at_risk_customers": 157,
            "at_risk_revenue": 120_000.0,
            "at_risk_revenue_share": 0.2,
            "churn_rate": 0.157,
            "migration": {
                "customers": 42,
                "before": "Loyal",
                "after": "At Risk",
                "since": pd.Timestamp("2024-12-01"),
            },
        }
    )
    found = dict(summary_findings(summary, lang="ru", currency="RUB", pages=pages))
    texts = list(found)
    assert "больше" not in texts[0] and "слишком широкая" in texts[0] and found[texts[0]] == "01_abc_xyz.html"
    assert texts[1].startswith("Возвращайте их сейчас: 16,0\xa0%") and "120\xa0000\xa0₽" in texts[1]
    assert found[texts[1]] == "04_cohorts_churn.html"
    assert texts[2] == "В среднем 15,7\xa0% активных клиентов перестают покупать каждый месяц."
    assert texts[3] == (
        "Крупнейший переход с отчёта на 01.12.2024: 42 клиентов перешли из сегмента «Лояльные» в "
        "«Под угрозой оттока»."
    )
    assert found[texts[3]] == "02_rfm.html"
    calm = ReportSummary(figures={"a_share": 0.25, "at_risk_share": 0.0, "at_risk_customers": 0})
    assert [text for text, _ in summary_findings(calm, lang="en", pages={})] == [
        "25.0% of customers are in class A: within the healthy 20%–30%."
    ]


def test_largest_migration_against_the_previous_report(tmp_path: Path):
    from segkit.report._summary import report_summary

    tx = segkit.load_report_data(None)
    earlier = segkit.rfm_segments(segkit.rfm(tx, as_of="2024-10-01"))
    segkit.save_segments(earlier, tmp_path / "2024-10-01")
    summary = report_summary(tx, as_of="2025-01-01", reports_root=tmp_path)
    move = summary.figures["migration"]
    counts = segkit.segment_migration(
        earlier, segkit.rfm_segments(segkit.rfm(tx, as_of="2025-01-01"))
    ).counts_
    assert move["customers"] == counts.loc[move["before"], move["after"]] > 0
    assert move["before"] != move["after"] and move["since"] == pd.Timestamp("2024-10-01")
    between = counts.drop(index="(new)", columns="(left)")
    for segment in between.index:
        between.loc[segment, segment] = 0
    assert move["customers"] == between.to_numpy().max()


def test_a_figure_that_cannot_be_computed_says_so(tmp_path: Path):
    from segkit.report._summary import report_summary

    tiny = pd.DataFrame(
        {
            "customer_id": ["a", "b", "a"],
            "order_date": ["2024-06-03", "2024-06-10", "2024-06-20"],
            "amount": [10, 5, 7],
        }
    )
    summary = report_summary(segkit.read_transactions(tiny), as_of="2024-07-01")
    assert summary.figures["customers"] == 2 and list(summary.unavailable) == ["churn_rate"]
    assert summary.unavailable["churn_rate"].startswith("No month lies wholly before as_of=2024-07-01")
    assert summary.figures["migration"]["customers"] is None  # no earlier report: nothing to compare
    html = segkit.key_figures_html(summary.figures, lang="ru", unavailable=summary.unavailable)
    assert (
        "для этой базы рассчитать нельзя" in html and check_html(f"<title>x</title>{html}", lang="ru") == []
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lang", "de"], "invalid choice: 'de'"),
        (["--currency", "rubles"], "--currency (config key currency) must be an ISO 4217 code"),
        (["--param", "lang=ru"], "Parameter 'lang' is set by the runner, not by --param: use --lang"),
        (["--param", "currency=RUB"], "use --currency"),
    ],
)
def test_bad_language_settings_are_refused_in_cli_words(books: Path, tmp_path: Path, capsys, argv, message):
    try:
        code = cli.main(["report", "--notebooks", str(books), "--out", str(tmp_path), *argv])
    except SystemExit as exc:  # argparse's own refusal
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_config_keys_lang_and_currency(tmp_path: Path):
    good = tmp_path / "good.yaml"
    good.write_text("lang: ru\ncurrency: rub\n")
    assert segkit.load_report_config(good) == {"lang": "ru", "currency": "RUB"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("lang: de\ncurrency: 12\n")
    with pytest.raises(segkit.ParameterError) as err:
        segkit.load_report_config(bad)
    assert "lang: got 'de'" in str(err.value) and "currency: got 12" in str(err.value)


# ----------------------------------------------------------------------------------------------------
# The real notebooks (minutes each): what `segkit report --lang ru --currency RUB` gives on the sample.
# ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_full_russian_report_of_the_sample_has_no_english(tmp_path: Path):
    code = cli.main(["report", "--out", str(tmp_path), "--lang", "ru", "--currency", "RUB"])
    folder = tmp_path / "2025-01-01"
    assert code == 0
    assert len(list(folder.glob("*.html"))) == 8  # the index and the seven pages
    assert check_report(folder, lang="ru") == {}
