"""The lists workbook: every row of a long list, with the values and formats openpyxl gives its first row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from segkit.report import export_workbook


def _long_list(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    revenue = rng.gamma(2.0, 500.0, n).round(2)
    share = rng.random(n)
    names = np.array([f"Client {i} <&> \"q\" 'a'" for i in range(n)], dtype=object)
    if n > 9:
        revenue[3] = np.nan
        share[5] = np.inf  # not a number Excel can hold: left empty, as a missing value is
        names[7] = "ctrl\x01char and  two spaces "
        names[9] = None
    return pd.DataFrame(
        {
            "segment": pd.Categorical(rng.choice(["Champions", "Loyal", "Lost"], n)),
            "revenue": revenue,
            "revenue_share": share,
            "n_orders": rng.integers(1, 50, n),
            "churned": rng.random(n) > 0.5,
            "first_purchase": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
            "name": names,
        },
        index=pd.Index([f"{i:05d}" for i in range(n)], name="customer_id"),
    )


def test_every_row_of_a_long_list_reads_back_with_the_first_rows_formats(tmp_path: Path) -> None:
    frame = _long_list(3000)
    path = export_workbook({"rfm_segments": frame}, tmp_path / "lists.xlsx", lang="ru", currency="RUB")
    book = openpyxl.load_workbook(path)
    sheet = book[book.sheetnames[0]]
    assert sheet.max_row == 3001 and sheet.max_column == 8 and sheet.freeze_panes == "A2"
    assert sheet.dimensions == "A1:H3001"
    first, last = sheet[2], sheet[3001]
    assert [c.number_format for c in first] == [c.number_format for c in last]
    assert "₽" in last[2].number_format and last[3].number_format == "0.0%"
    assert last[6].number_format == "DD.MM.YYYY" and last[6].value == frame["first_purchase"].iloc[-1]
    assert all(c.font.bold for c in sheet[1]) and not any(c.font.bold for c in last)

    back = pd.read_excel(path, dtype={"Клиент": str})
    assert back["Клиент"].tolist() == frame.index.tolist()
    np.testing.assert_array_equal(back.iloc[:, 2].to_numpy(), frame["revenue"].to_numpy())  # exact, NaN kept
    shares = frame["revenue_share"].replace(np.inf, np.nan).to_numpy()
    np.testing.assert_array_equal(back.iloc[:, 3].to_numpy(), shares)
    assert back.iloc[:, 4].tolist() == frame["n_orders"].tolist()
    assert back.iloc[:, 5].tolist() == frame["churned"].tolist()
    expected_names = frame["name"].tolist()
    expected_names[7] = "ctrlchar and  two spaces "  # a character XML cannot hold is dropped, spaces kept
    got = back.iloc[:, 7].tolist()
    assert got[:7] + got[8:9] + got[10:] == expected_names[:7] + expected_names[8:9] + expected_names[10:]
    assert got[7] == expected_names[7] and pd.isna(got[9])
    assert set(back.iloc[:, 1]) == {"Чемпионы", "Лояльные", "Потерянные"}  # the vocabulary in Russian


def test_a_one_row_and_an_empty_list_are_written_by_openpyxl_alone(tmp_path: Path) -> None:
    one = _long_list(1)
    empty = _long_list(2).iloc[:0]
    path = export_workbook({"a": one, "b": empty}, tmp_path / "small.xlsx")
    sheets = pd.read_excel(path, sheet_name=None, dtype={"Customer": str})
    assert [len(s) for s in sheets.values()] == [1, 0]
    assert sheets["a"]["Customer"].tolist() == ["00000"]
