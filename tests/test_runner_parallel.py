"""Notebooks side by side: the same report for any number of jobs, kernels quiet and within memory, interrupts."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from _nbparams import runner_workspace, write_notebook  # tests/ is on sys.path

import segkit
from segkit import cli
from segkit._backend import MEMORY_ENV, default_memory_limit
from segkit._progress import ENV, engine_progress
from segkit.report import _runner

PARAMETERS = """as_of = None
output_dir = None
"""

# No segkit import: the kernels start in a moment, and what is tested is the runner.
ENVIRONMENT = """import os, time
time.sleep({pause})
print("{name}", as_of, "progress:", os.environ.get("SEGKIT_PROGRESS"), "memory:", os.environ.get("SEGKIT_MEMORY_LIMIT"))
open(f"{name}.csv", "w").write("x\\n1\\n")
"""


def _notebook(path: Path, body: str) -> None:
    write_notebook(path, body, parameters=PARAMETERS, heading="# test")


@pytest.fixture()
def ws(tmp_path: Path) -> dict[str, Path]:
    ws = runner_workspace(tmp_path, ["a", "a", "b"], ["2024-01-05", "2024-02-01", "2024-02-03"])
    books = ws["notebooks"]
    # The first notebook is the slowest: side by side it tends to finish last, yet stays first in the report.
    for name, pause in (("a_slow", 2.0), ("b_fast", 0), ("c_fast", 0)):
        _notebook(books / f"{name}.ipynb", ENVIRONMENT.format(name=name, pause=pause))
    return ws


@pytest.fixture()
def _restore_engine_bar(monkeypatch: pytest.MonkeyPatch):
    """Tests that switch progress on may open the shared connection with DuckDB's bar on: switch it back."""
    yield
    from segkit._backend import connection

    monkeypatch.undo()
    engine_progress(connection())


def _run(ws: dict[str, Path], out: str, **kwargs):
    lines: list[str] = []
    result = segkit.run_report(
        ws["data"], notebooks=ws["notebooks"], output=ws["out"] / out, progress=lines.append, **kwargs
    )
    return result, lines


def _outputs(folder: Path, *, memory: bool = True) -> dict[str, list]:
    """The code cells' outputs of each executed notebook (without the kernel's memory share, if asked)."""
    outputs = {
        p.stem: [c.get("outputs") for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
        for p in sorted(folder.glob("*.ipynb"))
    }
    if memory:
        return outputs
    return json.loads(re.sub(r"memory: \d+", "memory: N", json.dumps(outputs)))


@pytest.mark.usefixtures("_restore_engine_bar")
def test_side_by_side_gives_the_same_report_in_notebook_order(
    ws: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, "1")  # progress asked for the run: the runner's bar shows, the kernels stay quiet
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    one, one_log = _run(ws, "one", jobs=1)
    two, two_log = _run(ws, "two", jobs=2)
    assert one.ok and two.ok
    assert [r.name for r in one.runs] == [r.name for r in two.runs] == ["a_slow", "b_fast", "c_fast"]
    # The log has a line per notebook as it finishes (counted), whichever finishes first.
    logged = [line.split()[:2] for line in two_log if line.startswith("[")]
    assert [counter for counter, _ in logged] == ["[1/3]", "[2/3]", "[3/3]"]
    assert sorted(name for _, name in logged) == ["a_slow:", "b_fast:", "c_fast:"]
    # The same pages, up to each kernel's memory share (all of the limit for one, half for two).
    assert _outputs(one.folder, memory=False) == _outputs(two.folder, memory=False)
    for folder in (one.folder, two.folder):
        assert sorted(p.name for p in folder.glob("*.csv")) == ["a_slow.csv", "b_fast.csv", "c_fast.csv"]
        record = json.loads((folder / "run.json").read_text())
        assert [n["name"] for n in record["notebooks"]] == ["a_slow", "b_fast", "c_fast"]
    printed = "".join(o["text"] for o in _outputs(two.folder)["b_fast"][-1] if "text" in o)
    share = default_memory_limit() // 2
    assert printed == f"b_fast 2024-02-04 progress: 0 memory: {share}\n"
    assert "segkit report" in capsys.readouterr().err  # the runner's bar over the notebooks
    assert "progress: 0" in (two.folder / "b_fast.html").read_text()


def test_a_memory_limit_the_user_set_reaches_every_kernel_as_given(
    ws: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_ENV, "2GB")
    result, _ = _run(ws, "limit", jobs=3)
    assert result.ok
    for name, cells in _outputs(result.folder).items():
        assert cells[-1][0]["text"].endswith("memory: 2GB\n"), name


@pytest.mark.parametrize("jobs", [0, -1, 2.5, "two", True, 65])
def test_jobs_is_checked_before_anything_runs(ws: dict[str, Path], jobs: object) -> None:
    with pytest.raises(segkit.ParameterError, match=r"jobs.*whole number of notebooks to run at once.*got"):
        _run(ws, "bad", jobs=jobs)
    assert not (ws["out"] / "bad").exists()


def test_jobs_default_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_runner.JOBS_ENV, "3")
    assert _runner._check_jobs(None) == 3
    monkeypatch.setenv(_runner.JOBS_ENV, "many")
    with pytest.raises(segkit.ParameterError, match="SEGKIT_REPORT_JOBS.*got 'many'"):
        _runner._check_jobs(None)
    monkeypatch.delenv(_runner.JOBS_ENV)
    assert 1 <= _runner._check_jobs(None) <= 2


