"""Training jobs in the console: the list, the live job page, stopping a job."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.console.conftest import csrf_of, follow
from tests.console.world import World


def test_the_list_shows_every_status_and_filters(client: TestClient, world: World) -> None:
    world.add_training_job("job-done", "Completed")
    world.add_training_job("job-broken", "Failed")
    world.add_training_job("job-running", "InProgress")
    page = client.get("/jobs").text
    for name, status in (
        ("job-done", "Completed"),
        ("job-broken", "Failed"),
        ("job-running", "InProgress"),
    ):
        row = re.search(rf'<tr data-job="{name}">.*?</tr>', page, re.DOTALL)
        assert row, name
        assert f'data-status="{status}"' in row.group(0)
    # newest first
    assert page.index("job-running") < page.index("job-broken") < page.index("job-done")
    # a running job keeps the table refreshing; filtered to finished ones, it stops
    assert 'data-live="/_console/jobs?' in page
    failed = client.get("/jobs", params={"status": "Failed"}).text
    assert "job-broken" in failed
    assert "job-done" not in failed
    assert "data-live=" not in failed
    found = client.get("/jobs", params={"q": "done"}).text
    assert "job-done" in found
    assert "job-running" not in found


def test_the_list_pages_through_many_jobs(client: TestClient, world: World) -> None:
    for i in range(55):
        world.add_training_job(f"bulk-{i:03d}", rounds=1)
    first = client.get("/jobs").text
    assert first.count("<tr data-job=") == 50
    token = re.search(r"token=([^\"&]+)", first)
    assert token
    second = client.get(f"/jobs?token={token.group(1)}").text
    assert second.count("<tr data-job=") == 5
    assert "bulk-000" in second


def test_a_finished_job_page(client: TestClient, world: World) -> None:
    world.add_training_job(
        "xgb-bank",
        "Completed",
        rounds=12,
        hyperparameters={"objective": "binary:logistic", "max_depth": "5", "num_round": "12"},
    )
    page = client.get("/jobs/xgb-bank").text
    assert "arn:aws:sagemaker:us-east-1:123456789012:training-job/xgb-bank" in page
    steps = re.findall(r'data-step="([A-Za-z]+)"', page)
    assert steps == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    assert "<th>max_depth</th><td><code>5</code></td>" in page
    assert "s3://world-data/train" in page
    assert "s3://world-data/output/xgb-bank/output/model.tar.gz" in page
    curve = re.search(
        r'<polyline class="curve series-1" points="([^"]+)" data-series="validation:auc"', page
    )
    assert curve
    assert len(curve.group(1).split()) == 12
    assert "[11]\ttrain-auc:0.81000" in page  # the log tail, TABs restored
    assert 'data-table="final-metrics"' in page
    assert "data-live=" not in page  # finished: nothing refreshes
    assert 'data-action="stop-job"' not in page


def test_a_running_job_refreshes_and_can_be_stopped(client: TestClient, world: World) -> None:
    world.add_training_job("xgb-live", "InProgress", rounds=3)
    page = client.get("/jobs/xgb-live").text
    assert 'data-live="/_console/jobs/xgb-live?fragment=1"' in page
    live = client.get("/jobs/xgb-live", params={"fragment": "1"})
    assert live.text.lstrip().startswith("<section")
    assert "<html" not in live.text
    assert 'data-job-status="InProgress"' in live.text
    stopped = client.post("/jobs/xgb-live/stop", data={"csrf_token": csrf_of(client)})
    assert stopped.status_code == 303
    assert (
        stopped.headers["location"] == "/_console/jobs/xgb-live?notice=job_stopping&name=xgb-live"
    )
    assert world.stopped == ["xgb-live"]
    after = follow(client, stopped).text
    assert 'data-job-status="Stopping"' in after
    assert "Stopping xgb-live." in after


def test_stopping_a_finished_job_is_refused(client: TestClient, world: World) -> None:
    world.add_training_job("xgb-old", "Completed", rounds=2)
    response = client.post("/jobs/xgb-old/stop", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 400
    assert "in status Completed" in response.text
    assert world.stopped == []


def test_a_failed_job_says_why(client: TestClient, world: World) -> None:
    world.add_training_job("xgb-bad", "Failed", rounds=0)
    page = client.get("/jobs/xgb-bad").text
    assert "AlgorithmError: the data has no label column" in page
    assert "printed no lines that its metric definitions match" in page


def test_an_unknown_job(client: TestClient) -> None:
    response = client.get("/jobs/nope")
    assert response.status_code == 404
    assert "training job nope" in response.text
