"""The command line on bad flags: one line in the words of the flags, exit code 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from segkit import cli
from segkit.report import _notebook

ROWS = "Клиент;Дата;Сумма\nООО Ромашка;01.07.2024;1 234,50\nИП Иванов;02.07.2024;500,00\n"


@pytest.fixture
def export(tmp_path: Path) -> list[str]:
    path = tmp_path / "sales.csv"
    path.write_text(ROWS, encoding="utf-8-sig")
    return ["--data", str(path), "--customer", "Клиент", "--date", "Дата", "--amount", "Сумма"]


def test_check_reads_the_export(export: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", *export]) == 0
    assert "1,734.50" in capsys.readouterr().out


def test_table_on_a_file_names_the_flags(export: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", *export, "--table", "sales"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("segkit check: --table and --query read from a database")
    assert "table=" not in err


def test_window_months_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--out", str(tmp_path), "--window-months", "-1"]) == 2
    err = capsys.readouterr().err
    assert "segkit report: --window-months must be a whole number of months" in err
    assert "window_months must" not in err


@pytest.mark.parametrize("flags", [["--sep", "xx"], ["--date-format", "%Q"]])
def test_unchecked_options_end_in_one_line(
    export: list[str], flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", *export, *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("segkit check: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unexpected_error_is_one_line_unless_debugging(
    export: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("'<' not supported between instances of 'str' and 'int'")

    monkeypatch.setattr(_notebook, "load_report_data", broken)
    assert cli.main(["check", *export]) == 2
    err = capsys.readouterr().err
    assert err == (
        "segkit check: stopped by an input or option segkit does not check yet (TypeError: '<' not supported "
        "between instances of 'str' and 'int'). Check the flags and the file; SEGKIT_DEBUG=1 shows the "
        "traceback.\n"
    )
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(TypeError, match="not supported"):
        cli.main(["check", *export])


def test_sheet_on_a_text_export_names_the_flag(export: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", *export, "--sheet", "Sales"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("segkit check: --sheet Sales applies to Excel workbooks only"), err
    assert "'sales.csv', a text (CSV) file" in err and "Remove --sheet" in err
    assert "sheet=" not in err


def test_an_unknown_encoding_names_the_flag(export: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", *export, "--encoding", "utf9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("segkit check: --encoding utf9 is not a text encoding Python knows"), err
