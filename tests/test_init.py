"""`segkit init`: the working folder, the guessed column mapping, and `segkit report --config` on its copies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import segkit
from segkit import cli
from segkit._resources import report_notebooks
from segkit.report._init import _read_header, guess_columns, init_folder


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (  # 1C sales register
            ["Период", "Контрагент", "Номенклатура", "Количество", "Сумма", "Документ продажи"],
            {
                "customer": "Контрагент",
                "date": "Период",
                "order": "Документ продажи",
                "amount": "Сумма",
                "quantity": "Количество",
                "product": "Номенклатура",
            },
        ),
        (  # amoCRM deals
            ["ID сделки", "Название", "Бюджет", "Контакт", "Дата создания", "Источник"],
            {
                "customer": "Контакт",
                "date": "Дата создания",
                "order": "ID сделки",
                "amount": "Бюджет",
                "channel": "Источник",
            },
        ),
        (  # an English shop export, odd spacing and case
            ["Customer ID", "ORDER DATE", "Order No.", "Line Total", "Unit Price", "Qty", "Category"],
            {
                "customer": "Customer ID",
                "date": "ORDER DATE",
                "order": "Order No.",
                "amount": "Line Total",
                "quantity": "Qty",
                "category": "Category",
            },
        ),
        (  # the canonical names of the bundled sample
            ["customer_id", "order_id", "order_date", "amount", "quantity", "margin", "category", "channel"],
            {
                "customer": "customer_id",
                "date": "order_date",
                "order": "order_id",
                "amount": "amount",
                "quantity": "quantity",
                "margin": "margin",
                "category": "category",
                "channel": "channel",
            },
        ),
    ],
)
def test_guess_columns_from_common_names(header: list[str], expected: dict[str, str]) -> None:
    assert guess_columns(header) == expected


def test_guess_columns_uses_each_column_once_and_prefers_exact_names() -> None:
    # "Дата" matches exactly; "Дата оплаты" would match only by prefix and is left alone.
    assert guess_columns(["Дата оплаты", "Дата", "Клиент", "Сумма"]) == {
        "customer": "Клиент",
        "date": "Дата",
        "amount": "Сумма",
    }
    assert guess_columns(["Склад", "Менеджер"]) == {}
    # A VAT or discount column that merely starts like an amount is not the amount.
    assert (
        guess_columns(["Клиент", "Дата", "Сумма НДС", "Сумма скидки", "Сумма продажи"])["amount"]
        == "Сумма продажи"
    )
    assert "amount" not in guess_columns(["Клиент", "Дата", "Сумма НДС"])
    # Without a line total, quantity x price is the amount.
    assert guess_columns(["CustomerID", "InvoiceDate", "Quantity", "UnitPrice"])["price"] == "UnitPrice"


def test_read_header_decodes_cp1251_and_skips_title_rows(tmp_path: Path) -> None:
    text = "Отчёт о продажах\nза январь 2024\n\nКлиент;Дата;Сумма\nИванов;01.01.2024;1 200,50\nПетров;02.01.2024;3,5\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1251"))
    assert _read_header(path) == ["Клиент", "Дата", "Сумма"]
    (tmp_path / "tab.txt").write_text("a\tb\tc\n1\t2,5\t3\n")
    assert _read_header(tmp_path / "tab.txt") == ["a", "b", "c"]


def test_title_rows_padded_with_separators_are_not_the_header(tmp_path: Path) -> None:
    # Excel saves a title above the table with as many separators as the table has columns.
    text = (
        "Отчёт о продажах;;;\nПериод: 01.01.2024 - 31.01.2024;;;\nКлиент;Дата;Сумма;Номер заказа\n"
        "ООО Ромашка;01.02.2024;1 000,50;1\nИП Иванов;02.02.2024;200,00;2\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1251"))
    assert _read_header(path) == ["Клиент", "Дата", "Сумма", "Номер заказа"]
    result = init_folder(tmp_path / "work", source=path)
    assert result.columns == {
        "customer": "Клиент",
        "date": "Дата",
        "order": "Номер заказа",
        "amount": "Сумма",
    }
    # A header with one unnamed column is still the header, not the first data row below it.
    (tmp_path / "gap.csv").write_text("a;b;;d\nx;1;2;3\ny;4;5;6\n")
    assert _read_header(tmp_path / "gap.csv") == ["a", "b", "", "d"]


def test_init_for_the_bundled_sample(tmp_path: Path) -> None:
    result = init_folder(tmp_path / "work")
    folder = tmp_path / "work"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "notebooks", "segkit.yaml"]
    bundled = report_notebooks()
    assert [p.name for p in result.notebooks] == [p.name for p in bundled]
    for copy, original in zip(result.notebooks, bundled, strict=True):
        assert copy.read_bytes() == original.read_bytes()
    config = segkit.load_report_config(folder / "segkit.yaml")
    assert config["data"] is None and config["notebooks"] == str(folder / "notebooks")
    assert config["output"] == str(folder / "reports")
    text = (folder / "segkit.yaml").read_text()
    assert "# returns:" in text and "# cancel_prefix:" in text  # the policies are documented in place
    readme = (folder / "README.md").read_text()
    assert f"segkit report --config {folder / 'segkit.yaml'}" in readme and segkit.__version__ in readme


def test_init_does_not_overwrite_without_force(tmp_path: Path) -> None:
    init_folder(tmp_path / "work")
    (tmp_path / "work" / "segkit.yaml").write_text("data: mine.csv\n")
    with pytest.raises(segkit.ParameterError, match="already holds segkit files .*segkit.yaml.*--force"):
        init_folder(tmp_path / "work")
    assert (tmp_path / "work" / "segkit.yaml").read_text() == "data: mine.csv\n"
    init_folder(tmp_path / "work", force=True)
    assert "segkit report configuration" in (tmp_path / "work" / "segkit.yaml").read_text()


def test_init_from_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert cli.main(["init", str(tmp_path / "w"), "--from", str(tmp_path / "nope.csv")]) == 2
    assert not (tmp_path / "w").exists()


def _russian_export(path: Path, rows: int | None = None) -> Path:
    """The bundled sample as a 1C-style export: Russian headers, cp1251, ';', decimal commas, DD.MM.YYYY."""
    sample = segkit.load_report_data().data
    if rows is not None:
        sample = sample.head(rows)
    frame = sample.rename(
        columns={
            "customer_id": "Контрагент",
            "order_id": "Номер документа",
            "order_date": "Дата",
            "amount": "Сумма",
            "quantity": "Количество",
            "category": "Группа номенклатуры",
        }
    )[["Контрагент", "Номер документа", "Дата", "Сумма", "Количество", "Группа номенклатуры"]]
    frame = frame.assign(Дата=frame["Дата"].dt.strftime("%d.%m.%Y"))
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1251")
    return path


def test_init_from_an_export_prefills_the_mapping_and_detection(tmp_path: Path, capsys) -> None:
    export = _russian_export(tmp_path / "продажи.csv", rows=500)
    assert cli.main(["init", str(tmp_path / "work"), "--from", str(export)]) == 0
    printed = capsys.readouterr().out
    assert "Next: segkit report --config" in printed
    config = yaml.safe_load((tmp_path / "work" / "segkit.yaml").read_text(encoding="utf-8"))
    assert config["data"] == "../продажи.csv"
    assert config["columns"] == {
        "customer": "Контрагент",
        "date": "Дата",
        "order": "Номер документа",
        "amount": "Сумма",
        "quantity": "Количество",
        "category": "Группа номенклатуры",
    }
    assert config["read_options"] == {
        "encoding": "cp1251",
        "sep": ";",
        "decimal": ",",
        "date_format": "%d.%m.%Y",
    }
    # The copies' parameters cell points at the export, so the notebooks open on it in JupyterLab too.
    nb = nbformat.read(tmp_path / "work" / "notebooks" / "00_overview.ipynb", as_version=4)
    (params,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert "data_path = '../../продажи.csv'" in params.source and "'customer': 'Контрагент'" in params.source
    assert cli.main(["check", "--config", str(tmp_path / "work" / "segkit.yaml")]) == 0
    assert "rows read" in capsys.readouterr().out


def test_init_from_an_unreadable_mapping_says_what_to_edit(tmp_path: Path, capsys) -> None:
    export = tmp_path / "odd.csv"
    export.write_text("Who,When,HowMuch\nx,2024-01-01,5\n")
    assert cli.main(["init", str(tmp_path / "work"), "--from", str(export)]) == 0
    printed = capsys.readouterr().out
    assert "could not be read with this mapping yet" in printed and "segkit check --config" in printed
    text = (tmp_path / "work" / "segkit.yaml").read_text()
    assert "# segkit init could not read the export with this mapping yet:" in text
    assert yaml.safe_load(text)["columns"] == {}  # nothing guessed, nothing invented


def _keep_one_notebook(folder: Path) -> None:
    """Keep only the overview notebook (fast) and mark the copy, to see that the report runs the copies."""
    for path in (folder / "notebooks").glob("*.ipynb"):
        if path.name != "00_overview.ipynb":
            path.unlink()
    path = folder / "notebooks" / "00_overview.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('edited copy in the working folder')"))
    nbformat.write(nb, path)


@pytest.mark.slow
@pytest.mark.parametrize("from_export", [False, True], ids=["sample", "export"])
def test_report_with_the_init_config_runs_the_folder_copies(tmp_path: Path, from_export: bool) -> None:
    args = ["init", str(tmp_path / "work")]
    if from_export:
        args += ["--from", str(_russian_export(tmp_path / "export.csv"))]
    assert cli.main(args) == 0
    _keep_one_notebook(tmp_path / "work")
    assert cli.main(["report", "--config", str(tmp_path / "work" / "segkit.yaml"), "--no-html"]) == 0
    (report,) = (tmp_path / "work" / "reports").iterdir()
    run = json.loads((report / "run.json").read_text())
    assert [nb["name"] for nb in run["notebooks"]] == ["00_overview"] and run["ok"]
    executed = nbformat.read(report / "00_overview.ipynb", as_version=4)
    assert "edited copy in the working folder" in executed.cells[-1].outputs[0]["text"]
    expected_source = "export.csv" if from_export else "bundled sample"
    assert expected_source in run["quality"]["source"]
    if not from_export:
        assert run["quality"]["rows_kept"] == len(segkit.load_report_data().data)


def test_import_segkit_leaves_heavy_dependencies_for_first_use():
    # A fresh interpreter: this process has long imported everything.
    code = (
        "import sys, segkit\n"
        "heavy = ['matplotlib', 'seaborn', 'sklearn', 'scipy.stats', 'scipy.optimize', 'pydantic', 'nbformat',\n"
        "         'papermill']\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
        "segkit.Personas, segkit.plot_persona_sizes, segkit.BetaGeoModel\n"
        "print(' '.join(m for m in ('matplotlib', 'sklearn', 'scipy.optimize') if m not in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded_at_import, missing_after_use = out.split("\n")[:2]
    assert loaded_at_import == ""
    # The names still work: the first lookup imports their modules.
    assert missing_after_use == ""


def test_every_public_name_resolves_and_is_listed():
    for name in segkit.__all__:
        assert getattr(segkit, name) is not None, name
    assert "Personas" in dir(segkit.portraits)
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        segkit.portraits.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        segkit.no_such_name  # noqa: B018
