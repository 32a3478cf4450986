"""A rejected request changes nothing: no row, no object, no half-created resource.

Every served operation gets mutated requests only (no deliberately valid ones); after each, the
whole metadata database and the blob folder are compared with a snapshot taken just before. If
the platform answered with an error, they must be identical: a validation that fails after a
first write, or an object stored before its checksum is checked, shows up as a difference.

Operations that start real work (a job, an endpoint, a notebook server) get only requests that
no correct server accepts (`FuzzCase.must_fail`: a member of the wrong JSON type, a required
member missing, a body that is not JSON), and those must be answered with a 4xx.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given

from tests.fuzz.checks import UNDO, problems, report
from tests.fuzz.conftest import SeededWorld
from tests.fuzz.profiles import fuzz_settings, timeout_marker
from tests.fuzz.requests import KINDS, FuzzCase, fuzz_cases
from tests.fuzz.world import StateWatch, read_body, state_difference

SERVICE_ORDER = ["sagemaker-runtime", "sts", "iam", "logs", "s3", "sagemaker"]
MUTATIONS = tuple(kind for kind in KINDS if kind != "valid")
SURELY_INVALID = ("json", "body", "headers")


def check_operation(seeded: SeededWorld, service: str, operation: str) -> None:
    world = seeded.world
    starts_work = operation in UNDO
    kinds = SURELY_INVALID if starts_work else MUTATIONS
    cases = fuzz_cases(world.builder, service, operation, seeded.hints, kinds)
    watch = StateWatch(world.snapshot)

    @fuzz_settings("per_operation")
    @given(case=cases)
    def run(case: FuzzCase) -> None:
        assume(case.must_fail or not starts_work)
        before = watch.before()
        response = world.send(case.request)
        body = read_body(response)
        found = problems(case, response, body)
        after = watch.after(response.status)
        if after is not None:
            changed = state_difference(before, after)
            if changed:
                found.append(f"rejected ({response.status}) but changed state:\n{changed}")
        assert not found, report(case, response, body, found)

    run()


@timeout_marker()
@pytest.mark.parametrize("service", SERVICE_ORDER)
def test_a_rejected_request_changes_nothing(seeded: SeededWorld, service: str) -> None:
    failures = []
    for operation in seeded.world.operations()[service]:
        try:
            check_operation(seeded, service, operation)
        except AssertionError as failure:
            failures.append(f"== {service}.{operation}: {failure}")
    assert not failures, f"{len(failures)} operation(s) failed:\n" + "\n\n".join(failures)
