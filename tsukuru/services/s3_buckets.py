"""S3 bucket operations, and the bucket configuration reads tools issue out of habit.

The AWS CLI, s3fs and the SageMaker SDK read a bucket's ACL, versioning, encryption or policy
before or after their real work. tsukuru keeps no such configuration, so those reads answer
what S3 answers for a fresh bucket (owner full control, versioning never enabled, SSE-S3
default encryption, no policy/tags/CORS/lifecycle) instead of failing with NotImplemented.
"""

from __future__ import annotations

from typing import Any

from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Bucket
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.protocol.errors import ServiceError
from tsukuru.services.s3_wire import owner

MAX_BUCKETS = 10000


class BucketHandlers:
    def __init__(self, objects: ObjectService) -> None:
        self.objects = objects

    def handlers(self) -> dict[str, Handler]:
        return {
            "ListBuckets": self.list_buckets,
            "CreateBucket": self.create_bucket,
            "HeadBucket": self.head_bucket,
            "DeleteBucket": self.delete_bucket,
            "GetBucketLocation": self.get_bucket_location,
            "GetBucketVersioning": self.get_bucket_versioning,
            "GetBucketAcl": self.get_bucket_acl,
            "GetBucketEncryption": self.get_bucket_encryption,
            "GetBucketPolicy": self._absent(
                "NoSuchBucketPolicy", "The bucket policy does not exist"
            ),
            "GetBucketTagging": self._absent("NoSuchTagSet", "The TagSet does not exist"),
            "GetBucketCors": self._absent(
                "NoSuchCORSConfiguration", "The CORS configuration does not exist"
            ),
            "GetBucketLifecycleConfiguration": self._absent(
                "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"
            ),
            "GetBucketWebsite": self._absent(
                "NoSuchWebsiteConfiguration", "The specified bucket does not have a website"
            ),
        }

    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets = self.objects.list_buckets(ctx.account_id, prefix=params.get("Prefix") or "")
        token = params.get("ContinuationToken")
        if token:
            buckets = [b for b in buckets if b.name > token]
        region = params.get("BucketRegion")
        if region:
            buckets = [b for b in buckets if b.region == region]
        limit = params.get("MaxBuckets") or MAX_BUCKETS
        page, rest = buckets[:limit], buckets[limit:]
        output: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region} for b in page
            ],
            "Owner": owner(ctx.account_id),
        }
        if params.get("Prefix") is not None:
            output["Prefix"] = params["Prefix"]
        if rest and page:
            output["ContinuationToken"] = page[-1].name
        return output

    def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("CreateBucketConfiguration") or {}
        bucket = self.objects.create_bucket(
            params["Bucket"], account_id=ctx.account_id, location=config.get("LocationConstraint")
        )
        return {"Location": f"/{bucket.name}", "BucketArn": f"arn:aws:s3:::{bucket.name}"}

    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.owned_bucket(params)
        return {
            "BucketRegion": bucket.region,
            "BucketArn": f"arn:aws:s3:::{bucket.name}",
            "AccessPointAlias": False,
        }

    def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.owned_bucket(params)
        self.objects.delete_bucket(params["Bucket"])
        return {}

    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.owned_bucket(params)
        return {"LocationConstraint": self.objects.bucket_location(params["Bucket"])}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.owned_bucket(params)
        return {}  # never enabled: S3 sends an empty VersioningConfiguration

    def get_bucket_acl(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.owned_bucket(params)
        bucket_owner = owner(bucket.account_id)
        grantee = {"Type": "CanonicalUser", **bucket_owner}
        return {
            "Owner": bucket_owner,
            "Grants": [{"Grantee": grantee, "Permission": "FULL_CONTROL"}],
        }

    def get_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.owned_bucket(params)
        rule = {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
        }
        return {"ServerSideEncryptionConfiguration": {"Rules": [rule]}}

    def owned_bucket(self, params: dict[str, Any]) -> Bucket:
        """The request's bucket; AccessDenied if x-amz-expected-bucket-owner names another."""
        bucket = self.objects.get_bucket(params["Bucket"])
        expected = params.get("ExpectedBucketOwner")
        if expected is not None and expected != bucket.account_id:
            raise ServiceError("AccessDenied", "Access Denied", status=403)
        return bucket

    def _absent(self, code: str, message: str) -> Handler:
        def handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
            bucket = self.owned_bucket(params)
            raise ServiceError(code, message, status=404, extra={"BucketName": bucket.name})

        return handler
