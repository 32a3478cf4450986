"""Bring a model's artifact from the object store into a folder a model server can load.

A `model.tar.gz` is extracted once per deployment with tar's "data" filter, so an archive can
never write outside its folder (no absolute paths, `..`, or links pointing out). An uncompressed
S3 prefix is hard-linked file by file.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from tsukuru.domain.errors import DomainError
from tsukuru.domain.training_tree import TrainingData
from tsukuru.domain.training_validation import split_s3_uri


class ArtifactError(Exception):
    """The model data cannot be used; the message is the endpoint's FailureReason."""


def fetch_model(data: TrainingData, uri: str, compressed: bool, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    bucket, key = split_s3_uri(uri, "ModelDataUrl")
    try:
        if not compressed:
            count = 0
            prefix = key if key.endswith("/") or not key else key + "/"
            for object_key in data.iter_keys(bucket, prefix):
                if object_key.endswith("/"):
                    continue
                target = (dest / object_key[len(prefix) :]).resolve()
                if dest.resolve() not in target.parents:
                    raise ArtifactError(f"The model data key {object_key!r} cannot be placed")
                target.parent.mkdir(parents=True, exist_ok=True)
                data.link_object(bucket, object_key, str(target))
                count += 1
            if count == 0:
                raise ArtifactError(f"No model data found under {uri}")
            return
        archive = dest.parent / (dest.name + ".tar.gz")
        archive.unlink(missing_ok=True)
        data.link_object(bucket, key, str(archive))
    except DomainError as exc:
        raise ArtifactError(f"Failed to download model data from {uri}: {exc.message}") from exc
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.FilterError as exc:
        raise ArtifactError(
            f"Refused to extract model data archive from {uri}: {exc}; an archive member may "
            "not be written, or link, outside the model folder"
        ) from exc
    except (tarfile.TarError, OSError, EOFError) as exc:
        # tarfile explains a file no method could open over several lines: a FailureReason
        # is shown on one line, so only a one-line detail is kept
        detail = str(exc).strip()
        detail = f" ({detail})" if detail and "\n" not in detail else ""
        raise ArtifactError(
            f"Failed to extract model data archive from {uri}: the file is not a valid "
            f"tar.gz archive{detail}; package the model with `tar -czf model.tar.gz <files>`"
        ) from exc
    finally:
        archive.unlink(missing_ok=True)
