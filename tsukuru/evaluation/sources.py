"""Where predictions come from: a live endpoint, a batch-transform output or a local model.

Each source returns predictions for exactly the labelled rows, in their order, plus what it
knows about the problem: a model file names its objective (binary, multiclass or regression),
which beats guessing from the numbers. Endpoint requests stay under InvokeEndpoint's 6 MB
payload limit by sending the rows in batches under 5 MB.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tsukuru.evaluation.aws import (
    AwsOptions,
    is_s3_uri,
    list_s3_keys,
    make_client,
    parse_s3_uri,
    read_location,
    read_s3_object,
)
from tsukuru.evaluation.metrics import FloatArray, Kind
from tsukuru.evaluation.responses import parse_batch_output, parse_predictions

MAX_PAYLOAD_BYTES = 5_000_000
MODEL_FILE = "xgboost-model"
Progress = Callable[[int, int], None]  # (rows done, rows in all)


class SourceError(ValueError):
    """Predictions cannot be had from the given source; the message says why."""


@dataclass(frozen=True)
class Predictions:
    values: FloatArray  # (rows,) or (rows, classes)
    source: str
    kind: Kind | None = None  # what the model says it is, when it says
    notes: tuple[str, ...] = ()


# --- an endpoint -----------------------------------------------------------------------------


def feature_lines(features: FloatArray) -> list[bytes]:
    """One CSV line per row, shortest round-tripping numbers, an empty field for a missing one."""
    text = np.where(np.isnan(features), "", features.astype(str))
    return [",".join(row).encode() for row in text.tolist()]


def payload_batches(lines: list[bytes], max_bytes: int) -> Iterator[list[bytes]]:
    """Consecutive runs of lines whose newline-joined size stays within max_bytes."""
    batch: list[bytes] = []
    size = 0
    for number, line in enumerate(lines, start=1):
        if len(line) + 1 > max_bytes:
            raise SourceError(f"row {number} alone is {len(line)} bytes, over {max_bytes}")
        if batch and size + len(line) + 1 > max_bytes:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line) + 1
    if batch:
        yield batch


def predict_endpoint(
    endpoint_name: str,
    features: FloatArray,
    *,
    client: Any | None = None,
    options: AwsOptions | None = None,
    content_type: str = "text/csv",
    accept: str | None = "text/csv",
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    target_variant: str | None = None,
    progress: Progress | None = None,
) -> Predictions:
    """Send the feature rows to an endpoint through InvokeEndpoint and read the answers."""
    runtime = client or make_client("sagemaker-runtime", options)
    lines = feature_lines(features)
    parts: list[FloatArray] = []
    done = 0
    for batch in payload_batches(lines, max_payload_bytes):
        request: dict[str, Any] = {
            "EndpointName": endpoint_name,
            "ContentType": content_type,
            "Body": b"\n".join(batch) + b"\n",
        }
        if accept:
            request["Accept"] = accept
        if target_variant:
            request["TargetVariant"] = target_variant
        response = runtime.invoke_endpoint(**request)
        body = response["Body"].read()
        parts.append(parse_predictions(body, len(batch), response.get("ContentType")))
        done += len(batch)
        if progress is not None:
            progress(done, len(lines))
    if not parts:
        raise SourceError("there are no rows to send to the endpoint")
    widths = {part.shape[1:] for part in parts}
    if len(widths) != 1:
        raise SourceError(f"the endpoint answered predictions of different shapes: {widths}")
    return Predictions(values=np.concatenate(parts), source=f"endpoint {endpoint_name}")


# --- a batch-transform output ----------------------------------------------------------------


def _batch_output_bytes(location: str | Path, client: Any | None) -> tuple[bytes, str]:
    """A local file, an S3 object, or the single `.out` object under an S3 prefix."""
    if not is_s3_uri(location):
        return read_location(location), str(location)
    s3 = client or make_client("s3")
    uri = parse_s3_uri(str(location))
    keys = list_s3_keys(uri, s3)
    if uri.key in keys:
        return read_s3_object(uri, s3), str(uri)
    outputs = [key for key in keys if key.endswith(".out")]
    if len(outputs) != 1:
        found = ", ".join(outputs[:5]) or "none"
        raise SourceError(
            f"{location} is not an object, and the prefix holds {len(outputs)} .out objects "
            f"({found}); name the output object for the labelled file"
        )
    chosen = type(uri)(uri.bucket, outputs[0])
    return read_s3_object(chosen, s3), str(chosen)


def read_batch_output(
    location: str | Path,
    labels: FloatArray,
    features: FloatArray,
    *,
    column: int | None = None,
    client: Any | None = None,
) -> Predictions:
    content, resolved = _batch_output_bytes(location, client)
    values = parse_batch_output(content, labels, features, column=column)
    return Predictions(values=values, source=f"batch output {resolved}")


# --- a local model ---------------------------------------------------------------------------


def _kind_of(objective: str) -> Kind | None:
    family = objective.split(":", 1)[0]
    if family == "binary":
        return Kind.BINARY
    if family == "multi":
        return Kind.MULTICLASS
    if family in ("reg", "count", "survival"):
        return Kind.REGRESSION
    return None


def _model_folder(location: str | Path, workdir: Path, client: Any | None) -> Path:
    """A folder holding the model files, from a tarball, a folder or a single model file."""
    if not is_s3_uri(location) and Path(location).expanduser().is_dir():
        return Path(location).expanduser()
    content = read_location(location, client)
    archive = workdir / "model.tar.gz"
    archive.write_bytes(content)
    folder = workdir / "model"
    folder.mkdir()
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    else:
        shutil.copyfile(archive, folder / MODEL_FILE)
    return folder


def predict_model(
    location: str | Path, features: FloatArray, *, client: Any | None = None
) -> Predictions:
    """Predict with an XGBoost model (model.tar.gz, folder or file; local or S3) in-process.

    The model is loaded by the same code as the platform's built-in model server, so its
    predictions equal the endpoint's. A `binary:logitraw` model's margins are turned into
    probabilities with the logistic function, which leaves AUC unchanged and makes log loss
    and a 0.5 threshold meaningful.
    """
    from tsukuru.runtime.algorithms.xgboost_serving_model import ModelLoadError, load_model

    with tempfile.TemporaryDirectory(prefix="tsukuru-evaluate-") as workdir:
        try:
            model = load_model(_model_folder(location, Path(workdir), client), ensemble=False)
        except ModelLoadError as exc:
            raise SourceError(str(exc)) from None
        except (tarfile.TarError, OSError) as exc:
            raise SourceError(f"cannot read the model at {location}: {exc}") from None
        notes: list[str] = []
        if features.shape[1] > model.num_features:
            raise SourceError(
                f"the data has {features.shape[1]} feature columns but the model was trained on "
                f"{model.num_features}; is the label column right?"
            )
        if features.shape[1] < model.num_features:
            notes.append(
                f"The data has {features.shape[1]} feature columns, the model "
                f"{model.num_features}: the missing ones are treated as missing values."
            )
        values = np.asarray(model.predict(features), dtype=np.float64)
    if model.objective == "binary:logitraw":
        values = 1.0 / (1.0 + np.exp(-values))
        notes.append("binary:logitraw margins were turned into probabilities (logistic).")
    return Predictions(
        values=values,
        source=f"model {location}",
        kind=_kind_of(model.objective),
        notes=(f"Model objective: {model.objective}.", *notes),
    )
