"""What CreateTransformJob checks before accepting a job, and the settings a job runs with.

AWS refuses these at create time, so a mistake costs the user one API call instead of a job.
Anything only the data can reveal (a ragged CSV row, an index a filter cannot select, a record
larger than MaxPayloadInMB) fails the job later, naming the file and line.

The JSONPath filters are checked against the subset SageMaker documents for batch transform:
`$`, `.name` and `['name', ...]` children, `[i]`, `[i, j]`, `[start:end]` (negative numbers
allowed), `*`; a step that selects several elements must be the last one.
"""

from __future__ import annotations

import re
from typing import Any

from tsukuru.domain.errors import Invalid
from tsukuru.domain.training_validation import check_instance_type, check_name, split_s3_uri

MODEL_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
MAX_PAYLOAD_LIMIT_MB = 100
DEFAULT_MAX_PAYLOAD_MB = 6
DEFAULT_INVOCATION_TIMEOUT_S = 600
DEFAULT_INVOCATION_RETRIES = 3
MAX_ENVIRONMENT_ENTRIES = 16
CSV_TYPES = ("text/csv", "csv", "application/csv")
JSON_TYPES = (
    "application/json",
    "application/jsonlines",
    "application/jsonl",
    "application/x-jsonlines",
)

_NAME = r"[A-Za-z_$][A-Za-z0-9_$\-]*"
_SLICE = r"-?\d*\s*:\s*-?\d*"
_INDEX = r"-?\d+"
_QUOTED = r"'[^']*'|\"[^\"]*\""
_ITEM = rf"(?:{_SLICE}|{_INDEX}|{_QUOTED}|\*)"
_STEP = re.compile(rf"\.(?P<dot>{_NAME}|\*)|\.?\[\s*(?P<items>{_ITEM}(?:\s*,\s*{_ITEM})*)\s*\]")
_ITEM_SPLIT = re.compile(rf"\s*({_ITEM})\s*(?:,|$)")
SUPPORTED_JSONPATH = "$, $.key, $['a','b'], $[i], $[i,j], $[i:j], $[-1], $.key[...], *"


def _constraint(value: Any, where: str, rule: str) -> Invalid:
    return Invalid(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}"
    )


def check_jsonpath(expression: str, where: str) -> None:
    """Invalid unless `expression` is in the JSONPath subset batch transform supports."""
    if len(expression) > 63:
        raise _constraint(expression, where, "Member must have length less than or equal to 63")
    reason = jsonpath_problem(expression)
    if reason:
        raise Invalid(
            f"{where} {expression!r} is not a supported JSONPath expression: {reason}. "
            f"Supported forms: {SUPPORTED_JSONPATH}"
        )


def jsonpath_problem(expression: str) -> str | None:
    """Why `expression` is outside the supported subset, or None when it is inside."""
    text = expression.strip()
    if not text.startswith("$"):
        return "it must start with $ (the record)"
    position = 1
    multiple_at: int | None = None
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            return f"cannot read it from position {position} ({text[position:]!r})"
        if multiple_at is not None:
            return "a step that selects several elements must be the last step"
        if match.group("dot") == "*":
            multiple_at = position
        elif match.group("items") is not None:
            items = [m.group(1) for m in _ITEM_SPLIT.finditer(match.group("items"))]
            quoted = [item[0] in "'\"" for item in items]
            if any(quoted) and not all(quoted):
                return "names and indexes cannot be mixed in one bracket"
            if len(items) > 1 or any(":" in item or item == "*" for item in items):
                multiple_at = position
        position = match.end()
    return None


