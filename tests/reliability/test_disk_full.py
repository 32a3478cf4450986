"""A full disk during PutObject: a clear error, nothing torn, and the platform keeps serving.

The blob folder of a platform home is a 20 MiB tmpfs. A PutObject larger than the free space
(spooled by the gateway) and one that fits the spool but not the blob store both fail with
`InsufficientStorage` (HTTP 507: AWS has no error for a full disk; 507 is not retried by the
SDKs, since sending the same bytes again cannot succeed). The key being replaced keeps its
previous bytes, no temporary file is left, and once space is freed the same PutObject succeeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from tests.harness import start_platform
from tests.reliability.support import MIB, s3_of, temporary_leftovers

BUCKET = "small-disk"
DISK = 20 * MIB


@pytest.fixture
def small_disk_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    blobs = home / "blobs"
    blobs.mkdir(parents=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK // MIB}m", "tmpfs", str(blobs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(blobs)], check=False)


def put_fails_with_full_disk(s3: Any, key: str, size: int) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3.put_object(Bucket=BUCKET, Key=key, Body=os.urandom(size))
    error = caught.value.response
    assert error["Error"]["Code"] == "InsufficientStorage"
    assert "disk is full" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 507


def test_a_full_disk_fails_the_put_and_corrupts_nothing(small_disk_home: Path) -> None:
    platform = start_platform(small_disk_home)
    try:
        s3 = s3_of(platform)
        s3.create_bucket(Bucket=BUCKET)
        previous = os.urandom(MIB)
        s3.put_object(Bucket=BUCKET, Key="precious", Body=previous)

        put_fails_with_full_disk(s3, "precious", 30 * MIB)  # larger than the disk: spooled
        s3.put_object(Bucket=BUCKET, Key="filler", Body=os.urandom(12 * MIB))
        put_fails_with_full_disk(s3, "precious", 12 * MIB)  # in memory; no room for the blob

        assert s3.get_object(Bucket=BUCKET, Key="precious")["Body"].read() == previous
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        assert keys == ["filler", "precious"]
        assert temporary_leftovers(small_disk_home) == []

        s3.delete_object(Bucket=BUCKET, Key="filler")
        replacement = os.urandom(12 * MIB)
        s3.put_object(Bucket=BUCKET, Key="precious", Body=replacement)
        assert s3.get_object(Bucket=BUCKET, Key="precious")["Body"].read() == replacement
    finally:
        platform.stop()
    log = (small_disk_home / "test-gateway.log").read_text(errors="replace")
    assert "Traceback" not in log
