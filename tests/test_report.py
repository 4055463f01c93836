"""The report runner: success, a failing notebook, no silent overwrite, atomic publishing, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import segkit
from segkit import cli
from segkit.report._runner import ReportExistsError

PARAMETERS = """data_path = None
columns = {}
read_options = {}
as_of = None
output_dir = None
reports_root = None
greeting = "hello"
"""

GOOD = """import segkit
tx = segkit.load_report_data(data_path, columns=columns, read_options=read_options)
summary = segkit.customer_summary(tx, as_of=as_of)
print(f"{greeting}: {len(summary)} customers, revenue {summary['revenue'].sum():.2f}, as of {as_of}")
"""


def _notebook(path: Path, body: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# test"), params, nbformat.v4.new_code_cell(body)]
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
    return segkit.run_report(
        ws["data"],
        columns=COLUMNS,
        notebooks=ws["notebooks"],
        output=ws["out"],
        progress=lambda _: None,
        **kwargs,
    )


def test_report_success(workspace: dict[str, Path]) -> None:
    lines: list[str] = []
    result = segkit.run_report(
        workspace["data"],
        columns=COLUMNS,
        notebooks=workspace["notebooks"],
        output=workspace["out"],
        parameters={"greeting": "hi"},
        progress=lines.append,
    )
    assert result.ok and result.as_of == pd.Timestamp("2024-03-02")
    folder = workspace["out"] / "2024-03-02"
    assert result.folder == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "00_good.html",
        "00_good.ipynb",
        "index.html",
        "run.json",
    ]
    executed = nbformat.read(folder / "00_good.ipynb", as_version=4)
    printed = executed.cells[-1].outputs[0]["text"]
    assert printed == "hi: 3 customers, revenue 200.00, as of 2024-03-02\n"
    page = (folder / "00_good.html").read_text()
    assert "hi: 3 customers" in page and "segkit.load_report_data" not in page  # outputs only, no code
    index = (folder / "index.html").read_text()
    assert '<a href="00_good.html">' in index and "rows read" in index and "All notebooks ran." in index
    run = json.loads((folder / "run.json").read_text())
    assert run["ok"] and run["quality"]["rows_read"] == 4 and run["parameters"]["as_of"] == "2024-03-02"
    assert [ln for ln in lines if ln.startswith("[1/1] 00_good.ipynb ok")], lines
    assert not list(workspace["out"].glob(".*"))  # no staging folder left behind


def test_failing_notebook_does_not_stop_the_others(workspace: dict[str, Path]) -> None:
    _notebook(workspace["notebooks"] / "00_broken.ipynb", "raise ValueError('planted failure')")
    result = _run(workspace, as_of="2024-04-01")
    assert not result.ok and result.failed == ["00_broken"]
    assert [r.name for r in result.runs] == ["00_broken", "00_good"]
    folder = workspace["out"] / "2024-04-01"
    broken = nbformat.read(folder / "00_broken.ipynb", as_version=4)
    errors = [
        o
        for c in broken.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors and errors[0]["evalue"] == "planted failure"
    assert "planted failure" in (folder / "index.html").read_text()
    assert (folder / "00_good.html").exists()


def test_existing_report_is_not_overwritten(workspace: dict[str, Path]) -> None:
    _run(workspace)
    marker = workspace["out"] / "2024-03-02" / "index.html"
    marker.write_text("edited by hand")
    with pytest.raises(ReportExistsError, match="already exists.*--force"):
        _run(workspace)
    assert marker.read_text() == "edited by hand"
    _run(workspace, force=True)
    assert marker.read_text() != "edited by hand"
    assert not list(workspace["out"].glob(".*"))


def test_interrupted_run_leaves_no_half_report(
    workspace: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(_path: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(segkit.report._runner, "_write_html", interrupt)
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
    config = workspace["root"] / "run.yaml"
    config.write_text(
        "data: shop.csv\n"
        "columns: {customer: Client, date: Date, amount: Total}\n"
        "as_of: 2024-03-10\n"
        "output: reports\n"
        f"notebooks: {workspace['notebooks']}\n"
        "parameters: {greeting: yo}\n"
    )
    assert cli.main(["report", "--config", str(config), "--no-html"]) == 0
    assert "Report ready" in capsys.readouterr().out
    folder = workspace["out"] / "2024-03-10"
    assert (folder / "00_good.ipynb").exists() and not (folder / "00_good.html").exists()
    # A second run is refused (exit 2, a one-line reason), and --force replaces it.
    assert cli.main(["report", "--config", str(config)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["report", "--config", str(config), "--force", "--param", "greeting=again"]) == 0
    executed = nbformat.read(folder / "00_good.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0]["text"].startswith("again: 3 customers")


def test_cli_failure_exit_code_and_check(
    workspace: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
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
    assert "Column 'customer_id' (given as customer=) is not in the data" in capsys.readouterr().err


def test_config_rejects_unknown_keys(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: x.csv\ncolumn: {customer: a}\n")
    with pytest.raises(segkit.ParameterError, match=r"Unknown key\(s\) \['column'\]"):
        segkit.load_report_config(bad)
