"""The ports the domain needs from the outside world, as small Protocols.

Every backend (SQLite or PostgreSQL metadata, filesystem or S3 blobs, local or Ray executors)
implements one of these and is chosen in `app.py` alone; the domain never learns which. Each port
has one contract test suite under `tests/` that every implementation must pass.

Times are timezone-aware UTC datetimes. Documents (`Record.doc`) are JSON-compatible dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Literal, Protocol

from tsukuru.domain.scope import Scope

# --------------------------------------------------------------------------- resources


@dataclass(frozen=True)
class Record:
    """One SageMaker-style resource (training job, model, endpoint, ...) as a JSON document.

    `status`, `created` and `modified` are copied out of the document into indexed columns so
    List* filters and sorting run in the store. `version` increases by one on every update and
    guards against lost updates (optimistic concurrency).
    """

    kind: str
    scope: Scope
    name: str
    arn: str
    status: str | None
    created: datetime
    modified: datetime
    doc: dict[str, Any]
    version: int = 0


SortKey = Literal["Name", "CreationTime", "Status", "LastModifiedTime"]


@dataclass(frozen=True)
class ListQuery:
    name_contains: str | None = None
    status_equals: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    sort_by: SortKey = "CreationTime"
    descending: bool = True
    offset: int = 0
    limit: int = 100


class ResourceStore(Protocol):
    def insert(self, record: Record) -> Record:
        """Store a new record (returned at version 1); AlreadyExists if the name is taken."""
        ...

    def get(self, kind: str, scope: Scope, name: str) -> Record:
        """NotFound if absent."""
        ...

    def update(self, record: Record) -> Record:
        """Replace the stored record whose version equals `record.version`; return it with the
        version incremented. Conflict if the stored version differs, NotFound if absent."""
        ...

    def delete(self, kind: str, scope: Scope, name: str) -> None:
        """NotFound if absent."""
        ...

    def find(self, kind: str, scope: Scope, query: ListQuery) -> list[Record]:
        """Filtered, sorted, then `offset`/`limit` applied (ties broken by name)."""
        ...

    def list_by_status(self, kind: str, statuses: Iterable[str]) -> list[Record]:
        """Records of every scope whose status is in `statuses` (recovery, supervision)."""
        ...


class TagStore(Protocol):
    def add_tags(self, arn: str, tags: dict[str, str]) -> None: ...

    def get_tags(self, arn: str) -> dict[str, str]: ...

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None: ...

    def remove_all_tags(self, arn: str) -> None: ...


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class Bucket:
    name: str
    account_id: str
    region: str
    created: datetime


@dataclass(frozen=True)
class StoredObject:
    """An S3 object's index row: where its bytes are and everything a GET or HEAD must answer."""

    bucket: str
    key: str
    blob_id: str
    size: int
    etag: str  # quoted, as S3 sends it: '"<md5 hex>"' or '"<md5 of md5s>-<parts>"'
    last_modified: datetime
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    headers: dict[str, str] = field(default_factory=dict)  # Content-Encoding, Cache-Control, ...
    checksums: dict[str, str] = field(default_factory=dict)  # {"CRC32": "<base64>"}
    parts_count: int | None = None


@dataclass(frozen=True)
class Upload:
    """A multipart upload in progress."""

    upload_id: str
    bucket: str
    key: str
    initiated: datetime
    content_type: str = "binary/octet-stream"
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str | None = None


@dataclass(frozen=True)
class Part:
    upload_id: str
    part_number: int
    blob_id: str
    size: int
    etag: str
    last_modified: datetime
    checksums: dict[str, str] = field(default_factory=dict)


class ObjectIndex(Protocol):
    """Buckets, objects and multipart uploads. Keys sort by their UTF-8 bytes, as S3 lists them.

    Methods that replace or drop an object return the blob ids that no longer back any object,
    so the caller can delete those bytes after the row change has committed.
    """

    def create_bucket(self, bucket: Bucket) -> None:
        """AlreadyExists (code BucketAlreadyOwnedByYou) if the name is taken."""
        ...

    def get_bucket(self, name: str) -> Bucket:
        """NotFound (code NoSuchBucket) if absent."""
        ...

    def list_buckets(self, account_id: str) -> list[Bucket]:
        """Sorted by name."""
        ...

    def delete_bucket(self, name: str) -> None:
        """Conflict (BucketNotEmpty) if objects or uploads remain; NotFound if absent."""
        ...

    def put_object(self, obj: StoredObject) -> list[str]:
        """Insert or replace the row for (bucket, key); NotFound (NoSuchBucket) if no bucket."""
        ...

    def get_object(self, bucket: str, key: str) -> StoredObject:
        """NotFound (code NoSuchKey) if absent."""
        ...

    def delete_object(self, bucket: str, key: str) -> list[str]:
        """Deleting a missing key is not an error (S3 answers 204 either way)."""
        ...

    def list_objects(
        self, bucket: str, *, prefix: str = "", after: str | None = None, limit: int = 1000
    ) -> list[StoredObject]:
        """Objects whose key starts with `prefix` and sorts strictly after `after`, in key order."""
        ...

    def create_upload(self, upload: Upload) -> None: ...

    def get_upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        """NotFound (code NoSuchUpload) if absent or already completed/aborted."""
        ...

    def put_part(self, part: Part) -> list[str]:
        """Insert or replace a part; NotFound (NoSuchUpload) if the upload is gone."""
        ...

    def list_parts(
        self, upload_id: str, *, after_part: int = 0, limit: int = 10000
    ) -> list[Part]: ...

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        after_key: str | None = None,
        after_upload_id: str | None = None,
        limit: int = 1000,
    ) -> list[Upload]:
        """Ordered by (key bytes, initiated, upload id)."""
        ...

    def complete_upload(
        self, upload_id: str, obj: StoredObject, used_parts: list[int]
    ) -> list[str]:
        """Atomically: write `obj`, drop the upload and its parts. Returns blob ids now unused
        (the replaced object's and those of parts not in `used_parts`)."""
        ...

    def abort_upload(self, upload_id: str) -> list[str]:
        """Drop the upload and its parts; returns their blob ids. NotFound (NoSuchUpload)."""
        ...

    def referenced_blob_ids(self) -> set[str]:
        """Every blob id an object or a part points at (garbage collection after a crash)."""
        ...


