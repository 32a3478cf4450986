"""Notebook instances: the status machine, lifecycle scripts, URLs, metering and recovery, with
the real local host running a stand-in JupyterLab (fast; the real one is in acceptance)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.domain.notebooks_world import SCOPE, World, make_host, make_world, wait, world_on
from tsukuru.domain.errors import Invalid
from tsukuru.domain.notebooks import KIND
from tsukuru.domain.ports import Record


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path / "notebooks")
    yield made
    made.service.shutdown()


def test_create_goes_pending_then_in_service_with_a_url(world: World) -> None:
    arn = world.create(Tags=[{"Key": "team", "Value": "ml"}])
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nb-1"
    assert world.service.get(SCOPE, "nb-1").status in ("Pending", "InService")
    record = world.wait_for("nb-1", "InService")
    assert record.doc["Url"].startswith("127.0.0.1:")
    assert record.doc["Request"]["VolumeSizeInGB"] == 5
    assert world.metadata.tags.get_tags(arn) == {"team": "ml"}
    url = world.service.presigned_url(SCOPE, "nb-1", 1800)
    assert url.startswith(f"http://{record.doc['Url']}/lab?token=")
    assert world.service.url(SCOPE, "nb-1") is not None


def test_requests_that_break_a_rule_create_nothing(world: World) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"NotebookInstanceName": "bad_name"}, "notebookInstanceName"),
        ({"InstanceType": "t3.medium"}, "instanceType"),
        ({"RoleArn": "my-role"}, "roleArn"),
        ({"VolumeSizeInGB": 2}, "volumeSizeInGB"),
        ({"DirectInternetAccess": "Maybe"}, "directInternetAccess"),
        ({"LifecycleConfigName": "missing"}, "Lifecycle Config"),
        ({"AcceleratorTypes": ["ml.eia2.medium"]}, "Elastic Inference"),
        ({"DefaultCodeRepository": "\ud800"}, "valid Unicode"),
    ]
    for fields, message in cases:
        name = str(fields.pop("NotebookInstanceName", "nb-x"))
        with pytest.raises(Invalid, match=message):
            world.create(name, **fields)
    assert world.service.list(SCOPE) == []


def test_a_name_is_taken_once(world: World) -> None:
    world.create()
    with pytest.raises(Invalid, match="Cannot create a duplicate Notebook Instance"):
        world.create()


def test_an_unknown_instance_is_record_not_found(world: World) -> None:
    with pytest.raises(Invalid, match=r"^RecordNotFound$"):
        world.service.get(SCOPE, "nope")
    with pytest.raises(Invalid, match="notebookInstanceName"):
        world.service.get(SCOPE, "\ud800")


def test_stop_then_start_keeps_the_files_and_changes_status(world: World) -> None:
    world.create()
    world.wait_for("nb-1", "InService")
    (world.home() / "SageMaker" / "work.txt").write_text("keep me")
    world.service.stop(SCOPE, "nb-1")
    stopped = world.wait_for("nb-1", "Stopped")
    assert "Url" not in stopped.doc
    with pytest.raises(Invalid, match="only be made for an instance that is InService"):
        world.service.presigned_url(SCOPE, "nb-1")
    world.service.start(SCOPE, "nb-1")
    world.wait_for("nb-1", "InService")
    assert (world.home() / "SageMaker" / "work.txt").read_text() == "keep me"


def test_transitions_the_status_forbids_are_refused_in_sagemakers_words(world: World) -> None:
    arn = world.create()
    world.wait_for("nb-1", "InService")
    with pytest.raises(Invalid) as refused:
        world.service.delete(SCOPE, "nb-1")
    assert refused.value.message == (
        "Status (InService) not in ([Stopped, Failed]). Unable to transition to (Deleting) for "
        f"Notebook Instance ({arn})."
    )
    with pytest.raises(Invalid, match=r"Status \(InService\) not in"):
        world.service.start(SCOPE, "nb-1")
    with pytest.raises(Invalid, match=r"Status \(InService\) not in"):
        world.service.update(SCOPE, {"NotebookInstanceName": "nb-1", "InstanceType": "ml.t3.large"})
    world.service.stop(SCOPE, "nb-1")
    world.wait_for("nb-1", "Stopped")
    with pytest.raises(Invalid, match=r"Status \(Stopped\) not in \(\[Pending, InService\]\)"):
        world.service.stop(SCOPE, "nb-1")


def test_delete_removes_the_record_and_the_home(world: World) -> None:
    world.create()
    world.wait_for("nb-1", "InService")
    home = world.home()
    world.service.stop(SCOPE, "nb-1")
    world.wait_for("nb-1", "Stopped")
    world.service.delete(SCOPE, "nb-1")
    with pytest.raises(Invalid, match="RecordNotFound"):
        world.service.get(SCOPE, "nb-1")
    assert not home.exists()


def test_update_changes_a_stopped_instance(world: World) -> None:
    world.config("lc", on_start="true")
    world.create(LifecycleConfigName="lc")
    world.wait_for("nb-1", "InService")
    world.service.stop(SCOPE, "nb-1")
    world.wait_for("nb-1", "Stopped")
    world.service.update(
        SCOPE,
        {
            "NotebookInstanceName": "nb-1",
            "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": 20,
            "DisassociateLifecycleConfig": True,
        },
    )
    request = world.service.get(SCOPE, "nb-1").doc["Request"]
    assert request["InstanceType"] == "ml.m5.xlarge"
    assert request["VolumeSizeInGB"] == 20
    assert "LifecycleConfigName" not in request
    with pytest.raises(Invalid, match="instanceType"):
        world.service.update(SCOPE, {"NotebookInstanceName": "nb-1", "InstanceType": "big"})


def test_on_create_runs_once_and_on_start_at_every_start(world: World) -> None:
    world.config(
        "lc",
        on_create='echo created >> "$HOME/SageMaker/hooks.txt"\necho "create says hi"',
        on_start='echo started >> "$HOME/SageMaker/hooks.txt"\necho "start sees $MARKER"',
    )
    world.create(LifecycleConfigName="lc")
    world.wait_for("nb-1", "InService")
    world.service.stop(SCOPE, "nb-1")
    world.wait_for("nb-1", "Stopped")
    world.service.start(SCOPE, "nb-1")
    world.wait_for("nb-1", "InService")
    hooks = (world.home() / "SageMaker" / "hooks.txt").read_text().split()
    assert hooks == ["created", "started", "started"]
    assert world.log_lines("nb-1/LifecycleConfigOnCreate") == ["create says hi"]
    assert world.log_lines("nb-1/LifecycleConfigOnStart") == [
        "start sees from-the-client-env",
        "start sees from-the-client-env",
    ]


def test_a_failing_script_fails_the_instance_until_fixed(world: World) -> None:
    config_arn = world.config("lc", on_start="echo 'no luck' >&2\nexit 1")
    arn = world.create(LifecycleConfigName="lc")
    failed = world.wait_for("nb-1", "Failed")
    assert failed.doc["FailureReason"] == (
        f"Notebook Instance Lifecycle Config '{config_arn}' for Notebook Instance '{arn}' failed."
        " Please check your CloudWatch logs for more details if your Notebook Instance has "
        "Internet access."
    )
    assert world.log_lines("nb-1/LifecycleConfigOnStart") == ["no luck"]
    world.lifecycle.update(
        SCOPE, {"NotebookInstanceLifecycleConfigName": "lc", "OnStart": [{"Content": "dHJ1ZQ=="}]}
    )
    world.service.start(SCOPE, "nb-1")
    record = world.wait_for("nb-1", "InService")
    assert "FailureReason" not in record.doc


def test_a_script_past_its_time_limit_fails_the_start(tmp_path: Path) -> None:
    world = make_world(tmp_path / "notebooks", script_timeout=0.5)
    try:
        world.config("lc", on_create="sleep 20")
        world.create(LifecycleConfigName="lc")
        failed = world.wait_for("nb-1", "Failed")
        assert "took longer than 5 minutes" in failed.doc["FailureReason"]
    finally:
        world.service.shutdown()


def test_a_server_that_cannot_start_fails_the_instance(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    world = make_world(root, make_host(root, TINY_JUPYTER_FAIL="2"))
    try:
        world.create()
        failed = world.wait_for("nb-1", "Failed")
        assert "exited with code 2" in failed.doc["FailureReason"]
    finally:
        world.service.shutdown()


def test_stopping_during_a_slow_start_stops_it(world: World) -> None:
    world.config("lc", on_start="echo begin\nsleep 60")
    world.create(LifecycleConfigName="lc")
    wait((world.home() / ".tsukuru" / "lifecycle-script.sh").exists, 10)
    world.service.stop(SCOPE, "nb-1")
    record = world.wait_for("nb-1", "Stopped", "Failed", timeout=15)
    assert record.status == "Stopped"


def test_running_time_is_metered_for_the_ledger(world: World) -> None:
    world.create()
    world.wait_for("nb-1", "InService")
    [interval] = world.meter.intervals(SCOPE)
    assert (interval.resource_kind, interval.resource_name) == (KIND, "nb-1")
    assert interval.part.instance_type == "ml.t3.medium"
    assert interval.part.usage == "notebook_instance"
    assert interval.end is None
    world.service.stop(SCOPE, "nb-1")
    world.wait_for("nb-1", "Stopped")
    [closed] = world.meter.intervals(SCOPE)
    assert closed.end is not None


def test_running_instances_come_back_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "notebooks"
    first = make_world(root)
    first.config("lc", on_start='echo started >> "$HOME/SageMaker/hooks.txt"')
    first.create(LifecycleConfigName="lc")
    first.wait_for("nb-1", "InService")
    first.create("nb-2")
    first.wait_for("nb-2", "InService")
    first.service.stop(SCOPE, "nb-2")
    first.wait_for("nb-2", "Stopped")
    first.service.shutdown()  # the platform goes down: servers stop, statuses stay
    assert first.service.get(SCOPE, "nb-1").status == "InService"

    second = world_on(first.metadata, root, make_host(root))
    try:
        assert second.service.recover() == 1
        record = second.wait_for("nb-1", "InService")
        url = wait(lambda: second.service.url(SCOPE, "nb-1"), 20)
        assert url.startswith("http://127.0.0.1:")
        assert second.service.get(SCOPE, "nb-2").status == "Stopped"
        hooks = (second.home() / "SageMaker" / "hooks.txt").read_text().split()
        assert hooks == ["started"]  # the instance did not stop: OnStart does not run again
        assert record.doc["Url"]
    finally:
        second.service.shutdown()


def test_listing_filters_sorts_and_pages(world: World) -> None:
    world.config("team-config", on_start="true")
    for name in ("alpha", "beta", "gamma"):
        fields = {"LifecycleConfigName": "team-config"} if name == "beta" else {}
        world.create(name, **fields)
    for name in ("alpha", "beta", "gamma"):
        world.wait_for(name, "InService")
    from tsukuru.domain.paging import Listing

    page, token = world.service.find(SCOPE, Listing(sort_by="Name", sort_order="Ascending"))
    assert [r.name for r in page] == ["alpha", "beta", "gamma"]
    assert token is None
    page, token = world.service.find(SCOPE, Listing(sort_by="Name", max_results=2))
    assert [r.name for r in page] == ["gamma", "beta"]
    assert token is not None
    rest, _ = world.service.find(SCOPE, Listing(sort_by="Name", max_results=2, next_token=token))
    assert [r.name for r in rest] == ["alpha"]
    only, _ = world.service.find(SCOPE, Listing(), lifecycle_contains="TEAM")
    assert [r.name for r in only] == ["beta"]
    named, _ = world.service.find(SCOPE, Listing(name_contains="MM"))
    assert [r.name for r in named] == ["gamma"]
    serving, _ = world.service.find(SCOPE, Listing(status_equals="InService", sort_by="Name"))
    assert [r.name for r in serving] == ["gamma", "beta", "alpha"]
    assert world.service.find(SCOPE, Listing(status_equals="Stopped"))[0] == []
    unfiltered, _ = world.service.find(SCOPE, Listing(status_equals=""))
    assert len(unfiltered) == 3  # an empty StatusEquals filters nothing
    records = {name: world.service.get(SCOPE, name) for name in ("alpha", "beta", "gamma")}
    beta = records["beta"]
    windows: list[tuple[Listing, Callable[[Record], bool]]] = [
        (Listing(created_after=beta.created), lambda r: r.created > beta.created),
        (Listing(created_before=beta.created), lambda r: r.created < beta.created),
        (Listing(modified_after=beta.modified), lambda r: r.modified > beta.modified),
        (Listing(modified_before=beta.modified), lambda r: r.modified < beta.modified),
    ]
    for listing, kept in windows:
        window, _ = world.service.find(SCOPE, replace(listing, sort_by="Name"))
        expected = sorted((r.name for r in records.values() if kept(r)), reverse=True)
        assert [r.name for r in window] == expected
    with pytest.raises(Invalid, match="SortBy"):
        world.service.find(SCOPE, Listing(sort_by="LastModifiedTime"))
