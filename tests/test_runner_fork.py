"""Report kernels forked from the run's fork server behave as kernels started from scratch."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from _nbparams import runner_workspace, write_notebook  # tests/ is on sys.path

import segkit
from segkit.report import _forkserver, _runner

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="kernels are forked on Linux only"
)

PARAMETERS = """as_of = None
output_dir = None
"""

# What a page depends on from its process: its folder, its environment, the plotting backend, a fresh
# interpreter (nothing a previous page did), and whether segkit had to be imported.
PROBE = """import os, sys
preloaded = "segkit" in sys.modules
import matplotlib.pyplot as plt
import segkit
marker = os.environ.get("SEGKIT_TEST_MARKER")
print(os.path.basename(os.getcwd()).startswith("."), os.environ.get("SEGKIT_PROGRESS"), marker)
print(plt.get_backend(), "seen before:", "SEEN" in globals() or hasattr(segkit, "_test_seen"))
segkit._test_seen = True
SEEN = True
fig, ax = plt.subplots(figsize=(2, 1))
ax.plot([0, 1], [0, 1])
with open("preloaded.json", "w") as file:
    file.write(str(preloaded).lower())
"""


def _workspace(tmp_path: Path) -> dict[str, Path]:
    ws = runner_workspace(tmp_path, ["a", "a", "b"], ["2024-01-05", "2024-02-01", "2024-02-03"])
    for name in ("p1", "p2"):
        write_notebook(ws["notebooks"] / f"{name}.ipynb", PROBE, parameters=PARAMETERS, heading="# probe")
    return ws


def _outputs(folder: Path) -> dict[str, list]:
    pages = {}
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        pages[path.stem] = [
            [
                {k: v for k, v in out.items() if k not in ("execution_count", "metadata")}
                for out in cell.outputs
            ]
            for cell in nb.cells
            if cell.cell_type == "code"
        ]
    return pages


def _run(ws: dict[str, Path], out: str, monkeypatch: pytest.MonkeyPatch, fork: str):
    monkeypatch.setenv(_forkserver.FORK_ENV, fork)
    monkeypatch.setenv("SEGKIT_TEST_MARKER", f"marker-{out}")
    result = segkit.run_report(
        ws["data"], notebooks=ws["notebooks"], output=ws["out"] / out, progress=lambda _: None, jobs=2
    )
    assert result.ok, [(r.name, r.error) for r in result.runs]
    return result


def test_forked_kernels_give_the_pages_of_kernels_started_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path)
    forked = _run(ws, "forked", monkeypatch, "1")
    # Forked: segkit is in memory before the page imports it (the point of the fork server) ...
    assert (forked.folder / "preloaded.json").read_text() == "true"
    fresh = _run(ws, "fresh", monkeypatch, "0")
    assert (fresh.folder / "preloaded.json").read_text() == "false"
    # ... and every output is the same: the staging folder as working folder, the run's environment (set
    # after the server started), the inline backend drawing the figure, nothing left by the other page.
    pages = _outputs(forked.folder)
    again = _outputs(fresh.folder)
    assert set(pages) == {"p1", "p2"}
    for name in pages:
        assert json.dumps(pages[name]).replace("marker-forked", "M") == json.dumps(again[name]).replace(
            "marker-fresh", "M"
        )
        text = json.dumps(pages[name])
        assert "True 0 marker-forked" in text and "seen before: False" in text and "image/png" in text
        assert "matplotlib_inline" in text


def test_fork_server_is_off_where_asked_and_forks_with_the_request_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_forkserver.FORK_ENV, "0")
    assert not _forkserver.fork_available()
    monkeypatch.setenv(_forkserver.FORK_ENV, "1")
    assert _forkserver.fork_available()
    server = _forkserver.ForkServer(preload=("json",))
    try:
        # Any command line ending in the kernel's arguments: here one that fails at once, and says why.
        pid = server.spawn(
            ["python", "-m", "ipykernel_launcher", "--no-such-flag"],
            cwd=tmp_path,
            env={**os.environ, "X": "1"},
            log=tmp_path / "kernel.log",
        )
        process = _forkserver.ForkedProcess(pid)
        assert process.wait(timeout=60) == 0 and process.poll() == 0  # reaped by the server, seen as gone
        assert "no-such-flag" in (tmp_path / "kernel.log").read_text()
    finally:
        server.close()
    with pytest.raises(OSError, match="fork server"):
        server.spawn(["python"], cwd=tmp_path, env={}, log=tmp_path / "kernel.log")


def test_a_kernel_starts_from_scratch_when_the_fork_server_is_gone(tmp_path: Path) -> None:
    source = tmp_path / "page.ipynb"
    write_notebook(source, "import sys\nprint('segkit' in sys.modules)", parameters="x = 1\n")
    server = _forkserver.ForkServer()
    server.close()
    seconds, crash = _runner._execute(source, tmp_path / "out.ipynb", {}, tmp_path, 1, server)
    assert crash is None
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert nb.cells[-1].outputs[0]["text"] == "False\n"  # a kernel of its own, nothing preloaded


# A page that holds the GIL for minutes in one C call, so ipykernel's own parent check (a Python thread)
# cannot run; it says its pid first.
BUSY = """import os
with open(os.path.join(os.environ["SEGKIT_TEST_PIDS"], str(os.getpid())), "w"):
    pass
sum(range(10**13))
"""

# The runner under a subreaper, as under a service manager or a container's init: processes orphaned by the
# runner's death are handed to this one (and reaped here) instead of to the system's init.
SUPERVISOR = """import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = "import sys, segkit; segkit.run_report(sys.argv[1], notebooks=sys.argv[2], output=sys.argv[3], jobs=2)"
runner = subprocess.Popen([sys.executable, "-c", code, *sys.argv[1:]], stdout=subprocess.DEVNULL)
print(runner.pid, flush=True)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.1)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as file:
            return file.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_forked_kernels_end_when_the_runner_is_killed(tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    ws = runner_workspace(tmp_path, ["a", "a", "b"], ["2024-01-05", "2024-02-01", "2024-02-03"])
    for name in ("p1", "p2"):
        write_notebook(ws["notebooks"] / f"{name}.ipynb", BUSY, parameters=PARAMETERS)
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "SEGKIT_TEST_PIDS": str(pids), _forkserver.FORK_ENV: "1"}
    argv = [sys.executable, "-c", SUPERVISOR, str(ws["data"]), str(ws["notebooks"]), str(ws["out"])]
    supervisor = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    kernels: list[int] = []
    try:
        assert supervisor.stdout is not None
        runner = int(supervisor.stdout.readline())
        deadline = time.monotonic() + 120
        while len(kernels) < 2 and time.monotonic() < deadline and _alive(runner):
            time.sleep(0.2)
            kernels = [int(p.name) for p in pids.iterdir()]
        assert len(kernels) == 2, "the two pages did not start"
        time.sleep(1)  # both kernels are inside the long call
        os.kill(runner, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in kernels) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in kernels if _alive(pid)], "kernels outlived their killed runner"
    finally:
        for pid in kernels:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        supervisor.kill()
        supervisor.wait()
