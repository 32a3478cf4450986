"""Processes an earlier platform run left behind are found by their mark and stopped, with
everything they started; other homes' processes and this run's own are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tsukuru.hosting.orphans import (
    HOME_VARIABLE,
    RUN_VARIABLE,
    claim_children,
    find_orphans,
    is_alive,
    reap_orphans,
)

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")

# A parent in its own session that starts a child (in the same group) and writes its pid.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def start_marked(home: Path, run: str) -> tuple[subprocess.Popen[bytes], int]:
    env = dict(os.environ)
    env[HOME_VARIABLE] = str(home.resolve())
    env[RUN_VARIABLE] = run
    process = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        env=env,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stdout is not None
    child = int(process.stdout.readline())
    return process, child


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, 9)
        process.wait()


def test_processes_of_an_earlier_run_are_stopped_with_their_children(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    home, other_home = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    other_home.mkdir()
    old, old_child = start_marked(home, "earlier-run")
    current, current_child = start_marked(home, "this-run")
    elsewhere, elsewhere_child = start_marked(other_home, "earlier-run")
    started += [old, current, elsewhere]

    found = {orphan.pid for orphan in find_orphans(home, "this-run")}
    assert found == {old.pid, old_child}

    assert reap_orphans(home, "this-run") == 2
    old.wait(5)
    assert not is_alive(old_child)
    for survivor in (current.pid, current_child, elsewhere.pid, elsewhere_child):
        assert is_alive(survivor), survivor
    assert find_orphans(home, "this-run") == []


def test_claiming_marks_the_environment_children_inherit(tmp_path: Path) -> None:
    environ: dict[str, str] = {}
    run = claim_children(tmp_path, environ)
    assert environ == {HOME_VARIABLE: str(tmp_path.resolve()), RUN_VARIABLE: run}
    assert claim_children(tmp_path, environ) != run  # every platform run has its own id


def test_a_process_that_changes_its_environment_keeps_its_mark(
    tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    env = dict(os.environ, **{HOME_VARIABLE: str(tmp_path.resolve()), RUN_VARIABLE: "old"})
    script = (
        f"import os, time; os.environ.pop('{RUN_VARIABLE}'); print(1, flush=True); time.sleep(60)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, start_new_session=True
    )
    started.append(process)
    assert process.stdout is not None
    process.stdout.readline()
    assert [orphan.pid for orphan in find_orphans(tmp_path, "new")] == [process.pid]
    reap_orphans(tmp_path, "new")
    deadline = time.monotonic() + 5
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.returncode == -9
