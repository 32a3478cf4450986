"""Fixtures of the fuzz suite: seeded in-process platforms (one per test module)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.fuzz.seed import seed
from tests.fuzz.shapes import Hints
from tests.fuzz.world import InProcessPlatform, in_process_platform


@dataclass(frozen=True)
class SeededWorld:
    world: InProcessPlatform
    hints: Hints


@pytest.fixture(scope="module")
def seeded() -> Iterator[SeededWorld]:
    with in_process_platform() as world:
        yield SeededWorld(world, seed(world.call))
