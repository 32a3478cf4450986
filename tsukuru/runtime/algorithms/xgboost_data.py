"""Channel and input-file rules of the built-in XGBoost, checked before any data is parsed.

The container accepts a `train` channel (required), a `validation` channel and a script-mode
`code` channel; each channel's (ContentType, TrainingInputMode, S3DistributionType) must be one
of the combinations it declares. It then looks at the files: hidden files are refused, an empty
channel is an error, and the first line of every file must look like the declared format. The
messages are the container's, since they become the job's FailureReason.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion

log = logging.getLogger(__name__)

CSV, LIBSVM, PARQUET, RECORDIO = "csv", "libsvm", "parquet", "recordio-protobuf"
TRAIN, VALIDATION, CODE = "train", "validation", "code"
DEFAULT_CONTENT_TYPE = "text/libsvm"
MAX_FOLDER_DEPTH = 3

VALID_CONTENT_TYPES = (
    "csv",
    "libsvm",
    "parquet",
    "recordio-protobuf",
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
)
PIPED_CONTENT_TYPES = (
    "csv",
    "parquet",
    "recordio-protobuf",
    "text/csv",
    "application/x-parquet",
    "application/x-recordio-protobuf",
)
_CONTENT_TYPE_FAMILY = {
    "csv": CSV,
    "text/csv": CSV,
    "libsvm": LIBSVM,
    "text/libsvm": LIBSVM,
    "text/x-libsvm": LIBSVM,
    "parquet": PARQUET,
    "application/x-parquet": PARQUET,
    "recordio-protobuf": RECORDIO,
    "application/x-recordio-protobuf": RECORDIO,
}
_DISTRIBUTIONS = ("ShardedByS3Key", "FullyReplicated")
_PIPE_REMOVED = (
    "Pipe mode for {kind} is no longer supported. Please use Fast File mode (default) instead. "
    "Set input_mode='File' in your SageMaker Estimator or TrainingInput."
)


def _supported(channel: str) -> set[tuple[str, str, str]]:
    if channel == CODE:
        return {("text/python", "File", "FullyReplicated")}
    combos = {(ct, "File", dist) for ct in VALID_CONTENT_TYPES for dist in _DISTRIBUTIONS}
    combos |= {(ct, "Pipe", dist) for ct in PIPED_CONTENT_TYPES for dist in _DISTRIBUTIONS}
    return combos


def validate_channels(config: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """inputdataconfig.json checked as the container checks it (ContentType defaulted)."""
    if TRAIN not in config:
        raise ClientError(f"Missing required channel: {TRAIN}")
    validated: dict[str, dict[str, Any]] = {}
    for name, raw in config.items():
        if name not in (TRAIN, VALIDATION, CODE):
            raise ClientError(f"Extraneous channel found: {name}")
        value = dict(raw)
        value.setdefault("ContentType", DEFAULT_CONTENT_TYPE)
        mode = value.get("TrainingInputMode", "File")
        combo = (
            value.get("ContentType"),
            "File" if mode == "FastFile" else mode,  # FastFile reaches the container as files
            value.get("S3DistributionType", "FullyReplicated"),
        )
        if combo not in _supported(name):
            raise ClientError(
                f"Channel configuration for '{name}' channel is not supported: {value}"
            )
        validated[name] = value
    return validated


def content_family(content_type: str | None) -> str:
    """csv, libsvm, parquet or recordio-protobuf for a channel's ContentType."""
    if content_type is None:
        return LIBSVM
    base, *raw_params = content_type.lower().split(";")
    params = {}
    for item in raw_params:
        key, _, value = item.partition("=")
        params[key.strip()] = value.strip().strip('"')
    family = _CONTENT_TYPE_FAMILY.get(base.strip())
    if family is None:
        raise ClientError(
            f"{content_type} is not an accepted ContentType: {', '.join(VALID_CONTENT_TYPES)}."
        )
    if family == CSV and params.get("label_size", "1") != "1":
        raise ClientError(
            f"{content_type} is not an accepted csv ContentType. "
            "Optional parameter label_size must be equal to 1"
        )
    return family


