"""XGBoost in framework mode: your own training script, a custom metric, an endpoint, clean-up.

    tsukuru exec -- .venv-sdk2/bin/python examples/script_mode/run_xgboost.py

SDK v2's `XGBoost` estimator (framework_version 1.7-1) runs `xgboost_framework/train.py`; the
`metric_definitions` regex reads the script's `validation auc: ...` lines into the job's
`validation:auc` metric (FinalMetricDataList). The endpoint uses the container's defaults: the
saved `xgboost-model`, CSV in, JSON out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import sagemaker
from common import HERE, INSTANCE, arguments, auc, upload_bank, wait_in_service, write_report
from sagemaker.deserializers import JSONDeserializer
from sagemaker.serializers import CSVSerializer
from sagemaker.xgboost import XGBoost

METRICS = [{"Name": "validation:auc", "Regex": r"validation auc: ([0-9.]+)"}]


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--rows", type=int, default=300, help="validation rows to predict")
    parser.add_argument("--hyperparameters", default="", help="k=v,... overriding the defaults")
    parser.add_argument("--no-deploy", action="store_true")
    args = parser.parse_args()
    session = sagemaker.Session()
    role = args.role or sagemaker.get_execution_role()
    report: dict[str, Any] = {}
    train, validation, rows = upload_bank(session, Path(args.bank_csv), "script-mode/xgboost")
    hyperparameters: dict[str, Any] = {"num-round": 40, "max-depth": 4, "eta": 0.2}
    for pair in filter(None, args.hyperparameters.split(",")):
        key, _, value = pair.partition("=")
        hyperparameters[key] = value

    estimator = XGBoost(
        entry_point="train.py",
        source_dir=str(HERE / "xgboost_framework"),
        framework_version="1.7-1",
        instance_type=INSTANCE,
        instance_count=1,
        role=role,
        hyperparameters=hyperparameters,
        metric_definitions=METRICS,
        sagemaker_session=session,
    )
    started = time.monotonic()
    try:
        estimator.fit(
            {"train": args.train or train, "validation": args.validation or validation},
            logs=args.logs,
        )
    except Exception as exc:  # a failing script: the report says what the user saw
        report["fit_error"] = f"{type(exc).__name__}: {exc}"
    report["fit_seconds"] = round(time.monotonic() - started, 1)
    job = session.sagemaker_client.describe_training_job(
        TrainingJobName=estimator.latest_training_job.name
    )
    report["job_name"] = job["TrainingJobName"]
    report["status"] = job["TrainingJobStatus"]
    report["failure_reason"] = job.get("FailureReason")
    report["image"] = job["AlgorithmSpecification"]["TrainingImage"]
    report["metric_definitions"] = job["AlgorithmSpecification"].get("MetricDefinitions")
    report["final_metrics"] = {
        m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])
    }
    if report["status"] == "Completed" and not args.no_deploy:
        report["endpoint"] = deploy_and_predict(session, estimator, rows[: args.rows])
    write_report(args.result, report)


def deploy_and_predict(session: sagemaker.Session, estimator: XGBoost, rows: np.ndarray) -> Any:
    client = session.sagemaker_client
    predictor = estimator.deploy(initial_instance_count=1, instance_type=INSTANCE, wait=False)
    name = predictor.endpoint_name
    result: dict[str, Any] = {"name": name, "status": wait_in_service(client, name)}
    try:
        predictor.serializer = CSVSerializer()
        predictor.deserializer = JSONDeserializer()
        scores = predictor.predict(rows[:, 1:])
        result["predictions"] = scores
        result["auc"] = auc(rows[:, 0], np.asarray(scores, dtype=float))
        print(f"endpoint {name}: AUC {result['auc']:.3f} on {len(rows)} validation rows")
    finally:
        predictor.delete_model()  # reads the endpoint config: before deleting it
        predictor.delete_endpoint(delete_endpoint_config=True)
    result["listed_after_delete"] = name in [
        e["EndpointName"] for e in client.list_endpoints()["Endpoints"]
    ]
    return result


if __name__ == "__main__":
    main()
