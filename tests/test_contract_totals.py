"""Totals lines of an export ("Итого", "Total") are dropped and counted, never read as a customer."""

import warnings

import pandas as pd
import pytest

import segkit


def _read(source, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tx = segkit.read_transactions(source, customer="Клиент", date="Дата", amount="Сумма", **kwargs)
    return tx, [str(w.message) for w in caught if issubclass(w.category, segkit.DataQualityWarning)]


def test_a_cp1251_export_with_a_title_and_a_totals_line(tmp_path):
    path = tmp_path / "export.csv"
    text = (
        "Продажи за период;;\n"
        "Клиент;Дата;Сумма\n"
        "ООО Ромашка;01.02.2024;1 000,50\n"
        "ИП Иванов;02.02.2024;200,00\n"
        "ООО Ромашка;03.02.2024;300,00\n"
        "Итого:;;1 500,50\n"
    )
    path.write_bytes(text.encode("cp1251"))
    tx, messages = _read(path)
    assert tx.quality.n_customers == 2
    assert tx.quality.net_revenue == pytest.approx(1500.5)
    assert tx.quality.dropped["totals row"] == 1
    assert tx.quality.accounted and tx.quality.rows_read == 4
    assert "Итого" not in set(tx.data["customer_id"])
    (message,) = [m for m in messages if "totals" in m]
    assert "Клиент" in message and "row 6: 'Итого:'" in message and "1 row is a totals line" in message


def test_totals_in_a_frame_and_in_english_and_names_that_only_contain_the_word():
    frame = pd.DataFrame(
        {
            "Клиент": ["Total Foods", "TOTAL", "a", "Всего", "Grand total."],
            "Дата": ["2024-01-01", "2024-01-31", "2024-01-02", "2024-01-31", "2024-01-31"],
            "Сумма": [10.0, 40.0, 5.0, 15.0, 15.0],
        }
    )
    tx, _ = _read(frame)
    assert sorted(tx.data["customer_id"].unique()) == ["Total Foods", "a"]
    assert tx.quality.dropped["totals row"] == 3
    assert tx.quality.net_revenue == pytest.approx(15.0)


def test_a_clean_file_reports_the_same_reasons_as_before(tmp_path):
    frame = pd.DataFrame({"Клиент": ["a", "b"], "Дата": ["2024-01-01", "2024-01-02"], "Сумма": [1.0, 2.0]})
    tx, _ = _read(frame)
    assert "totals row" not in tx.quality.dropped


def test_the_russian_report_names_the_reason():
    assert segkit.label("term", "totals row", "ru") == "строка итогов"


def _engine_frame(last_date):
    return pd.DataFrame(
        {
            "Клиент": ["a", "b", "Итого"],
            "Дата": pd.to_datetime(["2024-01-01", "2024-01-02", last_date]),
            "Сумма": [1.0, 2.0, 3.0],
        }
    )


def test_a_parquet_file_with_a_totals_line_is_an_error_naming_it(tmp_path):
    path = tmp_path / "base.parquet"
    _engine_frame("2024-01-02").to_parquet(path)
    with pytest.raises(
        segkit.DataContractError, match=r"Column 'Клиент': totals lines .*1 row; e.g. 'Итого'"
    ):
        _read(path)


def test_a_totals_line_the_policies_already_dropped_is_no_error(tmp_path):
    path = tmp_path / "base.parquet"
    _engine_frame(None).to_parquet(path)
    tx, _ = _read(path, invalid="drop")
    assert tx.quality.dropped["invalid value"] == 1
    assert tx.quality.n_customers == 2