@dataclass(frozen=True)
class BlobInfo:
    blob_id: str
    size: int
    md5_hex: str


# Ids a store of small blobs gives out start with this; a file store's ids (hex digits) never
# do, so a tiered store tells from the id alone which store holds a blob.
SMALL_BLOB_ID_PREFIX = "s"


class BlobStore(Protocol):
    """Bytes by generated id; never sees keys or buckets. A blob is whole or absent: a write
    returns only once the bytes are durable (files: temp, fsync, rename; small blobs kept in
    the metadata database: one committed row), so the index row that follows never points at
    torn bytes."""

    def write(self, chunks: Iterable[bytes]) -> BlobInfo:
        """Store the bytes under a new id and return it with size and MD5."""
        ...

    def concat(self, blob_ids: list[str], *, md5: bool = True) -> BlobInfo:
        """A new blob holding the given blobs one after the other (multipart completion).
        With md5=False the whole-blob MD5 is not computed and `md5_hex` is empty."""
        ...

    def open(self, blob_id: str) -> BinaryIO:
        """NotFound if absent."""
        ...

    def read_range(self, blob_id: str, start: int, length: int) -> Iterator[bytes]: ...

    def local_path(self, blob_id: str) -> str | None:
        """A filesystem path to the bytes when the store keeps them on this machine, else None."""
        ...

    def link(self, blob_id: str, dest: str) -> None:
        """Make `dest` (a new file path) hold the blob's bytes: a hard link when the store is on
        the same filesystem, otherwise a copy."""
        ...

    def delete(self, blob_id: str) -> None:
        """Deleting a missing blob is not an error."""
        ...

    def blob_ids(self) -> Iterator[str]: ...

    def clean_temporary(self) -> int:
        """Remove leftovers of interrupted writes; returns how many were removed."""
        ...


# --------------------------------------------------------------------------- logs


@dataclass(frozen=True)
class LogGroup:
    scope: Scope
    name: str
    created: datetime
    stored_bytes: int = 0


@dataclass(frozen=True)
class LogStream:
    scope: Scope
    group: str
    name: str
    created: datetime
    first_event: datetime | None = None
    last_event: datetime | None = None
    last_ingestion: datetime | None = None
    stored_bytes: int = 0


@dataclass(frozen=True)
class LogEvent:
    """`seq` is a per-stream, strictly increasing number; the log service builds tokens from it."""

    stream: str
    seq: int
    timestamp_ms: int
    ingestion_ms: int
    message: str


