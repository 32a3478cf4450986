"""The mechanics every kind of job shares: slots, one thread per job, the process and its logs.

Training jobs and transform jobs differ in what they prepare and what they upload, not in how
they run: each accepted job gets a thread that waits for one of a fixed number of slots (the
machine's cores, shared by every kind), launches its runtime entry point through the Executor
port, turns the process's output lines into CloudWatch events in batches (TAB rendered as `#011`,
as SageMaker's log agent does), and stops it on request or when MaxRuntimeInSeconds passes.
Jobs a previous platform process left running are settled at start-up, since nothing can resume
them honestly. The runners (`training_run.py`, `transforms_run.py`) hold only their own steps.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.ports import Executor, Launch, ResourceStore, RunningJob
from tsukuru.domain.resources import Doc, mutate
from tsukuru.domain.scope import Scope

log = logging.getLogger("tsukuru.jobs")

LOG_BATCH_LINES = 500  # flush to the log store after this many lines...
LOG_BATCH_SECONDS = 0.2  # ...and every this many seconds, so a quiet job's line shows at once
SLOT_POLL_SECONDS = 0.2


class LogWriter(Protocol):
    def write_lines(
        self, scope: Scope, group: str, stream: str, lines: list[tuple[int, str]]
    ) -> None: ...


def render_log_line(line: str) -> str:
    """A container's output line as CloudWatch stores it: syslog escapes TAB as `#011`, and the
    built-in algorithms' metric regexes (and users' copies of them) rely on that."""
    return line.replace("\t", "#011")


def job_slots(count: int) -> threading.Semaphore:
    """How many jobs run at once on this machine; one semaphore may be shared by every runner."""
    return threading.Semaphore(max(1, count))


@dataclass
class JobRun:
    """One job's thread-side state: its stop request, its process, whether it timed out."""

    scope: Scope
    name: str
    stop: threading.Event = field(default_factory=threading.Event)
    process: RunningJob | None = None
    timed_out: bool = False
    thread: threading.Thread | None = None

    def request_stop(self) -> None:
        self.stop.set()
        if self.process is not None:
            self.process.terminate()

    def time_out(self) -> None:
        self.timed_out = True
        self.request_stop()


class JobThreads:
    """Runs `work(run)` on its own thread for every submitted job, in slots.

    `crashed(run)` is called when `work` raises, so the job still ends in a terminal status; the
    runner decides what that status and its reason are.
    """

    def __init__(
        self,
        slots: threading.Semaphore,
        work: Callable[[JobRun], None],
        crashed: Callable[[JobRun], None],
        label: str,
    ) -> None:
        self._slots = slots
        self._work = work
        self._crashed = crashed
        self._label = label
        self._runs: dict[tuple[Scope, str], JobRun] = {}
        self._lock = threading.Lock()

    def submit(self, scope: Scope, name: str) -> None:
        run = JobRun(scope, name)
        thread = threading.Thread(
            target=self._run, args=(run,), name=f"{self._label}-{name}", daemon=True
        )
        run.thread = thread
        with self._lock:
            self._runs[(scope, name)] = run
        thread.start()

    def request_stop(self, scope: Scope, name: str) -> None:
        with self._lock:
            run = self._runs.get((scope, name))
        if run is not None:
            run.request_stop()

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.request_stop()
        for run in runs:
            if run.thread is not None:
                run.thread.join(timeout)

    @contextlib.contextmanager
    def slot(self, run: JobRun) -> Iterator[bool]:
        """Hold a slot for the block; yields False (holding none) if the job was stopped while
        it waited for one."""
        while not self._slots.acquire(timeout=SLOT_POLL_SECONDS):
            if run.stop.is_set():
                yield False
                return
        try:
            yield not run.stop.is_set()
        finally:
            self._slots.release()

    def _run(self, run: JobRun) -> None:
        try:
            self._work(run)
        except Exception:  # the job must end in a terminal status whatever happened
            log.exception("%s job %s crashed its runner", self._label, run.name)
            self._crashed(run)
        finally:
            with self._lock:
                self._runs.pop((run.scope, run.name), None)


@dataclass(frozen=True)
class LogTarget:
    scope: Scope
    group: str
    stream: str


class _LogPump:
    """Collects a process's lines and writes them in batches: when LOG_BATCH_LINES are waiting,
    and every LOG_BATCH_SECONDS from a flusher thread, so a line a quiet job printed reaches
    CloudWatch at once instead of when its next line comes."""

    def __init__(self, logs: LogWriter, target: LogTarget) -> None:
        self._logs = logs
        self._target = target
        self._batch: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._flusher = threading.Thread(target=self._flush_often, name="log-pump", daemon=True)
        self._flusher.start()

    def add(self, timestamp: int, line: str) -> None:
        with self._lock:
            self._batch.append((timestamp, line))
            if len(self._batch) >= LOG_BATCH_LINES:
                self._write()

    def close(self) -> None:
        self._done.set()
        self._flusher.join()
        with self._lock:
            self._write()

    def _flush_often(self) -> None:
        while not self._done.wait(LOG_BATCH_SECONDS):
            with self._lock:
                self._write()

    def _write(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        try:
            self._logs.write_lines(
                self._target.scope, self._target.group, self._target.stream, batch
            )
        except Exception:  # losing log lines must not lose the job
            log.exception("could not write %d log lines to %s", len(batch), self._target.stream)


def run_process(
    executor: Executor,
    launch: Launch,
    run: JobRun,
    logs: LogWriter,
    target: LogTarget,
    max_runtime_s: float | None,
    on_line: Callable[[str, int], None] | None = None,
) -> int:
    """Launch the job's process and pump its output into the log stream until it exits.

    `on_line(rendered_line, timestamp_ms)` sees every line (metric parsing). The process is
    terminated when a stop is requested or after `max_runtime_s` (then `run.timed_out` is set;
    None: no limit). Returns the exit code (-1 when the executor could not report one).
    """
    process = executor.launch(launch)
    run.process = process
    if run.stop.is_set():
        process.terminate()
    timer = None
    if max_runtime_s is not None:
        timer = threading.Timer(max_runtime_s, run.time_out)
        timer.daemon = True
        timer.start()
    pump = _LogPump(logs, target)
    try:
        for timestamp, raw in process.lines():
            line = render_log_line(raw)
            pump.add(timestamp, line)
            if on_line is not None:
                on_line(line, timestamp)
        code = process.wait()
    finally:
        pump.close()
        if timer is not None:
            timer.cancel()
    return code if code is not None else -1


def settle_interrupted(
    store: ResourceStore,
    kind: str,
    statuses: Iterable[str],
    change: Callable[[Doc, datetime], str],
    clock: Clock,
) -> int:
    """Apply `change(doc, now)` to every job of `kind` left in one of `statuses` by a previous
    platform process; returns how many there were."""
    count = 0
    for record in store.list_by_status(kind, tuple(statuses)):
        now = clock.now()

        def settle(doc: Doc, at: datetime = now) -> str:
            return change(doc, at)

        mutate(store, kind, record.scope, record.name, settle, now)
        count += 1
    return count
