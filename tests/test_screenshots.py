"""Browser check: the HTML structure checker (always) and headless Chromium screenshots (when installed)."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

import segkit
from segkit.report import segment_cards, show_table
from segkit.report._screenshots import check_html, check_report, find_chromium, main, screenshot_report

GOOD = (
    "<html><head><title>Сегменты</title></head><body><h1>RFM-сегменты</h1><p>Чемпионы: 354</p></body></html>"
)


def test_a_clean_russian_page_passes():
    assert check_html(GOOD, lang="ru") == []


def test_a_missing_title_is_found():
    assert check_html("<html><body><p>Чемпионы</p></body></html>", lang="ru") == ["у страницы нет заголовка"]
    assert check_html("<html><head><title> </title></head><body></body></html>") == ["the page has no title"]


def test_a_placeholder_title_is_found():
    page = "<html><head><title>Notebook</title></head><body><p>Чемпионы</p></body></html>"
    assert check_html(page, lang="ru") == ["заголовок страницы ничего не говорит о ней: Notebook"]


def test_english_prose_on_a_russian_page_is_found():
    page = (
        "<html><head><title>Отчёт</title></head><body><p>The analysis is as of the day after the last sale.</p>"
        "<p>Категория garden, канал marketplace, клиент C00441.</p></body></html>"
    )
    problems = check_html(page, lang="ru")
    assert problems == [
        "английский связный текст на русской странице: The analysis is as of the day after the last sale"
    ]


@pytest.mark.parametrize(
    "leak",
    [
        "Transactions(15,814 rows, 2,000 customers)",
        "CohortResult(24 cohorts)",
        "SegmentMigration(2,000 customers)",
        "&lt;segkit.Personas object at 0x7f3a2b&gt;",
    ],
)
def test_object_reprs_are_found(leak):
    page = f"<html><head><title>Report</title></head><body><pre>{leak}</pre></body></html>"
    problems = check_html(page)
    assert len(problems) == 1 and problems[0].startswith("an object repr is shown")


def test_tracebacks_are_found():
    page = (
        "<html><head><title>Report</title></head><body><pre>Traceback (most recent call last):\n"
        "  File \"x.py\", line 1\nKeyError: 'revenue'</pre></body></html>"
    )
    assert "a Python traceback is shown" in check_html(page)


def test_english_labels_on_a_russian_page_are_found():
    page = "<html><head><title>Отчёт</title></head><body><th>Share of customers</th><td>Can't Lose Them</td></body></html>"
    problems = check_html(page, lang="ru")
    assert "английский текст на русской странице: Share of customers" in problems
    assert "английский текст на русской странице: Can't Lose Them" in problems
    # English is fine on an English page, and code, styles and file names are not text.
    assert check_html(page.replace("Отчёт", "Report"), lang="en") == []
    hidden = (
        "<html><head><title>Отчёт</title><style>.Lost{}</style><script>var x = 'At Risk';</script></head>"
        '<body><a href="rfm_segments.csv">rfm_segments.csv</a> 04_cohorts_churn</body></html>'
    )
    assert check_html(hidden, lang="ru") == []


def test_check_report_walks_every_page(tmp_path):
    (tmp_path / "html").mkdir()
    (tmp_path / "index.html").write_text(GOOD, encoding="utf-8")
    (tmp_path / "html" / "02_rfm.html").write_text(
        "<html><body>RFMResult(2 bins)</body></html>", encoding="utf-8"
    )
    found = check_report(tmp_path, lang="ru")
    assert list(found) == ["html/02_rfm.html"]  # the clean index is not listed
    assert len(found["html/02_rfm.html"]) == 2  # no title, a repr


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(find_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chromium_renders_a_formatted_page(tmp_path):
    summary = pd.DataFrame(
        {"customers": [354, 166], "customers_share": [0.177, 0.083], "revenue": [898097.17, 50305.74]},
        index=pd.Index(["Champions", "At Risk"], name="segment"),
    )
    summary["revenue_share"] = summary["revenue"] / summary["revenue"].sum()
    body = show_table(summary, lang="ru", currency="RUB").to_html() + segment_cards(summary, lang="ru").html
    report = tmp_path / "report"
    report.mkdir()
    page = f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Сегменты</title></head><body>{body}</body></html>'
    (report / "index.html").write_text(page, encoding="utf-8")
    assert check_html(page, lang="ru") == []
    pngs = screenshot_report(report, tmp_path / "shots", width=800, height=600)
    assert [p.name for p in pngs] == ["index.png"]
    assert _png_size(pngs[0]) == (800, 600)
    # A page with content compresses far worse than a blank one (a blank 800 x 600 PNG is a few KB).
    assert pngs[0].stat().st_size > 15_000
    assert (
        main([str(report), str(tmp_path / "cli"), "--lang", "ru", "--width", "640", "--height", "480"]) == 0
    )
    assert _png_size(tmp_path / "cli" / "index.png") == (640, 480)


def test_a_missing_browser_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "index.html").write_text(GOOD, encoding="utf-8")
    monkeypatch.setattr("segkit.report._screenshots.find_chromium", lambda: None)
    with pytest.raises(segkit.SegkitError, match="apt-get install chromium"):
        screenshot_report(tmp_path, tmp_path / "out")
