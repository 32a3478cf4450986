"""Fixtures shared by the whole suite: one real platform process per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.harness import ACCESS_KEY, REGION, SECRET_KEY, RunningPlatform, start_platform

SHARED = Path(__file__).resolve().parents[2] / "shared"
BANK_CSV = SHARED / "data" / "bank-additional" / "bank-additional.csv"


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    running = start_platform(tmp_path_factory.mktemp("tsukuru-home"))
    yield running
    running.stop()


def make_client(platform: RunningPlatform, service: str, **config: Any) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=platform.endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, **config),
    )


@pytest.fixture
def s3(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")
