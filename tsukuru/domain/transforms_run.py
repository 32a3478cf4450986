"""Runs accepted transform jobs: fetch the model and the inputs, run the transform, upload.

The steps are SageMaker's, in the order a user can observe them: the job waits for a slot (a
core shared with training jobs), links its inputs and extracts the model into its folder, runs
`python -m tsukuru.runtime.transform` there (whose output becomes the job's CloudWatch stream in
/aws/sagemaker/TransformJobs), then uploads each finished `<input>.out` to S3OutputPath. Outputs
finished before a failure or a stop are uploaded too, as SageMaker uploads every object it
transformed completely.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime
from pathlib import Path

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import DomainError
from tsukuru.domain.job_run import (
    JobRun,
    JobThreads,
    LogTarget,
    LogWriter,
    job_slots,
    run_process,
    settle_interrupted,
)
from tsukuru.domain.model_artifacts import ArtifactError, fetch_model
from tsukuru.domain.models import model_data_location, primary_container
from tsukuru.domain.ports import Executor, Launch, Record, ResourceStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training_tree import JobFailure, TrainingData
from tsukuru.domain.transforms import KIND, LOG_GROUP, ModelLookup
from tsukuru.domain.transforms_tree import TransformTree
from tsukuru.domain.transforms_validation import resolved_settings

log = logging.getLogger("tsukuru.transform")

RESTARTED = (
    "InternalServerError: the tsukuru platform restarted while this job was running; start "
    "the job again under a new name"
)


class TransformRunner:
    def __init__(
        self,
        store: ResourceStore,
        data: TrainingData,
        models: ModelLookup,
        logs: LogWriter,
        executor: Executor,
        clock: Clock,
        jobs_root: Path,
        slots: int | threading.Semaphore,
    ) -> None:
        self._store = store
        self._data = data
        self._models = models
        self._logs = logs
        self._executor = executor
        self._clock = clock
        self._jobs_root = jobs_root
        shared = slots if isinstance(slots, threading.Semaphore) else job_slots(slots)
        self._jobs = JobThreads(shared, self._run_job, self._crashed, "transform")

    # ------------------------------------------------------------------ API side

    def submit(self, scope: Scope, name: str) -> None:
        self._jobs.submit(scope, name)

    def request_stop(self, scope: Scope, name: str) -> None:
        self._jobs.request_stop(scope, name)

    def recover(self) -> int:
        """Jobs a previous platform process left running end Failed, saying why."""

        def change(doc: Doc, now: datetime) -> str:
            doc["TransformJobStatus"] = "Failed"
            doc["FailureReason"] = RESTARTED
            doc["TransformEndTime"] = epoch(now)
            doc["LastModifiedTime"] = epoch(now)
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
            record = self._started(run)
            request = record.doc["Request"]
            tree = TransformTree(self._jobs_root / run.scope.account_id / run.name)
            try:
                tree.prepare()
                model = self._models.get_model(run.scope, str(request["ModelName"]))
                objects = tree.materialize(self._data, request)
                container = primary_container(model.doc)
                location = model_data_location(container)
                if location is None:
                    tree.model.mkdir(parents=True, exist_ok=True)
                else:
                    fetch_model(self._data, location[0], location[1], tree.model)
                tree.write_config(resolved_settings(request), objects)
            except (JobFailure, ArtifactError) as exc:
                self._end(run, "Failed", str(exc))
                return
            except DomainError as exc:  # the model was deleted after the job was accepted
                self._end(run, "Failed", f"ClientError: {exc.message}")
                return
            if run.stop.is_set():
                self._end(run, "Stopped", None)
                return
            env = self._environment(record, model, container, tree)
            code = run_process(
                self._executor,
                Launch(run.name, "transform", str(tree.root), env),
                run,
                self._logs,
                LogTarget(run.scope, LOG_GROUP, self._stream(record)),
                None,
            )
            try:
                tree.upload_outputs(self._data, request, _output_type(request))
            except JobFailure as exc:
                self._end(run, "Failed", str(exc))
                return
            finally:
                tree.discard_outputs()
            if run.stop.is_set():
                self._end(run, "Stopped", None)
            elif code != 0:
                self._end(run, "Failed", tree.failure_reason(code))
            else:
                self._end(run, "Completed", None)

    def _environment(
        self, record: Record, model: Record, container: Doc, tree: TransformTree
    ) -> dict[str, str]:
        """The container's Environment, the job's on top, then what the platform sets."""
        request = record.doc["Request"]
        settings = resolved_settings(request)
        env = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
        env.update({str(k): str(v) for k, v in (request.get("Environment") or {}).items()})
        env.update(
            TSUKURU_JOB_ROOT=str(tree.root),
            TSUKURU_ALGORITHM=model.doc["Algorithm"]["Name"],
            TSUKURU_ALGORITHM_VERSION=model.doc["Algorithm"]["Version"],
            SAGEMAKER_BATCH="true",
            SAGEMAKER_MAX_PAYLOAD_IN_MB=str(settings["MaxPayloadInMB"]),
            SAGEMAKER_BATCH_STRATEGY=_strategy_name(settings["BatchStrategy"]),
            TRANSFORM_JOB_NAME=record.name,
            TRANSFORM_JOB_ARN=record.arn,
        )
        if settings["MaxConcurrentTransforms"]:
            env["SAGEMAKER_MAX_CONCURRENT_TRANSFORMS"] = str(settings["MaxConcurrentTransforms"])
        return env

    def _stream(self, record: Record) -> str:
        """`<job>/<instance id>-<epoch>`, as SageMaker names a transform instance's stream."""
        instance = "i-" + hashlib.sha1(record.arn.encode()).hexdigest()[:17]
        return f"{record.name}/{instance}-{int(self._clock.now().timestamp())}"

    # ------------------------------------------------------------------ status writes

    def _started(self, run: JobRun) -> Record:
        now = self._clock.now()

        def change(doc: Doc) -> None:
            doc["TransformStartTime"] = epoch(now)
            doc["LastModifiedTime"] = epoch(now)

        return mutate(self._store, KIND, run.scope, run.name, change, now)

    def _end(self, run: JobRun, status: str, reason: str | None) -> None:
        now = self._clock.now()

        def change(doc: Doc) -> str:
            doc["TransformJobStatus"] = status
            if reason:
                doc["FailureReason"] = reason[:1024]
            doc["TransformEndTime"] = epoch(now)
            doc["LastModifiedTime"] = epoch(now)
            return status

        try:
            mutate(self._store, KIND, run.scope, run.name, change, now)
        except DomainError:
            log.exception("could not record the end of transform job %s", run.name)


def _strategy_name(strategy: str) -> str:
    return "MULTI_RECORD" if strategy == "MultiRecord" else "SINGLE_RECORD"


def _output_type(request: Doc) -> str:
    accept = (request.get("TransformOutput") or {}).get("Accept")
    return str(accept) if accept else "binary/octet-stream"
