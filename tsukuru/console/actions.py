"""The destructive things the console does, in one place: the pages and the cleanup page share
them, so "delete a bucket" means the same (objects, unfinished uploads, then the bucket) from
either.

Each function is synchronous (it runs in a worker thread) and raises the domain's errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsukuru.console.deps import ConsoleServices
from tsukuru.domain.errors import Invalid


@dataclass
class Freed:
    """What an action released, for the summary line."""

    objects: int = 0
    bytes: int = 0


def empty_bucket(services: ConsoleServices, bucket: str) -> Freed:
    """Delete every object and abort every unfinished multipart upload of `bucket`."""
    objects = services.objects
    freed = Freed()
    batch = list(objects.iter_objects(bucket))
    for obj in batch:
        objects.delete_object(bucket, obj.key)
        freed.objects += 1
        freed.bytes += obj.size
    while True:
        page = objects.multipart.list_uploads(bucket)
        for upload in page.uploads:
            objects.multipart.abort(bucket, upload.key, upload.upload_id)
        if not page.is_truncated:
            break
    return freed


def delete_bucket(services: ConsoleServices, bucket: str) -> Freed:
    freed = empty_bucket(services, bucket)
    services.objects.delete_bucket(bucket)
    return freed


def stop_or_delete(services: ConsoleServices, kind: str, name: str) -> Freed:
    """The cleanup page's action for one ledger line: stop what runs, delete what is kept."""
    scope = services.scope
    if kind == "Endpoint":
        services.endpoints.delete(scope, name)
    elif kind == "TrainingJob":
        services.training.stop(scope, name)
    elif kind == "TransformJob" and services.transforms is not None:
        services.transforms.stop(scope, name)
    elif kind == "NotebookInstance" and services.notebooks is not None:
        services.notebooks.stop(scope, name)
    elif kind == "Model":
        services.definitions.delete_model(scope, name)
    elif kind == "EndpointConfig":
        services.definitions.delete_endpoint_config(scope, name)
    elif kind == "Bucket":
        return delete_bucket(services, name)
    elif kind == "LogGroup":
        services.logs.delete_group(scope, name)
    else:
        raise Invalid(f"The console cannot clean up a {kind}")
    return Freed()