def _enum(value: Any, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise _constraint(
            value, where, f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_request(request: dict[str, Any]) -> None:
    """Structural checks of a CreateTransformJob request (the parser already enforced types)."""
    check_name(str(request.get("TransformJobName", "")), "transformJobName")
    model = str(request.get("ModelName", ""))
    if not MODEL_NAME.match(model) or len(model) > 63:
        raise _constraint(
            model,
            "modelName",
            "Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?$",
        )
    _check_input(request.get("TransformInput") or {})
    output = request.get("TransformOutput") or {}
    split_s3_uri(str(output.get("S3OutputPath", "")), "transformOutput.s3OutputPath")
    _enum(output.get("AssembleWith", "None"), ("None", "Line"), "transformOutput.assembleWith")
    _check_resources(request.get("TransformResources") or {})
    _check_batching(request)
    _check_data_processing(request)
    client = request.get("ModelClientConfig") or {}
    timeout = int(client.get("InvocationsTimeoutInSeconds", DEFAULT_INVOCATION_TIMEOUT_S))
    if not 1 <= timeout <= 3600:
        raise _constraint(
            timeout,
            "modelClientConfig.invocationsTimeoutInSeconds",
            "Member must have value between 1 and 3600",
        )
    retries = int(client.get("InvocationsMaxRetries", DEFAULT_INVOCATION_RETRIES))
    if not 0 <= retries <= 3:
        raise _constraint(
            retries,
            "modelClientConfig.invocationsMaxRetries",
            "Member must have value between 0 and 3",
        )
    environment = request.get("Environment") or {}
    if len(environment) > MAX_ENVIRONMENT_ENTRIES:
        raise _constraint(
            "Environment", "environment", "Member must have length less than or equal to 16"
        )
    for key, value in environment.items():
        if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$", str(key)):
            raise _constraint(key, "environment", "keys must be valid environment names")
        if len(str(value)) > 10240:
            raise _constraint(key, "environment", "values must be at most 10240 characters")
    if request.get("DataCaptureConfig"):
        raise Invalid(
            "DataCaptureConfig (batch data capture for Model Monitor) is not supported by this "
            "platform; remove it (the transform output itself is written to S3OutputPath)"
        )


def _check_input(transform_input: dict[str, Any]) -> None:
    source = (transform_input.get("DataSource") or {}).get("S3DataSource") or {}
    split_s3_uri(str(source.get("S3Uri", "")), "transformInput.dataSource.s3DataSource.s3Uri")
    data_type = source.get("S3DataType", "S3Prefix")
    if data_type in ("AugmentedManifestFile", "Converse"):
        raise Invalid(
            f"S3DataType {data_type} is not supported for batch transform here; use S3Prefix "
            "(every object under the prefix) or ManifestFile (a list of objects)"
        )
    _enum(data_type, ("S3Prefix", "ManifestFile"), "transformInput.dataSource.s3DataSource")
    compression = transform_input.get("CompressionType", "None")
    _enum(compression, ("None", "Gzip"), "transformInput.compressionType")
    split = transform_input.get("SplitType", "None")
    if split in ("RecordIO", "TFRecord"):
        raise Invalid(
            f"SplitType {split} is not supported by this platform: the built-in XGBoost model "
            "server reads text records; convert the input to CSV or JSON lines and use "
            "SplitType Line (or None to send each file whole)"
        )
    _enum(split, ("None", "Line"), "transformInput.splitType")


def _check_resources(resources: dict[str, Any]) -> None:
    check_instance_type(str(resources.get("InstanceType", "")), "transformResources.instanceType")
    count = int(resources.get("InstanceCount", 1))
    if count < 1:
        raise _constraint(
            count,
            "transformResources.instanceCount",
            "Member must have value greater than or equal to 1",
        )
    if count > 1:
        raise Invalid(
            f"TransformResources.InstanceCount is {count}, but this platform runs a transform "
            "job on one machine; use InstanceCount 1 (MaxConcurrentTransforms sets how many "
            "mini-batches it works on at once)"
        )


def _check_batching(request: dict[str, Any]) -> None:
    strategy = request.get("BatchStrategy", "MultiRecord")
    _enum(strategy, ("MultiRecord", "SingleRecord"), "batchStrategy")
    payload = int(request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB))
    if not 0 <= payload <= MAX_PAYLOAD_LIMIT_MB:
        raise _constraint(payload, "maxPayloadInMB", "Member must have value between 0 and 100")
    concurrent = int(request.get("MaxConcurrentTransforms", 0))
    if concurrent < 0:
        raise _constraint(
            concurrent,
            "maxConcurrentTransforms",
            "Member must have value greater than or equal to 0",
        )
    if concurrent and payload and concurrent * payload > MAX_PAYLOAD_LIMIT_MB:
        raise Invalid(
            f"MaxConcurrentTransforms ({concurrent}) x MaxPayloadInMB ({payload}) must not "
            f"exceed {MAX_PAYLOAD_LIMIT_MB} MB"
        )


def _check_data_processing(request: dict[str, Any]) -> None:
    processing = request.get("DataProcessing") or {}
    for field in ("InputFilter", "OutputFilter"):
        if processing.get(field) is not None:
            check_jsonpath(str(processing[field]), f"DataProcessing.{field}")
    _enum(processing.get("JoinSource", "None"), ("Input", "None"), "dataProcessing.joinSource")
    active = (
        processing.get("InputFilter", "$").strip() != "$"
        or processing.get("OutputFilter", "$").strip() != "$"
        or processing.get("JoinSource", "None") == "Input"
    )
    content = media_type((request.get("TransformInput") or {}).get("ContentType"))
    if active and content and content not in CSV_TYPES + JSON_TYPES:
        raise Invalid(
            f"DataProcessing filters and joins work on CSV and JSON records only, but "
            f"TransformInput.ContentType is {content!r}; use text/csv, application/json or "
            "application/jsonlines"
        )


def input_location(request: dict[str, Any]) -> tuple[str, str, str]:
    """(S3 URI, bucket, key or prefix) of the job's input."""
    uri = str(request["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"])
    bucket, key = split_s3_uri(uri, "S3Uri")
    return uri, bucket, key


def output_location(request: dict[str, Any]) -> tuple[str, str]:
    """(bucket, key prefix without a trailing slash) of S3OutputPath."""
    bucket, prefix = split_s3_uri(str(request["TransformOutput"]["S3OutputPath"]), "S3OutputPath")
    return bucket, prefix.rstrip("/")


def resolved_settings(request: dict[str, Any]) -> dict[str, Any]:
    """Every setting the runtime needs, defaults filled in (MaxConcurrentTransforms 0 means
    "as many as the model server has workers", which the runtime decides)."""
    transform_input = request["TransformInput"]
    output = request["TransformOutput"]
    processing = request.get("DataProcessing") or {}
    client = request.get("ModelClientConfig") or {}
    return {
        "ContentType": transform_input.get("ContentType"),
        "CompressionType": transform_input.get("CompressionType", "None"),
        "SplitType": transform_input.get("SplitType", "None"),
        "BatchStrategy": request.get("BatchStrategy", "MultiRecord"),
        "MaxPayloadInMB": int(request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)),
        "MaxConcurrentTransforms": int(request.get("MaxConcurrentTransforms", 0)),
        "Accept": output.get("Accept"),
        "AssembleWith": output.get("AssembleWith", "None"),
        "InputFilter": processing.get("InputFilter", "$") or "$",
        "OutputFilter": processing.get("OutputFilter", "$") or "$",
        "JoinSource": processing.get("JoinSource", "None"),
        "InvocationsTimeoutInSeconds": int(
            client.get("InvocationsTimeoutInSeconds", DEFAULT_INVOCATION_TIMEOUT_S)
        ),
        "InvocationsMaxRetries": int(
            client.get("InvocationsMaxRetries", DEFAULT_INVOCATION_RETRIES)
        ),
    }