def test_cli_and_config_pass_jobs(
    ws: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[object] = []

    def fake_run_report(*_args: object, **kwargs: object) -> object:
        seen.append(kwargs["jobs"])
        raise segkit.ParameterError("stop here")

    monkeypatch.setattr(_runner, "run_report", fake_run_report)
    config = tmp_path / "report.yml"
    config.write_text("jobs: 1\n")
    for argv in (["--jobs", "2"], ["--config", str(config)], ["--config", str(config), "--jobs", "2"], []):
        assert cli.main(["report", "--data", str(ws["data"]), *argv]) == 2
    assert seen == [2, 1, 2, None]  # the flag, the config key, the flag over the config, the default
    config.write_text("jobs: 0\n")
    capsys.readouterr()
    assert cli.main(["report", "--config", str(config)]) == 2
    assert "jobs" in capsys.readouterr().err


@pytest.mark.slow  # real kernels: two start, one is stopped
def test_an_interrupt_stops_the_running_kernels_and_publishes_nothing(
    ws: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a_slow", "c_fast"):
        _notebook(ws["notebooks"] / f"{name}.ipynb", "import time\ntime.sleep(120)\n")

    def interrupted(*_args: object) -> None:
        # Ctrl-C arriving in the runner's thread as the first notebook finishes (deterministic, unlike a
        # signal's timing on a busy machine): the other kernel is still sleeping.
        raise KeyboardInterrupt

    monkeypatch.setattr(_runner, "_log_run", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _run(ws, "stopped", jobs=2)
    assert time.monotonic() - started < 100  # the sleeping kernel was stopped, not waited for (120 s)
    assert list((ws["out"] / "stopped").iterdir()) == []
    assert not _runner._LIVE


def test_the_reused_html_exporter_writes_the_same_page(tmp_path: Path) -> None:
    from nbconvert import HTMLExporter

    from segkit.report import _outputs

    path = tmp_path / "page.ipynb"
    _notebook(path, "print('hello')")
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    assert _outputs._html_exporter("ru") is _outputs._html_exporter("ru")
    pages = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        _outputs.write_html(nb, tmp_path / run / "02_rfm.html", None, False, lang="ru")
        pages.append((tmp_path / run / "02_rfm.html").read_text(encoding="utf-8"))
    fresh = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, language_code="ru"
    )
    assert pages[0] == pages[1]
    assert "hello" in pages[0] and 'lang="ru"' in pages[0]
    assert len(fresh.from_notebook_node(nb)[0]) > 0  # the same settings build a working exporter


def test_a_saved_notebook_joins_printed_text_split_by_the_kernel(tmp_path: Path) -> None:
    from segkit.report import _outputs

    path = tmp_path / "page.ipynb"
    _notebook(path, "print('a'); print('b')")
    nb = nbformat.read(path, as_version=4)
    stream = nbformat.v4.new_output
    nb.cells[-1].outputs = [
        stream("stream", name="stdout", text="a\n"),
        stream("stream", name="stdout", text="b\n"),
        stream("stream", name="stderr", text="warn\n"),
        stream("display_data", data={"text/plain": "table"}),
        stream("stream", name="stdout", text="c\n"),
    ]
    nbformat.write(nb, path)
    saved = _outputs.finish_notebook(path, [])
    assert [(o.output_type, o.get("name"), o.get("text")) for o in saved.cells[-1].outputs] == [
        ("stream", "stdout", "a\nb\n"),
        ("stream", "stderr", "warn\n"),
        ("display_data", None, None),
        ("stream", "stdout", "c\n"),
    ]
    assert nbformat.read(path, as_version=4).cells[-1].outputs == saved.cells[-1].outputs


def test_fewer_notebooks_run_at_once_when_the_base_would_not_fit_in_memory() -> None:
    gib = 2**30
    # A million customers: two kernels of about 1.1 GB each fit in 16 GB.
    assert _runner._jobs_for_base(2, 1_000_000, free=16 * gib) == (2, "")
    # Ten million: about 11 GB per kernel, so one at a time, and the log says why.
    jobs, reason = _runner._jobs_for_base(2, 10_000_000, free=16 * gib)
    assert jobs == 1
    assert reason == (
        "1 notebook at a time instead of 2: 10,000,000 customers need about 11.2 GB per kernel and 16.0 GB "
        "of memory is free"
    )
    # Never fewer than one, however little memory is free; never more than asked.
    assert _runner._jobs_for_base(4, 10**8, free=gib)[0] == 1
    assert _runner._jobs_for_base(3, 10, free=gib) == (3, "")
    assert _runner._jobs_for_base(8, 1_000_000, free=4 * gib)[0] == 2


def test_a_run_on_a_base_too_large_for_two_kernels_runs_one_at_a_time_and_says_why(
    ws: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    monkeypatch.setattr(_runner, "_free_memory", lambda: 3_000)  # two customers: room for one kernel only
    result, lines = _run(ws, "small", jobs=2)
    assert result.ok
    reason = "segkit report: 1 notebook at a time instead of 2: 2 customers need about 0.0 GB per kernel"
    assert any(line.startswith(reason) for line in lines), lines
    # One at a time, each kernel gets the whole default memory limit instead of half of it.
    text = json.dumps(_outputs(result.folder))
    assert f"memory: {default_memory_limit()}" in text