class LogStore(Protocol):
    def create_group(self, scope: Scope, name: str, created: datetime) -> None:
        """AlreadyExists if present."""
        ...

    def list_groups(
        self, scope: Scope, *, prefix: str = "", after: str | None = None, limit: int = 50
    ) -> list[LogGroup]:
        """Sorted by name."""
        ...

    def delete_group(self, scope: Scope, name: str) -> None:
        """Drops its streams and events; NotFound if absent."""
        ...

    def create_stream(self, scope: Scope, group: str, name: str, created: datetime) -> None:
        """AlreadyExists if present, NotFound if the group is absent."""
        ...

    def list_streams(
        self,
        scope: Scope,
        group: str,
        *,
        prefix: str = "",
        order_by: Literal["LogStreamName", "LastEventTime"] = "LogStreamName",
        descending: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> list[LogStream]:
        """NotFound if the group is absent."""
        ...

    def append(
        self,
        scope: Scope,
        group: str,
        stream: str,
        events: list[tuple[int, str]],
        ingestion_ms: int,
    ) -> None:
        """Add (timestamp_ms, message) events in order; NotFound if group or stream is absent."""
        ...

    def get_events(
        self,
        scope: Scope,
        group: str,
        stream: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_seq: int | None = None,
        before_seq: int | None = None,
        limit: int = 10000,
        from_head: bool = True,
    ) -> list[LogEvent]:
        """Events in seq order. With from_head=False the *last* `limit` matching events are
        returned (still in ascending order). NotFound if group or stream is absent."""
        ...

    def filter_events(
        self,
        scope: Scope,
        group: str,
        *,
        streams: list[str] | None = None,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after: tuple[int, str, int] | None = None,
        limit: int = 10000,
    ) -> list[LogEvent]:
        """Events of several streams ordered by (timestamp, stream, seq), strictly after the
        `after` triple of that order. Message pattern matching is the caller's job."""
        ...


# --------------------------------------------------------------------------- executors


@dataclass(frozen=True)
class Launch:
    """What to run for a job: which runtime entry point, in which tree, with which environment.

    `entry` names a runtime entry point ("train", later "transform"); the executor knows how to
    start it (a local subprocess, a Ray task), the domain does not.
    """

    name: str
    entry: str
    root: str
    env: dict[str, str]


class RunningJob(Protocol):
    """A launched job process. `lines()` yields (epoch ms, text) for each output line until the
    process's output ends; it blocks between lines."""

    def lines(self) -> Iterator[tuple[int, str]]: ...

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if still running after `timeout` seconds."""
        ...

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM): it may save its work first."""
        ...

    def kill(self) -> None: ...


class Executor(Protocol):
    def launch(self, launch: Launch) -> RunningJob: ...


# --------------------------------------------------------------------------- model hosting


@dataclass(frozen=True)
class Deployment:
    """Model-server instances for one production variant of one endpoint.

    `deployment_id` is unique per (endpoint, variant, generation): an UpdateEndpoint deploys a
    new generation beside the old one and retires the old one only once the new one is ready.
    `model_dir` holds the extracted model artifact; `env` is the container environment
    (CreateModel's Environment plus what the platform adds, e.g. TSUKURU_ALGORITHM).
    """

    deployment_id: str
    model_dir: str
    env: dict[str, str]
    instance_count: int
    workers: int = 1


@dataclass(frozen=True)
class Invocation:
    body: bytes
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    inference_id: str | None = None


@dataclass(frozen=True)
class InvocationResult:
    """The model server's answer: any status, as the server gave it (the caller maps >= 400)."""

    status: int
    body: bytes
    content_type: str | None
    custom_attributes: str | None = None


class DeploymentFailed(Exception):
    """An instance could not start (the model would not load); `reason` says why in a line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvocationTimeout(Exception):
    pass


class ModelHost(Protocol):
    def deploy(self, deployment: Deployment, timeout: float = 120.0) -> None:
        """Start every instance and return once all answer /ping; raise DeploymentFailed
        (after stopping whatever started) if any cannot start."""
        ...

    def undeploy(self, deployment_id: str) -> None:
        """Stop the instances (waiting for in-flight requests up to a short grace period)."""
        ...

    def healthy_instances(self, deployment_id: str) -> int: ...

    async def invoke(
        self, deployment_id: str, invocation: Invocation, timeout: float = 60.0
    ) -> InvocationResult:
        """Send to the instance with the fewest outstanding requests, over a kept-alive
        connection. Raises InvocationTimeout, or DeploymentFailed if no instance is up."""
        ...

    def close(self) -> None:
        """Stop every instance (platform shutdown)."""
        ...


# --------------------------------------------------------------------------- notebook instances


@dataclass(frozen=True)
class NotebookServer:
    """One notebook instance as the host sees it: a JupyterLab server with a home folder.

    `instance_id` is unique per (account, region, name) and safe as a folder name; the home
    folder it names survives Stop/Start and is removed only by `NotebookHost.remove`.
    """

    instance_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class ScriptOutcome:
    """A lifecycle script's end: its exit code (None when it ran past its time limit) and its
    output lines as (epoch ms, text)."""

    exit_code: int | None
    lines: list[tuple[int, str]]


class NotebookStartFailed(Exception):
    """The server could not be started; `reason` says why in a line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotebookHost(Protocol):
    def run_script(self, server: NotebookServer, script: bytes, timeout: float) -> ScriptOutcome:
        """Run a shell script in the instance's home with the client environment."""
        ...

    def start(self, server: NotebookServer, timeout: float = 180.0) -> str:
        """Start the server and return its address (`host:port`) once it answers; keep it
        running (restarting it if it dies) until `stop`. NotebookStartFailed if it cannot."""
        ...

    def stop(self, instance_id: str) -> None:
        """Stop the server (and abort a `start` in progress); the home folder stays."""
        ...

    def authorized_url(
        self, instance_id: str, login_until: datetime, session_until: datetime
    ) -> str | None:
        """A URL that logs a browser in until `login_until` for a session that ends at
        `session_until`; None when the server is not running."""
        ...

    def remove(self, instance_id: str) -> None:
        """Delete the instance's home folder (the server is stopped)."""
        ...

    def close(self) -> None:
        """Stop every server (platform shutdown); home folders stay."""
        ...
