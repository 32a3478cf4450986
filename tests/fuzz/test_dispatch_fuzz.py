"""Every served operation, fuzzed in-process: no request, valid or broken, gets a 500.

The operations come from the platform itself (the dispatcher's handler maps), so an operation
added tomorrow is fuzzed tomorrow. For each one hypothesis draws valid inputs from botocore's
shapes and mutations of them (`tests.fuzz.requests`), sends them to `Dispatcher.handle` and
checks the answer (`tests.fuzz.checks`). All operations of a service run in one test so that a
failure lists every broken operation at once, each with its smallest failing request.

Services run runtime-first: the sagemaker fuzz may delete the seeded endpoint, which the
runtime fuzz needs alive to reach the model server.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.fuzz.checks import problems, report, undo
from tests.fuzz.conftest import SeededWorld
from tests.fuzz.profiles import fuzz_settings, timeout_marker
from tests.fuzz.requests import FuzzCase, fuzz_cases
from tests.fuzz.world import read_body

SERVICE_ORDER = ["sagemaker-runtime", "sts", "iam", "logs", "s3", "sagemaker"]


def fuzz_operation(seeded: SeededWorld, service: str, operation: str) -> None:
    """Run hypothesis over one operation; raises AssertionError with the smallest failure."""
    world = seeded.world
    cases = fuzz_cases(world.builder, service, operation, seeded.hints)

    @fuzz_settings("per_operation")
    @given(case=cases)
    def run(case: FuzzCase) -> None:
        response = world.send(case.request)
        body = read_body(response)
        undo(case, response.status, world.call)
        found = problems(case, response, body)
        assert not found, report(case, response, body, found)

    run()


@timeout_marker()
@pytest.mark.parametrize("service", SERVICE_ORDER)
def test_no_request_gets_a_500(seeded: SeededWorld, service: str) -> None:
    operations = seeded.world.operations()
    assert set(operations) == set(SERVICE_ORDER), "a service was added: fuzz it (SERVICE_ORDER)"
    failures = []
    for operation in operations[service]:
        try:
            fuzz_operation(seeded, service, operation)
        except AssertionError as failure:
            failures.append(f"== {service}.{operation}: {failure}")
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n\n".join(failures)
