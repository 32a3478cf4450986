"""Framework-neutral request and response values.

The protocol layer never sees Starlette or uvicorn objects: the gateway turns an HTTP request
into a `WireRequest` and writes a `WireResponse` back, so parsing and serialization can be tested
with plain values and botocore alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, unquote

SPOOL_READ_CHUNK = 1024 * 1024


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only header map (the last value wins for repeated names)."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]] | None = None) -> None:
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items or [])
        self._items: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


@dataclass(frozen=True)
class SpooledBody:
    """A request body too large to hold in memory, which the gateway wrote to a file.

    It iterates as chunks of bytes (opening and closing the file itself), which is how the
    object store takes a body; the file belongs to the gateway, which deletes it after the
    response."""

    path: str
    size: int

    def open(self) -> BinaryIO:
        return open(self.path, "rb")

    def __iter__(self) -> Iterator[bytes]:
        with self.open() as handle:
            while chunk := handle.read(SPOOL_READ_CHUNK):
                yield chunk

    def read_bytes(self) -> bytes:
        return Path(self.path).read_bytes()


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request as the gateway received it.

    `path` is the percent-decoded path; `raw_path` keeps the encoding, which S3 keys need
    (a key may contain `%2F` that must not become a separator). `query` keeps repeated and
    value-less parameters in order (`?uploads`, `?delete`).

    A large body arrives `spooled` to a file instead of in `body` (which is then empty). When
    the gateway could not take the body at all (larger than it accepts, or the disk is full),
    `body_error` says why and the dispatcher answers with it in the caller's protocol.
    """

    method: str
    raw_path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    spooled: SpooledBody | None = None
    body_error: Exception | None = None

    def in_memory(self) -> WireRequest:
        """The same request with a spooled body read into `body` (for small documents that
        happened to be spooled: parsers read bytes)."""
        if self.spooled is None:
            return self
        return replace(self, body=self.spooled.read_bytes(), spooled=None)

    # Computed once per request: routing, signature checks and parsing each read them.
    @cached_property
    def path(self) -> str:
        """The percent-decoded path (for display and routing; S3 keys come from `raw_path`)."""
        return unquote(self.raw_path)

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @cached_property
    def query_dict(self) -> dict[str, str]:
        return dict(self.query)


@dataclass(frozen=True)
class FilePayload:
    """A response body that lives in a file: streamed by the gateway instead of read into memory."""

    path: str
    offset: int = 0
    length: int | None = None


Body = bytes | FilePayload


@dataclass
class WireResponse:
    """One HTTP response ready to be written by the gateway."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = b""
