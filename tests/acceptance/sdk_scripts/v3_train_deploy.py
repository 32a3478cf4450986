"""SageMaker SDK v3, as a user runs it: ModelTrainer trains the built-in XGBoost, then the
sagemaker-core resources create a model, an endpoint config and an endpoint, invoke it and
delete all three.

Run by tests/acceptance/test_sdk_v3.py under the SDK v3 virtualenv with only the platform's
client environment; what the test checks is written as JSON to --result.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

import boto3
from sagemaker.core import image_uris
from sagemaker.core.resources import Endpoint, EndpointConfig, Model, TrainingJob
from sagemaker.core.shapes import ContainerDefinition, ProductionVariant
from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig
from sagemaker.train import ModelTrainer

INSTANCE = "ml.m4.xlarge"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", required=True)
    parser.add_argument("--role", required=True)
    parser.add_argument("--version", default="1.7-1")
    parser.add_argument("--train", required=True)
    parser.add_argument("--validation")
    parser.add_argument("--output", required=True)
    parser.add_argument("--hyperparameters", required=True, help="JSON object")
    parser.add_argument("--test-csv", help="local CSV of test features to send as text/csv")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # v3 logs (the training job's log lines included) go to `logging`; show them as a user would.
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    report: dict[str, Any] = {}
    region = boto3.session.Session().region_name
    image = image_uris.retrieve("xgboost", region, args.version)
    report["image"] = image
    trainer = ModelTrainer(
        training_image=image,
        compute=Compute(instance_type=INSTANCE, instance_count=1),
        hyperparameters=json.loads(args.hyperparameters),
        role=args.role,
        output_data_config=OutputDataConfig(s3_output_path=args.output),
        base_job_name="xgboost-v3",
    )
    inputs = [InputData(channel_name="train", data_source=args.train, content_type="text/csv")]
    if args.validation:
        inputs.append(
            InputData(
                channel_name="validation", data_source=args.validation, content_type="text/csv"
            )
        )
    started = time.monotonic()
    try:
        trainer.train(input_data_config=inputs, wait=True, logs=True)
    except Exception as exc:
        report["train_error"] = f"{type(exc).__name__}: {exc}"
    report["train_seconds"] = time.monotonic() - started
    job: TrainingJob = trainer._latest_training_job
    job.refresh()
    report["job_name"] = job.training_job_name
    report["status"] = job.training_job_status
    report["failure_reason"] = getattr(job, "failure_reason", None)
    metrics = job.final_metric_data_list or []
    report["final_metrics"] = {m.metric_name: m.value for m in metrics}
    artifacts = job.model_artifacts.s3_model_artifacts
    report["model_artifacts"] = artifacts
    if report["status"] == "Completed" and args.test_csv:
        host(args, image, artifacts, report)
    with open(args.result, "w") as handle:
        json.dump(report, handle, default=str)


def host(args: argparse.Namespace, image: str, artifacts: str, report: dict[str, Any]) -> None:
    name = f"v3-{int(time.time() * 1000)}"
    model = Model.create(
        model_name=name,
        primary_container=ContainerDefinition(image=image, model_data_url=artifacts),
        execution_role_arn=args.role,
    )
    config = EndpointConfig.create(
        endpoint_config_name=name,
        production_variants=[
            ProductionVariant(
                variant_name="AllTraffic",
                model_name=model.model_name,
                initial_instance_count=1,
                instance_type=INSTANCE,
                initial_variant_weight=1.0,
            )
        ],
    )
    endpoint = Endpoint.create(endpoint_name=name, endpoint_config_name=config.endpoint_config_name)
    report["endpoint_status_at_create"] = endpoint.endpoint_status
    started = time.monotonic()
    endpoint.wait_for_status("InService", timeout=120)
    report["wait_seconds"] = time.monotonic() - started
    try:
        with open(args.test_csv) as handle:
            body = handle.read()
        answer = endpoint.invoke(body=body, content_type="text/csv")
        text = answer.body.read().decode()
        report["content_type"] = answer.content_type
        report["invoked_variant"] = answer.invoked_production_variant
        report["predictions"] = [float(v) for v in text.split() if v.strip()]
    finally:
        endpoint.delete()
        endpoint.wait_for_delete(poll=1, timeout=60)
        config.delete()
        model.delete()
    sagemaker = boto3.client("sagemaker")
    report["leftover"] = {
        "endpoints": [
            e["EndpointName"]
            for e in sagemaker.list_endpoints()["Endpoints"]
            if e["EndpointName"] == name
        ],
        "configs": [
            c["EndpointConfigName"]
            for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
            if c["EndpointConfigName"] == name
        ],
        "models": [
            m["ModelName"] for m in sagemaker.list_models()["Models"] if m["ModelName"] == name
        ],
    }


if __name__ == "__main__":
    main()
