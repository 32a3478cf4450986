"""Listing keys the way S3 does: prefix, delimiter, common prefixes and paging.

The index answers only "keys with this prefix after this key"; everything else is built here.
With a delimiter, every key whose remainder (after the prefix) contains the delimiter rolls up
into one common prefix. Instead of reading every key under such a prefix, the listing jumps the
cursor past the whole prefix and asks the index again, so a bucket with a million keys under a
few "folders" lists its top level in a handful of range queries.

Entries (keys and common prefixes) are ordered by their text; a page holds at most `max_keys`
of them, and a listing resumes strictly after the last one it returned. A cursor that lies
inside a common prefix resumes after that whole prefix, so a common prefix is never repeated
across pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field

from tsukuru.domain import s3_faults as faults
from tsukuru.domain.ports import ObjectIndex, StoredObject, Upload
from tsukuru.domain.s3_names import MAX_KEY_BYTES

MAX_KEYS = 1000
# With a delimiter the next key may open another common prefix, whose keys a big batch would
# read in vain: ask for few rows after each jump and for more while plain keys keep coming.
_FIRST_BATCH = 16
_AFTER_JUMP_BATCH = 2
_TOKEN_PREFIX = "1/"
# U+10FFFF is the largest character UTF-8 can encode; a key of at most 1024 bytes that starts
# with P sorts before P followed by 257 of them, so that string sorts after all such keys.
_PAST_EVERYTHING = "\U0010ffff" * (MAX_KEY_BYTES // 4 + 1)


@dataclass(frozen=True)
class ObjectPage:
    objects: list[StoredObject] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    last_entry: str | None = None  # the last key or common prefix returned (NextMarker)

    @property
    def key_count(self) -> int:
        return len(self.objects) + len(self.common_prefixes)


@dataclass(frozen=True)
class UploadPage:
    uploads: list[Upload] = field(default_factory=list)
    common_prefixes: list[str] = field(default_factory=list)
    is_truncated: bool = False
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None


def past_prefix(common_prefix: str) -> str:
    """A cursor after every key that starts with `common_prefix`."""
    return common_prefix + _PAST_EVERYTHING


def check_max(value: int | None, name: str, default: int = MAX_KEYS) -> int:
    """S3 caps page sizes at 1000 and refuses negative ones."""
    if value is None:
        return default
    if value < 0:
        raise faults.invalid_argument(
            f"Argument {name} must be an integer between 0 and 2147483647", name, str(value)
        )
    return min(value, default)


def list_objects(
    index: ObjectIndex,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str | None = None,
    after: str | None = None,
    max_keys: int = MAX_KEYS,
) -> ObjectPage:
    """One page of keys and common prefixes strictly after `after`."""
    if max_keys <= 0:
        index.get_bucket(bucket)
        return ObjectPage()
    rollup = _rollup(prefix, delimiter)
    cursor = _resume_cursor(after, rollup)
    wanted = max_keys + 1  # one more than the page, to learn whether it is truncated
    objects: list[tuple[str, StoredObject | None]] = []
    batch = _FIRST_BATCH if delimiter else MAX_KEYS
    while len(objects) < wanted:
        limit = min(batch, wanted - len(objects))
        found = index.list_objects(bucket, prefix=prefix, after=cursor, limit=limit)
        jumped = False
        for obj in found:
            common = rollup(obj.key)
            if common is not None:
                objects.append((common, None))
                cursor = past_prefix(common)
                jumped = True
                break
            objects.append((obj.key, obj))
            cursor = obj.key
        if jumped:
            batch = _AFTER_JUMP_BATCH
        elif len(found) < limit:
            break
        else:
            batch = min(batch * 4, MAX_KEYS)
    truncated = len(objects) > max_keys
    page = objects[:max_keys]
    return ObjectPage(
        objects=[obj for _, obj in page if obj is not None],
        common_prefixes=[name for name, obj in page if obj is None],
        is_truncated=truncated,
        last_entry=page[-1][0] if page else None,
    )


def list_uploads(
    index: ObjectIndex,
    bucket: str,
    *,
    prefix: str = "",
    delimiter: str | None = None,
    key_marker: str | None = None,
    upload_id_marker: str | None = None,
    max_uploads: int = MAX_KEYS,
) -> UploadPage:
    """One page of multipart uploads in progress, with the same roll-up as `list_objects`."""
    if max_uploads <= 0:
        index.get_bucket(bucket)
        return UploadPage()
    rollup = _rollup(prefix, delimiter)
    after_key = _resume_cursor(key_marker, rollup)
    after_id = upload_id_marker if after_key == key_marker and key_marker else None
    wanted = max_uploads + 1
    entries: list[tuple[str, Upload | None]] = []
    while len(entries) < wanted:
        limit = min(MAX_KEYS, wanted - len(entries))
        found = index.list_uploads(
            bucket, prefix=prefix, after_key=after_key, after_upload_id=after_id, limit=limit
        )
        jumped = False
        for upload in found:
            common = rollup(upload.key)
            if common is not None:
                entries.append((common, None))
                after_key, after_id = past_prefix(common), None
                jumped = True
                break
            entries.append((upload.key, upload))
            after_key, after_id = upload.key, upload.upload_id
        if not jumped and len(found) < limit:
            break
    truncated = len(entries) > max_uploads
    page = entries[:max_uploads]
    last_key, last_upload = page[-1] if page else (None, None)
    return UploadPage(
        uploads=[upload for _, upload in page if upload is not None],
        common_prefixes=[name for name, upload in page if upload is None],
        is_truncated=truncated,
        next_key_marker=last_key if truncated else None,
        next_upload_id_marker=last_upload.upload_id if truncated and last_upload else None,
    )


def continuation_token(last_entry: str) -> str:
    """An opaque ListObjectsV2 token naming where the next page starts."""
    raw = (_TOKEN_PREFIX + last_entry).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def read_continuation_token(token: str) -> str:
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        text = ""
    if not text.startswith(_TOKEN_PREFIX):
        raise faults.invalid_argument(
            "The continuation token provided is incorrect", "continuation-token", token
        )
    return text[len(_TOKEN_PREFIX) :]


def _rollup(prefix: str, delimiter: str | None) -> Callable[[str], str | None]:
    """A function giving the common prefix a key rolls up into, or None if it stands alone."""

    def common_prefix(key: str) -> str | None:
        if not delimiter or not key.startswith(prefix):
            return None
        found = key.find(delimiter, len(prefix))
        return None if found < 0 else key[: found + len(delimiter)]

    return common_prefix


def _resume_cursor(after: str | None, rollup: Callable[[str], str | None]) -> str | None:
    """Where to resume after `after`; past its whole common prefix if it lies inside one."""
    if not after:
        return None
    common = rollup(after)
    return after if common is None else past_prefix(common)
