"""The fork server's decisions: which requests may reuse its imports, and exit statuses."""

from __future__ import annotations

import pytest

from tsukuru.runtime.forkserver import _python_exit_code, can_run_warm, import_time_environment

SERVER = {"PATH": "/usr/bin", "OMP_WAIT_POLICY": "PASSIVE", "PYTHONUNBUFFERED": "1"}


def test_import_time_variables_are_the_ones_libraries_read_when_loaded() -> None:
    env = {**SERVER, "HOME": "/root", "PYTHONPATH": "/x", "LD_PRELOAD": "y", "MKL_NUM_THREADS": "1"}

    assert import_time_environment(env) == {
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONPATH": "/x",
        "LD_PRELOAD": "y",
        "MKL_NUM_THREADS": "1",
    }


def test_jobs_run_warm_whatever_their_own_variables() -> None:
    job = {**SERVER, "TSUKURU_JOB_ROOT": "/jobs/a", "SM_HPS": "{}"}
    assert can_run_warm("tsukuru.runtime.train", job, SERVER)
    assert can_run_warm("tsukuru.runtime.train", {**job, "PYTHONUNBUFFERED": "0"}, SERVER)


@pytest.mark.parametrize(
    "extra",
    [{"OMP_NUM_THREADS": "1"}, {"OMP_WAIT_POLICY": "ACTIVE"}, {"PYTHONPATH": "/user/code"}],
)
def test_a_different_import_time_environment_is_not_warm(extra: dict[str, str]) -> None:
    assert not can_run_warm("tsukuru.runtime.train", {**SERVER, **extra}, SERVER)


def test_only_built_in_model_servers_run_warm() -> None:
    assert can_run_warm("tsukuru.runtime.serve", SERVER, SERVER)
    assert can_run_warm("tsukuru.runtime.serve", {**SERVER, "TSUKURU_ALGORITHM": "XGBoost"}, SERVER)
    sklearn = {**SERVER, "TSUKURU_ALGORITHM": "sklearn"}
    assert not can_run_warm("tsukuru.runtime.serve", sklearn, SERVER)
    script = {**SERVER, "SAGEMAKER_PROGRAM": "inference.py"}
    assert not can_run_warm("tsukuru.runtime.serve", script, SERVER)


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (143, 143), (256, 0)])
def test_exit_codes_are_the_interpreters(code: int | None, status: int) -> None:
    assert _python_exit_code(SystemExit(code)) == status


def test_a_message_exit_prints_it_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert _python_exit_code(SystemExit("bad things")) == 1
    assert "bad things" in capsys.readouterr().err
