"""The object store as jobs and endpoints see it: whole files in and out, by bucket and key.

Training inputs are hard-linked out of the store, model archives are put back from a file; this
adapter gives `TrainingData` (and model fetching) exactly that over the S3 use cases.
"""

from __future__ import annotations

from collections.abc import Iterator

from tsukuru.domain.errors import NotFound
from tsukuru.domain.objects import ObjectService, ObjectWrite


class ObjectAccess:
    def __init__(self, objects: ObjectService, chunk_size: int = 8 * 1024 * 1024) -> None:
        self._objects = objects
        self._chunk = chunk_size

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._objects.get_bucket(bucket)
        except NotFound:
            return False
        return True

    def iter_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        return (obj.key for obj in self._objects.iter_objects(bucket, prefix))

    def link_object(self, bucket: str, key: str, dest: str) -> None:
        self._objects.link_object(bucket, key, dest)

    def read_object(self, bucket: str, key: str) -> bytes:
        with self._objects.open_object(bucket, key) as handle:
            return handle.read()

    def put_file(self, bucket: str, key: str, path: str, content_type: str) -> None:
        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as handle:
                while block := handle.read(self._chunk):
                    yield block

        self._objects.put_object(
            bucket, key, chunks(), write=ObjectWrite(content_type=content_type)
        )
