"""Training jobs: accept, describe, list and stop them, with SageMaker's statuses.

A job is stored as one document: the request exactly as the client sent it (fields we do not
act on, such as DebugHookConfig or VpcConfig, are kept and described back) plus the status
fields the runner fills in. The runner (`training_run.py`) does the work; this module holds the
rules for what a job looks like from the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.images import resolve_training_image
from tsukuru.domain.paging import Listing, find_page
from tsukuru.domain.ports import Record, ResourceStore, TagStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training_validation import check_request, input_buckets

KIND = "TrainingJob"
TERMINAL = ("Completed", "Failed", "Stopped")

MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job exceeded MaxRuntimeInSeconds provided",
}


def training_job_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"training-job/{name.lower()}")


def enter_secondary(doc: Doc, status: str, at: datetime, message: str | None = None) -> None:
    """Close the current secondary status and open `status` (SageMaker's transition list)."""
    now = epoch(at)
    transitions: list[dict[str, Any]] = doc.setdefault("SecondaryStatusTransitions", [])
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    entry: dict[str, Any] = {
        "Status": status,
        "StartTime": now,
        "StatusMessage": message or MESSAGES.get(status, status),
    }
    if status in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
        entry["EndTime"] = now
    transitions.append(entry)
    doc["SecondaryStatus"] = status
    doc["LastModifiedTime"] = now


@dataclass(frozen=True)
class TrainingJobView:
    """A stored job as the API shows it."""

    arn: str
    doc: Doc


class TrainingService:
    def __init__(
        self,
        store: ResourceStore,
        tags: TagStore,
        clock: Clock,
        bucket_exists: Callable[[str], bool],
        submit: Callable[[Scope, str], None],
        stop: Callable[[Scope, str], None],
    ) -> None:
        self._store = store
        self._tags = tags
        self._clock = clock
        self._bucket_exists = bucket_exists
        self._submit = submit
        self._stop = stop

    def create(self, scope: Scope, request: dict[str, Any]) -> str:
        check_request(request)
        image = request["AlgorithmSpecification"]["TrainingImage"]
        spec = resolve_training_image(image)
        for bucket, where in input_buckets(request):
            if not self._bucket_exists(bucket):
                raise Invalid(
                    f"Could not find the S3 bucket '{bucket}' named in {where}; create it first "
                    f"(aws s3 mb s3://{bucket}) or fix the URI"
                )
        name = request["TrainingJobName"]
        now = self._clock.now()
        arn = training_job_arn(scope, name)
        stored_request = {k: v for k, v in request.items() if k != "Tags"}
        doc: Doc = {
            "Request": stored_request,
            "Algorithm": {"Name": spec.algorithm, "Version": spec.version},
            "MetricDefinitions": [
                {"Name": metric, "Regex": regex}
                for metric, regex in spec.metric_definitions
                # a script (framework mode) prints its own metrics, not the algorithm's
                if "sagemaker_program" not in (request.get("HyperParameters") or {})
            ]
            + list(request["AlgorithmSpecification"].get("MetricDefinitions") or []),
            "TrainingJobStatus": "InProgress",
            "CreationTime": epoch(now),
        }
        enter_secondary(doc, "Starting", now)
        try:
            self._store.insert(Record(KIND, scope, name, arn, "InProgress", now, now, doc))
        except AlreadyExists as exc:
            raise AlreadyExists(
                "Training job names must be unique within an AWS account and region, and a "
                f"training job with this name already exists ({arn})"
            ) from exc
        if request.get("Tags"):
            self._tags.add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})
        self._submit(scope, name)
        return arn

    def describe(self, scope: Scope, name: str) -> TrainingJobView:
        record = self._get(scope, name)
        return TrainingJobView(record.arn, record.doc)

    def find(self, scope: Scope, listing: Listing) -> tuple[list[TrainingJobView], str | None]:
        records, token = find_page(self._store, KIND, scope, listing)
        return [TrainingJobView(r.arn, r.doc) for r in records], token

    def stop(self, scope: Scope, name: str) -> None:
        now = self._clock.now()

        def change(doc: Doc) -> str | None:
            status = doc["TrainingJobStatus"]
            if status in TERMINAL:
                raise Invalid(
                    f"The request was rejected because the training job is in status {status}."
                )
            if status == "Stopping":
                return None
            doc["TrainingJobStatus"] = "Stopping"
            doc["StopRequested"] = True
            enter_secondary(doc, "Stopping", now)
            return "Stopping"

        self._mutate(scope, name, change)
        self._stop(scope, name)

    def _get(self, scope: Scope, name: str) -> Record:
        try:
            return self._store.get(KIND, scope, name)
        except NotFound as exc:
            # AWS answers an unknown training job with ValidationException, not ResourceNotFound
            raise NotFound(
                f"Requested resource not found: training job {name}", code="ValidationException"
            ) from exc

    def _mutate(self, scope: Scope, name: str, change: Callable[[Doc], str | None]) -> Record:
        self._get(scope, name)
        return mutate(self._store, KIND, scope, name, change, self._clock.now())
