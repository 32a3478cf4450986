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
from datetime import datetime
from pathlib import Path
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import DomainError
from tsukuru.domain.job_run import (
    JobRun,
    JobThreads,
    LogTarget,
    LogWriter,
    job_slots,
    render_log_line,
    run_process,
    settle_interrupted,
)
from tsukuru.domain.ports import Executor, Launch, ResourceStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training import KIND, enter_secondary
from tsukuru.domain.training_tree import JobFailure, JobTree, TrainingData, package_outputs

log = logging.getLogger("tsukuru.training")

LOG_GROUP = "/aws/sagemaker/TrainingJobs"

__all__ = ["LOG_GROUP", "LogWriter", "TrainingRunner", "render_log_line"]


class TrainingRunner:
    def __init__(
        self,
        store: ResourceStore,
        data: TrainingData,
        logs: LogWriter,
        executor: Executor,
        clock: Clock,
        jobs_root: Path,
        slots: int | threading.Semaphore,
    ) -> None:
        self._store = store
        self._data = data
        self._logs = logs
        self._executor = executor
        self._clock = clock
        self._jobs_root = jobs_root
        shared = slots if isinstance(slots, threading.Semaphore) else job_slots(slots)
        self._jobs = JobThreads(shared, self._run_job, self._crashed, "training")

    # ------------------------------------------------------------------ API side

    def submit(self, scope: Scope, name: str) -> None:
        self._jobs.submit(scope, name)

    def request_stop(self, scope: Scope, name: str) -> None:
        self._jobs.request_stop(scope, name)

    def recover(self) -> int:
        """Jobs left InProgress by a previous platform process cannot be resumed honestly:
        they end Failed, saying why."""

        def change(doc: Doc, now: datetime) -> str:
            doc["TrainingJobStatus"] = "Failed"
            doc["FailureReason"] = (
                "InternalServerError: the tsukuru platform restarted while this job was "
                "running; start the job again under a new name"
            )
            self._finish_times(doc)
            enter_secondary(doc, "Failed", now)
            return "Failed"

        return settle_interrupted(
            self._store, KIND, ("InProgress", "Stopping"), change, self._clock
        )

    def shutdown(self, timeout: float = 10.0) -> None:
        self._jobs.shutdown(timeout)

    # ------------------------------------------------------------------ job thread

    def _crashed(self, run: JobRun) -> None:
        self._end(
            run,
            "Failed",
            "InternalServerError: the platform failed to run the job; "
            "see the tsukuru log for details",
        )

    def _run_job(self, run: JobRun) -> None:
        with self._jobs.slot(run) as granted:
            if not granted:
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

    def _train(self, run: JobRun, doc: Doc, tree: JobTree) -> int:
        request = doc["Request"]
        stream = f"{run.name}/algo-1-{int(self._clock.now().timestamp())}"
        env = {
            "TSUKURU_JOB_ROOT": str(tree.root),
            "TSUKURU_ALGORITHM": doc["Algorithm"]["Name"],
            "TSUKURU_ALGORITHM_VERSION": doc["Algorithm"]["Version"],
            "TRAINING_JOB_NAME": run.name,
            "TRAINING_JOB_ARN": self._store.get(KIND, run.scope, run.name).arn,
            # script mode caches requirements.txt environments beside the jobs (<home>/envs)
            "TSUKURU_ENVS_DIR": str(self._jobs_root.parent / "envs"),
        }
        env.update({str(k): str(v) for k, v in (request.get("Environment") or {}).items()})
        volume = (request.get("ResourceConfig") or {}).get("VolumeSizeInGB")
        if volume:  # the job's disk share, which the executor enforces
            env["TSUKURU_VOLUME_SIZE_GB"] = str(volume)
        limit = int((request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400))
        metrics = _MetricParser(doc.get("MetricDefinitions") or [])
        code = run_process(
            self._executor,
            Launch(run.name, "train", str(tree.root), env),
            run,
            self._logs,
            LogTarget(run.scope, LOG_GROUP, stream),
            limit,
            on_line=metrics.feed,
        )
        final = metrics.final()
        if final:
            self._update(run, lambda d: d.__setitem__("FinalMetricDataList", final))
        return code

    # ------------------------------------------------------------------ status writes

    def _update(self, run: JobRun, change: Any) -> None:
        def apply(doc: Doc) -> None:
            change(doc)

        mutate(self._store, KIND, run.scope, run.name, apply, self._clock.now())

    def _transition(self, run: JobRun, secondary: str, start: bool = False) -> None:
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
        run: JobRun,
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
