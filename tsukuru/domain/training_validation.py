"""What CreateTrainingJob checks before accepting a job, with messages a user can act on.

AWS refuses these at create time (the job never exists); anything the algorithm itself rejects
(hyperparameter values, data format) fails the job later with the container's own message.
"""

from __future__ import annotations

import re
from typing import Any

from tsukuru.domain.errors import Invalid

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
CHANNEL_PATTERN = re.compile(r"^[A-Za-z0-9\.\-_]+$")
INSTANCE_PATTERN = re.compile(r"^ml\.[a-z0-9]+[a-z0-9\-]*\.[0-9]*[a-z]+$")
S3_URI = re.compile(r"^(https|s3)://([^/]+)/?(.*)$")


def check_name(name: str, what: str = "TrainingJobName") -> None:
    if not NAME_PATTERN.match(name or ""):
        raise Invalid(
            f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )


def check_instance_type(instance_type: str, where: str) -> None:
    if not INSTANCE_PATTERN.match(instance_type or ""):
        raise Invalid(
            f"1 validation error detected: Value '{instance_type}' at '{where}' failed to satisfy "
            "constraint: Member must be an ML instance type such as 'ml.m5.xlarge'"
        )


def split_s3_uri(uri: str, where: str) -> tuple[str, str]:
    """(bucket, key-or-prefix) of an `s3://bucket/key` URI; Invalid otherwise."""
    match = S3_URI.match(uri or "")
    if not match or match.group(1) != "s3" or not match.group(2):
        raise Invalid(
            f"1 validation error detected: Value '{uri}' at '{where}' failed to satisfy "
            "constraint: Member must be an S3 URI of the form s3://bucket/prefix"
        )
    return match.group(2), match.group(3)


def check_request(request: dict[str, Any]) -> None:
    """Structural checks of a CreateTrainingJob request (the parser already enforced types)."""
    check_name(str(request.get("TrainingJobName", "")))
    resource = request.get("ResourceConfig") or {}
    check_instance_type(str(resource.get("InstanceType", "")), "resourceConfig.instanceType")
    count = int(resource.get("InstanceCount", 1))
    if count < 1:
        raise Invalid("ResourceConfig.InstanceCount must be at least 1")
    if count > 1:
        raise Invalid(
            f"ResourceConfig.InstanceCount is {count}, but this platform runs training on one "
            "machine; distributed training needs the Ray executor (InstanceCount 1 runs here)"
        )
    algorithm = request.get("AlgorithmSpecification") or {}
    if not algorithm.get("TrainingImage") and not algorithm.get("AlgorithmName"):
        raise Invalid("AlgorithmSpecification must name a TrainingImage")
    if algorithm.get("AlgorithmName") and not algorithm.get("TrainingImage"):
        raise Invalid(
            "AlgorithmSpecification.AlgorithmName (marketplace algorithms) is not supported; "
            "give a TrainingImage such as the built-in XGBoost image"
        )
    mode = algorithm.get("TrainingInputMode", "File")
    if mode not in ("File", "FastFile", "Pipe"):
        raise Invalid(f"Unknown TrainingInputMode '{mode}'")
    channels = request.get("InputDataConfig") or []
    seen: set[str] = set()
    for index, channel in enumerate(channels):
        name = str(channel.get("ChannelName", ""))
        if not CHANNEL_PATTERN.match(name):
            raise Invalid(f"Invalid ChannelName '{name}' in InputDataConfig[{index}]")
        if name in seen:
            raise Invalid(f"Channel names must be unique; '{name}' appears more than once")
        seen.add(name)
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if not source:
            raise Invalid(
                f"Channel '{name}': only S3DataSource inputs are supported "
                "(FileSystemDataSource needs EFS/FSx, which this platform does not have)"
            )
        split_s3_uri(str(source.get("S3Uri", "")), f"InputDataConfig.{index}.S3Uri")
        data_type = source.get("S3DataType", "S3Prefix")
        if data_type not in ("S3Prefix", "ManifestFile"):
            raise Invalid(
                f"Channel '{name}': S3DataType {data_type} is not supported; use S3Prefix or "
                "ManifestFile"
            )
        distribution = source.get("S3DataDistributionType", "FullyReplicated")
        if distribution not in ("FullyReplicated", "ShardedByS3Key"):
            raise Invalid(f"Channel '{name}': unknown S3DataDistributionType {distribution}")
    output = request.get("OutputDataConfig") or {}
    split_s3_uri(str(output.get("S3OutputPath", "")), "OutputDataConfig.S3OutputPath")
    stopping = request.get("StoppingCondition") or {}
    runtime = int(stopping.get("MaxRuntimeInSeconds", 86400))
    if runtime < 1:
        raise Invalid("StoppingCondition.MaxRuntimeInSeconds must be at least 1")
    for key, value in (request.get("HyperParameters") or {}).items():
        if len(str(key)) > 256 or len(str(value)) > 2500:
            raise Invalid(f"Hyperparameter '{key[:40]}' is too long (keys 256, values 2500 chars)")


def input_buckets(request: dict[str, Any]) -> list[tuple[str, str]]:
    """(bucket, where) for every bucket a request reads from or writes to."""
    found: list[tuple[str, str]] = []
    for index, channel in enumerate(request.get("InputDataConfig") or []):
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        found.append((split_s3_uri(uri, "")[0], f"InputDataConfig.{index}"))
    output = request["OutputDataConfig"]["S3OutputPath"]
    found.append((split_s3_uri(output, "")[0], "OutputDataConfig"))
    return found
