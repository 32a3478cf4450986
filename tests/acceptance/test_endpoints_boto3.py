"""Models and endpoints through plain boto3 and curl, as the "Models/endpoints" issue lists them:
several endpoints serve at once, instances share load, variants split traffic by weight, an
update loses no request, a killed model server is replaced, a model that cannot load fails the
endpoint with a reason, and InvokeEndpoint answers errors in AWS's shapes.
"""

from __future__ import annotations

import collections
import gzip
import io
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import numpy as np
import pytest

from tests.acceptance.platform_support import (
    cpu_seconds,
    create_endpoint,
    create_model,
    delete_endpoint,
    model_server_pids,
    parse_predictions,
    predict_locally,
    read_model,
    training_request,
    unique,
    wait_for_endpoint,
    wait_for_jobs,
)
from tests.acceptance.sdk_support import BankData, poll, upload_bank_data
from tests.conftest import make_client
from tests.harness import REGION, RunningPlatform

ROWS = 50


@dataclass(frozen=True)
class TrainedModel:
    name: str  # the SageMaker Model created from the job
    artifacts: str
    expected: np.ndarray[Any, Any]  # plain xgboost's predictions for the first ROWS test rows


@pytest.fixture(scope="module")
def sm(platform: RunningPlatform) -> Any:
    return make_client(platform, "sagemaker")


@pytest.fixture(scope="module")
def runtime(platform: RunningPlatform) -> Any:
    return make_client(platform, "sagemaker-runtime", max_pool_connections=16)


@pytest.fixture(scope="module")
def s3_module(platform: RunningPlatform) -> Any:
    return make_client(platform, "s3")


@pytest.fixture(scope="module")
def bank(s3_module: Any) -> BankData:
    return upload_bank_data(s3_module, unique("endpoints"))


@pytest.fixture(scope="module")
def models(sm: Any, s3_module: Any, bank: BankData) -> list[TrainedModel]:
    """Three different models (depth 2, 4, 6), trained at once and registered as Models."""
    jobs = []
    for depth in (2, 4, 6):
        name = unique(f"depth{depth}")
        hyperparameters = {
            "objective": "binary:logistic",
            "num_round": "10",
            "max_depth": str(depth),
        }
        sm.create_training_job(
            **training_request(name, hyperparameters, {"train": bank.train_uri}, bank.output_uri)
        )
        jobs.append(name)
    done = wait_for_jobs(sm, jobs)
    trained = []
    for job in jobs:
        assert done[job]["TrainingJobStatus"] == "Completed", done[job].get("FailureReason")
        artifacts = done[job]["ModelArtifacts"]["S3ModelArtifacts"]
        create_model(sm, job, artifacts)
        booster = read_model(s3_module, artifacts)
        expected = predict_locally(booster, bank.test_features[:ROWS])
        trained.append(TrainedModel(job, artifacts, expected))
    assert not np.allclose(trained[0].expected, trained[2].expected)
    return trained


def invoke(runtime: Any, endpoint: str, body: str | bytes, **kwargs: Any) -> Any:
    return runtime.invoke_endpoint(
        EndpointName=endpoint, Body=body, ContentType="text/csv", **kwargs
    )


@pytest.fixture(scope="module")
def three_endpoints(sm: Any, models: list[TrainedModel]) -> Iterator[list[str]]:
    names = [unique("three") for _ in models]
    for name, model in zip(names, models, strict=True):
        create_endpoint(sm, name, [("AllTraffic", model.name, 1, 1.0)], wait=False)
    try:
        for name in names:
            assert wait_for_endpoint(sm, name)["EndpointStatus"] == "InService"
        yield names
    finally:
        for name in names:
            delete_endpoint(sm, name)


@pytest.fixture(scope="module")
def two_instances(sm: Any, models: list[TrainedModel]) -> Iterator[str]:
    name = unique("pair")
    try:
        description = create_endpoint(sm, name, [("AllTraffic", models[1].name, 2, 1.0)])
        assert description["EndpointStatus"] == "InService", description.get("FailureReason")
        yield name
    finally:
        delete_endpoint(sm, name)


@pytest.mark.slow
def test_three_endpoints_from_three_models_serve_at_once(
    runtime: Any, bank: BankData, models: list[TrainedModel], three_endpoints: list[str]
) -> None:
    body = bank.test_csv(ROWS)
    answers: dict[str, list[np.ndarray[Any, Any]]] = collections.defaultdict(list)
    errors: list[BaseException] = []

    def hammer(endpoint: str) -> None:
        try:
            for _ in range(10):
                response = invoke(runtime, endpoint, body)
                answers[endpoint].append(parse_predictions(response["Body"].read()))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(name,)) for name in three_endpoints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for endpoint, model in zip(three_endpoints, models, strict=True):
        assert len(answers[endpoint]) == 10
        for predictions in answers[endpoint]:
            np.testing.assert_allclose(predictions, model.expected, rtol=0, atol=1e-6)


