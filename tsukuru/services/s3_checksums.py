"""S3's flexible checksums: verified on upload, stored, combined for multipart, sent back.

botocore sends `x-amz-checksum-crc32` (or crc32c, sha1, sha256, ...) with every PutObject and
UploadPart by default, and validates the checksum S3 returns on a whole-object GET. So the
bytes are hashed as they are stored, a mismatch refuses the write with S3's BadDigest, and the
value is kept with the object. A multipart object's checksum is either COMPOSITE (the hash of
the parts' binary checksums, suffixed `-N`; botocore skips validating those) or FULL_OBJECT
(the CRC of all the bytes, derived from the part CRCs without re-reading them).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol, Self

from tsukuru.domain.ports import Part, Upload
from tsukuru.protocol.errors import ServiceError
from tsukuru.services import s3_crc
from tsukuru.services.s3_crc import SPECS as CRC_SPECS

SUPPORTED = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "MD5")
UNSUPPORTED = ("XXHASH64", "XXHASH3", "XXHASH128")
CHECKSUM_MEMBERS = {f"Checksum{name}": name for name in SUPPORTED + UNSUPPORTED}
FULL_OBJECT = "FULL_OBJECT"
COMPOSITE = "COMPOSITE"
_DIGEST_SIZES = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
_DIGEST_SIZES |= {"SHA512": 64, "MD5": 16}


class _Hasher(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _CrcHasher:
    def __init__(self, spec: s3_crc.CrcSpec) -> None:
        self.spec = spec
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = s3_crc.crc_update(self.spec, self.value, data)

    def digest(self) -> bytes:
        return self.value.to_bytes(self.spec.width // 8, "big")


def new_hasher(algorithm: str) -> _Hasher:
    if algorithm in CRC_SPECS:
        return _CrcHasher(CRC_SPECS[algorithm])
    return hashlib.new(algorithm.lower(), usedforsecurity=False)


def checksum_of(algorithm: str, data: bytes) -> str:
    """The base64 checksum S3 would report for `data`."""
    hasher = new_hasher(algorithm)
    hasher.update(data)
    return base64.b64encode(hasher.digest()).decode("ascii")


def checksum_type_of(value: str) -> str:
    """COMPOSITE checksums carry their part count (`...-3`); everything else covers the bytes."""
    return COMPOSITE if "-" in value else FULL_OBJECT


def output_members(checksums: Mapping[str, str]) -> dict[str, str]:
    """{"CRC32": v} as response members: {"ChecksumCRC32": v, "ChecksumType": ...}."""
    members = {f"Checksum{name}": value for name, value in checksums.items()}
    if checksums:
        members["ChecksumType"] = checksum_type_of(next(iter(checksums.values())))
    return members


def normalize_algorithm(value: str | None) -> str | None:
    if value is None:
        return None
    name = value.upper()
    if name not in SUPPORTED:
        raise ServiceError(
            "InvalidRequest",
            f"Checksum algorithm {value} is not supported by tsukuru; "
            f"use one of {', '.join(SUPPORTED)}.",
        )
    return name


class ChecksumVerifier:
    """A BodyCheck for one upload: hashes what the client sent checksums for, plus any
    algorithm it (or the multipart upload) asked the server to compute, and judges them."""

    def __init__(self, expected: Mapping[str, str], compute: Iterable[str] = ()) -> None:
        self.expected = dict(expected)
        names = list(dict.fromkeys([*self.expected, *compute]))
        self._hashers = {name: new_hasher(name) for name in names}

    @classmethod
    def from_params(cls, params: Mapping[str, Any], compute: Iterable[str] = ()) -> Self:
        """The verifier for a PutObject / UploadPart request's checksum members."""
        expected: dict[str, str] = {}
        for member, name in CHECKSUM_MEMBERS.items():
            value = params.get(member)
            if value is None:
                continue
            if name in UNSUPPORTED:
                normalize_algorithm(name)
            _check_encoding(name, value)
            expected[name] = value
        if len(expected) > 1:
            raise ServiceError(
                "InvalidRequest",
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not "
                "allowed.",
            )
        requested = normalize_algorithm(params.get("ChecksumAlgorithm"))
        extra = [requested] if requested and not expected else []
        return cls(expected, [*extra, *compute])

    def watch(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            for hasher in self._hashers.values():
                hasher.update(chunk)
            yield chunk

    def result(self) -> dict[str, str]:
        computed = {
            name: base64.b64encode(hasher.digest()).decode("ascii")
            for name, hasher in self._hashers.items()
        }
        for name, value in self.expected.items():
            if computed[name] != value:
                raise ServiceError(
                    "BadDigest",
                    f"The {name} you specified did not match the calculated checksum.",
                )
        return computed


def combiner(params: Mapping[str, Any]) -> Callable[[Upload, list[Part]], dict[str, str]]:
    """CompleteMultipartUpload's checksum: combine the chosen parts' checksums as the upload's
    checksum type says, and compare with a whole-object checksum the client sent, if any."""

    def combine(upload: Upload, parts: list[Part]) -> dict[str, str]:
        algorithm = upload.checksum_algorithm
        if algorithm is None:
            return {}
        kind = upload.headers.get("x-amz-checksum-type") or default_type(algorithm)
        values = []
        for part in parts:
            value = part.checksums.get(algorithm)
            if value is None:
                raise ServiceError(
                    "InvalidRequest",
                    f"Part {part.part_number} has no {algorithm} checksum, which this upload "
                    "requires.",
                )
            values.append(value)
        if kind == FULL_OBJECT:
            combined = _full_object(algorithm, values, [part.size for part in parts])
        else:
            joined = b"".join(base64.b64decode(value) for value in values)
            combined = f"{checksum_of(algorithm, joined)}-{len(parts)}"
        sent = params.get(f"Checksum{algorithm}")
        if sent is not None and sent != combined:
            raise ServiceError(
                "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
            )
        return {algorithm: combined}

    return combine


def default_type(algorithm: str) -> str:
    return FULL_OBJECT if algorithm == "CRC64NVME" else COMPOSITE


def check_upload_type(algorithm: str | None, checksum_type: str | None) -> str | None:
    """The checksum type of a new multipart upload, refusing combinations S3 refuses."""
    if checksum_type is None:
        return default_type(algorithm) if algorithm else None
    kind = checksum_type.upper()
    if algorithm is None or kind not in (FULL_OBJECT, COMPOSITE):
        raise ServiceError(
            "InvalidRequest", "The x-amz-checksum-type header requires a checksum algorithm."
        )
    if kind == FULL_OBJECT and algorithm not in CRC_SPECS:
        raise ServiceError(
            "InvalidRequest", f"The FULL_OBJECT checksum type cannot be used with {algorithm}."
        )
    if kind == COMPOSITE and algorithm == "CRC64NVME":
        raise ServiceError(
            "InvalidRequest", "The COMPOSITE checksum type cannot be used with CRC64NVME."
        )
    return kind


def _full_object(algorithm: str, values: list[str], sizes: list[int]) -> str:
    spec = CRC_SPECS[algorithm]
    crc = 0
    for value, size in zip(values, sizes, strict=True):
        part_crc = int.from_bytes(base64.b64decode(value), "big")
        crc = s3_crc.crc_combine(spec, crc, part_crc, size)
    return base64.b64encode(crc.to_bytes(spec.width // 8, "big")).decode("ascii")


def _check_encoding(name: str, value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _DIGEST_SIZES.get(name, -1):
        raise ServiceError(
            "InvalidRequest", f"Value for x-amz-checksum-{name.lower()} header is invalid."
        )
