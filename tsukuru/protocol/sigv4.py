"""Reading who signed a request, from any of the ways AWS clients sign.

The credential scope (`AKID/20240101/eu-west-1/s3/aws4_request`) tells the gateway the caller's
access key, the region the client is configured for and the service it meant to call, which is
how requests from many clients share one port. Three forms arrive:

* the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header;
* a presigned URL (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Signature`, … in the query);
* legacy S3 signature version 2 (`Authorization: AWS AKID:sig` or `AWSAccessKeyId=` in the
  query), which only yields the access key.

Parsing never checks the signature; `tsukuru.protocol.auth` does that (with `sigv4_verify`,
`sigv4_chunks` and `auth_sigv2`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import WireRequest

ALGORITHM = "AWS4-HMAC-SHA256"
_SCOPE_PARTS = 5


@dataclass(frozen=True)
class SigV4Credential:
    access_key: str
    date: str  # yyyymmdd from the credential scope ("" for signature version 2)
    region: str  # "" when the signature does not say (version 2)
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    amz_date: str | None  # X-Amz-Date (yyyymmddThhmmssZ), the instant that was signed
    version: int = 4
    expires: int | None = None  # presigned lifetime in seconds (v4) or epoch expiry (v2)


def parse_sigv4(req: WireRequest) -> SigV4Credential | None:
    """The request's credential, or None for an anonymous request.

    A request that claims a signature but spells it wrong gets a 400 `IncompleteSignature`.
    """
    authorization = req.headers.get("Authorization", "").strip()
    if authorization.startswith(ALGORITHM):
        return _from_header(authorization[len(ALGORITHM) :], req)
    if authorization.startswith("AWS "):
        return _v2(authorization[4:].rpartition(":")[0], authorization.rpartition(":")[2], None)
    query = req.query_dict
    if "X-Amz-Credential" in query or query.get("X-Amz-Algorithm") == ALGORITHM:
        return _from_query(query)
    if "AWSAccessKeyId" in query:
        expires = query.get("Expires", "")
        return _v2(
            query["AWSAccessKeyId"],
            query.get("Signature", ""),
            int(expires) if expires.isdigit() else None,
        )
    return None


def _from_header(rest: str, req: WireRequest) -> SigV4Credential:
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields]
    if missing:
        raise _incomplete(f"Authorization header requires {', '.join(missing)}")
    access_key, date, region, service = _scope(fields["Credential"])
    return SigV4Credential(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=_signed_headers(fields["SignedHeaders"]),
        signature=fields["Signature"],
        presigned=False,
        amz_date=req.headers.get("X-Amz-Date") or None,
    )


def _from_query(query: dict[str, str]) -> SigV4Credential:
    algorithm = query.get("X-Amz-Algorithm")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported X-Amz-Algorithm {algorithm!r}; expected {ALGORITHM}")
    missing = [
        k
        for k in ("X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date")
        if k not in query
    ]
    if missing:
        raise _incomplete(f"Presigned request requires {', '.join(missing)}")
    access_key, date, region, service = _scope(query["X-Amz-Credential"])
    expires = query.get("X-Amz-Expires", "")
    return SigV4Credential(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=_signed_headers(query["X-Amz-SignedHeaders"]),
        signature=query["X-Amz-Signature"],
        presigned=True,
        amz_date=query["X-Amz-Date"],
        expires=int(expires) if expires.isdigit() else None,
    )


def _scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != _SCOPE_PARTS or parts[4] != "aws4_request" or not all(parts[:4]):
        raise _incomplete(
            f"Credential {credential!r} must be <key>/<yyyymmdd>/<region>/<service>/aws4_request"
        )
    return parts[0], parts[1], parts[2], parts[3]


def _signed_headers(text: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in text.split(";") if name.strip())


def _v2(access_key: str, signature: str, expires: int | None) -> SigV4Credential:
    if not access_key:
        raise _incomplete("Signature version 2 requires an access key id")
    return SigV4Credential(
        access_key=access_key,
        date="",
        region="",
        service="s3",
        signed_headers=(),
        signature=signature,
        presigned=expires is not None,
        amz_date=None,
        version=2,
        expires=expires,
    )


def _incomplete(message: str) -> ServiceError:
    return ServiceError(code="IncompleteSignature", message=message, status=400)
