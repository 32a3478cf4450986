"""Batch transform jobs: accept, describe, list and stop them, with SageMaker's statuses.

A transform job runs a model over every object under an S3 prefix (or in a manifest) and writes
`<key>.out` beside each under S3OutputPath. It is stored as one document: the request as the
client sent it plus the status fields the runner (`transforms_run.py`) fills in. Its statuses
are SageMaker's: InProgress → Completed | Failed, or InProgress → Stopping → Stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.paging import Listing, find_page
from tsukuru.domain.ports import Record, ResourceStore, TagStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.transforms_validation import check_request, input_location, output_location

KIND = "TransformJob"
TERMINAL = ("Completed", "Failed", "Stopped")
LOG_GROUP = "/aws/sagemaker/TransformJobs"


def transform_job_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"transform-job/{name.lower()}")


class ModelLookup(Protocol):
    """Where transform jobs find their model (CreateModel's definitions)."""

    def get_model(self, scope: Scope, name: str) -> Record:
        """Invalid (`Could not find model "<arn>".`) when there is no such model."""
        ...


@dataclass(frozen=True)
class TransformJobView:
    """A stored job as the API shows it."""

    arn: str
    doc: Doc


class TransformService:
    def __init__(
        self,
        store: ResourceStore,
        tags: TagStore,
        clock: Clock,
        models: ModelLookup,
        bucket_exists: Callable[[str], bool],
        submit: Callable[[Scope, str], None],
        stop: Callable[[Scope, str], None],
    ) -> None:
        self._store = store
        self._tags = tags
        self._clock = clock
        self._models = models
        self._bucket_exists = bucket_exists
        self._submit = submit
        self._stop = stop

    def create(self, scope: Scope, request: dict[str, Any]) -> str:
        check_request(request)
        self._models.get_model(scope, str(request["ModelName"]))
        _, input_bucket, _ = input_location(request)
        output_bucket, _ = output_location(request)
        for bucket, where in (
            (input_bucket, "TransformInput.DataSource.S3DataSource.S3Uri"),
            (output_bucket, "TransformOutput.S3OutputPath"),
        ):
            if not self._bucket_exists(bucket):
                raise Invalid(
                    f"Could not find the S3 bucket '{bucket}' named in {where}; create it first "
                    f"(aws s3 mb s3://{bucket}) or fix the URI"
                )
        name = str(request["TransformJobName"])
        now = self._clock.now()
        arn = transform_job_arn(scope, name)
        doc: Doc = {
            "Request": {k: v for k, v in request.items() if k != "Tags"},
            "TransformJobStatus": "InProgress",
            "CreationTime": epoch(now),
            "LastModifiedTime": epoch(now),
        }
        try:
            self._store.insert(Record(KIND, scope, name, arn, "InProgress", now, now, doc))
        except AlreadyExists as exc:
            raise AlreadyExists(
                "Transform job names must be unique within an AWS account and region, and a "
                f"transform job with this name already exists ({arn})"
            ) from exc
        if request.get("Tags"):
            self._tags.add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})
        self._submit(scope, name)
        return arn

    def describe(self, scope: Scope, name: str) -> TransformJobView:
        record = self._get(scope, name)
        return TransformJobView(record.arn, record.doc)

    def find(self, scope: Scope, listing: Listing) -> tuple[list[TransformJobView], str | None]:
        records, token = find_page(self._store, KIND, scope, listing)
        return [TransformJobView(r.arn, r.doc) for r in records], token

    def stop(self, scope: Scope, name: str) -> None:
        self._get(scope, name)
        now = self._clock.now()

        def change(doc: Doc) -> str | None:
            status = doc["TransformJobStatus"]
            if status in TERMINAL:
                raise Invalid(
                    f"The request was rejected because the transform job is in status {status}."
                )
            if status == "Stopping":
                return None
            doc["TransformJobStatus"] = "Stopping"
            doc["LastModifiedTime"] = epoch(now)
            return "Stopping"

        mutate(self._store, KIND, scope, name, change, now)
        self._stop(scope, name)

    def _get(self, scope: Scope, name: str) -> Record:
        try:
            return self._store.get(KIND, scope, name)
        except NotFound as exc:
            raise NotFound(f"Could not find requested job with name {name}") from exc
