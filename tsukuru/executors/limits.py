"""Keeping a job to its share of the machine: memory and disk, watched from outside the job.

A job that allocates without bound would otherwise push the whole machine into swap or wake the
kernel's OOM killer, which may pick the platform; a job that writes without bound fills the disk
the object store and the metadata live on. So each job has a memory share and, for training
jobs, a disk share (the request's `ResourceConfig.VolumeSizeInGB`, SageMaker's ML storage
volume), and a watcher thread per job enforces them:

* memory: four times a second (one look costs about 0.3 ms, see `GroupMemory`) it adds up the
  anonymous resident memory (`RssAnon`: what allocations use; shared libraries and page cache
  are not the job's) of every process in the job's process group; over the share, the group is
  killed;
* disk: every two seconds it adds up the space used by the files under the job's folder except
  `input/` (the platform's hard-linked inputs); over the share, the group is killed. Each job
  process also gets `RLIMIT_FSIZE` = the share, so one runaway file stops at the share even
  between two looks.

`RLIMIT_AS` is not used: numpy, xgboost and OpenMP reserve far more address space than they
touch, so an address-space limit kills healthy jobs. Killing writes the reason to
`output/failure`, the file a SageMaker container writes its failure reason to, so the job ends
Failed saying why. A spike faster than one interval can still reach the kernel's OOM killer;
the watcher bounds the common case (steady growth), not every case. Linux only (`/proc`);
elsewhere nothing is watched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3
MIB = 1024**2
PROC = Path("/proc")
MACHINE_FRACTION = 0.75  # what all jobs together may hold; the platform and the OS keep the rest
MIN_MEMORY_SHARE = GIB
DISK_LIMIT_VARIABLE = "TSUKURU_VOLUME_SIZE_GB"  # set by the training runner from the request
DISK_EVERY = 8  # look at the disk every this many memory looks (a walk costs more than a scan)
FAILURE_FILE = Path("output") / "failure"
SKIPPED_FOLDERS = ("input",)

log = logging.getLogger("tsukuru.executors")


@dataclass(frozen=True)
class JobLimits:
    """One job's shares (None: not limited)."""

    memory_bytes: int | None = None
    disk_bytes: int | None = None


def machine_memory(proc: Path = PROC) -> int:
    """Physical memory, or the memory cgroup's limit when this process runs under a lower one."""
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    for candidate in (
        Path("/sys/fs/cgroup/memory.max"),
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    ):
        with contextlib.suppress(OSError, ValueError):
            text = candidate.read_text().strip()
            if text.isdigit():
                total = min(total, int(text))
    return total


def memory_share(slots: int, machine_bytes: int | None = None) -> int:
    """A job's memory share when `slots` jobs may run at once: three quarters of the machine
    split between the slots, but at least 1 GiB (and never more than the three quarters).
    Fewer job slots (`TSUKURU_JOB_SLOTS`) give each job more."""
    usable = int((machine_bytes or machine_memory()) * MACHINE_FRACTION)
    return min(usable, max(MIN_MEMORY_SHARE, usable // max(1, slots)))


def disk_share(env: dict[str, str]) -> int | None:
    """The job's disk share from its environment (`TSUKURU_VOLUME_SIZE_GB`), if any."""
    text = env.get(DISK_LIMIT_VARIABLE, "").strip()
    try:
        size = float(text)
    except ValueError:
        return None
    return int(size * GIB) if size > 0 else None


def limit_file_size(pid: int, size: int) -> None:
    """Cap the size of any file the process (and what it starts) writes; best effort."""
    if not hasattr(resource, "prlimit"):
        return
    with contextlib.suppress(OSError, ValueError):
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, size))


def group_memory(pgid: int, proc: Path = PROC) -> int:
    """Anonymous resident bytes of every live process in process group `pgid`."""
    return GroupMemory(pgid, proc)()


