"""The application client examples, run against a real platform with the model deployed.

`deploy_model.py` trains and deploys the bank-marketing model; then one real customer (a row of
the UCI data) is scored the three documented ways — the boto3 script, the curl script and the
web app's form — and each must give the probability the endpoint gives for that customer's
training encoding, so the examples encode customers exactly as the model was trained.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from examples.app_client.customer import FIELDS, csv_line, features, from_bank_row
from examples.app_client.webapp import create_app
from examples.bank_data import DEFAULT_SOURCE, labelled_features, read_bank_additional
from tests.harness import RunningPlatform, free_port, make_client

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "app_client"
PROBABILITY = re.compile(r"probability of subscribing: ([0-9.]+)")


def run_example(platform: RunningPlatform, *argv: str, timeout: float = 300) -> str:
    completed = subprocess.run(
        list(argv),
        cwd=REPO,
        env=platform.client_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr + completed.stdout
    return completed.stdout


@pytest.fixture(scope="module")
def endpoint(platform: RunningPlatform) -> Iterator[str]:
    name = f"bank-marketing-{uuid.uuid4().hex[:6]}"
    script = str(EXAMPLES / "deploy_model.py")
    output = run_example(platform, sys.executable, script, "--endpoint", name)
    assert f"endpoint {name} is InService" in output
    try:
        yield name
    finally:
        run_example(platform, sys.executable, script, "--endpoint", name, "--delete")


@pytest.fixture(scope="module")
def bank_line() -> str:
    """A real customer: the second data line of bank-additional.csv, as the file has it."""
    return DEFAULT_SOURCE.read_text(encoding="utf-8").splitlines()[2]


@pytest.fixture(scope="module")
def expected(platform: RunningPlatform, endpoint: str) -> float:
    """What the endpoint answers for that customer encoded by the training code itself."""
    record = read_bank_additional(DEFAULT_SOURCE)[1]
    body = ",".join(f"{value:g}" for value in labelled_features(record)[1:])
    runtime = make_client(platform, "sagemaker-runtime")
    response = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=body)
    probability = float(response["Body"].read().decode())
    assert 0.0 < probability < 1.0
    return probability


def test_a_customer_is_encoded_as_in_training(bank_line: str) -> None:
    record = read_bank_additional(DEFAULT_SOURCE)[1]
    assert features(from_bank_row(bank_line)) == labelled_features(record)[1:]
    assert len(csv_line(features(from_bank_row(bank_line))).split(",")) == 64


def test_deploying_again_keeps_the_endpoint(platform: RunningPlatform, endpoint: str) -> None:
    script = str(EXAMPLES / "deploy_model.py")
    output = run_example(platform, sys.executable, script, "--endpoint", endpoint)
    assert "already InService" in output


def test_boto3_script_scores_a_bank_row(
    platform: RunningPlatform, endpoint: str, bank_line: str, expected: float
) -> None:
    script = str(EXAMPLES / "invoke_boto3.py")
    output = run_example(
        platform, sys.executable, script, "--endpoint", endpoint, "--row", bank_line
    )
    match = PROBABILITY.search(output)
    assert match is not None, output
    assert float(match.group(1)) == pytest.approx(expected, abs=1e-4)


def test_boto3_script_scores_a_customer_from_options(
    platform: RunningPlatform, endpoint: str
) -> None:
    script = str(EXAMPLES / "invoke_boto3.py")
    argv = [sys.executable, script, "--endpoint", endpoint, "--age", "62", "--job", "retired"]
    output = run_example(platform, *argv, "--poutcome", "success", "--pdays", "3")
    match = PROBABILITY.search(output)
    assert match is not None, output
    assert 0.0 < float(match.group(1)) < 1.0


def test_curl_script_signs_and_scores(
    platform: RunningPlatform, endpoint: str, bank_line: str, expected: float
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    body = csv_line(features(from_bank_row(bank_line)))
    output = run_example(platform, str(EXAMPLES / "invoke_curl.sh"), endpoint, body)
    assert float(output.strip()) == pytest.approx(expected, abs=1e-6)


@pytest.fixture(scope="module")
def web(platform: RunningPlatform, endpoint: str) -> Iterator[TestClient]:
    runtime = make_client(platform, "sagemaker-runtime")
    with TestClient(create_app(endpoint, runtime)) as client:
        yield client


def form_values(line: str) -> dict[str, Any]:
    return dict(from_bank_row(line))


def test_web_form_shows_every_field(web: TestClient) -> None:
    page = web.get("/")
    assert page.status_code == 200
    for field in FIELDS:
        assert f'name="{field.name}"' in page.text
    assert "<form method='post' action='/score'>" in page.text


def test_web_form_scores_the_customer(web: TestClient, bank_line: str, expected: float) -> None:
    page = web.post("/score", data=form_values(bank_line))
    assert page.status_code == 200, page.text
    match = re.search(r"data-probability='([0-9.]+)'", page.text)
    assert match is not None, page.text
    assert float(match.group(1)) == pytest.approx(expected, abs=1e-6)
    assert "Probability of subscribing" in page.text


def test_web_form_explains_a_bad_value(web: TestClient, bank_line: str) -> None:
    page = web.post("/score", data={**form_values(bank_line), "age": "forty"})
    assert page.status_code == 400
    assert "age" in page.text
    assert "id='error'" in page.text


def test_web_app_reports_an_endpoint_that_does_not_exist(platform: RunningPlatform) -> None:
    runtime = make_client(platform, "sagemaker-runtime")
    with TestClient(create_app("no-such-endpoint", runtime)) as client:
        page = client.post("/score", data={})
    assert page.status_code == 502
    assert "no-such-endpoint" in page.text


def test_web_app_as_its_users_start_it(
    platform: RunningPlatform, endpoint: str, bank_line: str, expected: float
) -> None:
    """`python examples/app_client/webapp.py --port N`: a real uvicorn process, a real browser
    post (form-encoded), keys only in the process's environment."""
    port = free_port()
    argv = [sys.executable, str(EXAMPLES / "webapp.py"), "--endpoint", endpoint]
    server = subprocess.Popen(
        [*argv, "--port", str(port)],
        cwd=REPO,
        env=platform.client_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "the web app exited"
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the web app did not start"
                time.sleep(0.1)
        page = httpx.post(f"{url}/score", data=form_values(bank_line), timeout=60)
    finally:
        server.terminate()
        server.wait(30)
    assert page.status_code == 200, page.text
    match = re.search(r"data-probability='([0-9.]+)'", page.text)
    assert match is not None, page.text
    assert float(match.group(1)) == pytest.approx(expected, abs=1e-6)
