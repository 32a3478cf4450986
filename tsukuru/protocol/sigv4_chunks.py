"""The signature chain of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` upload.

With signed streaming, the header signature covers only the headers (its payload hash is the
`STREAMING-…` marker); each chunk then carries `chunk-signature`, an HMAC (with the request's
signing key) over

    AWS4-HMAC-SHA256-PAYLOAD \\n <X-Amz-Date> \\n <scope> \\n <previous signature>
    \\n <SHA-256 of ""> \\n <SHA-256 of the chunk data>

where the first "previous signature" is the header's (the seed). The final empty chunk is signed
the same way, and with `-TRAILER` the trailer lines are signed too:

    AWS4-HMAC-SHA256-TRAILER \\n <X-Amz-Date> \\n <scope> \\n <final chunk's signature>
    \\n <SHA-256 of the lines "name:value\\n", lower-case names, sorted>

sent as `x-amz-trailer-signature`. Chaining makes reordering, dropping or altering any chunk a
mismatch. A `ChunkSignatureChain` is the `ChunkCheck` the aws-chunked decoder calls.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

from tsukuru.protocol.chunked import TRAILER_SIGNATURE
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.sigv4_verify import EMPTY_SHA256, sign

CHUNK_ALGORITHM = "AWS4-HMAC-SHA256-PAYLOAD"
TRAILER_ALGORITHM = "AWS4-HMAC-SHA256-TRAILER"

Mismatch = Callable[[str], ServiceError]


class ChunkSignatureChain:
    """Verifies each chunk's signature against the previous one, starting from the seed."""

    def __init__(
        self,
        key: bytes,
        amz_date: str,
        scope: str,
        seed: str,
        *,
        signed_trailer: bool,
        mismatch: Mismatch,
    ) -> None:
        self._key = key
        self._prefix = f"{amz_date}\n{scope}\n"
        self._previous = seed.lower()
        self._signed_trailer = signed_trailer
        self._mismatch = mismatch
        self._chunks = 0
        self._finished = False

    def chunk(self, data: bytes, signature: str | None) -> None:
        self._chunks += 1
        if signature is None:
            raise self._mismatch(f"chunk {self._chunks} has no chunk-signature")
        expected = chunk_signature(self._key, self._prefix, self._previous, data)
        if not _same(expected, signature):
            raise self._mismatch(f"the signature of chunk {self._chunks} does not match")
        self._previous = expected
        if not data:
            self._finished = True

    def trailer(self, lines: Sequence[tuple[str, str]]) -> None:
        if not self._finished:
            raise self._mismatch("the body ends without its final, empty signed chunk")
        given = [value for name, value in lines if name.lower() == TRAILER_SIGNATURE]
        if not self._signed_trailer:
            if given:
                raise self._mismatch("x-amz-trailer-signature sent without a signed trailer")
            return
        if len(given) != 1:
            raise self._mismatch("the trailer must carry one x-amz-trailer-signature")
        expected = trailer_signature(self._key, self._prefix, self._previous, lines)
        if not _same(expected, given[0]):
            raise self._mismatch("the trailer signature does not match")


def chunk_signature(key: bytes, prefix: str, previous: str, data: bytes) -> str:
    """`prefix` is "<X-Amz-Date>\\n<scope>\\n"."""
    digest = hashlib.sha256(data).hexdigest()
    return sign(key, f"{CHUNK_ALGORITHM}\n{prefix}{previous}\n{EMPTY_SHA256}\n{digest}")


def trailer_signature(
    key: bytes, prefix: str, previous: str, lines: Sequence[tuple[str, str]]
) -> str:
    canonical = "".join(
        f"{name}:{value}\n"
        for name, value in sorted(
            (name.lower(), value.strip())
            for name, value in lines
            if name.lower() != TRAILER_SIGNATURE
        )
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return sign(key, f"{TRAILER_ALGORITHM}\n{prefix}{previous}\n{digest}")


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii", "replace"))
