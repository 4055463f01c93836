"""One writer per report: the lock, the staging folder, stale leftovers and the publish step.

A run writes into a hidden staging folder next to the dated report and renames it into place at the end.
The lock on the dated folder is held for the whole run (the operating system releases it when the process
dies, however it dies), so a second run for the same date is refused at once. Staging folders carry the
host and the process id of their writer: one whose process is gone was left by a killed run and holds
customer data, so the next run removes it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .._backend import process_running
from .._errors import SegkitError

__all__ = ["ReportBusyError", "ReportExistsError", "publish", "remove_stale", "report_lock", "staging_folder"]


class ReportExistsError(SegkitError, FileExistsError):
    """A dated report already exists and ``force`` was not given."""


class ReportBusyError(ReportExistsError):
    """Another run is writing the same dated report right now."""


_STAGING = re.compile(r"^\.(?P<name>.+)\.(?:partial|replaced)-(?P<host>.+)-(?P<pid>\d+)-[A-Za-z0-9_]+$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


@contextlib.contextmanager
def report_lock(output: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``output/name`` for the duration of the block.

    Raises
    ------
    ReportBusyError
        When another process holds it (a run for the same report is under way).
    """
    lock_path = output / f".{name}.lock"
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = os.read(fd, 100).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise ReportBusyError(
                f"Another segkit report run (process {owner}) is writing the report {name} in {output}; "
                "refusing to start a second writer. Wait for it to finish, or choose another --as-of date."
            ) from None
        # The previous holder unlinks the file on release; if it did so between our open and our lock, we
        # hold a lock on a deleted file and must try again on the new one.
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{_host()}:{os.getpid()}".encode())
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock_path)
        os.close(fd)


def staging_folder(output: Path, name: str) -> Path:
    """Create the private staging folder of this process for report ``name``."""
    folder = Path(tempfile.mkdtemp(prefix=f".{name}.partial-{_host()}-{os.getpid()}-", dir=output))
    folder.chmod(0o700)  # customer data: private until published
    return folder


def remove_stale(output: Path, *, locked_name: str, say: Callable[[str], None]) -> list[Path]:
    """Remove staging folders left by killed runs; return them.

    A folder is stale when its writer ran on this host and that process is gone, or when it belongs to
    ``locked_name``, the report this process holds the lock of (its writer would hold that lock).
    """
    removed = []
    for folder in sorted(output.glob(".*-*")):
        match = _STAGING.match(folder.name)
        if not match or not folder.is_dir() or match["host"] != _host():
            continue
        pid = int(match["pid"])
        if pid == os.getpid():
            continue
        if process_running(pid) and match["name"] != locked_name:
            continue
        original = output / match["name"]
        if ".replaced-" in folder.name and not original.exists():
            # Killed between moving the old report aside and publishing the new one: put the old one back.
            folder.rename(original)
            say(f"segkit report: restored {original.name}, moved aside by an interrupted run (process {pid})")
            continue
        shutil.rmtree(folder, ignore_errors=True)
        say(f"segkit report: removed {folder.name}, left by an interrupted run (process {pid} is gone)")
        removed.append(folder)
    return removed


def publish(staging: Path, target: Path, *, replace: bool) -> None:
    """Rename the finished staging folder into place.

    ``replace`` allows swapping out a report that existed when the run started (``force``). A folder
    that is there without that permission appeared during the run, and is never replaced.
    """
    old = None
    if target.exists():
        if not replace:
            raise ReportExistsError(
                f"A report for {target.name} appeared at {target} while this run was working; it was not "
                "replaced. Rerun with --force to replace it."
            )
        old = target.with_name(f".{target.name}.replaced-{_host()}-{os.getpid()}-old")
        target.rename(old)
    try:
        os.rename(staging, target)
    except OSError as exc:
        if old is not None and not target.exists():
            old.rename(target)
        raise ReportExistsError(f"Could not publish the report to {target}: {exc.strerror}.") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class Terminated(KeyboardInterrupt):
    """The run received SIGTERM (what schedulers send on a timeout); handled like Ctrl-C."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` for the block, so cleanup runs as for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
