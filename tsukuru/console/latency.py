"""Recent invocation latencies per endpoint, as measured by the console's invoke form.

Only calls made from the console are timed here (the gateway's hot path stays untouched): enough
for a user to see what one prediction costs and how steady it is. Kept in memory, a bounded
window per endpoint; a restart forgets them.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

WINDOW = 100


@dataclass(frozen=True)
class LatencyStats:
    count: int
    last_ms: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int
    recent_ms: list[float]  # oldest first, for the little bar chart


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


class LatencyLog:
    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._calls: dict[str, deque[tuple[float, bool]]] = {}
        self._lock = threading.Lock()

    def record(self, endpoint: str, milliseconds: float, ok: bool) -> None:
        with self._lock:
            calls = self._calls.setdefault(endpoint, deque(maxlen=self._window))
            calls.append((milliseconds, ok))

    def forget(self, endpoint: str) -> None:
        with self._lock:
            self._calls.pop(endpoint, None)

    def stats(self, endpoint: str) -> LatencyStats | None:
        with self._lock:
            calls = list(self._calls.get(endpoint, ()))
        if not calls:
            return None
        ok = [ms for ms, success in calls if success]
        ordered = sorted(ok) or [0.0]
        return LatencyStats(
            count=len(calls),
            last_ms=calls[-1][0],
            p50_ms=_percentile(ordered, 0.5),
            p95_ms=_percentile(ordered, 0.95),
            max_ms=ordered[-1],
            errors=len(calls) - len(ok),
            recent_ms=[ms for ms, _ in calls[-30:]],
        )
