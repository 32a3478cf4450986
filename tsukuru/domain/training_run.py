"""Runs accepted training jobs: one thread per job, a fixed number of slots.

Each job walks SageMaker's secondary statuses: Starting (waiting for a slot) → Downloading
(materialize inputs into the job tree) → Training (the runtime process; its output becomes log
events and metrics) → Uploading (model.tar.gz to S3OutputPath) → Completed / Failed / Stopped /
MaxRuntimeExceeded. Every transition is written to the store as it happens, so any client
polling DescribeTrainingJob sees the job move.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import DomainError
from tsukuru.domain.ports import Executor, Launch, ResourceStore, RunningJob
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training import KIND, enter_secondary
from tsukuru.domain.training_tree import JobFailure, JobTree, TrainingData, package_outputs

log = logging.getLogger("tsukuru.training")

LOG_GROUP = "/aws/sagemaker/TrainingJobs"


class LogWriter(Protocol):
    def write_lines(
        self, scope: Scope, group: str, stream: str, lines: list[tuple[int, str]]
    ) -> None: ...


@dataclass
class _Run:
    scope: Scope
    name: str
    stop: threading.Event = field(default_factory=threading.Event)
    process: RunningJob | None = None
    timed_out: bool = False
    thread: threading.Thread | None = None


class TrainingRunner:
    def __init__(
        self,
        store: ResourceStore,
        data: TrainingData,
        logs: LogWriter,
        executor: Executor,
        clock: Clock,
        jobs_root: Path,
        slots: int,
    ) -> None:
        self._store = store
        self._data = data
        self._logs = logs
        self._executor = executor
        self._clock = clock
        self._jobs_root = jobs_root
        self._slots = threading.Semaphore(max(1, slots))
        self._runs: dict[tuple[Scope, str], _Run] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ API side

    def submit(self, scope: Scope, name: str) -> None:
        run = _Run(scope, name)
        thread = threading.Thread(target=self._run, args=(run,), name=f"job-{name}", daemon=True)
        run.thread = thread
        with self._lock:
            self._runs[(scope, name)] = run
        thread.start()

    def request_stop(self, scope: Scope, name: str) -> None:
        with self._lock:
            run = self._runs.get((scope, name))
        if run is None:
            return
        run.stop.set()
        if run.process is not None:
            run.process.terminate()

    def recover(self) -> int:
        """Jobs left InProgress by a previous platform process cannot be resumed honestly:
        they end Failed, saying why."""
        count = 0
        for record in self._store.list_by_status(KIND, ("InProgress", "Stopping")):

            def change(doc: Doc) -> str:
                doc["TrainingJobStatus"] = "Failed"
                doc["FailureReason"] = (
                    "InternalServerError: the tsukuru platform restarted while this job was "
                    "running; start the job again under a new name"
                )
                self._finish_times(doc)
                enter_secondary(doc, "Failed", self._clock.now())
                return "Failed"

            mutate(self._store, KIND, record.scope, record.name, change, self._clock.now())
            count += 1
        return count

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.stop.set()
            if run.process is not None:
                run.process.terminate()
        for run in runs:
            if run.thread is not None:
                run.thread.join(timeout)

    # ------------------------------------------------------------------ job thread

    def _run(self, run: _Run) -> None:
        try:
            self._run_job(run)
        except Exception:  # the job must end in a terminal status whatever happened
            log.exception("training job %s crashed the runner", run.name)
            self._end(
                run,
                "Failed",
                "InternalServerError: the platform failed to run the job; "
                "see the tsukuru log for details",
            )
        finally:
            with self._lock:
                self._runs.pop((run.scope, run.name), None)

    def _run_job(self, run: _Run) -> None:
        while not self._slots.acquire(timeout=0.2):
            if run.stop.is_set():
                self._end(run, "Stopped", None)
                return
        try:
            if run.stop.is_set():
                self._end(run, "Stopped", None)
                return
            doc = self._store.get(KIND, run.scope, run.name).doc
            tree = JobTree(self._jobs_root / run.name)
            self._transition(run, "Downloading", start=True)
            try:
                tree.prepare(doc["Request"])
                tree.materialize(self._data, doc["Request"])
            except JobFailure as exc:
                self._end(run, "Failed", str(exc))
                return
            if run.stop.is_set():
                self._end(run, "Stopped", None)
                return
            self._transition(run, "Training")
            exit_code = self._train(run, doc, tree)
            stopped = run.stop.is_set()
            if exit_code != 0 and not stopped:
                self._end(run, "Failed", tree.failure_reason(exit_code))
                return
            self._transition(run, "Uploading")
            try:
                artifacts = package_outputs(self._data, tree, doc["Request"], run.name)
            except JobFailure as exc:
                self._end(run, "Failed", str(exc))
                return
            if stopped:
                final = "MaxRuntimeExceeded" if run.timed_out else "Stopped"
                self._end(run, "Stopped", None, artifacts=artifacts, secondary=final)
            else:
                self._end(run, "Completed", None, artifacts=artifacts)
        finally:
            self._slots.release()

    def _train(self, run: _Run, doc: Doc, tree: JobTree) -> int:
        request = doc["Request"]
        stream = f"{run.name}/algo-1-{int(self._clock.now().timestamp())}"
        env = {
            "TSUKURU_JOB_ROOT": str(tree.root),
            "TSUKURU_ALGORITHM": doc["Algorithm"]["Name"],
            "TSUKURU_ALGORITHM_VERSION": doc["Algorithm"]["Version"],
            "TRAINING_JOB_NAME": run.name,
            "TRAINING_JOB_ARN": self._store.get(KIND, run.scope, run.name).arn,
        }
        env.update({str(k): str(v) for k, v in (request.get("Environment") or {}).items()})
        process = self._executor.launch(Launch(run.name, "train", str(tree.root), env))
        run.process = process
        if run.stop.is_set():
            process.terminate()
        limit = int((request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400))
        timer = threading.Timer(limit, self._time_out, args=(run,))
        timer.daemon = True
        timer.start()
        metrics = _MetricParser(doc.get("MetricDefinitions") or [])
        batch: list[tuple[int, str]] = []
        last_flush = self._clock.monotonic()
        try:
            for timestamp, raw in process.lines():
                line = render_log_line(raw)
                batch.append((timestamp, line))
                metrics.feed(line, timestamp)
                now = self._clock.monotonic()
                if len(batch) >= 500 or now - last_flush >= 0.2:
                    self._logs.write_lines(run.scope, LOG_GROUP, stream, batch)
                    batch, last_flush = [], now
            if batch:
                self._logs.write_lines(run.scope, LOG_GROUP, stream, batch)
            code = process.wait()
        finally:
            timer.cancel()
        final = metrics.final()
        if final:
            self._update(run, lambda d: d.__setitem__("FinalMetricDataList", final))
        return code if code is not None else -1

    def _time_out(self, run: _Run) -> None:
        run.timed_out = True
        run.stop.set()
        if run.process is not None:
            run.process.terminate()

    # ------------------------------------------------------------------ status writes

    def _update(self, run: _Run, change: Any) -> None:
        def apply(doc: Doc) -> None:
            change(doc)

        mutate(self._store, KIND, run.scope, run.name, apply, self._clock.now())

    def _transition(self, run: _Run, secondary: str, start: bool = False) -> None:
        now = self._clock.now()

        def change(doc: Doc) -> None:
            if start:
                doc["TrainingStartTime"] = epoch(now)
            if doc["TrainingJobStatus"] != "Stopping":
                enter_secondary(doc, secondary, now)

        mutate(self._store, KIND, run.scope, run.name, change, now)

    def _finish_times(self, doc: Doc) -> None:
        end = epoch(self._clock.now())
        doc["TrainingEndTime"] = end
        start = doc.get("TrainingStartTime")
        if start is not None:
            seconds = max(1, round(end - float(start)))
            doc["TrainingTimeInSeconds"] = seconds
            doc["BillableTimeInSeconds"] = seconds

    def _end(
        self,
        run: _Run,
        status: str,
        reason: str | None,
        *,
        artifacts: dict[str, str] | None = None,
        secondary: str | None = None,
    ) -> None:
        now = self._clock.now()

        def change(doc: Doc) -> str:
            doc["TrainingJobStatus"] = status
            if reason:
                doc["FailureReason"] = reason
            if artifacts:
                doc["ModelArtifacts"] = {"S3ModelArtifacts": artifacts["model"]}
                if "output" in artifacts:
                    doc["OutputArtifact"] = artifacts["output"]
            self._finish_times(doc)
            enter_secondary(doc, secondary or status, now)
            return status

        try:
            mutate(self._store, KIND, run.scope, run.name, change, now)
        except DomainError:
            log.exception("could not record the end of training job %s", run.name)


def render_log_line(line: str) -> str:
    """A container's output line as CloudWatch stores it: syslog escapes TAB as `#011`, and the
    built-in algorithms' metric regexes (and users' copies of them) rely on that."""
    return line.replace("\t", "#011")


class _MetricParser:
    """The last value of each metric definition's regex over the job's log lines."""

    def __init__(self, definitions: list[dict[str, str]]) -> None:
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for definition in definitions:
            try:
                self._patterns.append((definition["Name"], re.compile(definition["Regex"])))
            except (KeyError, re.error):
                continue
        self._last: dict[str, tuple[float, int]] = {}

    def feed(self, line: str, timestamp_ms: int) -> None:
        for name, pattern in self._patterns:
            match = pattern.search(line)
            if match and match.groups():
                try:
                    self._last[name] = (float(match.group(1)), timestamp_ms)
                except ValueError:
                    continue

    def final(self) -> list[dict[str, Any]]:
        return [
            {"MetricName": name, "Value": value, "Timestamp": timestamp / 1000.0}
            for name, (value, timestamp) in self._last.items()
        ]
