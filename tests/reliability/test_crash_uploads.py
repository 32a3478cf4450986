"""kill -9 while uploads are on the wire: what a restart finds.

The platform is killed while a multipart upload's third part and a large PutObject that
replaces an existing key are both still arriving (each past the gateway's spooling threshold,
so their bytes are on disk in the blob store's temporary folder). After a restart on the same
home: no object is torn or half-visible, the replaced key still holds its previous bytes, every
other object is byte-identical, the temporary folder is empty, and the multipart upload is
still listed with the parts that completed before the kill (S3 keeps an upload until it is
completed or aborted), so the client can finish it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.harness import RunningPlatform, start_platform
from tests.reliability.support import (
    MIB,
    PacedUpload,
    kill_and_restart,
    s3_of,
    snapshot,
    temporary_leftovers,
    wait_for,
)

BUCKET = "kept"
IN_FLIGHT = 64 * MIB  # past the gateway's 16 MiB spooling threshold


def populate(platform: RunningPlatform, tmp_path: Path) -> None:
    s3 = s3_of(platform)
    s3.create_bucket(Bucket=BUCKET)
    for index in range(5):
        s3.put_object(Bucket=BUCKET, Key=f"small/{index}", Body=os.urandom(1000 + index))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(17 * MIB))
    s3.upload_file(str(big), BUCKET, "big/multipart.bin")  # three parts
    s3.put_object(Bucket=BUCKET, Key="replaced", Body=b"the version before the crash")


@pytest.mark.slow
def test_kill_during_a_multipart_upload_and_a_large_put(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_platform(home)
    try:
        populate(first, tmp_path)
        s3 = s3_of(first)
        before = snapshot(s3, BUCKET)
        upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="pending")["UploadId"]
        parts = [os.urandom(5 * MIB), os.urandom(5 * MIB)]
        etags = [
            s3.upload_part(
                Bucket=BUCKET, Key="pending", UploadId=upload_id, PartNumber=n, Body=body
            )["ETag"]
            for n, body in enumerate(parts, start=1)
        ]
        query = f"partNumber=3&uploadId={quote(upload_id, safe='')}"
        third = PacedUpload(first, f"/{BUCKET}/pending", IN_FLIGHT, query=query, pause=0.02)
        replacement = PacedUpload(first, f"/{BUCKET}/replaced", IN_FLIGHT, pause=0.02)
        third.start()
        replacement.start()
        wait_for(
            lambda: (
                len(temporary_leftovers(home)) >= 2 and min(third.sent, replacement.sent) > 20 * MIB
            ),
            timeout=120,
            what="both uploads to be spooling to disk",
        )
        sent_at_kill = (third.sent, replacement.sent)
        again, _ = kill_and_restart(first)
    except BaseException:
        first.stop()
        raise
    try:
        assert max(sent_at_kill) < IN_FLIGHT, "the uploads finished before the kill"
        for upload in (third, replacement):
            upload.join()
            assert upload.outcome is None or " 200 " not in upload.outcome
        assert temporary_leftovers(home) == []

        s3 = s3_of(again)
        assert snapshot(s3, BUCKET) == before  # nothing torn, nothing half-visible
        uploads = s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        assert [(u["Key"], u["UploadId"]) for u in uploads] == [("pending", upload_id)]
        listed = s3.list_parts(Bucket=BUCKET, Key="pending", UploadId=upload_id)["Parts"]
        assert [(p["PartNumber"], p["ETag"]) for p in listed] == [(1, etags[0]), (2, etags[1])]

        tail = s3.upload_part(
            Bucket=BUCKET, Key="pending", UploadId=upload_id, PartNumber=3, Body=b"tail"
        )["ETag"]
        s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key="pending",
            UploadId=upload_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": n, "ETag": etag}
                    for n, etag in enumerate([*etags, tail], start=1)
                ]
            },
        )
        body = s3.get_object(Bucket=BUCKET, Key="pending")["Body"].read()
        assert body == b"".join(parts) + b"tail"
        s3.put_object(Bucket=BUCKET, Key="replaced", Body=b"after the restart")
        assert s3.get_object(Bucket=BUCKET, Key="replaced")["Body"].read() == b"after the restart"
    finally:
        again.stop()
