"""Endpoints in the console: status and instances, the invoke form, latency, deletion."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.console.conftest import csrf_of, follow
from tests.console.world import World
from tsukuru.domain.ports import InvocationResult


@pytest.fixture
def serving(world: World) -> World:
    world.add_training_job("trained", rounds=2)
    world.add_model("trained")
    world.add_config("cfg", "trained", instances=2)
    world.add_endpoint("bank-ep", "cfg", "trained", instances=2)
    return world


def test_the_list_and_an_endpoint_page(client: TestClient, serving: World) -> None:
    serving.add_endpoint("warming-up", "cfg", "trained", status="Creating")
    listing = client.get("/endpoints").text
    assert '<tr data-endpoint="bank-ep">' in listing
    assert "AllTraffic: ml.m5.large × 2" in listing
    assert 'data-live="/_console/endpoints?fragment=1"' in listing  # one is still Creating
    page = client.get("/endpoints/bank-ep").text
    assert 'data-endpoint-status="InService"' in page
    assert re.search(r'<span class="ok">2 / 2</span>', page)
    assert "/endpoints/bank-ep/invocations" in page
    assert 'id="invoke-form"' in page
    assert "data-live=" not in page.split('id="invoke-form"')[0]  # settled: no refresh


def test_unhealthy_instances_are_visible(client: TestClient, serving: World) -> None:
    serving.host.deployed["bank-ep-AllTraffic-1"] = 1  # one of two instances crashed
    page = client.get("/endpoints/bank-ep").text
    assert '<span class="warn">1 / 2</span>' in page


def test_invoke_from_the_form(client: TestClient, serving: World) -> None:
    serving.host.answer = lambda body: InvocationResult(
        200, b"0.83\n0.12", "text/csv; charset=utf-8"
    )
    response = client.post(
        "/endpoints/bank-ep/invoke",
        data={
            "csrf_token": csrf_of(client),
            "body": "56,1,0,261\r\n41,0,1,12\r\n",
            "content_type": "text/csv",
        },
        headers={"x-requested-with": "fetch"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text  # only the result panel, for the script
    assert '<pre class="prediction" data-prediction>0.83\n0.12</pre>' in response.text
    assert "variant AllTraffic" in response.text
    assert re.search(r"<span data-latency>[0-9.]+ ms</span>", response.text)
    assert "Latency of the last 1 console calls" in response.text
    (sent,) = serving.host.seen
    assert sent.body == b"56,1,0,261\n41,0,1,12"  # the textarea's CRLF and trailing newline
    assert sent.content_type == "text/csv"


def test_invoke_without_scripts_renders_the_whole_page(client: TestClient, serving: World) -> None:
    response = client.post(
        "/endpoints/bank-ep/invoke",
        data={"csrf_token": csrf_of(client), "body": "1,2,3", "content_type": "application/json"},
    )
    assert response.status_code == 200
    assert "<html" in response.text
    assert "data-prediction>0.25</pre>" in response.text
    assert ">1,2,3</textarea>" in response.text
    assert '<option value="application/json" selected>' in response.text


def test_model_errors_are_shown_and_counted(client: TestClient, serving: World) -> None:
    serving.host.answer = lambda body: InvocationResult(415, b"Unsupported content type", None)
    token = csrf_of(client)
    failed = client.post(
        "/endpoints/bank-ep/invoke",
        data={"csrf_token": token, "body": "x"},
        headers={"x-requested-with": "fetch"},
    ).text
    assert 'data-outcome="error"' in failed
    assert "Unsupported content type" in failed
    empty = client.post(
        "/endpoints/bank-ep/invoke",
        data={"csrf_token": token, "body": "  "},
        headers={"x-requested-with": "fetch"},
    ).text
    assert "Enter a request body first." in empty
    # the model's refusal was a call and counts; an empty form never reached the endpoint
    assert "<dt>Errors</dt><dd>1</dd>" in empty
    assert "Latency of the last 1 console calls" in empty


def test_invoking_an_endpoint_that_is_not_serving(client: TestClient, serving: World) -> None:
    serving.add_endpoint("broken", "cfg", "trained", status="Failed")
    page = client.get("/endpoints/broken").text
    assert "The model could not be loaded" in page
    result = client.post(
        "/endpoints/broken/invoke",
        data={"csrf_token": csrf_of(client), "body": "1,2"},
        headers={"x-requested-with": "fetch"},
    ).text
    assert "Endpoint broken of account 123456789012 not found." in result


def test_latency_figures_over_several_calls(client: TestClient, serving: World) -> None:
    token = csrf_of(client)
    for _ in range(5):
        client.post(
            "/endpoints/bank-ep/invoke",
            data={"csrf_token": token, "body": "1,2"},
            headers={"x-requested-with": "fetch"},
        )
    page = client.get("/endpoints/bank-ep").text
    assert "Latency of the last 5 console calls" in page
    assert page.count("<rect ") == 5
    for label in ("Median (p50)", "p95", "Max"):
        assert f"<dt>{label}</dt>" in page


def test_delete_an_endpoint(client: TestClient, serving: World) -> None:
    response = client.post("/endpoints/bank-ep/delete", data={"csrf_token": csrf_of(client)})
    page = follow(client, response).text
    assert "Endpoint bank-ep deleted: it no longer bills." in page
    assert 'data-endpoint="bank-ep"' not in page
    assert serving.host.deployed == {}
    assert client.get("/endpoints/bank-ep").status_code == 400  # as DescribeEndpoint answers


def test_models_and_endpoint_configs(client: TestClient, serving: World) -> None:
    models = client.get("/models").text
    assert '<tr data-model="trained">' in models
    assert "sagemaker-xgboost:1.7-1" in models
    assert "s3://world-data/output/trained/output/model.tar.gz" in models
    configs = client.get("/endpoint-configs").text
    assert '<tr data-config="cfg">' in configs
    assert "ml.m5.large" in configs
    token = csrf_of(client)
    deleted = follow(
        client, client.post("/endpoint-configs/cfg/delete", data={"csrf_token": token})
    )
    assert "Endpoint config cfg deleted." in deleted.text
    gone = follow(client, client.post("/models/trained/delete", data={"csrf_token": token}))
    assert "Model trained deleted." in gone.text
    again = client.post("/models/trained/delete", data={"csrf_token": token})
    assert again.status_code == 400
    assert "Could not find model" in again.text
