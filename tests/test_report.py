"""The report runner on small notebooks: success, failures, skipped sections, no overwrite, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _nbparams import notebook_parameters  # tests/ is on sys.path

import segkit
from segkit import cli
from segkit.report import ReportExistsError

PARAMETERS = notebook_parameters(greeting="hello", min_orders=5)

GOOD = """import segkit
from pathlib import Path
tx = segkit.load_report_data(data_path, columns=columns, read_options=read_options)
summary = segkit.customer_summary(tx, as_of=as_of)
print(f"{greeting}: {len(summary)} customers, revenue {summary['revenue'].sum():.2f}, as of {as_of}")
summary.to_csv(Path(output_dir) / "customers.csv")
"""

SKIPPING = """import segkit
with segkit.section("Big customers", hint=f"--param min_orders=1 (now {min_orders})") as big:
    raise segkit.ParameterError(f"no customer has {min_orders} orders")
print("after the skipped section" if not big.ok else "not skipped")
"""

# Without importing segkit the kernel starts in a moment; for tests about the runner, not the data.
LIGHT = """print(f"{greeting}: min_orders={min_orders}, as of {as_of}")
"""

BROKEN = """# the first cell
x = 1
"""


def _notebook(path: Path, *cells: str, headings: tuple[str, ...] = ()) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), params]
    for i, body in enumerate(cells):
        if i < len(headings):
            nb.cells.append(nbformat.v4.new_markdown_cell(f"## {headings[i]}"))
        nb.cells.append(nbformat.v4.new_code_cell(body))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@pytest.fixture()
def workspace(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "shop.csv"
    pd.DataFrame(
        {
            "Client": ["a", "a", "b", "c"],
            "Date": ["2024-01-05", "2024-02-01", "2024-02-03", "2024-03-01"],
            "Total": ["100", "50", "20", "30"],
        }
    ).to_csv(data, index=False)
    books = tmp_path / "notebooks"
    books.mkdir()
    _notebook(books / "00_good.ipynb", GOOD)
    (books / "training").mkdir()
    _notebook(books / "training" / "not_in_report.ipynb", "raise SystemExit('must not run')")
    return {"data": data, "notebooks": books, "out": tmp_path / "reports", "root": tmp_path}


COLUMNS = {"customer": "Client", "date": "Date", "amount": "Total"}


def _run(ws: dict[str, Path], **kwargs):
    kwargs.setdefault("progress", lambda _: None)
    return segkit.run_report(
        ws["data"], columns=COLUMNS, notebooks=ws["notebooks"], output=ws["out"], **kwargs
    )


def _all_text(folder: Path) -> dict[str, str]:
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".xlsx"
    }


def test_report_success(workspace: dict[str, Path]) -> None:
    lines: list[str] = []
    result = _run(workspace, parameters={"greeting": "hi"}, progress=lines.append)
    assert result.ok and result.as_of == pd.Timestamp("2024-03-02")
    folder = workspace["out"] / "2024-03-02"
    assert result.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "00_good.html",
        "00_good.ipynb",
        "customer_lists.xlsx",
        "customers.csv",
        "index.html",
        "run.json",
    ]
    executed = nbformat.read(folder / "00_good.ipynb", as_version=4)
    printed = executed.cells[-1].outputs[0]["text"]
    assert printed == "hi: 3 customers, revenue 200.00, as of 2024-03-02\n"
    page = (folder / "00_good.html").read_text()
    assert "hi: 3 customers" in page and "segkit.load_report_data" not in page  # outputs only, no code
    index = (folder / "index.html").read_text()
    assert (
        '<a href="00_good.html">' in index and "rows read" in index and "All pages were built (1)." in index
    )
    run = json.loads((folder / "run.json").read_text())
    assert run["ok"] and run["quality"]["rows_read"] == 4 and run["parameters"]["as_of"] == "2024-03-02"
    assert run["parameters"]["data_path"] == "shop.csv" and run["quality"]["source"] == "shop.csv"
    # Quiet log: one line per notebook with its status and seconds, then a summary.
    assert len(lines) == 3 and lines[1].startswith("[1/1] 00_good: ok in "), lines
    assert lines[2].startswith("segkit report 2024-03-02: 1 of 1 notebooks ok; 0 section(s) skipped;")
    # No machine paths in any output (papermill metadata, parameters, quality table).
    root = str(workspace["root"])
    leaks = [name for name, text in _all_text(folder).items() if root in text]
    assert leaks == []
    meta = executed.metadata["papermill"]
    assert meta["input_path"] == meta["output_path"] == "00_good.ipynb"
    assert meta["parameters"]["data_path"] == ".segkit-table" and meta["parameters"]["output_dir"] == "."
    # No staging folder, canonical table or lock file left behind.
    assert sorted(p.name for p in workspace["out"].iterdir()) == ["2024-03-02"]


def test_failures_and_skipped_sections(workspace: dict[str, Path]) -> None:
    books = workspace["notebooks"]
    (books / "00_good.ipynb").unlink()  # keep this run short: two light notebooks
    _notebook(
        books / "01_broken.ipynb",
        BROKEN,
        "import os\nvalue = int(os.environ.get('NOT_SET_ANYWHERE', 'planted failure'))",
        headings=("Setup", "Scoring"),
    )
    _notebook(books / "02_skipping.ipynb", SKIPPING, "print('the rest ran')")
    lines: list[str] = []
    result = _run(workspace, as_of="2024-04-01", parameters={"min_orders": 9}, progress=lines.append)
    assert not result.ok and result.failed == ["01_broken"]
    broken, skipping = result.runs
    assert broken.section == "Scoring" and broken.error.startswith("ValueError: invalid literal for int()")
    folder = workspace["out"] / "2024-04-01"
    # The executed notebook keeps the traceback; the code-free HTML shows a plain message instead.
    executed = nbformat.read(folder / "01_broken.ipynb", as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0]["ename"] == "ValueError"
    page = (folder / "01_broken.html").read_text()
    assert "This page stopped in the section “Scoring”" in page
    assert "invalid literal for int()" in page and "What to do:" in page
    assert "Traceback" not in page and "NOT_SET_ANYWHERE" not in page and "papermill-error" not in page
    # The log names the notebook, the section and the error, with the traceback; then the summary.
    failed_line = next(ln for ln in lines if "01_broken: FAILED" in ln)
    assert "section 'Scoring': ValueError" in failed_line
    assert any(ln.startswith("    | ") and "NOT_SET_ANYWHERE" in ln for ln in lines)
    # A skipped section explains itself, names the parameter to change, and the rest of the notebook runs.
    assert skipping.ok and skipping.skipped == (
        {
            "section": "Big customers",
            "reason": "no customer has 9 orders",
            "hint": "--param min_orders=1 (now 9)",
            "shown": "no customer has 9 orders",
            "lang": "en",
        },
    )
    assert any(
        "skipped 'Big customers': no customer has 9 orders What to change: --param min_orders=1" in ln
        for ln in lines
    )
    skipped_page = (folder / "02_skipping.html").read_text()
    assert "Section skipped: Big customers." in skipped_page and "the rest ran" in skipped_page
    assert "after the skipped section" in skipped_page
    index = (folder / "index.html").read_text()
    assert "Sections skipped for this base: Big customers." in index
    assert "This page could not be built: ValueError: invalid literal" in index
    assert "Pages that could not be built: 01_broken." in index
    run = json.loads((folder / "run.json").read_text())
    assert run["notebooks"][1]["skipped_sections"][0]["hint"] == "--param min_orders=1 (now 9)"
    assert lines[-1].startswith(
        "segkit report 2024-04-01: 1 of 2 notebooks ok, failed: 01_broken; 1 section(s)"
    )


def test_existing_report_is_not_overwritten(workspace: dict[str, Path]) -> None:
    _notebook(workspace["notebooks"] / "00_good.ipynb", LIGHT)
    existing = workspace["out"] / "2024-03-02"
    existing.mkdir(parents=True)
    (existing / "index.html").write_text("edited by hand")
    with pytest.raises(ReportExistsError, match="already exists.*--force"):
        _run(workspace)
    assert (existing / "index.html").read_text() == "edited by hand"
    _run(workspace, force=True)
    assert (existing / "index.html").read_text() != "edited by hand"
    assert sorted(p.name for p in workspace["out"].iterdir()) == ["2024-03-02"]


def test_interrupted_run_leaves_no_half_report(
    workspace: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(segkit.report._runner, "_execute", interrupt)
    with pytest.raises(KeyboardInterrupt):
        _run(workspace)
    assert list(workspace["out"].iterdir()) == []


def test_bad_data_fails_before_any_notebook(workspace: dict[str, Path]) -> None:
    with pytest.raises(segkit.DataContractError, match="Column 'Customer' \\(given as customer=\\)"):
        segkit.run_report(
            workspace["data"],
            columns={**COLUMNS, "customer": "Customer"},
            notebooks=workspace["notebooks"],
            output=workspace["out"],
        )
    assert not workspace["out"].exists()


def test_cli_with_config_file(workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _notebook(workspace["notebooks"] / "00_good.ipynb", LIGHT)
    config = workspace["root"] / "run.yaml"
    config.write_text(
        "data: shop.csv\n"
        "columns: {customer: Client, date: Date, amount: Total}\n"
        "as_of: 2024-03-10\n"
        "output: reports\n"
        f"notebooks: {workspace['notebooks']}\n"
        "parameters: {greeting: yo}\n"
        "html: false\n"
    )
    assert cli.main(["report", "--config", str(config), "--param", "min_orders=2"]) == 0
    assert "Report ready" in capsys.readouterr().out
    folder = workspace["out"] / "2024-03-10"
    assert (folder / "00_good.ipynb").exists() and not (folder / "00_good.html").exists()
    executed = nbformat.read(folder / "00_good.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "yo: min_orders=2, as of 2024-03-10\n"
    assert executed.metadata["papermill"]["parameters"]["min_orders"] == 2
    # A second run is refused (exit 2, a one-line reason) before any notebook runs.
    assert cli.main(["report", "--config", str(config)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_cli_failure_exit_code_and_check(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace["notebooks"] / "00_good.ipynb").unlink()
    _notebook(workspace["notebooks"] / "01_broken.ipynb", "1 / 0")
    args = ["--data", str(workspace["data"]), "--customer", "Client", "--date", "Date", "--amount", "Total"]
    code = cli.main(
        ["report", *args, "--out", str(workspace["out"]), "--notebooks", str(workspace["notebooks"])]
    )
    assert code == 1
    assert "1 notebook(s) failed: 01_broken" in capsys.readouterr().err
    assert cli.main(["check", *args]) == 0
    out = capsys.readouterr().out
    assert "rows read" in out and "default as-of date: 2024-03-02" in out
    assert cli.main(["check", "--data", str(workspace["data"])]) == 2
    assert "Column 'customer_id' (given as --customer) is not in the data" in capsys.readouterr().err


CRM = """from pathlib import Path
sizes = {table: len(Path(path).read_text().splitlines()) for table, path in crm_paths.items()}
print(f"window {window_months}, masked {mask_ids}, crm {crm_paths}, lines {sizes}")
"""


def test_runner_parameters_reach_the_notebooks_that_declare_them(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    books = workspace["notebooks"]
    (books / "00_good.ipynb").unlink()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS + "window_months = 12\nmask_ids = False\ncrm_paths = {}\n")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CRM)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, books / "05_crm.ipynb")
    crm = workspace["root"] / "crm"
    crm.mkdir()
    (crm / "cards.csv").write_text("card,customer\n1,a\n2,b\n")
    args = ["report", "--data", str(workspace["data"]), "--customer", "Client", "--date", "Date"]
    args += ["--amount", "Total", "--out", str(workspace["out"]), "--notebooks", str(books)]
    assert cli.main([*args, "--window-months", "6", "--crm", f"cards={crm / 'cards.csv'}"]) == 0, (
        capsys.readouterr()
    )
    executed = nbformat.read(workspace["out"] / "2024-03-02" / "05_crm.ipynb", as_version=4)
    printed = executed.cells[-1].outputs[0]["text"]
    # The CRM file is named relative to the report folder (the notebook's working directory).
    assert printed == "window 6, masked False, crm {'cards': '../../crm/cards.csv'}, lines {'cards': 3}\n"
    run = json.loads((workspace["out"] / "2024-03-02" / "run.json").read_text())
    assert (
        run["parameters"]["crm_paths"] == {"cards": "cards.csv"} and run["parameters"]["window_months"] == 6
    )
    assert cli.main([*args, "--force", "--window-months", "-1"]) == 2
    assert (
        "--window-months must be a whole number of months from 0 (all history) to 120; got -1"
        in capsys.readouterr().err
    )


def test_mask_ids_refuses_crm_tables_it_cannot_mask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGKIT_MASK_KEY", "a-long-enough-test-key")
    crm = tmp_path / "surveys.csv"
    crm.write_text("customer_id,score\nC1,9\n", encoding="utf-8")
    with pytest.raises(segkit.ParameterError, match=r"--mask-ids masks the transactions only.*\(surveys\)"):
        segkit.run_report(None, output=tmp_path / "out", mask_ids=True, crm={"surveys": crm})
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _parquet_source(tmp_path: Path) -> Path:
    path = tmp_path / "tx.parquet"
    segkit.load_report_data().data.to_parquet(path)
    return path


def test_a_table_checked_in_the_engine_is_written_by_it_not_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner writes the report table of a large base without holding it: DuckDB copies the checked
    # rows to the file in their canonical order, and the file reads back as the collected table would.
    from segkit.io import Transactions

    tx = segkit.load_report_data(_parquet_source(tmp_path))
    collected = tx.to_arrow()
    tx = segkit.load_report_data(_parquet_source(tmp_path))

    def no_collect(self):
        raise AssertionError("the report table was collected into the runner")

    with monkeypatch.context() as patch:
        patch.setattr(Transactions, "to_arrow", no_collect)
        folder = segkit.save_report_table(tx, tmp_path / "table")
    import pyarrow.parquet as pq

    written = pq.read_table(folder / "transactions.parquet")
    assert written.column_names == collected.column_names
    assert written.cast(collected.schema).equals(collected)  # the same rows, types and order


@pytest.mark.parametrize("rows", [None, 0])
def test_the_report_table_opens_in_the_engine_or_as_a_view_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int | None
) -> None:
    # Up to IN_ENGINE_ROWS rows a kernel loads the table into its engine, above that it reads the file
    # where it lies (rows=0 makes the bundled sample "large"); the analyses see the same table either way.
    import segkit.report._notebook as notebook
    from segkit._backend import connection

    if rows is not None:
        monkeypatch.setattr(notebook, "IN_ENGINE_ROWS", rows)
    reference = segkit.load_report_data()
    folder = segkit.save_report_table(reference, tmp_path / "table")
    tx = segkit.load_report_data(folder)
    name = tx.to_ibis().get_name()
    kinds = dict(
        connection().raw_sql("SELECT view_name, 'view' FROM duckdb_views() WHERE temporary").fetchall()
    )
    kinds.update(
        connection().raw_sql("SELECT table_name, 'table' FROM duckdb_tables() WHERE temporary").fetchall()
    )
    assert kinds[name] == ("view" if rows == 0 else "table")
    assert tx.quality == reference.quality and tx.to_arrow().equals(reference.to_arrow())
    as_of = segkit.as_of_date(reference, None)
    pd.testing.assert_frame_equal(
        segkit.customer_status(tx, as_of=as_of), segkit.customer_status(reference, as_of=as_of)
    )
    pd.testing.assert_frame_equal(
        segkit.rfm(tx, as_of=as_of).table_, segkit.rfm(reference, as_of=as_of).table_
    )
    del tx  # the table or view goes with the transactions object
    import gc

    gc.collect()
    left = connection().raw_sql(
        "SELECT view_name FROM duckdb_views() UNION SELECT table_name FROM duckdb_tables()"
    )
    assert name not in {row[0] for row in left.fetchall()}
