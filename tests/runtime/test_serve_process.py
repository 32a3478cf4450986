"""The model server as the platform runs it: a real process on a TCP port or a Unix socket."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.runtime.serve_support import (
    ModelServer,
    bank_booster,
    bank_features,
    csv_body,
    parse_csv_response,
    server_command,
    server_env,
    start_server,
    synthetic_booster,
    write_model,
)

TOLERANCE = 1e-6


def expected_scores(rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(bank_booster().inplace_predict(rows), dtype=np.float64)


@pytest.fixture(scope="module")
def bank_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("bank-model"), bank_booster())


@pytest.fixture(scope="module")
def server_17(
    bank_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModelServer]:
    server = start_server(
        bank_model_dir, tmp_path_factory.mktemp("srv17"), {"TSUKURU_ALGORITHM_VERSION": "1.7-1"}
    )
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def legacy_uds_server(
    bank_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModelServer]:
    server = start_server(
        bank_model_dir,
        tmp_path_factory.mktemp("legacy"),
        {"TSUKURU_ALGORITHM_VERSION": "1"},
        uds=True,
    )
    yield server
    server.stop()


def invoke(
    server: ModelServer, body: bytes, content_type: str, accept: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    return server.client.post("/invocations", content=body, headers=headers)


def test_ping_and_execution_parameters(server_17: ModelServer) -> None:
    assert server_17.client.get("/ping").status_code == 200
    params = server_17.client.get("/execution-parameters")
    assert params.status_code == 200
    assert params.json() == {
        "MaxConcurrentTransforms": 1,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 6,
    }
    assert server_17.client.get("/nothing-here").status_code == 404


@pytest.mark.parametrize("rows", [1, 1000])
def test_csv_predictions_match_xgboost(server_17: ModelServer, rows: int) -> None:
    features = bank_features()[0][:rows]
    response = invoke(server_17, csv_body(features), "text/csv", "text/csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.endswith("\n")
    assert response.text.count("\n") == rows  # one prediction per line
    scores = parse_csv_response(response.text)
    np.testing.assert_allclose(scores, expected_scores(features), rtol=0, atol=TOLERANCE)


def test_default_accept_is_csv_and_json_lines_requests(server_17: ModelServer) -> None:
    features = bank_features()[0][:5]
    lines = "\n".join(json.dumps({"features": row}) for row in features.tolist())
    response = invoke(server_17, lines.encode(), "application/jsonlines", "*/*")
    assert response.status_code == 200
    np.testing.assert_allclose(
        parse_csv_response(response.text), expected_scores(features), atol=TOLERANCE
    )


def test_json_request_each_accept(server_17: ModelServer) -> None:
    features = bank_features()[0][10:14]
    body = json.dumps({"instances": [{"features": row} for row in features.tolist()]}).encode()
    expected = expected_scores(features)

    as_json = invoke(server_17, body, "application/json", "application/json")
    assert as_json.headers["content-type"] == "application/json"
    scores = [p["score"] for p in as_json.json()["predictions"]]
    np.testing.assert_allclose(scores, expected, atol=TOLERANCE)

    as_lines = invoke(server_17, body, "application/json", "application/jsonlines")
    assert as_lines.headers["content-type"] == "application/jsonlines"
    records = [json.loads(line) for line in as_lines.text.splitlines()]
    np.testing.assert_allclose([r["score"] for r in records], expected, atol=TOLERANCE)

    as_csv = invoke(server_17, body, "application/json", "text/csv")
    np.testing.assert_allclose(parse_csv_response(as_csv.text), expected, atol=TOLERANCE)


def test_libsvm_request(server_17: ModelServer) -> None:
    features = bank_features()[0][:3]
    lines = [
        "0 " + " ".join(f"{i}:{v}" for i, v in enumerate(row) if v != 0)
        for row in features.tolist()
    ]
    response = invoke(server_17, "\n".join(lines).encode(), "text/libsvm")
    assert response.status_code == 200
    sparse = np.where(features == 0, np.nan, features)
    np.testing.assert_allclose(
        parse_csv_response(response.text), expected_scores(sparse), atol=TOLERANCE
    )


def test_missing_values_and_fewer_features(server_17: ModelServer) -> None:
    row = bank_features()[0][0].copy()
    fields = [str(v) for v in row.tolist()]
    fields[0] = ""
    fields[5] = ""
    response = invoke(server_17, ",".join(fields).encode(), "text/csv")
    with_missing = row.copy()
    with_missing[[0, 5]] = np.nan
    assert response.status_code == 200
    np.testing.assert_allclose(
        parse_csv_response(response.text), expected_scores(with_missing[None, :]), atol=TOLERANCE
    )
    # fewer columns than the model: the rest are missing values (the container accepts this)
    short = invoke(server_17, ",".join(map(str, row[:60].tolist())).encode(), "text/csv")
    padded = np.concatenate([row[:60], [np.nan] * 3])[None, :]
    assert short.status_code == 200
    np.testing.assert_allclose(
        parse_csv_response(short.text), expected_scores(padded), atol=TOLERANCE
    )


def test_error_statuses(server_17: ModelServer) -> None:
    row = ",".join(map(str, bank_features()[0][0].tolist()))
    assert invoke(server_17, b"", "text/csv").status_code == 204
    too_many = invoke(server_17, (row + ",1.0").encode(), "text/csv")
    assert too_many.status_code == 400
    assert too_many.text.startswith("Unable to evaluate payload provided:")
    header = invoke(server_17, b"age,job\n" + row.encode(), "text/csv")
    assert header.status_code == 415
    assert "csv format" in header.text
    ragged = invoke(server_17, (row + "\n1,2,3").encode(), "text/csv")
    assert ragged.status_code == 415
    protobuf = invoke(server_17, b"\x00\x01", "application/x-recordio-protobuf")
    assert protobuf.status_code == 415
    assert "RecordIO-protobuf" in protobuf.text
    assert invoke(server_17, row.encode(), "application/x-parquet").status_code == 415
    wrong_accept = invoke(server_17, row.encode(), "text/csv", "text/plain")
    assert wrong_accept.status_code == 406
    assert "Accept type text/plain is not supported" in wrong_accept.text
    huge = invoke(server_17, b"1," * (3 * 1024 * 1024) + b"1", "text/csv")
    assert huge.status_code == 413


def test_legacy_image_answers_comma_joined_on_a_unix_socket(legacy_uds_server: ModelServer) -> None:
    features = bank_features()[0][:50]
    response = invoke(legacy_uds_server, csv_body(features), "text/csv", "*/*")
    assert response.status_code == 200
    assert "\n" not in response.text  # what the tutorial's np.fromstring(body, sep=",") needs
    scores = np.fromstring(response.text, sep=",")
    np.testing.assert_allclose(scores, expected_scores(features), atol=TOLERANCE)
    # the legacy image ignores Accept (no 406) and always answers CSV
    as_json = invoke(legacy_uds_server, csv_body(features[:2]), "text/csv", "application/json")
    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("text/csv")


def test_selectable_inference_output(bank_model_dir: Path, tmp_path: Path) -> None:
    env = {
        "TSUKURU_ALGORITHM_VERSION": "1.7-1",
        "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label, probability,probabilities,raw_score",
    }
    server = start_server(bank_model_dir, tmp_path / "srv", env)
    try:
        features = bank_features()[0][:20]
        expected = expected_scores(features)
        response = invoke(server, csv_body(features), "text/csv", "application/json")
        predictions = response.json()["predictions"]
        assert [p["predicted_label"] for p in predictions] == [int(p > 0.5) for p in expected]
        np.testing.assert_allclose([p["probability"] for p in predictions], expected, atol=1e-6)
        np.testing.assert_allclose(
            [p["probabilities"] for p in predictions],
            np.column_stack([1 - expected, expected]),
            atol=1e-6,
        )
        as_csv = invoke(server, csv_body(features[:1]), "text/csv", "text/csv").text
        label, probability, rest = as_csv.split(",", 2)
        assert label == str(int(expected[0] > 0.5))
        assert abs(float(probability) - expected[0]) < 1e-6
        assert rest.startswith('"[')  # the quoted list, then raw_score
        assert rest.count(",") == 2
    finally:
        server.stop()


def worker_pids(parent: int) -> list[int]:
    """Children of the server started by multiprocessing's spawn (not its resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    workers = []
    for pid in children:
        with contextlib.suppress(FileNotFoundError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                workers.append(int(pid))
    return workers


def test_two_workers_share_the_port(bank_model_dir: Path, tmp_path: Path) -> None:
    env = {"TSUKURU_ALGORITHM_VERSION": "1.5-1", "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
    server = start_server(bank_model_dir, tmp_path / "srv", env)
    try:
        deadline = time.monotonic() + 30
        while len(worker_pids(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(worker_pids(server.process.pid)) == 2
        params = server.client.get("/execution-parameters").json()
        assert params["MaxConcurrentTransforms"] == 2
        features = bank_features()[0][:100]
        for _ in range(4):  # several connections: both workers answer the same way
            with httpx.Client(base_url=str(server.client.base_url)) as other:
                response = other.post(
                    "/invocations", content=csv_body(features), headers={"Content-Type": "text/csv"}
                )
            np.testing.assert_allclose(
                parse_csv_response(response.text), expected_scores(features), atol=TOLERANCE
            )
    finally:
        assert server.stop() == 0


def test_pickled_model_of_the_1_0_image(tmp_path: Path) -> None:
    booster = synthetic_booster("multi:softprob")
    model_dir = write_model(tmp_path / "model", booster, pickled=True)
    server = start_server(model_dir, tmp_path / "srv", {"TSUKURU_ALGORITHM_VERSION": "1.0-1"})
    try:
        rows = np.random.default_rng(1).normal(size=(3, 6))
        response = invoke(server, csv_body(rows), "text/csv")
        assert response.status_code == 200
        assert response.text.startswith("[")  # str(list) of each record, comma-joined
        assert "\n" not in response.text
        expected = booster.inplace_predict(rows)
        parsed = json.loads("[" + response.text + "]")
        np.testing.assert_allclose(parsed, expected, atol=TOLERANCE)
        # pickles follow the container's feature-size rule: N or N-1 columns, nothing else
        assert invoke(server, csv_body(rows[:, :5]), "text/csv").status_code == 200
        too_few = invoke(server, csv_body(rows[:, :4]), "text/csv")
        assert too_few.status_code == 400
        assert "Feature size of csv inference data 4" in too_few.text
    finally:
        server.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_corrupt_model_fails_fast_with_a_reason(tmp_path: Path, workers: str) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "xgboost-model").write_bytes(b"this is not a model")
    failure = tmp_path / "failure"
    env = server_env(
        {"TSUKURU_ALGORITHM_VERSION": "1.7-1", "SAGEMAKER_MODEL_SERVER_WORKERS": workers}
    )
    started = time.monotonic()
    result = subprocess.run(
        server_command(model_dir, ["--port", "0"], failure),
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert elapsed < 20, f"took {elapsed:.1f} s"
    reason = failure.read_text()
    assert reason.count("\n") == 1
    assert "xgboost-model" in reason
    assert "neither a pickled Booster" in reason


def test_missing_model_file_and_bad_version(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    failure = tmp_path / "failure"
    for version, model_dir, message in [
        ("1.7-1", empty, "holds no model file"),
        ("latest", write_model(tmp_path / "m", bank_booster()), "Unknown XGBoost image version"),
    ]:
        result = subprocess.run(
            server_command(model_dir, ["--port", "0"], failure),
            env=server_env({"TSUKURU_ALGORITHM_VERSION": version}),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert message in failure.read_text()
    assert [p.name for p in tmp_path.iterdir() if "failure" in p.name] == ["failure"]
