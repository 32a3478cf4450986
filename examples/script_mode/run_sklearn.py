"""Script mode with scikit-learn: train a random forest, deploy it, predict with JSON, clean up.

    tsukuru exec -- .venv-sdk2/bin/python examples/script_mode/run_sklearn.py

SDK v2's `SKLearn` estimator packs `sklearn_random_forest/` as sourcedir.tar.gz and tsukuru runs
`train.py` on the platform's scikit-learn; `deploy()` serves the same file's `model_fn` and
`predict_fn`. Then `SKLearnModel(model_data=..., entry_point="inference.py")` deploys a model
trained elsewhere (`--model-data`, by default this run's) with a separate inference script.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import sagemaker
from common import HERE, INSTANCE, arguments, auc, upload_bank, wait_in_service, write_report
from sagemaker.deserializers import JSONDeserializer
from sagemaker.serializers import JSONSerializer
from sagemaker.sklearn import SKLearn, SKLearnModel

SOURCE = HERE / "sklearn_random_forest"
VERSION = "1.2-1"


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--model-data", help="model.tar.gz (with model.joblib) to deploy too")
    parser.add_argument("--rows", type=int, default=300, help="validation rows to predict")
    args = parser.parse_args()
    session = sagemaker.Session()
    role = args.role or sagemaker.get_execution_role()
    report: dict[str, Any] = {}
    train, validation, rows = upload_bank(session, Path(args.bank_csv), "script-mode/sklearn")
    train = args.train or train
    validation = args.validation or validation

    estimator = SKLearn(
        entry_point="train.py",
        source_dir=str(SOURCE),
        framework_version=VERSION,
        py_version="py3",
        instance_type=INSTANCE,
        instance_count=1,
        role=role,
        hyperparameters={"n-estimators": 100, "max-depth": 8, "min-samples-leaf": 2},
        metric_definitions=[{"Name": "validation:auc", "Regex": r"validation auc: ([0-9.]+)"}],
        sagemaker_session=session,
    )
    started = time.monotonic()
    estimator.fit({"train": train, "validation": validation}, logs=args.logs)
    report["fit_seconds"] = round(time.monotonic() - started, 1)
    job = session.sagemaker_client.describe_training_job(
        TrainingJobName=estimator.latest_training_job.name
    )
    report["status"] = job["TrainingJobStatus"]
    report["image"] = job["AlgorithmSpecification"]["TrainingImage"]
    report["final_metrics"] = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    report["model_data"] = estimator.model_data

    features, labels = rows[: args.rows, 1:], rows[: args.rows, 0]
    predictor = estimator.deploy(initial_instance_count=1, instance_type=INSTANCE, wait=False)
    report["estimator_endpoint"] = predict_and_delete(session, predictor, features, labels)

    model = SKLearnModel(
        model_data=args.model_data or estimator.model_data,
        entry_point="inference.py",
        source_dir=str(SOURCE),
        framework_version=VERSION,
        role=role,
        sagemaker_session=session,
    )
    predictor = model.deploy(initial_instance_count=1, instance_type=INSTANCE, wait=False)
    report["model_endpoint"] = predict_and_delete(session, predictor, features, labels)
    write_report(args.result, report)


def predict_and_delete(
    session: sagemaker.Session, predictor: Any, features: np.ndarray, labels: np.ndarray
) -> dict[str, Any]:
    client = session.sagemaker_client
    name = predictor.endpoint_name
    result: dict[str, Any] = {"name": name, "status": wait_in_service(client, name)}
    try:
        predictor.serializer = JSONSerializer()
        predictor.deserializer = JSONDeserializer()
        answer = predictor.predict(features.tolist())
        scores = answer["probabilities"] if isinstance(answer, dict) else answer
        result["answer_type"] = type(answer).__name__
        result["predictions"] = scores
        result["auc"] = auc(labels, np.asarray(scores, dtype=float))
        print(f"endpoint {name}: AUC {result['auc']:.3f} on {len(labels)} validation rows")
    finally:
        predictor.delete_model()  # reads the endpoint config: before deleting it
        predictor.delete_endpoint(delete_endpoint_config=True)
    result["listed_after_delete"] = name in [
        e["EndpointName"] for e in client.list_endpoints()["Endpoints"]
    ]
    return result


if __name__ == "__main__":
    main()
