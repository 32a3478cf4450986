"""kill -9 while a training job runs: after a restart the job has ended Failed, saying the
platform restarted, its process is gone (no orphan keeps training, or holding memory), and a new
job on the same data trains to completion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.platform_support import training_request, wait_for_jobs
from tests.acceptance.sdk_support import upload_bank_data
from tests.harness import make_client, start_platform
from tests.reliability.support import kill_and_restart, processes, s3_of, wait_for, working_in
from tsukuru.hosting.orphans import is_alive

ENDLESS = {"objective": "binary:logistic", "num_round": "1000000", "max_depth": "6"}
SHORT = {"objective": "binary:logistic", "num_round": "5"}


@pytest.mark.slow
def test_a_job_running_at_a_crash_ends_failed_and_leaves_no_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_platform(home)
    try:
        bank = upload_bank_data(s3_of(first), "crash-training")
        sm = make_client(first, "sagemaker")
        channels = {"train": bank.train_uri}
        sm.create_training_job(**training_request("endless", ENDLESS, channels, bank.output_uri))
        wait_for(
            lambda: (
                sm.describe_training_job(TrainingJobName="endless")["SecondaryStatus"] == "Training"
            ),
            timeout=120,
            what="the job to be training",
        )
        job_processes = wait_for(
            lambda: working_in(home, home / "jobs" / "endless"),
            timeout=60,
            what="the job's process",
        )
        old_runs = {found.run for found in processes(home)}
        again, _ = kill_and_restart(first)
    except BaseException:
        first.stop()
        raise
    try:
        for found in job_processes:
            assert not is_alive(found.pid), f"job process {found.pid} outlived the restart"
        assert not old_runs & {found.run for found in processes(home)}, processes(home)

        sm = make_client(again, "sagemaker")
        job = sm.describe_training_job(TrainingJobName="endless")
        assert job["TrainingJobStatus"] == "Failed"
        assert "platform restarted" in job["FailureReason"]
        assert job["SecondaryStatusTransitions"][-1]["Status"] == "Failed"

        sm.create_training_job(**training_request("again", SHORT, channels, bank.output_uri))
        done = wait_for_jobs(sm, ["again"], timeout=180)["again"]
        assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    finally:
        again.stop()
