"""Archives that try to write outside their folder: `model.tar.gz` (endpoints, transform jobs)
and `sourcedir.tar.gz` (script mode) are extracted with tar's "data" filter, so `..` members,
links pointing out (symbolic or hard) and absolute links are refused, and absolute member paths
land inside the folder. A refused model archive fails the endpoint with a reason that says so."""

from __future__ import annotations

import io
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.platform_support import create_model, wait_for_endpoint
from tests.harness import RunningPlatform, make_client
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.domain.clock import SystemClock
from tsukuru.domain.model_artifacts import ArtifactError, fetch_model
from tsukuru.domain.object_access import ObjectAccess
from tsukuru.domain.objects import ObjectService
from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.script_mode_source import unpack
from tsukuru.store.memory import MemoryMetadata

Member = tuple[str, str, str]  # (kind: file | symlink | hardlink, name, content or link target)


def archive(members: list[Member]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for kind, name, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = value.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = value
                tar.addfile(info)
    return buffer.getvalue()


def escapes(marker: str) -> dict[str, list[Member]]:
    return {
        "dot-dot": [("file", "ok.txt", "fine"), ("file", f"../../{marker}", "escaped")],
        "symlink-out-then-write": [
            ("symlink", "up", "../.."),
            ("file", f"up/{marker}", "escaped"),
        ],
        "absolute-symlink": [("symlink", marker, "/etc")],
        "hard-link-to-absolute": [("hardlink", marker, "/etc/passwd")],
    }


@pytest.fixture
def objects(tmp_path: Path) -> ObjectService:
    service = ObjectService(
        MemoryMetadata().objects, FilesystemBlobStore(tmp_path / "blobs"), SystemClock()
    )
    service.create_bucket("models", account_id="123456789012")
    return service


@pytest.mark.parametrize(
    "case", ["dot-dot", "symlink-out-then-write", "absolute-symlink", "hard-link-to-absolute"]
)
def test_a_model_archive_cannot_write_outside_its_folder(
    tmp_path: Path, objects: ObjectService, case: str
) -> None:
    marker = f"escape-{uuid.uuid4().hex}"
    objects.put_object("models", "evil/model.tar.gz", archive(escapes(marker)[case]))
    dest = tmp_path / "endpoint" / "variant-1" / "model"
    with pytest.raises(ArtifactError) as refused:
        fetch_model(ObjectAccess(objects), "s3://models/evil/model.tar.gz", True, dest)
    assert "Refused to extract model data archive" in str(refused.value)
    assert "outside the model folder" in str(refused.value)
    assert [p for p in tmp_path.rglob(f"*{marker}*") if dest not in p.parents] == []
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_an_absolute_member_path_lands_inside_the_folder(
    tmp_path: Path, objects: ObjectService
) -> None:
    marker = f"/tmp/escape-{uuid.uuid4().hex}"
    objects.put_object("models", "abs/model.tar.gz", archive([("file", marker, "contained")]))
    dest = tmp_path / "model"
    fetch_model(ObjectAccess(objects), "s3://models/abs/model.tar.gz", True, dest)
    assert not Path(marker).exists()
    assert (dest / marker.lstrip("/")).read_text() == "contained"


@pytest.mark.parametrize("case", ["dot-dot", "symlink-out-then-write", "absolute-symlink"])
def test_a_source_archive_cannot_write_outside_code(tmp_path: Path, case: str) -> None:
    marker = f"escape-{uuid.uuid4().hex}"
    source = tmp_path / "job" / "input" / "sourcedir.tar.gz"
    source.parent.mkdir(parents=True)
    source.write_bytes(archive(escapes(marker)[case]))
    code = tmp_path / "job" / "code"
    code.mkdir()
    with pytest.raises(ClientError):
        unpack(source, code, "s3://bucket/sourcedir.tar.gz")
    assert [p for p in tmp_path.rglob(f"*{marker}*") if code not in p.parents] == []
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


@pytest.mark.slow
def test_an_endpoint_with_an_escaping_model_archive_fails(
    platform: RunningPlatform, s3: Any
) -> None:
    name, marker = f"evil-{uuid.uuid4().hex[:8]}", f"escape-{uuid.uuid4().hex}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="model.tar.gz", Body=archive(escapes(marker)["dot-dot"]))
    sm = make_client(platform, "sagemaker")
    create_model(sm, name, f"s3://{name}/model.tar.gz")
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = wait_for_endpoint(sm, name)
    assert described["EndpointStatus"] == "Failed"
    assert "Refused to extract model data archive" in described["FailureReason"]
    assert list(platform.home.rglob(f"*{marker}*")) == []
    sm.delete_endpoint(EndpointName=name)
