"""SageMaker SDK v2, as a user runs it: train the built-in XGBoost, deploy, predict, delete.

Run by tests/acceptance/test_sdk_v2.py under the SDK v2 virtualenv with only the platform's
client environment. Every step a user would see is printed; what the test checks is written as
JSON to --result.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import boto3
import numpy as np
import sagemaker
from sagemaker.deserializers import JSONDeserializer
from sagemaker.estimator import Estimator
from sagemaker.inputs import TrainingInput
from sagemaker.serializers import CSVSerializer, JSONSerializer

INSTANCE = "ml.m4.xlarge"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", required=True)
    parser.add_argument("--role", required=True)
    parser.add_argument("--version", default="1.7-1", help="image_uris.retrieve version")
    parser.add_argument("--train", required=True)
    parser.add_argument("--validation")
    parser.add_argument("--output", required=True)
    parser.add_argument("--hyperparameters", required=True, help="JSON object")
    parser.add_argument("--logs", default="All")
    parser.add_argument("--test-csv", help="local CSV of test features to predict")
    parser.add_argument(
        "--json-predict",
        action="store_true",
        help="also predict with JSONSerializer/JSONDeserializer (1.2-2 and later honour Accept)",
    )
    parser.add_argument(
        "--deploy",
        choices=("none", "sdk-wait", "quick"),
        default="none",
        help="sdk-wait: deploy() waits as the SDK does (30 s polls); quick: wait=False, then "
        "poll DescribeEndpoint every 0.2 s",
    )
    return parser.parse_args()


def wait_in_service(client: Any, name: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status not in ("Creating", "Updating"):
            return str(status)
        time.sleep(0.2)
    return "Timeout"


def main() -> None:
    args = parse_args()
    report: dict[str, Any] = {}
    region = boto3.session.Session().region_name
    image = sagemaker.image_uris.retrieve("xgboost", region, args.version)
    report["image"] = image
    session = sagemaker.Session()
    estimator = Estimator(
        image,
        args.role,
        instance_count=1,
        instance_type=INSTANCE,
        output_path=args.output,
        sagemaker_session=session,
    )
    estimator.set_hyperparameters(**json.loads(args.hyperparameters))
    inputs = {"train": TrainingInput(args.train, content_type="text/csv")}
    if args.validation:
        inputs["validation"] = TrainingInput(args.validation, content_type="text/csv")
    started = time.monotonic()
    try:
        estimator.fit(inputs, logs=args.logs)
    except Exception as exc:  # the test asserts on what the user would see
        report["fit_error"] = f"{type(exc).__name__}: {exc}"
    report["fit_seconds"] = time.monotonic() - started
    job = estimator.latest_training_job.name
    report["job_name"] = job
    description = session.sagemaker_client.describe_training_job(TrainingJobName=job)
    report["status"] = description["TrainingJobStatus"]
    report["failure_reason"] = description.get("FailureReason")
    report["final_metrics"] = {
        m["MetricName"]: m["Value"] for m in description.get("FinalMetricDataList", [])
    }
    report["model_artifacts"] = description.get("ModelArtifacts", {}).get("S3ModelArtifacts")
    if args.deploy != "none" and report["status"] == "Completed":
        deploy(args, estimator, session, report)
    with open(args.result, "w") as handle:
        json.dump(report, handle)


def deploy(
    args: argparse.Namespace,
    estimator: Estimator,
    session: sagemaker.Session,
    report: dict[str, Any],
) -> None:
    client = session.sagemaker_client
    started = time.monotonic()
    if args.deploy == "sdk-wait":
        predictor = estimator.deploy(initial_instance_count=1, instance_type=INSTANCE)
    else:
        predictor = estimator.deploy(initial_instance_count=1, instance_type=INSTANCE, wait=False)
        report["endpoint_status_after_wait"] = wait_in_service(client, predictor.endpoint_name)
    report["deploy_seconds"] = time.monotonic() - started
    endpoint = predictor.endpoint_name
    report["endpoint_name"] = endpoint
    described = client.describe_endpoint(EndpointName=endpoint)
    report["endpoint_status"] = described["EndpointStatus"]
    report["endpoint_config_name"] = described["EndpointConfigName"]
    try:
        if args.test_csv:
            features = np.loadtxt(args.test_csv, delimiter=",", ndmin=2)
            predictor.serializer = CSVSerializer()
            raw = predictor.predict(features)
            text = raw.decode() if isinstance(raw, bytes) else str(raw)
            report["csv_predictions"] = [
                float(v) for v in text.replace("\n", ",").split(",") if v.strip()
            ]
        if args.test_csv and args.json_predict:
            predictor.serializer = JSONSerializer()
            predictor.deserializer = JSONDeserializer()
            answer = predictor.predict(features)
            report["json_answer_type"] = type(answer).__name__
            report["json_predictions"] = [p["score"] for p in answer["predictions"]]
    finally:
        predictor.delete_endpoint(delete_endpoint_config=True)
    names = [e["EndpointName"] for e in client.list_endpoints()["Endpoints"]]
    report["endpoint_listed_after_delete"] = endpoint in names
    configs = [c["EndpointConfigName"] for c in client.list_endpoint_configs()["EndpointConfigs"]]
    report["config_listed_after_delete"] = report["endpoint_config_name"] in configs


if __name__ == "__main__":
    main()