def check_input_mode(channel: Mapping[str, Any], family: str, version: XGBoostVersion) -> None:
    """3.0-5 removed Pipe mode (the platform materialises Pipe channels as files otherwise)."""
    if channel.get("TrainingInputMode") == "Pipe" and version.at_least((3, 0, 5)):
        kind = {CSV: "CSV", PARQUET: "Parquet", RECORDIO: "RecordIO-Protobuf"}.get(family, family)
        raise ClientError(_PIPE_REMOVED.format(kind=kind))


@dataclass(frozen=True)
class ChannelFiles:
    path: Path
    files: tuple[Path, ...]
    size: int


def channel_files(path: Path) -> ChannelFiles:
    """The channel's data files (sorted, non-empty, at most three folders deep) and total size."""
    if not path.exists():
        return ChannelFiles(path, (), 0)
    if path.is_file():
        return ChannelFiles(path, (path,), path.stat().st_size)
    total = 0
    files: list[Path] = []
    too_deep = False
    for root, dirs, names in os.walk(path):
        depth = len(Path(root).relative_to(path).parts) + 1
        for name in names:
            if name.startswith("."):
                raise ClientError(
                    "Hidden file found in the data path! Remove that before training."
                )
            file_path = Path(root) / name
            size = file_path.stat().st_size
            total += size
            if depth > MAX_FOLDER_DEPTH:
                too_deep = True
            elif size > 0:
                files.append(file_path)
        dirs.sort()
    if too_deep:
        log.warning(
            "The depth of folder %s exceed the limit %s. Files in deeper sub dirs won't be loaded. "
            "Please adjust the folder structure accordingly.",
            path,
            MAX_FOLDER_DEPTH,
        )
    return ChannelFiles(path, tuple(sorted(files)), total)


def _first_line(path: Path) -> str:
    with path.open("r", encoding="utf-8", errors="ignore") as handle:
        return handle.readline()


def csv_delimiter(line: str) -> str:
    """The delimiter csv.Sniffer finds on a line (a letter or digit there means `,`)."""
    try:
        delimiter = csv.Sniffer().sniff(line).delimiter
    except csv.Error as exc:
        raise ClientError(f"Could not determine delimiter on line {line[:50]}:\n{exc}") from exc
    if delimiter.isalnum() or delimiter in ".-+":
        delimiter = ","
    return delimiter


def validate_files(files: ChannelFiles, family: str) -> None:
    """The container's first-line sanity checks of CSV and LIBSVM files."""
    for path in files.files:
        if family == CSV:
            csv_delimiter(_first_line(path))
        elif family == LIBSVM:
            _validate_libsvm(path)


def _libsvm_features(line: str) -> int:
    """How many `index:value` features a LIBSVM line has, or -1 when it is not LIBSVM."""
    parts = line.split(" ")
    label = parts[0].split(":")
    if len(label) > 2:
        return -1
    try:
        for piece in label:
            float(piece)
    except ValueError:
        return -1
    count = 0
    for token in parts[1:]:
        if token.strip() == "":
            continue
        if len(token.split(":")) != 2:
            return -1
        count += 1
    return count


def _validate_libsvm(path: Path) -> None:
    with path.open("r", encoding="utf-8", errors="ignore") as handle:
        for line in handle:
            features = _libsvm_features(line)
            if features > 1:
                return
            if features < 0:
                raise ClientError(
                    f"First line '{line[:50]}...' of file '{path.name}' is not 'LIBSVM' format. "
                    "Please ensure the file is in 'LIBSVM' format."
                )
    log.warning(
        "File %s is not an invalid LIBSVM file but has no features. Accepting simple validation.",
        path.name,
    )
