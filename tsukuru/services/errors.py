"""Domain refusals in each wire surface's own words.

The dispatcher only knows `ServiceError`; every service adapter wraps its handlers with
`guard()` so a `DomainError` leaves as the code and status its AWS counterpart would send.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tsukuru.domain import errors as domain
from tsukuru.protocol.context import Handler, HandlerResult, RequestContext
from tsukuru.protocol.errors import ServiceError

Translator = Callable[[domain.DomainError], ServiceError]


def json_translator(
    not_found: str, exists: str, invalid: str, conflict: str, limit: str
) -> Translator:
    """A translator for the JSON services, which answer every refusal with HTTP 400."""

    def translate(exc: domain.DomainError) -> ServiceError:
        if exc.code:
            return ServiceError(exc.code, exc.message)
        for cls, code in (
            (domain.NotFound, not_found),
            (domain.AlreadyExists, exists),
            (domain.Invalid, invalid),
            (domain.Conflict, conflict),
            (domain.LimitExceeded, limit),
        ):
            if isinstance(exc, cls):
                return ServiceError(code, exc.message)
        return ServiceError(invalid, exc.message)

    return translate


sagemaker_errors = json_translator(
    "ResourceNotFound",
    "ResourceInUse",
    "ValidationException",
    "ConflictException",
    "ResourceLimitExceeded",
)
logs_errors = json_translator(
    "ResourceNotFoundException",
    "ResourceAlreadyExistsException",
    "InvalidParameterException",
    "OperationAbortedException",
    "LimitExceededException",
)


def guard(handlers: Mapping[str, Handler], translate: Translator) -> dict[str, Handler]:
    """Wrap each handler so DomainError becomes the service's ServiceError."""
    return {name: _guarded(handler, translate) for name, handler in handlers.items()}


def _guarded(handler: Handler, translate: Translator) -> Handler:
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def async_wrapper(ctx: RequestContext, params: dict[str, Any]) -> HandlerResult:
            try:
                result: HandlerResult = await handler(ctx, params)
            except domain.DomainError as exc:
                raise translate(exc) from exc
            return result

        return async_wrapper

    @functools.wraps(handler)
    def wrapper(ctx: RequestContext, params: dict[str, Any]) -> Any:
        try:
            return handler(ctx, params)
        except domain.DomainError as exc:
            raise translate(exc) from exc

    return wrapper
