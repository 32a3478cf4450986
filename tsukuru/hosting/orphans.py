"""Processes a killed platform left behind, found and stopped when the next one starts.

Job processes, model servers, the warm fork server and notebook servers each run in their own
session, so that stopping one stops everything it started. The price: when the platform itself
dies without cleaning up (`kill -9`, the OOM killer, a crash), they keep running as orphans — a
training job burning CPU for a job the next platform marks Failed, model servers holding memory
beside the fresh ones the next platform starts for the same endpoint, a JupyterLab nobody can
reach.

So every process the platform starts carries two environment variables it inherits from the
platform: the home it belongs to and the id of the platform run that started it (`claim_children`
sets them in the platform's own environment before anything is started; every launcher copies
`os.environ`). A process's *initial* environment is readable in `/proc/<pid>/environ` for the
rest of its life, whatever it does to `os.environ` later, and a fork inherits it, so the mark
survives the fork server, `exec`, and the workers and kernels those processes start. At start-up
`reap_orphans` kills the process group of every process of this user whose mark names this home
and another run. Processes of another home (a second platform on the same machine) are never
touched, nor this process's own group.

Linux only (it reads `/proc`); elsewhere `find_orphans` finds nothing and orphans stay as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path

HOME_VARIABLE = "TSUKURU_OWNER_HOME"
RUN_VARIABLE = "TSUKURU_OWNER_RUN"
PROC = Path("/proc")

log = logging.getLogger("tsukuru.orphans")


@dataclass(frozen=True)
class Orphan:
    """A process started by an earlier run of the platform on the same home."""

    pid: int
    pgid: int
    run: str
    command: str


def claim_children(home: Path, environ: MutableMapping[str, str] | None = None) -> str:
    """Mark every process started from now on as this run's (returns the new run id)."""
    env = os.environ if environ is None else environ
    run = uuid.uuid4().hex
    env[HOME_VARIABLE] = str(Path(home).resolve())
    env[RUN_VARIABLE] = run
    return run


def marked_processes(home: Path, proc: Path = PROC) -> list[Orphan]:
    """Live processes (this one and its group aside) marked as started for `home`, any run."""
    wanted = str(Path(home).resolve()).encode()
    me, my_group = os.getpid(), os.getpgid(0)
    found = []
    for pid in _pids(proc):
        if pid == me:
            continue
        mark = _mark(proc / str(pid))
        if mark is None or mark[0] != wanted:
            continue
        stat = _stat(proc / str(pid))
        if stat is None or stat[0] == "Z":  # a zombie is dead already, only not yet reaped
            continue
        if stat[1] == my_group:
            continue  # never this platform's own group (a platform started from an orphan)
        found.append(Orphan(pid, stat[1], mark[1].decode(errors="replace"), _command(proc, pid)))
    return found


def find_orphans(home: Path, current_run: str, proc: Path = PROC) -> list[Orphan]:
    """Live processes of this user marked with `home` and a run other than `current_run`."""
    return [found for found in marked_processes(home, proc) if found.run != current_run]


def reap_orphans(home: Path, current_run: str, timeout: float = 5.0, proc: Path = PROC) -> int:
    """SIGKILL the process group of every orphan and wait (up to `timeout`) until they are
    gone; returns how many orphans there were."""
    orphans = find_orphans(home, current_run, proc)
    for orphan in orphans:
        log.info(
            "stopping pid %d (group %d) left running by an earlier platform run: %s",
            orphan.pid,
            orphan.pgid,
            orphan.command,
        )
        if orphan.pgid > 1:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(orphan.pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(orphan.pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    pending = [orphan.pid for orphan in orphans]
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if is_alive(pid, proc)]
        if pending:
            time.sleep(0.02)
    if pending:
        log.warning("processes %s did not stop after SIGKILL", pending)
    return len(orphans)


def is_alive(pid: int, proc: Path = PROC) -> bool:
    """Whether `pid` runs (a zombie, dead but not reaped, does not count)."""
    stat = _stat(proc / str(pid))
    return stat is not None and stat[0] not in ("Z", "X")


# ---------------------------------------------------------------------- /proc reading


def _pids(proc: Path) -> Iterator[int]:
    try:
        entries = os.listdir(proc)
    except OSError:
        return
    for name in entries:
        if name.isdigit():
            yield int(name)


def _mark(folder: Path) -> tuple[bytes, bytes] | None:
    """(home, run) from a process's initial environment, or None when unmarked/unreadable."""
    try:
        environ = (folder / "environ").read_bytes()
    except OSError:
        return None
    home = run = None
    for entry in environ.split(b"\0"):
        name, _, value = entry.partition(b"=")
        if name == HOME_VARIABLE.encode():
            home = value
        elif name == RUN_VARIABLE.encode():
            run = value
    if home is None or run is None:
        return None
    return home, run


def _stat(folder: Path) -> tuple[str, int] | None:
    """(state letter, process group id) from /proc/<pid>/stat."""
    try:
        text = (folder / "stat").read_text(errors="replace")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()
    if len(fields) < 3:
        return None
    return fields[0], int(fields[2])


def _command(proc: Path, pid: int) -> str:
    try:
        argv = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    return " ".join(part.decode(errors="replace") for part in argv.split(b"\0") if part)[:200]
