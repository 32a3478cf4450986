"""Fixtures for model-host tests: the gateway-like event loop thread and a short run root."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hosting.support import LoopThread


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.stop()


@pytest.fixture
def short_root() -> Iterator[Path]:
    """A run root short enough for Unix socket paths (pytest's tmp_path can be too long)."""
    with tempfile.TemporaryDirectory(prefix="tsk-h") as folder:
        yield Path(folder)
