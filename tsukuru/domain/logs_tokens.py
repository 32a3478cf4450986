"""The opaque paging tokens CloudWatch Logs hands out, in a form this platform can trust.

Clients never look inside these tokens; they only pass them back. Their design is ours, with
one shape constraint from the SDKs: GetLogEvents tokens must be *stable* at the end of a stream
(the same forward token comes back on an empty page, which is how SageMaker's log tailing knows
it has caught up), so they name a position in the stream, never a page.

- Stream positions (GetLogEvents) read `f/<seq>` — the next events have `seq >= <seq>` — and
  `b/<seq>` — the previous events have `seq < <seq>`; digits only, like AWS's own.
- Every other token (Describe* paging, FilterLogEvents, tails) is URL-safe base64 of a small
  JSON object tagged with the call it belongs to, so one call's token cannot steer another.

A token that does not decode is refused with AWS's InvalidParameterException wording.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from tsukuru.domain.errors import Invalid

INVALID_TOKEN = "The specified nextToken is invalid."

_POSITION = re.compile(r"([fb])/(\d{1,20})")


@dataclass(frozen=True)
class StreamPosition:
    """A place between two events of one stream, seen from one side.

    `forward` with `seq`: the events from `seq` onwards. Backward with `seq`: the events
    before `seq`.
    """

    forward: bool
    seq: int

    def encode(self) -> str:
        return f"{'f' if self.forward else 'b'}/{self.seq:020d}"

    @staticmethod
    def decode(token: str) -> StreamPosition:
        match = _POSITION.fullmatch(token)
        if match is None:
            raise Invalid(INVALID_TOKEN, code="InvalidParameterException")
        return StreamPosition(forward=match.group(1) == "f", seq=int(match.group(2)))


TokenKind = Literal["groups", "streams", "filter", "tail"]


def encode_token(kind: TokenKind, payload: dict[str, Any]) -> str:
    """An opaque token carrying `payload` for the call named by `kind`."""
    text = json.dumps({"k": kind, **payload}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(kind: TokenKind, token: str) -> dict[str, Any]:
    """The payload of a token made by `encode_token(kind, ...)`; Invalid for anything else."""
    try:
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, binascii.Error):
        raise Invalid(INVALID_TOKEN, code="InvalidParameterException") from None
    if not isinstance(decoded, dict) or decoded.pop("k", None) != kind:
        raise Invalid(INVALID_TOKEN, code="InvalidParameterException")
    return decoded


def token_int(payload: dict[str, Any], field: str) -> int:
    """An integer field of a decoded token (bool is not an integer here)."""
    value = payload.get(field)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(INVALID_TOKEN, code="InvalidParameterException")
    return value


def token_str(payload: dict[str, Any], field: str) -> str:
    value = payload.get(field)
    if not isinstance(value, str):
        raise Invalid(INVALID_TOKEN, code="InvalidParameterException")
    return value
