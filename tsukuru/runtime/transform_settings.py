"""A transform job's settings as the runtime uses them, read from the job tree.

The platform writes `input/config/transform.json` (the API's field names, defaults filled in,
plus the list of input files); this module turns it into one frozen object with the units the
reading and batching code wants (bytes, booleans, parsed filters), and refuses a setting it
cannot honour with a message naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from tsukuru.runtime.transform_jsonpath import JsonPath, parse_jsonpath

CONFIG_FILE = Path("input") / "config" / "transform.json"
MIB = 1024 * 1024
UNLIMITED_BATCH_BYTES = 100 * MIB  # MaxPayloadInMB 0: records of any size, batches up to this
SINGLE_RECORD_CHUNK_BYTES = 4 * MIB  # how much SingleRecord reads at once (then one call each)
_CSV = ("text/csv", "csv", "application/csv")
_JSON_DOCUMENT = ("application/json",)
_JSON_LINES = ("application/jsonlines", "application/jsonl", "application/x-jsonlines")


class SettingsError(Exception):
    """The job's configuration cannot be run; the message is the job's FailureReason."""


class RecordFormat(Enum):
    """How filters and joins see a record: a CSV row, a JSON value, or opaque bytes."""

    CSV = "csv"
    JSON = "json"
    OTHER = "other"


@dataclass(frozen=True)
class InputFile:
    path: Path  # under input/data
    uri: str  # where it came from, for messages
    relative: str  # its key relative to the input prefix; the output is `<relative>.out`


@dataclass(frozen=True)
class TransformSettings:
    root: Path
    content_type: str | None
    record_format: RecordFormat
    json_document: bool  # application/json: with SplitType None the whole file is one value
    gzip: bool
    split_lines: bool
    single_record: bool
    max_payload_bytes: int | None  # None: MaxPayloadInMB 0, no limit on a record
    concurrency: int
    accept: str | None
    assemble_lines: bool
    input_filter: JsonPath | None  # None: `$`, the whole record
    output_filter: JsonPath | None
    join_input: bool
    invocation_timeout_s: float
    max_retries: int
    files: tuple[InputFile, ...]

    @property
    def processes_records(self) -> bool:
        """Whether records must be looked into (filters, join) rather than passed through."""
        return self.join_input or self.input_filter is not None or self.output_filter is not None

    @property
    def batch_bytes(self) -> int:
        """How many bytes of whole records one read (one mini-batch for MultiRecord) holds."""
        limit = self.max_payload_bytes or UNLIMITED_BATCH_BYTES
        return min(limit, SINGLE_RECORD_CHUNK_BYTES) if self.single_record else limit

    @property
    def output_dir(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _filter(document: Mapping[str, Any], name: str) -> JsonPath | None:
    text = str(document.get(name) or "$")
    try:
        path = parse_jsonpath(text)
    except ValueError as exc:
        raise SettingsError(f"ClientError: DataProcessing.{name}: {exc}") from None
    return None if path.is_root else path


def _record_format(content_type: str | None) -> RecordFormat:
    media = media_type(content_type)
    if media in _JSON_DOCUMENT + _JSON_LINES:
        return RecordFormat.JSON
    if media in _CSV or not media:
        return RecordFormat.CSV
    return RecordFormat.OTHER


def load_settings(root: Path, environ: Mapping[str, str]) -> TransformSettings:
    try:
        document = json.loads((root / CONFIG_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"InternalServerError: cannot read the job settings: {exc}") from None
    content_type = document.get("ContentType") or None
    payload_mb = int(document.get("MaxPayloadInMB", 6))
    concurrency = int(document.get("MaxConcurrentTransforms") or 0)
    if concurrency <= 0:  # the model server's default: one per worker, one worker per core
        concurrency = max(1, int(environ.get("TSUKURU_NUM_CPUS") or os.cpu_count() or 1))
    data = root / "input" / "data"
    files = tuple(
        InputFile(data / entry["Path"], str(entry["Uri"]), str(entry["Path"]))
        for entry in document.get("Files", [])
    )
    settings = TransformSettings(
        root=root,
        content_type=content_type,
        record_format=_record_format(content_type),
        json_document=media_type(content_type) in _JSON_DOCUMENT,
        gzip=document.get("CompressionType") == "Gzip",
        split_lines=document.get("SplitType") == "Line",
        single_record=document.get("BatchStrategy") == "SingleRecord",
        max_payload_bytes=payload_mb * MIB if payload_mb > 0 else None,
        concurrency=concurrency,
        accept=document.get("Accept") or None,
        assemble_lines=document.get("AssembleWith") == "Line",
        input_filter=_filter(document, "InputFilter"),
        output_filter=_filter(document, "OutputFilter"),
        join_input=document.get("JoinSource") == "Input",
        invocation_timeout_s=float(document.get("InvocationsTimeoutInSeconds", 600)),
        max_retries=int(document.get("InvocationsMaxRetries", 3)),
        files=files,
    )
    if settings.processes_records and settings.record_format is RecordFormat.OTHER:
        raise SettingsError(
            f"ClientError: DataProcessing works on CSV and JSON records, but ContentType is "
            f"{content_type!r}"
        )
    return settings


def describe(settings: TransformSettings) -> str:
    """One log line with what the job runs with, in SageMaker's words."""
    strategy = "SINGLE_RECORD" if settings.single_record else "MULTI_RECORD"
    payload = settings.max_payload_bytes // MIB if settings.max_payload_bytes else 0
    return (
        f"MaxConcurrentTransforms={settings.concurrency}, MaxPayloadInMB={payload}, "
        f"BatchStrategy={strategy}, SplitType={'Line' if settings.split_lines else 'None'}, "
        f"AssembleWith={'Line' if settings.assemble_lines else 'None'}"
    )
