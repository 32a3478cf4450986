"""The dashboard and the cleanup page, both read from the cost ledger."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.console.conftest import csrf_of, follow
from tests.console.world import BUCKET, World


def _populate(world: World) -> None:
    world.add_training_job("finished", "Completed", rounds=3)
    world.add_training_job("running", "InProgress", rounds=2)
    world.add_model("finished")
    world.add_config("cfg", "finished")
    world.add_endpoint("live-ep", "cfg", "finished", instances=2)
    world.services.objects.put_object(BUCKET, "data/train.csv", b"1,2,3\n" * 1000)


def test_an_empty_platform_says_how_to_start(client: TestClient) -> None:
    page = client.get("/").text
    assert "Nothing is running" in page
    assert "Getting started" in page
    assert 'data-live="/_console/?fragment=1"' in page


def test_the_dashboard_shows_what_bills_now(client: TestClient, world: World) -> None:
    _populate(world)
    world.clock.advance(3600)  # the endpoint has served for an hour
    page = client.get("/").text
    running = re.search(r'data-table="running">.*?</table>', page, re.DOTALL)
    assert running
    rows = running.group(0)
    assert "live-ep" in rows
    assert "AllTraffic: ml.m5.large × 2" in rows
    assert "running" in rows  # the job in progress bills too
    assert "finished" not in rows  # a completed job does not
    billing = re.search(r'data-figure="billing-now">.*?card-value">([^<]+)<', page, re.DOTALL)
    assert billing
    assert billing.group(1).endswith("/h")
    assert billing.group(1) != "$0.00/h"
    assert "Getting started" not in page
    assert 'href="/_console/jobs/running"' in page
    fragment = client.get("/", params={"fragment": "1"}).text
    assert fragment.lstrip().startswith("<section")


def test_the_dashboard_in_japanese(world: World) -> None:
    _populate(world)
    page = world.client().get("/", headers={"accept-language": "ja"}).text
    assert "現在課金中" in page
    assert "実行中（時間単位で課金）" in page
    assert "エンドポイント" in page
    assert "/時間" in page


def test_cleanup_offers_what_bills_and_ticks_endpoints(client: TestClient, world: World) -> None:
    _populate(world)
    page = client.get("/cleanup").text
    endpoint = re.search(r'<input type="checkbox" name="item" value="Endpoint:live-ep"[^>]*>', page)
    assert endpoint
    assert "checked" in endpoint.group(0)
    job = re.search(r'<input type="checkbox" name="item" value="TrainingJob:running"[^>]*>', page)
    assert job
    assert "checked" not in job.group(0)
    for value in ("Bucket:world-data", "Model:finished", "EndpointConfig:cfg"):
        box = re.search(rf'value="{value}"[^>]*>', page)
        assert box, value
        assert "checked" not in box.group(0)
    history = re.search(r'data-table="cleanup-history">.*?</table>', page, re.DOTALL)
    assert history
    assert "finished" in history.group(0)
    assert 'value="TrainingJob:finished"' not in page  # nothing to stop


def test_cleanup_deletes_and_stops_what_was_ticked(client: TestClient, world: World) -> None:
    _populate(world)
    world.clock.advance(600)
    response = client.post(
        "/cleanup",
        data={
            "csrf_token": csrf_of(client),
            "item": ["Endpoint:live-ep", "TrainingJob:running", "Bucket:world-data"],
        },
    )
    assert response.status_code == 303
    done = follow(client, response).text
    notice = re.search(r'<div class="notice" role="status">([^<]+)</div>', done)
    assert notice
    assert notice.group(1).startswith("Cleaned up 3 resource(s): $0.")
    assert "5.9 KB of stored data freed" in notice.group(1)
    assert world.stopped == ["running"]
    assert world.host.deployed == {}
    assert "world-data" not in [b.name for b in world.services.objects.list_buckets("123456789012")]
    # the endpoint now shows as history, no longer offered
    assert 'value="Endpoint:live-ep"' not in done


def test_cleanup_reports_what_it_could_not_do(client: TestClient, world: World) -> None:
    _populate(world)
    response = client.post(
        "/cleanup",
        data={"csrf_token": csrf_of(client), "item": ["Model:no-such-model", "Endpoint:live-ep"]},
    )
    assert response.status_code == 207
    assert "Could not clean up Model no-such-model" in response.text
    assert world.host.deployed == {}  # the rest was still done


def test_cleanup_with_nothing_ticked(client: TestClient) -> None:
    response = client.post("/cleanup", data={"csrf_token": csrf_of(client)})
    assert "Nothing was selected." in follow(client, response).text
