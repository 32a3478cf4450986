"""Legacy S3 signature version 2 (HMAC-SHA1), which boto3 still uses for presigned S3 URLs.

botocore presigns `generate_presigned_url("get_object", ...)` with version 2 unless the client is
configured for `s3v4`, so refusing version 2 would break the most common way of handing someone
a download link. It is verified as S3 specifies it:

    StringToSign = VERB \\n Content-MD5 \\n Content-Type \\n Date-or-Expires \\n
                   CanonicalizedAmzHeaders CanonicalizedResource

where the date line is the `Date` header (empty when `x-amz-date` is sent) or, for a presigned
URL, its `Expires` epoch; the amz headers are the `x-amz-*` headers (for a presigned URL, also
the `x-amz-*` query parameters the signer moved there), lower-cased, sorted, `name:value\\n`; and
the resource is the path as sent plus the sub-resources listed below (with decoded values).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import unquote

from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.wire import WireRequest

# The sub-resources a version-2 signer includes in the canonical resource (AWS's list, as the
# SDKs apply it); every other query parameter is left out of the signature.
SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "cors",
        "defaultObjectAcl",
        "delete",
        "inventory",
        "lifecycle",
        "location",
        "logging",
        "metrics",
        "notification",
        "object-lock",
        "partNumber",
        "policy",
        "replication",
        "requestPayment",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "response-content-language",
        "response-content-type",
        "response-expires",
        "restore",
        "select",
        "select-type",
        "storageClass",
        "tagging",
        "torrent",
        "uploadId",
        "uploads",
        "versionId",
        "versioning",
        "versions",
        "website",
    }
)


def string_to_sign_v2(
    req: WireRequest, cred: SigV4Credential, resource_path: str | None = None
) -> str:
    query = req.query
    lower_query = {key.lower(): value for key, value in query}
    if cred.presigned:
        date_line = str(cred.expires) if cred.expires is not None else ""
    elif "x-amz-date" in req.headers:
        date_line = ""
    else:
        date_line = req.headers.get("Date", "").strip()
    lines = [
        req.method.upper(),
        _standard(req, "content-md5", lower_query, cred.presigned),
        _standard(req, "content-type", lower_query, cred.presigned),
        date_line,
    ]
    resource = _resource(req, resource_path or req.raw_path or "/")
    return "\n".join(lines) + "\n" + _amz_headers(req, query, cred.presigned) + resource


def signature_v2(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_v2(req: WireRequest, cred: SigV4Credential, secret: str) -> str | None:
    """None when the version-2 signature is right; else the string we expected signed.

    A bucket-only path (`/bucket`) is signed as `/bucket/` by botocore and as sent by others,
    so both are accepted.
    """
    given = cred.signature.strip().encode("ascii", "replace")
    texts = [string_to_sign_v2(req, cred)]
    path = req.raw_path or "/"
    if path.count("/") == 1 and len(path) > 1:
        texts.insert(0, string_to_sign_v2(req, cred, resource_path=path + "/"))
    for text in texts:
        if hmac.compare_digest(signature_v2(secret, text).encode("ascii"), given):
            return None
    return texts[0]


def _standard(req: WireRequest, name: str, lower_query: dict[str, str], presigned: bool) -> str:
    value = req.headers.get(name)
    if value is None and presigned:
        value = lower_query.get(name)
    return (value or "").strip()


def _amz_headers(req: WireRequest, query: list[tuple[str, str]], presigned: bool) -> str:
    values: dict[str, list[str]] = {}
    for name, value in req.headers.items():
        lowered = name.lower()
        if lowered.startswith("x-amz-"):
            values.setdefault(lowered, []).append(value.strip())
    if presigned:
        for name, value in query:
            lowered = name.lower()
            if lowered.startswith("x-amz-") and lowered not in values:
                values.setdefault(lowered, []).append(value.strip())
    return "".join(f"{name}:{','.join(values[name])}\n" for name in sorted(values))


def _resource(req: WireRequest, path: str) -> str:
    picked: list[tuple[str, str | None]] = []
    for part in req.query_string.split("&"):
        key, sep, value = part.partition("=")
        if key in SUBRESOURCES:
            picked.append((key, unquote(value) if sep else None))
    if not picked:
        return path
    picked.sort(key=lambda item: item[0])
    parts = (key if value is None else f"{key}={value}" for key, value in picked)
    return path + "?" + "&".join(parts)
