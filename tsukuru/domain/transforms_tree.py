"""The folder a transform job runs in, and moving data in and out of it.

    <jobs>/<name>/input/data/<relative key>        inputs, hard-linked from the object store
                 /input/config/transform.json      settings + the list of inputs (for the runtime)
                 /model/                           the model artifact, extracted
                 /output/data/<relative key>.out   finished outputs, uploaded when the job ends
                 /output/failure                   the runtime's one-line reason, if it failed

Each input keeps its key relative to the input prefix, and its output is stored under
S3OutputPath with the same relative key plus `.out`: `s3://b/in/part1.csv` read with S3Uri
`s3://b/in` becomes `s3://b/out/part1.csv.out`. Only finished outputs are uploaded, as SageMaker
never uploads a partly transformed object.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsukuru.domain.errors import DomainError
from tsukuru.domain.training_tree import JobFailure, TrainingData
from tsukuru.domain.training_validation import split_s3_uri
from tsukuru.domain.transforms_validation import input_location, output_location

CONFIG_FILE = "transform.json"
OUTPUT_SUFFIX = ".out"


@dataclass(frozen=True)
class InputObject:
    uri: str
    relative: str  # path under input/data, and the output's key under S3OutputPath (+ .out)


class TransformTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "input" / "config"
        self.data = root / "input" / "data"
        self.model = root / "model"
        self.output = root / "output"
        self.output_data = root / "output" / "data"

    def prepare(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        for folder in (self.config, self.data, self.output_data):
            folder.mkdir(parents=True, exist_ok=True)

    def materialize(self, data: TrainingData, request: dict[str, Any]) -> list[InputObject]:
        """Link every input object into input/data; JobFailure when there is none."""
        uri, bucket, key = input_location(request)
        source = request["TransformInput"]["DataSource"]["S3DataSource"]
        if not data.bucket_exists(bucket):
            raise JobFailure(_no_objects(uri, bucket))
        try:
            if source.get("S3DataType", "S3Prefix") == "ManifestFile":
                objects = self._from_manifest(data, bucket, key, uri)
            else:
                objects = self._from_prefix(data, bucket, key)
        except DomainError as exc:
            raise JobFailure(f"ClientError: could not read {uri}: {exc.message}") from exc
        if not objects:
            raise JobFailure(_no_objects(uri, bucket))
        return objects

    def _from_prefix(self, data: TrainingData, bucket: str, prefix: str) -> list[InputObject]:
        objects = []
        for key in data.iter_keys(bucket, prefix):
            if key.endswith("/"):
                continue  # a folder marker, not data
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            objects.append(self._link(data, bucket, key, relative))
        return objects

    def _from_manifest(
        self, data: TrainingData, bucket: str, key: str, uri: str
    ) -> list[InputObject]:
        try:
            manifest = json.loads(data.read_object(bucket, key))
            base = str(manifest[0]["prefix"])
            entries = [str(item) for item in manifest[1:]]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise JobFailure(
                f"ClientError: the manifest {uri} is not a valid manifest file: expected "
                '[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]'
            ) from exc
        base_bucket, base_prefix = split_s3_uri(base, "prefix")
        return [self._link(data, base_bucket, base_prefix + entry, entry) for entry in entries]

    def _link(self, data: TrainingData, bucket: str, key: str, relative: str) -> InputObject:
        dest = (self.data / relative).resolve()
        if self.data.resolve() not in dest.parents:
            raise JobFailure(f"ClientError: the S3 key {key!r} cannot be placed inside the job")
        dest.parent.mkdir(parents=True, exist_ok=True)
        data.link_object(bucket, key, str(dest))
        return InputObject(f"s3://{bucket}/{key}", dest.relative_to(self.data.resolve()).as_posix())

    def write_config(self, settings: dict[str, Any], objects: list[InputObject]) -> None:
        document = {
            **settings,
            "Files": [{"Path": item.relative, "Uri": item.uri} for item in objects],
        }
        (self.config / CONFIG_FILE).write_text(json.dumps(document, indent=1))

    def upload_outputs(
        self, data: TrainingData, request: dict[str, Any], content_type: str
    ) -> list[str]:
        """Put every finished `.out` file under S3OutputPath; returns the URIs written."""
        bucket, prefix = output_location(request)
        written = []
        for folder, _, files in sorted(os.walk(self.output_data)):
            for file_name in sorted(files):
                if not file_name.endswith(OUTPUT_SUFFIX):
                    continue
                path = Path(folder) / file_name
                relative = path.relative_to(self.output_data).as_posix()
                key = f"{prefix}/{relative}" if prefix else relative
                try:
                    data.put_file(bucket, key, str(path), content_type)
                except DomainError as exc:
                    raise JobFailure(
                        f"ClientError: could not upload s3://{bucket}/{key}: {exc.message}"
                    ) from exc
                written.append(f"s3://{bucket}/{key}")
        return written

    def discard_outputs(self) -> None:
        """Drop the local copies of the outputs once uploaded (the object store has them)."""
        for folder in (self.output_data, self.output / "partial"):
            shutil.rmtree(folder, ignore_errors=True)

    def failure_reason(self, exit_code: int) -> str:
        failure = self.output / "failure"
        if failure.is_file():
            text = failure.read_text(errors="replace").strip()
            if text:
                return text[:1024]
        return f"AlgorithmError: the transform process exited with code {exit_code}"


def _no_objects(uri: str, bucket: str) -> str:
    return (
        f'ClientError: No S3 objects found under S3 URL "{uri}" given in the transform input. '
        "Please ensure that the bucket exists in the selected region and that objects exist "
        f'under that S3 prefix (bucket "{bucket}").'
    )
