"""The SageMaker-style folder a training job runs in, and moving data in and out of it.

    <jobs>/<name>/input/config/{hyperparameters,inputdataconfig,resourceconfig}.json
                 /input/data/<channel>/...   inputs, hard-linked from the object store
                 /input/sourcedir.tar.gz     script mode's source_dir, unpacked into code/
                 /model/  /output/  /output/data/  /checkpoints/  /code/

Inputs are linked rather than copied when the object store keeps its bytes on the same disk,
so a 10 GB channel costs no copy. Outputs are packed as SageMaker packs them:
`<S3OutputPath>/<job>/output/model.tar.gz` (and `output.tar.gz` when the job wrote output data).
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from tsukuru.domain.errors import DomainError
from tsukuru.domain.training_validation import split_s3_uri


class TrainingData(Protocol):
    """What a training job needs from the object store."""

    def bucket_exists(self, bucket: str) -> bool: ...

    def iter_keys(self, bucket: str, prefix: str) -> Iterator[str]: ...

    def link_object(self, bucket: str, key: str, dest: str) -> None: ...

    def read_object(self, bucket: str, key: str) -> bytes: ...

    def put_file(self, bucket: str, key: str, path: str, content_type: str) -> None: ...


class JobFailure(Exception):
    """The job ends Failed with this reason (already worded as AWS words it)."""


class JobTree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "input" / "config"
        self.data = root / "input" / "data"
        self.model = root / "model"
        self.output = root / "output"
        self.output_data = root / "output" / "data"
        self.checkpoints = root / "checkpoints"
        self.source_archive = root / "input" / "sourcedir.tar.gz"  # script mode's source_dir

    def prepare(self, request: dict[str, Any]) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)
        for folder in (
            self.config,
            self.data,
            self.model,
            self.output_data,
            self.checkpoints,
            self.root / "code",
        ):
            folder.mkdir(parents=True, exist_ok=True)
        hyperparameters = {
            str(k): str(v) for k, v in (request.get("HyperParameters") or {}).items()
        }
        channels = {}
        for channel in request.get("InputDataConfig") or []:
            source = channel["DataSource"]["S3DataSource"]
            entry = {
                "TrainingInputMode": channel.get("InputMode")
                or request["AlgorithmSpecification"].get("TrainingInputMode", "File"),
                "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            }
            if channel.get("ContentType"):
                entry["ContentType"] = channel["ContentType"]
            channels[channel["ChannelName"]] = entry
        resources = {
            "current_host": "algo-1",
            "current_instance_type": request["ResourceConfig"]["InstanceType"],
            "current_group_name": "homogeneousCluster",
            "hosts": ["algo-1"],
            "instance_groups": [
                {
                    "instance_group_name": "homogeneousCluster",
                    "instance_type": request["ResourceConfig"]["InstanceType"],
                    "hosts": ["algo-1"],
                }
            ],
            "network_interface_name": "eth0",
        }
        for file_name, content in (
            ("hyperparameters.json", hyperparameters),
            ("inputdataconfig.json", channels),
            ("resourceconfig.json", resources),
        ):
            (self.config / file_name).write_text(json.dumps(content, indent=1))

    def materialize(self, data: TrainingData, request: dict[str, Any]) -> None:
        role = request.get("RoleArn", "")
        for channel in request.get("InputDataConfig") or []:
            source = channel["DataSource"]["S3DataSource"]
            uri = source["S3Uri"]
            bucket, prefix = split_s3_uri(uri, "S3Uri")
            target = self.data / channel["ChannelName"]
            target.mkdir(parents=True, exist_ok=True)
            if not data.bucket_exists(bucket):
                raise JobFailure(_no_objects(uri, bucket, role))
            try:
                if source.get("S3DataType", "S3Prefix") == "ManifestFile":
                    count = self._from_manifest(data, bucket, prefix, target, uri)
                else:
                    count = self._from_prefix(data, bucket, prefix, target)
            except DomainError as exc:
                raise JobFailure(f"ClientError: could not read {uri}: {exc.message}") from exc
            if count == 0:
                raise JobFailure(_no_objects(uri, bucket, role))
        self._fetch_source(data, request)

    def _fetch_source(self, data: TrainingData, request: dict[str, Any]) -> None:
        """Script mode: link the SDK's sourcedir.tar.gz (the `sagemaker_submit_directory`
        hyperparameter) to input/sourcedir.tar.gz; the runtime unpacks it into code/."""
        raw = str((request.get("HyperParameters") or {}).get("sagemaker_submit_directory", ""))
        try:
            uri = str(json.loads(raw))
        except ValueError:
            uri = raw
        if not uri.startswith("s3://"):
            return  # none, or a local path the runtime reads itself
        bucket, key = split_s3_uri(uri, "sagemaker_submit_directory")
        try:
            data.link_object(bucket, key, str(self.source_archive))
        except DomainError as exc:
            raise JobFailure(
                f"ClientError: could not fetch the source directory {uri} "
                f"(sagemaker_submit_directory): {exc.message}"
            ) from exc

    def _from_prefix(self, data: TrainingData, bucket: str, prefix: str, target: Path) -> int:
        count = 0
        for key in data.iter_keys(bucket, prefix):
            if key.endswith("/"):
                continue  # a folder marker, not data
            relative = key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]
            self._link(data, bucket, key, target, relative)
            count += 1
        return count

    def _from_manifest(
        self, data: TrainingData, bucket: str, key: str, target: Path, uri: str
    ) -> int:
        try:
            manifest = json.loads(data.read_object(bucket, key))
            base = manifest[0]["prefix"]
            entries = [str(item) for item in manifest[1:]]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise JobFailure(
                f"ClientError: the manifest {uri} is not a valid manifest file: expected "
                '[{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]'
            ) from exc
        base_bucket, base_prefix = split_s3_uri(base, "prefix")
        for relative in entries:
            self._link(data, base_bucket, base_prefix + relative, target, relative)
        return len(entries)

    @staticmethod
    def _link(data: TrainingData, bucket: str, key: str, target: Path, relative: str) -> None:
        dest = (target / relative).resolve()
        if target.resolve() not in dest.parents:
            raise JobFailure(f"ClientError: the S3 key {key!r} cannot be placed inside the channel")
        dest.parent.mkdir(parents=True, exist_ok=True)
        data.link_object(bucket, key, str(dest))

    def failure_reason(self, exit_code: int) -> str:
        failure = self.output / "failure"
        if failure.is_file():
            text = failure.read_text(errors="replace").strip()
            if text:
                return text[:1024]
        return f"AlgorithmError: the training process exited with code {exit_code}"


def _no_objects(uri: str, bucket: str, role: str) -> str:
    return (
        f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. '
        "Please ensure that the bucket exists in the selected region, that objects exist under "
        f'that S3 prefix, and that the role "{role}" has "s3:ListBucket" permissions on bucket '
        f'"{bucket}".'
    )


def package_outputs(
    data: TrainingData, tree: JobTree, request: dict[str, Any], name: str
) -> dict[str, str]:
    """Pack model/ (and output/data/ when not empty) and upload them; returns their S3 URIs."""
    output_path = request["OutputDataConfig"]["S3OutputPath"].rstrip("/")
    bucket, prefix = split_s3_uri(output_path, "S3OutputPath")
    base = f"{prefix}/{name}/output" if prefix else f"{name}/output"
    results: dict[str, str] = {}
    packs = [("model", tree.model, "model.tar.gz")]
    if tree.output_data.is_dir() and any(tree.output_data.iterdir()):
        packs.append(("output", tree.output_data, "output.tar.gz"))
    for label, folder, file_name in packs:
        archive = tree.root / file_name
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            for entry in sorted(os.listdir(folder)):
                tar.add(folder / entry, arcname=entry)
        key = f"{base}/{file_name}"
        try:
            data.put_file(bucket, key, str(archive), "application/x-tar")
        except DomainError as exc:
            raise JobFailure(
                f"ClientError: could not upload {file_name} to s3://{bucket}/{key}: {exc.message}"
            ) from exc
        results[label] = f"s3://{bucket}/{key}"
    return results
