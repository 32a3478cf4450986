"""How hard to fuzz: `HYPOTHESIS_PROFILE=ci` (the default, part of `make test`) or `long`.

The profiles are applied per test (`fuzz_settings(...)`), never loaded globally, so the rest of
the suite keeps hypothesis's defaults. `long` is for `make bench` and manual runs:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/fuzz -q

Examples are not saved between runs (`database=None`): a failure prints the case that broke,
and the regression test for it goes into `test_regressions.py`.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# Examples per operation (in-process), and in total over HTTP.
EXAMPLES = {"ci": {"per_operation": 20, "http": 120}, "long": {"per_operation": 400, "http": 2000}}
TIMEOUTS = {"ci": 600, "long": 7200}  # seconds per test (one test fuzzes a whole service)
_QUIET = [
    HealthCheck.too_slow,
    HealthCheck.filter_too_much,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
]


def timeout_marker() -> pytest.MarkDecorator:
    """pytest-timeout's limit for one fuzz test under the chosen profile."""
    return pytest.mark.timeout(TIMEOUTS[profile_name()])


def profile_name() -> str:
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    return name if name in EXAMPLES else "ci"


def fuzz_settings(kind: str) -> settings:
    """Settings for one fuzz test: `kind` is "per_operation" or "http"."""
    return settings(
        max_examples=EXAMPLES[profile_name()][kind],
        deadline=None,
        database=None,
        suppress_health_check=_QUIET,
        print_blob=True,
    )
