"""The job mechanics training and transform runners share (`domain/job_run.py`)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from tsukuru.domain.job_run import JobRun, JobThreads, LogTarget, job_slots, run_process
from tsukuru.domain.ports import Launch
from tsukuru.domain.scope import Scope
from tsukuru.executors.local import LocalProcess

SCOPE = Scope("123456789012", "us-east-1")


class PythonExecutor:
    """Runs `launch.env["CODE"]` in a real Python process (the Executor port, for any code)."""

    def launch(self, launch: Launch) -> LocalProcess:
        process = subprocess.Popen(
            [sys.executable, "-u", "-c", launch.env["CODE"]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return LocalProcess(process, grace_seconds=1)


@dataclass
class Lines:
    writes: list[list[tuple[int, str]]] = field(default_factory=list)

    def write_lines(
        self, scope: Scope, group: str, stream: str, lines: list[tuple[int, str]]
    ) -> None:
        assert (group, stream) == ("/group", "job/stream")
        self.writes.append(list(lines))

    @property
    def messages(self) -> list[str]:
        return [message for batch in self.writes for _, message in batch]


def run(code: str, run_: JobRun | None = None, limit: float | None = None) -> tuple[int, Lines]:
    logs = Lines()
    seen: list[str] = []
    code_ = run_process(
        PythonExecutor(),
        Launch("job", "any", ".", {"CODE": code}),
        run_ or JobRun(SCOPE, "job"),
        logs,
        LogTarget(SCOPE, "/group", "job/stream"),
        limit,
        on_line=lambda line, ms: seen.append(line),
    )
    assert seen == logs.messages
    return code_, logs


def test_output_lines_become_log_events_with_tab_rendered() -> None:
    code, logs = run("print('a\\tb'); print('second'); raise SystemExit(3)")
    assert code == 3
    assert logs.messages == ["a#011b", "second"]


def test_many_lines_are_written_in_batches() -> None:
    code, logs = run("for i in range(1234): print(i)")
    assert code == 0
    assert logs.messages == [str(i) for i in range(1234)]
    assert len(logs.writes) >= 3
    assert max(len(batch) for batch in logs.writes) <= 500


def test_a_job_past_its_max_runtime_is_terminated_and_marked() -> None:
    job = JobRun(SCOPE, "job")
    started = time.monotonic()
    code, _ = run("import time; print('up'); time.sleep(30)", job, limit=0.5)
    assert time.monotonic() - started < 10
    assert job.timed_out
    assert job.stop.is_set()
    assert code != 0


def test_a_job_stopped_before_launch_is_terminated_at_once() -> None:
    job = JobRun(SCOPE, "job")
    job.stop.set()
    started = time.monotonic()
    code, _ = run("import time; time.sleep(30)", job)
    assert time.monotonic() - started < 10
    assert code != 0
    assert not job.timed_out


def test_slots_are_shared_and_a_stop_while_waiting_gives_none() -> None:
    slots = job_slots(1)
    order: list[str] = []
    release = threading.Event()

    def work(run_: JobRun) -> None:
        with threads.slot(run_) as granted:
            order.append(f"{run_.name}:{granted}")
            if run_.name == "first":
                release.wait(5)

    threads = JobThreads(slots, work, lambda run_: order.append("crashed"), "test")
    threads.submit(SCOPE, "first")
    while not order:
        time.sleep(0.01)
    threads.submit(SCOPE, "second")
    time.sleep(0.3)
    assert order == ["first:True"]  # second is still waiting for the only slot
    threads.request_stop(SCOPE, "second")
    deadline = time.monotonic() + 5
    while len(order) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    threads.shutdown(timeout=5)
    assert order == ["first:True", "second:False"]
    assert slots.acquire(timeout=1)  # every slot was given back


def test_a_crashing_job_is_handed_to_crashed() -> None:
    crashed: list[str] = []

    def work(run_: JobRun) -> None:
        raise RuntimeError("boom")

    threads = JobThreads(job_slots(2), work, lambda run_: crashed.append(run_.name), "test")
    threads.submit(SCOPE, "bad")
    threads.shutdown(timeout=5)
    assert crashed == ["bad"]


def test_a_quiet_jobs_line_is_written_while_it_still_runs() -> None:
    logs = Lines()
    finished = threading.Event()

    def pump() -> None:
        run_process(
            PythonExecutor(),
            Launch("job", "any", ".", {"CODE": "import time; print('hello'); time.sleep(3)"}),
            JobRun(SCOPE, "job"),
            logs,
            LogTarget(SCOPE, "/group", "job/stream"),
            None,
        )
        finished.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 2.5
    while not logs.messages and time.monotonic() < deadline:
        time.sleep(0.02)
    assert logs.messages == ["hello"]
    assert not finished.is_set()  # the process is still sleeping
    assert finished.wait(10)
