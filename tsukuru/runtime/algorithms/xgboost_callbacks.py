"""Per-round hooks into XGBoost's training loop: the log line, stopping, the running model.

* `RoundMonitor` prints each round's metrics in the container version's format and flushes, so
  the platform streams them (and parses metrics) while the job runs.
* `StopWhenRequested` ends training after the current round once a stop was requested; XGBoost
  then returns the model it has, which the job saves.
* `SaveModelEachRound` implements `save_model_on_termination=true`: the model directory always
  holds the latest model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_metrics import format_round
from tsukuru.runtime.algorithms.xgboost_model import save_booster
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion


class RoundMonitor(xgb.callback.TrainingCallback):  # type: ignore[misc]
    """`offset` is the rounds a resumed model already had: lines keep counting from there."""

    def __init__(
        self,
        version: XGBoostVersion,
        custom: Sequence[str],
        offset: int = 0,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__()
        self._version = version
        self._custom = tuple(custom)
        self._offset = offset
        self._stream = stream

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        if evals_log:
            stream = self._stream or sys.stdout
            line = format_round(epoch + self._offset, evals_log, self._custom, self._version)
            stream.write(line + "\n")
            stream.flush()
        return False


class StopWhenRequested(xgb.callback.TrainingCallback):  # type: ignore[misc]
    def __init__(self, requested: Callable[[], bool]) -> None:
        super().__init__()
        self._requested = requested

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        return self._requested()


class SaveModelEachRound(xgb.callback.TrainingCallback):  # type: ignore[misc]
    def __init__(self, path: Path, *, pickled: bool) -> None:
        super().__init__()
        self._path = path
        self._pickled = pickled

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        save_booster(model, self._path, pickled=self._pickled)
        return False
