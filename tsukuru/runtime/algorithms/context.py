"""What the entry point hands an algorithm: where the job is, its resources, and a stop flag.

Stopping is cooperative while the algorithm trains (it finishes the current round, saves what
it has and returns) and immediate before that (nothing worth saving exists yet). The entry
point owns the signals; algorithms only report which phase they are in and poll `requested`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tsukuru.runtime.layout import JobLayout

Phase = Literal["setup", "training", "saving"]


class StopSignal:
    """A thread-safe stop request plus the phase the job is in when it arrives."""

    def __init__(self, on_request: Callable[[Phase], None] | None = None) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._phase: Phase = "setup"
        self._on_request = on_request

    @property
    def phase(self) -> Phase:
        with self._lock:
            return self._phase

    def enter(self, phase: Phase) -> None:
        with self._lock:
            self._phase = phase

    def request(self) -> None:
        """Ask the job to stop; the callback decides what that means in the current phase."""
        self._event.set()
        if self._on_request is not None:
            self._on_request(self.phase)

    def requested(self) -> bool:
        return self._event.is_set()


@dataclass
class JobContext:
    layout: JobLayout
    algorithm_version: str
    num_cpus: int
    num_gpus: int = 0
    stop: StopSignal = field(default_factory=StopSignal)
