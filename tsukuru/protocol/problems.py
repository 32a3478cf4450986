"""Collecting what is wrong with a request's parameters, to report it the way AWS does.

AWS answers a badly typed or incomplete request with one 400 that lists every problem
(`2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member
must not be null; ...`). The shape walkers add to an `InputProblems` as they go instead of
stopping at the first problem, and the parser raises once at the end with its protocol's code.
"""

from __future__ import annotations

from typing import Any

from tsukuru.protocol.errors import ServiceError

_MAX_SHOWN_VALUE = 60


class InputProblems:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.messages)

    def missing(self, path: str) -> None:
        message = f"Value null at '{path}' failed to satisfy constraint: Member must not be null"
        if message not in self.messages:
            self.messages.append(message)

    def wrong(self, path: str, value: Any, expected: str) -> None:
        shown = repr(value)
        if len(shown) > _MAX_SHOWN_VALUE:
            shown = shown[: _MAX_SHOWN_VALUE - 3] + "..."
        self.messages.append(
            f"Value {shown} at '{path}' failed to satisfy constraint: Member must be {expected}"
        )

    def raise_if_any(self, code: str) -> None:
        if not self.messages:
            return
        count = len(self.messages)
        noun = "error" if count == 1 else "errors"
        raise ServiceError(
            code=code,
            message=f"{count} validation {noun} detected: " + "; ".join(self.messages),
            status=400,
        )


def member_path(parent: str, name: str) -> str:
    """AWS reports member paths in lowerCamelCase joined by dots: `resourceConfig.instanceCount`."""
    camel = name[:1].lower() + name[1:]
    return f"{parent}.{camel}" if parent else camel


VALIDATION_CODES = {
    "json": "ValidationException",
    "rest-json": "ValidationException",
    "query": "ValidationError",
    "rest-xml": "InvalidArgument",
}
