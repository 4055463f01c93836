"""Report kernels forked from one process that has already imported what every page imports.

A fresh kernel spends seconds importing IPython, pandas, Ibis, DuckDB, matplotlib, seaborn and segkit before
its first cell does any work; on the bundled sample that is a third of the report. The runner starts one
*fork server* per run (while it reads the data), which imports those modules once and then forks a kernel
for each page: the kernel starts with the modules in memory, and is still a process of its own (its own
interpreter state, DuckDB connection, working folder and environment), exactly as a freshly started one.

The server imports modules only: no DuckDB connection, no matplotlib figure, no notebook setting is made
before a fork, so a forked kernel runs a page the same way a new one does. The server ends when the runner
does and each kernel when the server does (a parent-death signal), so a killed runner leaves nothing
running. Linux only (``fork`` elsewhere is
unsafe with some system libraries); set ``SEGKIT_REPORT_FORK=0`` to start every kernel from scratch.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["FORK_ENV", "ForkServer", "ForkedProcess", "fork_available"]

#: The environment variable that turns forked kernels off (``0``) for a run.
FORK_ENV = "SEGKIT_REPORT_FORK"
#: What a report kernel's first cells import anyway (the kernel itself, the data and plotting stack, segkit).
#: Not the inline plotting backend: importing it hooks it into the running IPython shell, which a kernel
#: only has after the fork, so it is left to the kernel to import.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "duckdb",
    "ibis",
    "ibis.backends.duckdb",
    "matplotlib",
    "matplotlib.pyplot",
    "seaborn",
    "scipy.stats",
    "segkit",
)
#: How matplotlib draws in a kernel; set before matplotlib is imported, as ipykernel does in a new kernel.
_INLINE = "module://matplotlib_inline.backend_inline"
_READY = "segkit-fork-server-ready"
#: The runner's pid, for the server to end with it (set by :class:`ForkServer`, read once by :func:`serve`).
_PARENT_ENV = "SEGKIT_FORK_SERVER_PARENT"
#: ``prctl`` option: the signal the kernel sends this process when the thread that made it ends.
_PR_SET_PDEATHSIG = 1


def fork_available() -> bool:
    """Whether this run may fork its kernels: Linux, and not turned off with ``SEGKIT_REPORT_FORK=0``."""
    if os.environ.get(FORK_ENV, "").strip().lower() in ("0", "no", "false", "off"):
        return False
    return sys.platform.startswith("linux") and hasattr(os, "fork")


class ForkedProcess:
    """The part of :class:`subprocess.Popen` a kernel provisioner uses, for a kernel the fork server made.

    The kernel is the fork server's child, not ours, so it is watched by its pid (the server reaps it).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0  # the exit status went to the fork server, which reaped it
            except PermissionError:  # the pid was taken by someone else's process: ours is gone
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One process per report run that forks ready-imported kernels on request.

    Parameters
    ----------
    environment : mapping
        What the kernels add to the environment; the server imports with it set, as a kernel would.
    preload : sequence of str
        Modules imported once in the server.
    """

    def __init__(
        self, environment: Mapping[str, str] | None = None, preload: Sequence[str] = PRELOAD
    ) -> None:
        env = {**os.environ, **dict(environment or {})}
        env.setdefault("MPLBACKEND", _INLINE)
        env[_PARENT_ENV] = str(os.getpid())
        code = "from segkit.report._forkserver import serve; serve()"
        self._process = subprocess.Popen(
            [sys.executable, "-c", code, *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the runner, which stops the server
        )
        self._lock = threading.Lock()
        self._ready: bool | None = None

    def _wait_ready(self) -> bool:
        if self._ready is None:
            assert self._process.stdout is not None
            try:
                line = self._process.stdout.readline().decode("utf-8", "replace").strip()
            except (OSError, ValueError):  # closed before it was ever used
                line = ""
            self._ready = line == _READY
        return self._ready

    def spawn(
        self, argv: Sequence[str], *, cwd: str | os.PathLike[str], env: Mapping[str, str], log: Path
    ) -> int:
        """Fork a kernel running ``argv`` (``python -m ipykernel_launcher -f <file>``); return its pid.

        Raises ``OSError`` when the server is not running (the caller then starts the kernel itself).
        """
        request = {"argv": list(argv), "cwd": str(cwd), "env": dict(env), "log": str(log)}
        with self._lock:
            if not self._wait_ready():
                raise OSError("the report's fork server did not start")
            assert self._process.stdin is not None and self._process.stdout is not None
            try:
                self._process.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                self._process.stdin.flush()
                reply = self._process.stdout.readline()
            except (BrokenPipeError, ValueError) as exc:
                raise OSError("the report's fork server stopped") from exc
        if not reply:
            raise OSError("the report's fork server stopped")
        return int(json.loads(reply)["pid"])

    def close(self) -> None:
        """Stop the server (kernels it forked notice that their parent is gone and end too)."""
        with contextlib.suppress(Exception):
            if self._process.stdin is not None:
                self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        with contextlib.suppress(Exception):
            if self._process.stdout is not None:
                self._process.stdout.close()


def end_with_parent(parent: int) -> None:
    """Have the system send this process SIGTERM when its parent ends (Linux; nothing elsewhere).

    A runner killed with SIGKILL cannot stop its kernels, and a kernel busy in a long C call (a pandas or
    numpy step that holds the GIL) does not notice for minutes that its parent is gone: ipykernel's own
    check is a Python thread that needs the GIL. The system's signal ends it at once. ``parent`` is the pid
    this process was started by: if that one already ended before the signal was asked for, the process
    ends now (the parent's death would otherwise go unnoticed).

    Parameters
    ----------
    parent : int
        The pid of the process that started this one.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        asked = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no C library with prctl: ipykernel's own check is all there is
        return
    if asked and os.getppid() != parent:
        os._exit(1)


def serve() -> None:
    """The fork server's main loop: import ``sys.argv[1:]``, then fork a kernel per request line on stdin."""
    parent = os.environ.pop(_PARENT_ENV, "")
    if parent.isdigit():
        end_with_parent(int(parent))
    # Like ipykernel_launcher: the folder the server started in is not a place to import from.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    for name in sys.argv[1:]:
        with contextlib.suppress(Exception):  # a missing optional module only means it is imported later
            importlib.import_module(name)
    # The kernels are reaped as they end (no zombies): nobody waits for them here.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides when the server stops
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    replies.write(_READY.encode() + b"\n")
    replies.flush()
    server = os.getpid()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_kernel(request, requests, replies, server)  # never returns
        replies.write(json.dumps({"pid": pid}).encode() + b"\n")
        replies.flush()


def _run_kernel(request: dict[str, Any], requests: IO[bytes], replies: IO[bytes], server: int) -> None:
    """In the forked child: become the kernel the request describes (what ``launch_kernel`` would start)."""
    code = 1
    try:
        end_with_parent(server)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        # ``requests`` and ``replies`` now read /dev/null and write the log: the server's pipes are closed in
        # this process (closing the objects themselves would close the kernel's standard streams).
        del requests, replies
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # The kernel ends when its parent (this server) does.
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        argv = list(request["argv"])
        if "ipykernel_launcher" in argv:
            argv = argv[argv.index("ipykernel_launcher") + 1 :]
        sys.argv = [sys.executable, *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
