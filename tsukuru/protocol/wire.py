"""Framework-neutral request and response values.

The protocol layer never sees Starlette or uvicorn objects: the gateway turns an HTTP request
into a `WireRequest` and writes a `WireResponse` back, so parsing and serialization can be tested
with plain values and botocore alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote


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
class WireRequest:
    """One HTTP request as the gateway received it.

    `path` is the percent-decoded path; `raw_path` keeps the encoding, which S3 keys need
    (a key may contain `%2F` that must not become a separator). `query` keeps repeated and
    value-less parameters in order (`?uploads`, `?delete`).
    """

    method: str
    raw_path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def path(self) -> str:
        """The percent-decoded path (for display and routing; S3 keys come from `raw_path`)."""
        return unquote(self.raw_path)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
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
