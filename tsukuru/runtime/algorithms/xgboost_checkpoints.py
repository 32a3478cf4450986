"""Checkpoints every round, and resuming from the newest one, as the SageMaker container does.

When a job has a checkpoint configuration, each finished round `N` is written to
`checkpoints/xgboost-checkpoint.N` (the five newest are kept; SageMaker syncs the folder to
S3). A job that starts with checkpoints present loads the highest `N` and trains the remaining
`num_round - (N + 1)` rounds, so a restarted (e.g. spot-interrupted) job continues rather than
starting over. Unreadable checkpoints are skipped in favour of the next newest.

(From 1.3-1 the real container writes XGBoost-named files its own loader does not find, so its
resume is effectively off; this keeps the documented behaviour for every version.)
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from tsukuru.runtime.algorithms.xgboost_lib import xgb

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "xgboost-checkpoint"
KEEP = 5
MAX_TRIES = 5
_PATTERN = re.compile(rf"^{CHECKPOINT_NAME}\.([0-9]+)$")
UPLOADING_SUFFIX = ".sagemaker-uploading"
UPLOADED_SUFFIX = ".sagemaker-uploaded"


def checkpoint_path(directory: Path, iteration: int) -> Path:
    return directory / f"{CHECKPOINT_NAME}.{iteration}"


def latest_checkpoint(directory: Path) -> tuple[Any | None, int]:
    """(booster, rounds already done) from the newest readable checkpoint, or (None, 0)."""
    if not directory.is_dir():
        return None, 0
    found = sorted(
        (int(match.group(1)), name)
        for name in os.listdir(directory)
        if (match := _PATTERN.match(name))
    )
    for iteration, name in reversed(found[-MAX_TRIES:]):
        booster = xgb.Booster()
        try:
            booster.load_model(bytearray((directory / name).read_bytes()))
        except (OSError, xgb.core.XGBoostError):
            log.warning("Skipping unreadable checkpoint %s", name)
            continue
        log.info("Checkpoint loaded from %s", directory / name)
        log.info("Resuming from iteration %s", iteration + 1)
        return booster, iteration + 1
    return None, 0


class SaveCheckpoints(xgb.callback.TrainingCallback):  # type: ignore[misc]
    """Writes `xgboost-checkpoint.<round>` after every round and prunes old ones; `offset` is
    the rounds a resumed model already had (XGBoost counts the new rounds from 0)."""

    def __init__(self, directory: Path, offset: int = 0) -> None:
        super().__init__()
        self._directory = directory
        self._offset = offset
        directory.mkdir(parents=True, exist_ok=True)

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        epoch += self._offset
        target = checkpoint_path(self._directory, epoch)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(bytes(model.save_raw(raw_format="ubj")))
        os.replace(temporary, target)
        self._prune(epoch - KEEP)
        return False

    def _prune(self, iteration: int) -> None:
        if iteration < 0:
            return
        old = checkpoint_path(self._directory, iteration)
        uploading = old.with_name(old.name + UPLOADING_SUFFIX).exists()
        uploaded = old.with_name(old.name + UPLOADED_SUFFIX).exists()
        if uploading and not uploaded:
            return
        old.unlink(missing_ok=True)