def test_boto3_runtime_answers_with_content_type_and_variant(
    runtime: Any, bank: BankData, models: list[TrainedModel], three_endpoints: list[str]
) -> None:
    response = invoke(runtime, three_endpoints[0], bank.test_csv(ROWS), Accept="text/csv")
    assert response["ContentType"].startswith("text/csv")
    assert response["InvokedProductionVariant"] == "AllTraffic"
    np.testing.assert_allclose(
        parse_predictions(response["Body"].read()), models[0].expected, rtol=0, atol=1e-6
    )
    as_json = invoke(runtime, three_endpoints[0], bank.test_csv(3), Accept="application/json")
    assert as_json["ContentType"] == "application/json"


def test_curl_with_sigv4_invokes_the_endpoint(
    platform: RunningPlatform,
    bank: BankData,
    models: list[TrainedModel],
    three_endpoints: list[str],
) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    keys = platform.credentials
    completed = subprocess.run(
        [
            curl,
            "--silent",
            "--show-error",
            "--fail-with-body",
            "--aws-sigv4",
            f"aws:amz:{REGION}:sagemaker",
            "--user",
            f"{keys.access_key_id}:{keys.secret_access_key}",
            "-H",
            "Content-Type: text/csv",
            "--data-binary",
            bank.test_csv(ROWS),
            f"{platform.endpoint_url}/endpoints/{three_endpoints[1]}/invocations",
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    np.testing.assert_allclose(
        parse_predictions(completed.stdout), models[1].expected, rtol=0, atol=1e-6
    )


@pytest.mark.slow
def test_two_instances_share_the_load(
    platform: RunningPlatform, runtime: Any, bank: BankData, two_instances: str
) -> None:
    pids = model_server_pids(platform.home, two_instances)
    assert len(pids) == 2, pids
    before = {pid: cpu_seconds(pid) for pid in pids}
    body = bank.test_csv()  # every test row: each call costs the server real work
    # CPU time is counted in 10 ms ticks: call until both servers together have used enough of
    # it for a share to mean something, however fast one call has become.
    used = dict.fromkeys(pids, 0.0)
    deadline = time.monotonic() + 120
    while sum(used.values()) < 1.0 and time.monotonic() < deadline:
        for _ in range(20):
            invoke(runtime, two_instances, body)["Body"].read()
        used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
    total = sum(used.values())
    assert total >= 1.0, f"the servers did almost no work: {used}"
    assert min(used.values()) > 0.25 * total, f"CPU seconds per instance: {used}"


@pytest.mark.slow
def test_killed_model_server_is_replaced_without_failing_calls(
    platform: RunningPlatform, sm: Any, runtime: Any, bank: BankData, two_instances: str
) -> None:
    body = bank.test_csv(ROWS)
    pids = model_server_pids(platform.home, two_instances)
    assert len(pids) == 2, pids
    os.kill(pids[0], signal.SIGKILL)
    for call in range(40):  # every call succeeds, each within 2 s
        started = time.monotonic()
        response = invoke(runtime, two_instances, body)
        assert len(parse_predictions(response["Body"].read())) == ROWS
        assert time.monotonic() - started < 2.0, f"call {call} after the kill was slow"
    assert sm.describe_endpoint(EndpointName=two_instances)["EndpointStatus"] == "InService"
    replaced = poll(
        lambda: (p := model_server_pids(platform.home, two_instances)) and len(p) == 2 and p,
        timeout=15,
    )
    assert pids[0] not in replaced
    assert pids[1] in replaced


@pytest.mark.slow
def test_variants_weighted_80_20_split_traffic(
    sm: Any, runtime: Any, bank: BankData, models: list[TrainedModel]
) -> None:
    name = unique("weights")
    try:
        description = create_endpoint(
            sm, name, [("Heavy", models[0].name, 1, 0.8), ("Light", models[1].name, 1, 0.2)]
        )
        assert description["EndpointStatus"] == "InService", description.get("FailureReason")
        weights = {v["VariantName"]: v["CurrentWeight"] for v in description["ProductionVariants"]}
        assert weights == {"Heavy": 0.8, "Light": 0.2}
        body = bank.test_csv(1)

        def variants_hit(calls: int) -> collections.Counter[str]:
            return collections.Counter(
                invoke(runtime, name, body)["InvokedProductionVariant"] for _ in range(calls)
            )

        with ThreadPoolExecutor(4) as pool:
            counts = sum(pool.map(variants_hit, [500] * 4), collections.Counter[str]())
        assert sum(counts.values()) == 2000
        assert set(counts) == {"Heavy", "Light"}
        assert abs(counts["Heavy"] / 2000 - 0.8) <= 0.05, counts
        forced = invoke(runtime, name, body, TargetVariant="Light")
        assert forced["InvokedProductionVariant"] == "Light"
    finally:
        delete_endpoint(sm, name)


@pytest.mark.slow
def test_update_endpoint_under_load_loses_no_request(
    sm: Any, runtime: Any, bank: BankData, models: list[TrainedModel]
) -> None:
    name = unique("update")
    body = bank.test_csv(ROWS)
    seen: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                response = invoke(runtime, name, body)
                predictions = parse_predictions(response["Body"].read())
            except botocore.exceptions.ClientError as exc:
                failures.append(str(exc))
                continue
            for model in (models[0], models[2]):
                if np.allclose(predictions, model.expected, rtol=0, atol=1e-6):
                    seen[model.name] += 1
                    break
            else:
                failures.append("predictions from neither model")

    try:
        create_endpoint(sm, name, [("AllTraffic", models[0].name, 1, 1.0)])
        sm.create_endpoint_config(
            EndpointConfigName=f"{name}-v2",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": models[2].name,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        thread = threading.Thread(target=load)
        thread.start()
        try:
            poll(lambda: seen[models[0].name] >= 20, timeout=20)
            sm.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v2")
            assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
            final = wait_for_endpoint(sm, name)
            served_before = seen[models[2].name]
            poll(lambda: seen[models[2].name] >= served_before + 20, timeout=20)
        finally:
            stop.set()
            thread.join()
        assert final["EndpointStatus"] == "InService"
        assert final["EndpointConfigName"] == f"{name}-v2"
        assert not failures, failures[:5]
        assert seen[models[0].name] >= 20, seen
        assert seen[models[2].name] >= 20, seen
    finally:
        delete_endpoint(sm, name)
        delete_endpoint(sm, f"{name}-v2")


def _tar_gz(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for file_name, data in files.items():
            info = tarfile.TarInfo(file_name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("corrupt-tar", gzip.compress(b"this is not a tar archive"), "not a valid tar.gz archive"),
        (
            "wrong-format",
            _tar_gz({"xgboost-model": b"definitely not a model"}),
            "Model file xgboost-model",
        ),
    ],
    ids=["corrupt-tar", "wrong-format"],
)
def test_model_that_cannot_load_fails_the_endpoint(
    sm: Any, s3_module: Any, bank: BankData, kind: str, payload: bytes, expected: str
) -> None:
    name = unique(kind)
    key = f"broken/{name}/model.tar.gz"
    s3_module.put_object(Bucket=bank.bucket, Key=key, Body=payload)
    create_model(sm, name, f"s3://{bank.bucket}/{key}")
    started = time.monotonic()
    try:
        create_endpoint(sm, name, [("AllTraffic", name, 1, 1.0)], wait=False)
        description = wait_for_endpoint(sm, name, timeout=30)
        took = time.monotonic() - started
        assert description["EndpointStatus"] == "Failed"
        reason = description["FailureReason"]
        assert expected in reason, reason
        assert "\n" not in reason, reason
        assert took < 15, took
    finally:
        delete_endpoint(sm, name)
        sm.delete_model(ModelName=name)


def test_invoke_unknown_endpoint_is_a_validation_error(runtime: Any) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        invoke(runtime, unique("nowhere"), "1,2,3")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invoke_payload_over_6_mb_is_a_validation_error(
    runtime: Any, three_endpoints: list[str]
) -> None:
    body = b"0," * (3 * 1024 * 1024 + 1)
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        invoke(runtime, three_endpoints[0], body)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "6 MB" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [("not,numbers,at,all", "text/csv", "415"), (",".join(["1"] * 500), "text/csv", "400")],
)
def test_model_server_4xx_is_a_model_error(
    runtime: Any, three_endpoints: list[str], body: str, content_type: str, status: str
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        runtime.invoke_endpoint(
            EndpointName=three_endpoints[2], Body=body, ContentType=content_type
        )
    response = caught.value.response
    assert response["Error"]["Code"] == "ModelError"
    assert str(response["OriginalStatusCode"]) == status
    assert response["OriginalMessage"]
    assert f"Received client error ({status}) from primary" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 424
