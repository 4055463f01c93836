"""Customer lists as CSV for the reader's Excel and as one formatted workbook; both read back unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import segkit
from segkit.report import export_csv, export_customer_lists, export_workbook


@pytest.fixture
def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": pd.Categorical(["Champions", "At Risk", "Lost"]),
            "revenue": [1234.56, 0.5, -12.25],
            "revenue_share": [0.75, 0.25, 0.0],
            "first_purchase": pd.to_datetime(["2024-07-01", "2023-12-31", None]),
            "name": ["Иванов; Пётр", 'say "hi"', "plain"],
        },
        index=pd.Index(["C1", "C2", "C3"], name="customer_id"),
    )


def test_russian_csv_round_trip(customers, tmp_path):
    path = export_csv(customers, tmp_path / "list.csv", lang="ru")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert (
        raw.decode("utf-8-sig").splitlines()[0]
        == "customer_id;segment;revenue;revenue_share;first_purchase;name"
    )
    assert "1234,56" in raw.decode("utf-8-sig") and "01.07.2024" in raw.decode("utf-8-sig")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", index_col="customer_id")
    assert back["revenue"].tolist() == [1234.56, 0.5, -12.25]
    assert back["revenue_share"].tolist() == [0.75, 0.25, 0.0]
    assert back["name"].tolist() == customers["name"].tolist()
    assert back["segment"].tolist() == ["Champions", "At Risk", "Lost"]
    dates = pd.to_datetime(back["first_purchase"], format="%d.%m.%Y")
    assert dates.iloc[:2].tolist() == customers["first_purchase"].iloc[:2].tolist() and pd.isna(dates.iloc[2])


def test_english_csv_round_trip(customers, tmp_path):
    path = export_csv(customers, tmp_path / "list.csv", lang="en")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, index_col="customer_id", parse_dates=["first_purchase"])
    pd.testing.assert_series_equal(back["revenue"], customers["revenue"])
    pd.testing.assert_series_equal(back["first_purchase"], customers["first_purchase"], check_freq=False)


def test_labelled_csv_is_for_reading(customers, tmp_path):
    path = export_csv(customers, tmp_path / "list.csv", lang="ru", labels=True)
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert list(back.columns[:3]) == ["Клиент", "Сегмент", "Выручка"]
    assert back["Сегмент"].tolist() == ["Чемпионы", "Под угрозой оттока", "Потерянные"]


def test_segment_list_written_by_segkit_reads_back(tmp_path):
    tx = segkit.load_report_data()
    segments = segkit.rfm_segments(segkit.rfm(tx))
    path = export_csv(segments, tmp_path / "rfm_segments.csv", lang="ru")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", index_col="customer_id")
    assert back.index.tolist() == segments.index.tolist()
    np.testing.assert_allclose(back["monetary"], segments["monetary"])
    assert back["segment"].tolist() == segments["segment"].astype(str).tolist()


def test_workbook_has_a_formatted_sheet_per_list(customers, tmp_path):
    other = pd.DataFrame({"churn_risk": [0.9, 0.1]}, index=pd.Index(["C1", "C2"], name="customer_id"))
    path = export_workbook(
        {"rfm_segments": customers, "churn_risk_scores": other, "my/own:list": other},
        tmp_path / "lists.xlsx",
        lang="ru",
        currency="RUB",
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Клиенты по RFM-сегментам", "Текущие клиенты по риску оттока", "my own list"]
    sheet = book["Клиенты по RFM-сегментам"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == [
        "Клиент",
        "Сегмент",
        "Выручка",
        "Доля выручки",
        "Первая покупка",
        "Название",
    ]
    assert all(c.font.bold for c in sheet[1])
    assert sheet["C2"].value == 1234.56 and "₽" in sheet["C2"].number_format
    assert sheet["D2"].number_format == "0.0%"
    assert sheet["B2"].value == "Чемпионы"
    assert sheet.column_dimensions["F"].width >= len("Иванов; Пётр")
    back = pd.read_excel(path, sheet_name="Текущие клиенты по риску оттока")
    assert back["Риск оттока"].tolist() == [0.9, 0.1]


def test_export_customer_lists_writes_csv_and_workbook(customers, tmp_path):
    paths = export_customer_lists({"rfm_segments": customers}, tmp_path, lang="en")
    assert (
        paths["rfm_segments"].name == "rfm_segments.csv" and paths["workbook"].name == "customer_lists.xlsx"
    )
    assert openpyxl.load_workbook(paths["workbook"]).sheetnames == ["Customers by RFM segment"]


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(segkit.ParameterError, match="DataFrame"):
        export_csv([1, 2], tmp_path / "x.csv")
    with pytest.raises(segkit.ParameterError, match="non-empty mapping"):
        export_workbook({}, tmp_path / "x.xlsx")
    with pytest.raises(segkit.ParameterError, match="lang"):
        export_csv(pd.DataFrame({"a": [1]}), tmp_path / "x.csv", lang="fr")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_list_too_long_for_the_workbook_stays_in_its_csv_and_is_named(tmp_path, lang: str) -> None:
    from openpyxl import load_workbook

    from segkit.report._exports import workbook_from_folder

    ids = pd.Index([f"{i:03d}" for i in range(8)], name="customer_id")
    export_csv(pd.DataFrame({"revenue": range(8)}, index=ids), tmp_path / "rfm_segments.csv", lang=lang)
    export_csv(pd.DataFrame({"revenue": range(5)}, index=ids[:5]), tmp_path / "win_back.csv", lang=lang)
    book = load_workbook(workbook_from_folder(tmp_path, lang=lang, max_rows=5))
    notes = segkit.t("download.workbook_notes", lang)
    assert book.sheetnames[-1] == notes and len(book.sheetnames) == 2  # the 5-row list fits, at the limit
    kept = book[book.sheetnames[0]]
    assert kept.max_row == 6 and kept["A2"].value == "000"  # header + 5 rows, ids as written
    note = book[notes]["A2"].value
    assert "rfm_segments.csv" in note and "8" in note and "5" in note
    assert book[notes].max_row == 2


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_long_list_is_counted_by_its_rows_not_its_line_breaks(tmp_path, lang: str) -> None:
    from segkit.report._exports import _count_rows, read_list

    # Values holding line breaks and separators: more lines than rows, so the count must parse the file.
    notes = ["first line\nsecond line", "a;b,c", 'a "quoted" word', ""] * 3
    ids = pd.Index([f"{i:03d}" for i in range(len(notes))], name="customer_id")
    path = export_csv(pd.DataFrame({"note": notes, "revenue": 1.5}, index=ids), tmp_path / "x.csv", lang=lang)
    assert path.read_bytes().count(b"\n") - 1 > len(notes)
    assert _count_rows(path, max_rows=2) == len(notes) == len(read_list(path))


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_dates_are_written_as_strftime_writes_them(tmp_path: Path, lang: str) -> None:
    day, moment = {"en": ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"), "ru": ("%d.%m.%Y", "%d.%m.%Y %H:%M:%S")}[lang]
    rng = np.random.default_rng(5)
    days = pd.Timestamp("1969-12-31") + pd.to_timedelta(rng.integers(-30_000, 90_000, 500), unit="D")
    times = pd.Timestamp("1969-12-31") + pd.to_timedelta(rng.integers(-(10**15), 10**15, 500), unit="us")
    frame = pd.DataFrame(
        {
            "first_purchase": days,
            "last_seen": times,  # a time of day, before and after 1970, with fractions of a second
            "sent": pd.date_range("2024-03-30 22:30", periods=500, freq="37min", tz="Europe/Moscow"),
            "edge": pd.to_datetime(["1677-09-22 00:00:00", "2262-04-11 23:47:16.5"] * 250, format="ISO8601"),
        },
        index=pd.Index([f"c{i}" for i in range(500)], name="customer_id"),
    )
    for column in frame.columns:
        frame.loc[frame.index[::7], column] = pd.NaT
    path = export_csv(frame, tmp_path / "dates.csv", lang=lang)
    back = pd.read_csv(path, sep=";" if lang == "ru" else ",", dtype=str, keep_default_na=False)
    for column, fmt in (("first_purchase", day), ("last_seen", moment), ("sent", moment), ("edge", moment)):
        expected = frame[column].dt.strftime(fmt).fillna("")
        assert back[column].tolist() == expected.tolist(), column
