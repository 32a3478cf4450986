"""PutLogEvents' batch rules: what one upload may hold, and which events CloudWatch refuses.

CloudWatch refuses a whole batch that breaks a limit (size, count, order, a span over 24 hours)
but accepts a batch with events too far in the future or the past, storing only the rest and
reporting the refused index ranges; both behaviours are kept so clients written against it
(log shippers, handlers) see the same answers here.
"""

from __future__ import annotations

import itertools

from tsukuru.domain.errors import Invalid

_CODE = "InvalidParameterException"
MAX_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
MAX_EVENT_BYTES = 262_144
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000
TOO_NEW_MS = 2 * 3600 * 1000
TOO_OLD_MS = 14 * 24 * 3600 * 1000


def rejected_range(events: list[tuple[int, str]], now_ms: int) -> tuple[int, int | None]:
    """(end of the too-old events, exclusive; start of the too-new events or None) of a
    chronological batch: more than 14 days behind or 2 hours ahead of `now_ms`."""
    too_old_end = sum(1 for stamp, _ in events if stamp < now_ms - TOO_OLD_MS)
    too_new_start = next(
        (index for index, (stamp, _) in enumerate(events) if stamp > now_ms + TOO_NEW_MS), None
    )
    return too_old_end, too_new_start


def check_batch(events: list[tuple[int, str]]) -> None:
    """PutLogEvents' batch rules, in CloudWatch's words."""
    if not events:
        raise Invalid(
            "1 validation error detected: Value '[]' at 'logEvents' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1",
            code=_CODE,
        )
    if len(events) > MAX_EVENTS:
        raise Invalid(
            f"1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_EVENTS}",
            code=_CODE,
        )
    total = 0
    for index, (stamp, message) in enumerate(events):
        if stamp < 0:
            raise Invalid(f"Log event {index} has a negative timestamp.", code=_CODE)
        if not message:
            raise Invalid(
                f"1 validation error detected: Value '' at 'logEvents.{index + 1}.member.message'"
                " failed to satisfy constraint: Member must have length greater than or equal "
                "to 1",
                code=_CODE,
            )
        size = len(message.encode("utf-8")) + EVENT_OVERHEAD_BYTES
        if size > MAX_EVENT_BYTES:
            raise Invalid(
                f"Log event too large: {size} bytes exceeds limit of {MAX_EVENT_BYTES}",
                code=_CODE,
            )
        total += size
    if total > MAX_BATCH_BYTES:
        raise Invalid(
            f"Upload too large: {total} bytes exceeds limit of {MAX_BATCH_BYTES}", code=_CODE
        )
    stamps = [stamp for stamp, _ in events]
    if any(later < earlier for earlier, later in itertools.pairwise(stamps)):
        raise Invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
            code=_CODE,
        )
    if stamps[-1] - stamps[0] > MAX_BATCH_SPAN_MS:
        raise Invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than "
            "24 hours.",
            code=_CODE,
        )
