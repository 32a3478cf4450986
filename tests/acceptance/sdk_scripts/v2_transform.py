"""SageMaker SDK v2 batch transform, as a user runs it: `Transformer.transform()` over an S3
prefix with the data-processing filters, then the job's log through the SDK.

Run by tests/acceptance/test_transform.py under the SDK v2 virtualenv with only the platform's
client environment. What the test checks is written as JSON to --result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import boto3
import sagemaker
from sagemaker.transformer import Transformer


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--result", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--input-filter")
    parser.add_argument("--join-source")
    parser.add_argument("--output-filter")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    report: dict[str, Any] = {}
    session = sagemaker.Session()
    transformer = Transformer(
        model_name=args.model_name,
        instance_count=1,
        instance_type="ml.m5.large",
        strategy="MultiRecord",
        assemble_with="Line",
        output_path=args.output,
        accept="text/csv",
        max_payload=6,
        sagemaker_session=session,
    )
    started = time.monotonic()
    try:
        transformer.transform(
            args.data,
            content_type="text/csv",
            split_type="Line",
            input_filter=args.input_filter,
            join_source=args.join_source,
            output_filter=args.output_filter,
            wait=True,
            logs=False,
        )
    except Exception as exc:  # the test asserts on what the user would see
        report["transform_error"] = f"{type(exc).__name__}: {exc}"
    report["seconds"] = time.monotonic() - started
    job = transformer.latest_transform_job.job_name
    report["job_name"] = job
    description = session.sagemaker_client.describe_transform_job(TransformJobName=job)
    report["status"] = description["TransformJobStatus"]
    report["data_processing"] = description.get("DataProcessing")
    attached = Transformer.attach(job, sagemaker_session=session)
    report["attached"] = {
        "model_name": attached.model_name,
        "strategy": attached.strategy,
        "assemble_with": attached.assemble_with,
        "output_path": attached.output_path,
        "max_payload": attached.max_payload,
    }
    bucket, _, prefix = args.output.removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
    report["output_keys"] = sorted(o["Key"] for o in listed.get("Contents", []))
    report["outputs"] = {
        key: s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        for key in report["output_keys"]
    }
    print("---- logs_for_transform_job ----", flush=True)
    session.logs_for_transform_job(job, wait=False)
    print("---- end of logs ----", flush=True)
    with open(args.result, "w") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
    sys.exit(0)
