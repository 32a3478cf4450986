"""The S3 surface: one handler per S3 operation, over the object domain.

`S3Service(objects=ObjectService(index, blobs, clock)).handlers()` is what the gateway
registers for the `s3` service. The handlers live in four small modules by area (buckets,
objects, listing, multipart); this one assembles them and makes every domain refusal leave as
S3's own error (code, HTTP status, extra fields), so callers need no other wiring.
"""

from __future__ import annotations

from tsukuru.domain.objects import ObjectService
from tsukuru.protocol.context import Handler
from tsukuru.services.errors import guard
from tsukuru.services.s3_buckets import BucketHandlers
from tsukuru.services.s3_errors import s3_error, translate_s3_error
from tsukuru.services.s3_listing import ListingHandlers
from tsukuru.services.s3_multipart import MultipartHandlers
from tsukuru.services.s3_objects import ObjectHandlers

__all__ = ["S3Service", "translate_s3_error"]


class S3Service:
    def __init__(self, objects: ObjectService) -> None:
        self.objects = objects

    def handlers(self) -> dict[str, Handler]:
        """Every S3 operation tsukuru serves, keyed by botocore operation name."""
        raw: dict[str, Handler] = {}
        for group in (
            BucketHandlers(self.objects),
            ObjectHandlers(self.objects),
            ListingHandlers(self.objects),
            MultipartHandlers(self.objects),
        ):
            raw.update(group.handlers())
        return guard(raw, s3_error)