class GroupMemory:
    """`group_memory` for one group, looked at again and again, at a fraction of the cost.

    A full look reads the `stat` of every process on the machine (about 2.5 ms for 140), and
    the watcher looks four times a second for as long as the job runs: on a busy machine that
    is CPU taken from the job it watches. A process can only join a process group of its own
    session, and a job's group is its own session (its leader called setsid), so a process
    seen in another session is remembered and skipped until it exits; every RESCAN_EVERY looks
    everything is read again, which also catches a pid number reused by a process of the job
    between two looks.
    """

    RESCAN_EVERY = 8

    def __init__(self, pgid: int, proc: Path = PROC) -> None:
        self._pgid = pgid
        self._proc = str(proc)
        self._outsiders: set[str] = set()
        self._looks = 0
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __call__(self) -> int:
        if self._looks % self.RESCAN_EVERY == 0:
            self._outsiders.clear()
        self._looks += 1
        try:
            names = os.listdir(self._proc)
        except OSError:
            return 0
        self._outsiders.intersection_update(names)  # forget those that exited
        total = 0
        for name in names:
            if not name.isdigit() or name in self._outsiders:
                continue
            total += self._resident(name)
        return total

    def _resident(self, name: str) -> int:
        """The process's anonymous resident bytes if it is in the group, else 0."""
        try:
            with open(f"{self._proc}/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != self._pgid or fields[0] == b"Z":
                if int(fields[3]) != self._pgid:  # another session: it can never join
                    self._outsiders.add(name)
                return 0
            with open(f"{self._proc}/{name}/statm", "rb") as statm:
                pages = statm.read().split()
        except (OSError, IndexError, ValueError):
            return 0  # gone meanwhile
        resident, shared = int(pages[1]), int(pages[2])
        return max(0, resident - shared) * self._page


def disk_usage(root: Path, skipped: tuple[str, ...] = SKIPPED_FOLDERS) -> int:
    """Bytes of disk used by the files under `root`, leaving out its `skipped` top folders."""
    total = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if folder != root or entry.name not in skipped:
                        stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return total


def describe(size: int) -> str:
    return f"{size / GIB:.1f} GiB" if size >= GIB else f"{size / MIB:.0f} MiB"


class LimitWatch:
    """Watches one job's process group until `running()` turns False (see module docstring)."""

    def __init__(
        self,
        pgid: int,
        root: Path,
        limits: JobLimits,
        running: Callable[[], bool],
        interval: float = 0.25,
        proc: Path = PROC,
    ) -> None:
        self._pgid = pgid
        self._root = root
        self._limits = limits
        self._running = running
        self._interval = interval
        self._proc = proc
        self._memory = GroupMemory(pgid, proc)
        self._done = threading.Event()
        self._stopping = threading.Lock()  # held while a job is killed and its reason written
        self.reason: str | None = None
        self._thread = threading.Thread(target=self._watch, name=f"limits-{pgid}", daemon=True)

    def start(self) -> None:
        if self._limits.memory_bytes is None and self._limits.disk_bytes is None:
            self._done.set()
            return
        if not self._proc.is_dir():
            self._done.set()
            return
        self._thread.start()

    def finish(self) -> None:
        """Stop watching (the job has exited); returns once any failure reason is written."""
        self._done.set()
        with self._stopping:
            pass

    def _watch(self) -> None:
        try:
            looks = 0
            while not self._done.wait(self._interval) and self._running():
                looks += 1
                reason = self._check(disk=looks % DISK_EVERY == 0)
                if reason is not None:
                    self._stop_job(reason)
                    return
        except Exception:  # a watcher must never take the job's runner down with it
            log.exception("watching job process group %d failed", self._pgid)
        finally:
            self._done.set()

    def _check(self, disk: bool) -> str | None:
        memory = self._limits.memory_bytes
        if memory is not None:
            used = self._memory()
            if used > memory:
                return (
                    f"AlgorithmError: the job exceeded its memory share ({describe(memory)}) "
                    f"and was stopped: its processes held {describe(used)}. Use less memory per "
                    "process (smaller batches, fewer workers), or run fewer jobs at once "
                    "(TSUKURU_JOB_SLOTS) so that each gets a larger share"
                )
        space = self._limits.disk_bytes
        if disk and space is not None:
            used = disk_usage(self._root)
            if used > space:
                return (
                    f"AlgorithmError: the job exceeded its disk share ({describe(space)}, "
                    f"ResourceConfig.VolumeSizeInGB) and was stopped: it had written "
                    f"{describe(used)} under its folder. Write less, or ask for a larger "
                    "VolumeSizeInGB"
                )
        return None

    def _stop_job(self, reason: str) -> None:
        with self._stopping:
            self.reason = reason
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._pgid, signal.SIGKILL)
            failure = self._root / FAILURE_FILE
            try:
                failure.parent.mkdir(parents=True, exist_ok=True)
                failure.write_text(reason + "\n")
            except OSError:
                log.warning("could not write %s: %s", failure, reason)
        log.warning("job process group %d stopped: %s", self._pgid, reason)
