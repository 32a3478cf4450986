"""Jobs kept to their memory and disk shares: a real job process over its share is stopped, and
says why in its failure file and its last log line; a job within its shares is left alone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.runtime.script_mode_support import script_environment, script_job
from tsukuru.domain.ports import Launch
from tsukuru.executors.limits import (
    GIB,
    MIB,
    GroupMemory,
    disk_share,
    disk_usage,
    group_memory,
    memory_share,
)
from tsukuru.executors.local import LocalExecutor

pytestmark = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")

GREEDY = """
import time
hoard = []
for _ in range(40):  # 40 x 64 MiB, touched so that it is resident
    hoard.append(bytearray(b"x" * (64 * 1024 * 1024)))
    time.sleep(0.05)
print("should not get here", flush=True)
"""

WRITER = """
import os, time
os.makedirs("/JOB/model", exist_ok=True)
for index in range(40):  # 40 x 8 MiB files in model/, one every 0.1 s
    with open(f"/JOB/model/part-{index}", "wb") as out:
        out.write(os.urandom(8 * 1024 * 1024))
    time.sleep(0.1)
print("should not get here", flush=True)
"""

BIG_FILE = """
with open("/JOB/model/huge", "wb") as out:
    out.write(b"x" * (64 * 1024 * 1024))
"""

MODEST = """
import os
data = bytearray(32 * 1024 * 1024)
with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.bin"), "wb") as out:
    out.write(bytes(data[:1024]))
print("done", flush=True)
"""


def run_job(tmp_path: Path, script: str, memory: int | None, **env: str) -> tuple[int, list[str]]:
    job = script_job(tmp_path / "job", {"train.py": script.replace("/JOB", str(tmp_path / "job"))})
    launch = Launch(
        "limits", "train", str(job.root), script_environment(job, "sklearn", None, **env)
    )
    process = LocalExecutor(memory_limit=memory).launch(launch)
    lines = [text for _, text in process.lines()]
    code = process.wait(60)
    assert code is not None
    return code, lines


def failure_of(tmp_path: Path) -> str:
    path = tmp_path / "job" / "output" / "failure"
    return path.read_text() if path.exists() else ""


def test_a_job_over_its_memory_share_is_stopped_with_a_reason(tmp_path: Path) -> None:
    code, lines = run_job(tmp_path, GREEDY, memory=400 * MIB)
    assert code != 0
    failure = failure_of(tmp_path)
    assert failure.startswith("AlgorithmError: the job exceeded its memory share (400 MiB)")
    assert "TSUKURU_JOB_SLOTS" in failure
    assert lines[-1] == failure.strip()
    assert "should not get here" not in lines


def test_a_job_over_its_disk_share_is_stopped_with_a_reason(tmp_path: Path) -> None:
    # 0.1 GiB ~ 102 MiB: the fourteenth 8 MiB file crosses it; the watcher looks every 2 s
    code, lines = run_job(tmp_path, WRITER, memory=None, TSUKURU_VOLUME_SIZE_GB="0.1")
    assert code != 0
    failure = failure_of(tmp_path)
    assert "exceeded its disk share (102 MiB, ResourceConfig.VolumeSizeInGB)" in failure
    assert "should not get here" not in lines
    written = disk_usage(tmp_path / "job")
    assert written < 0.1 * GIB + 8 * 30 * MIB  # stopped long before the 320 MiB it wanted


def test_one_file_larger_than_the_disk_share_fails_at_once(tmp_path: Path) -> None:
    code, _ = run_job(tmp_path, BIG_FILE, memory=None, TSUKURU_VOLUME_SIZE_GB="0.01")
    assert code != 0
    assert "File too large" in failure_of(tmp_path)
    assert (tmp_path / "job" / "model" / "huge").stat().st_size <= 0.01 * GIB + 1


def test_a_job_within_its_shares_runs_undisturbed(tmp_path: Path) -> None:
    started = time.monotonic()
    code, lines = run_job(tmp_path, MODEST, memory=1 * GIB, TSUKURU_VOLUME_SIZE_GB="1")
    assert code == 0, lines
    assert "done" in lines
    assert failure_of(tmp_path) == ""
    assert time.monotonic() - started < 30


def test_memory_share_splits_three_quarters_of_the_machine() -> None:
    assert memory_share(4, machine_bytes=16 * GIB) == 3 * GIB
    assert memory_share(64, machine_bytes=16 * GIB) == GIB  # never below 1 GiB...
    assert memory_share(1, machine_bytes=1 * GIB) == int(0.75 * GIB)  # ...unless the machine is


def test_disk_share_reads_the_volume_size() -> None:
    assert disk_share({"TSUKURU_VOLUME_SIZE_GB": "5"}) == 5 * GIB
    assert disk_share({"TSUKURU_VOLUME_SIZE_GB": "nonsense"}) is None
    assert disk_share({}) is None


def test_group_memory_counts_this_process_group() -> None:
    hoard = bytearray(b"y" * (50 * MIB))
    assert group_memory(os.getpgid(0)) >= 50 * MIB
    assert hoard[0] == ord("y")


def test_repeated_looks_skip_other_sessions_but_see_the_group_grow() -> None:
    """The watcher's cached looks give what a full look gives, and still see new memory."""
    looks = GroupMemory(os.getpgid(0))
    first = looks()
    hoard = bytearray(b"z" * (64 * MIB))
    for _ in range(GroupMemory.RESCAN_EVERY + 1):  # cached looks, then a full one again
        assert looks() >= first + 60 * MIB
    assert hoard[-1] == ord("z")


def test_disk_usage_leaves_out_the_inputs(tmp_path: Path) -> None:
    (tmp_path / "input" / "data").mkdir(parents=True)
    (tmp_path / "input" / "data" / "train.csv").write_bytes(os.urandom(MIB))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "m.bin").write_bytes(os.urandom(MIB))
    assert MIB <= disk_usage(tmp_path) < 2 * MIB
