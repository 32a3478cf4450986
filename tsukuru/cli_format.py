"""Small, pure renderings shared by the resource commands: times, durations, statuses, log lines.

Kept apart from the commands so they are trivially testable and so every table shows a time or a
status the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape

# CloudWatch Logs shows control characters of job output in syslog's octal form; TAB is the one
# XGBoost's per-round metric lines use (`[3]#011train-auc:0.95`).
_CLOUDWATCH_TAB = "#011"

_STATUS_STYLES = {
    "Completed": "green",
    "InService": "green",
    "Failed": "red",
    "UpdateRollbackFailed": "red",
    "Stopped": "yellow",
    "Stopping": "yellow",
    "OutOfService": "yellow",
    "Deleting": "yellow",
}

TERMINAL_JOB_STATUSES = ("Completed", "Failed", "Stopped")


def local_time(value: datetime | None, with_date: bool = True) -> str:
    """`2026-01-31 14:05:09` in the viewer's time zone, or `-` when absent."""
    if value is None:
        return "-"
    shown = value.astimezone() if value.tzinfo else value
    return shown.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def duration(seconds: float) -> str:
    """A short human duration: `0.4s`, `12s`, `3m 05s`, `2h 07m`."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def elapsed(start: datetime | None, end: datetime | None) -> str:
    """The duration from `start` to `end` (or to now when `end` is absent); `-` without start."""
    if start is None:
        return "-"
    stop = end or datetime.now(UTC)
    return duration((stop - start).total_seconds())


def styled_status(status: str | None) -> str:
    """Rich markup for a status, coloured by what it means for the user."""
    if not status:
        return "-"
    style = _STATUS_STYLES.get(status)
    return f"[{style}]{escape(status)}[/{style}]" if style else escape(status)


def readable_log_message(message: str) -> str:
    """A CloudWatch log message as the job printed it (`#011` back to TAB)."""
    return message.replace(_CLOUDWATCH_TAB, "\t")


def event_time(timestamp_ms: int) -> str:
    """A log event's epoch-milliseconds timestamp as local `HH:MM:SS.mmm`."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def to_json(document: Any) -> str:
    """Pretty JSON for an API response; datetimes as ISO 8601, bytes as text."""

    def fallback(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        raise TypeError(f"cannot show {type(value).__name__} as JSON")

    return json.dumps(document, indent=2, default=fallback, ensure_ascii=False)
