"""Fixtures shared by the whole suite: one real platform process per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningPlatform, make_client, start_platform

__all__ = ["BANK_CSV", "SHARED", "make_client"]  # make_client lives in tests.harness

SHARED = Path(__file__).resolve().parents[2] / "shared"
BANK_CSV = SHARED / "data" / "bank-additional" / "bank-additional.csv"


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("tsukuru-home"))
    yield running
    running.stop()


@pytest.fixture
def s3(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")
