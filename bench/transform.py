"""Batch transform throughput: 1,000,000 rows x 50 features vs a raw pipeline, side by side.

The question a user asks is "does a transform job cost me much over scoring the file myself?",
so the baseline is the shortest honest script on the same machine in the same run: pyarrow's
multi-threaded CSV reader, `Booster.inplace_predict` on every core, pyarrow's CSV writer. The
transform job is timed as a user sees it, from CreateTransformJob until DescribeTransformJob
says Completed (process start, model load, input linking, the transform, the upload of the
`.out` object), with the SDK's defaults (SplitType Line, MultiRecord, MaxPayloadInMB 6,
MaxConcurrentTransforms left to the model server). Target: rows/s at least 0.7x the raw
pipeline's. Each figure is the best of a few runs; the output is checked against the raw
pipeline's predictions. Raw and job runs alternate, so both meet the same background load.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xgboost as xgb

from bench.harness import Report, best_time, client, running_platform

ROWS = 1_000_000
FEATURES = 50
REPEAT = 3
TARGET = 0.7
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/bench"


def write_features(path: Path, rows: int, seed: int = 1) -> None:
    """`rows` x FEATURES numbers with three decimals, no header, no label (scoring input)."""
    rng = np.random.default_rng(seed)
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with pacsv.CSVWriter(
        path, pa.schema([(f"f{i}", pa.float64()) for i in range(FEATURES)]), write_options=options
    ) as writer:
        for start in range(0, rows, 100_000):
            block = np.round(rng.normal(size=(min(100_000, rows - start), FEATURES)), 3)
            writer.write_table(pa.table({f"f{i}": block[:, i] for i in range(FEATURES)}))


def train_model() -> Any:
    """A model like the tutorial's (100 rounds, depth 5) on a 20,000-row sample."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20_000, FEATURES))
    y = x[:, 0] + 0.5 * x[:, 1] - x[:, 2] + rng.normal(scale=0.5, size=len(x)) > 0
    params = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "subsample": 0.8}
    return xgb.train(params, xgb.DMatrix(x, label=y.astype(float)), num_boost_round=100)


def model_archive(booster: Any) -> bytes:
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def raw_pipeline(booster: Any, source: Path, target: Path) -> np.ndarray[Any, Any]:
    """Read (column types given, so pyarrow skips inference), predict on every core, write."""
    table = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pacsv.ConvertOptions(
            column_types={f"f{i}": pa.float64() for i in range(FEATURES)}
        ),
    )
    features = np.asarray(table.to_tensor(null_to_nan=True, row_major=True))
    predictions: np.ndarray[Any, Any] = booster.inplace_predict(features)
    pacsv.write_csv(
        pa.table({"p": predictions}),
        target,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    return predictions


def run_transform(sm: Any, name: str, bucket: str) -> float:
    started = time.perf_counter()
    sm.create_transform_job(
        TransformJobName=name,
        ModelName="bench-model",
        TransformInput={
            "DataSource": {
                "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/in"}
            },
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{bucket}/out/{name}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
        BatchStrategy="MultiRecord",
    )
    while True:
        described = sm.describe_transform_job(TransformJobName=name)
        status = described["TransformJobStatus"]
        if status not in ("InProgress", "Stopping"):
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if status != "Completed":
        raise AssertionError(f"{name} ended {status}: {described.get('FailureReason')}")
    return seconds


def runtime_seconds(logs: Any, name: str) -> float:
    """How long the job process itself spent transforming, from its log line."""
    group = "/aws/sagemaker/TransformJobs"
    stream = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name + "/")
    events = logs.get_log_events(
        logGroupName=group,
        logStreamName=stream["logStreams"][0]["logStreamName"],
        startFromHead=True,
    )["events"]
    for event in events:
        match = re.search(r"records transformed in ([\d.]+) s", event["message"])
        if match:
            return float(match.group(1))
    raise AssertionError(f"no throughput line in the log of {name}")


def main() -> bool:
    report = Report("transform")
    booster = train_model()
    with tempfile.TemporaryDirectory(prefix="tsukuru-bench-") as tmp, running_platform() as tsk:
        source, target = Path(tmp) / "features.csv", Path(tmp) / "raw.out"
        write_features(source, ROWS)
        s3, sm = client(tsk), client(tsk, "sagemaker")
        s3.create_bucket(Bucket="bench")
        s3.upload_file(str(source), "bench", "in/features.csv")
        s3.put_object(Bucket="bench", Key="model/model.tar.gz", Body=model_archive(booster))
        sm.create_model(
            ModelName="bench-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://bench/model/model.tar.gz"},
        )
        raw_runs, job_runs = [], []
        for index in range(REPEAT):  # interleaved, so both see the same machine
            raw_runs.append(best_time(lambda: raw_pipeline(booster, source, target), 1))
            job_runs.append(run_transform(sm, f"bench-{index}", "bench"))
        best = job_runs.index(min(job_runs))
        inside = runtime_seconds(client(tsk, "logs"), f"bench-{best}")
        expected = raw_pipeline(booster, source, target)
        body = s3.get_object(Bucket="bench", Key="out/bench-0/features.csv.out")["Body"].read()
        got = np.array(body.split(), dtype=np.float64)
        if len(got) != ROWS or not np.allclose(got, expected, rtol=0, atol=1e-6):
            raise AssertionError("the transform output differs from the raw pipeline's")
    raw_s, job_s = min(raw_runs), min(job_runs)
    report.figure("raw pipeline (pyarrow + inplace_predict)", ROWS / raw_s, "rows/s")
    report.figure("transform job, create to Completed", ROWS / job_s, "rows/s")
    report.figure("  of which the job process transforming", ROWS / inside, "rows/s")
    report.ratio("transform job vs raw pipeline", raw_s / job_s, TARGET)
    return report.ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
