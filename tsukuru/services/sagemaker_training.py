"""SageMaker training-job operations: wire dicts in, domain calls, Describe/List shapes out.

Documents keep times as epoch seconds; the views turn them into datetimes for the serializer and
name every field explicitly, so renaming something in the domain never changes the API silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.training import TrainingJobView, TrainingService
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.sagemaker_common import listing_of, scope_of, to_datetime

_REQUEST_FIELDS = (
    "TrainingJobName",
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "DebugHookConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ExperimentConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
    "SessionChainingConfig",
)


def describe_view(view: TrainingJobView) -> dict[str, Any]:
    doc = view.doc
    request = doc["Request"]
    out: dict[str, Any] = {k: request[k] for k in _REQUEST_FIELDS if k in request}
    algorithm = dict(out.get("AlgorithmSpecification") or {})
    if doc.get("MetricDefinitions"):
        algorithm["MetricDefinitions"] = doc["MetricDefinitions"]
    out["AlgorithmSpecification"] = algorithm
    out.setdefault("EnableNetworkIsolation", False)
    out.setdefault("EnableInterContainerTrafficEncryption", False)
    out.setdefault("EnableManagedSpotTraining", False)
    out.update(
        TrainingJobArn=view.arn,
        TrainingJobStatus=doc["TrainingJobStatus"],
        SecondaryStatus=doc.get("SecondaryStatus"),
        CreationTime=to_datetime(doc["CreationTime"]),
        LastModifiedTime=to_datetime(doc.get("LastModifiedTime", doc["CreationTime"])),
        SecondaryStatusTransitions=[
            {
                "Status": t["Status"],
                "StartTime": to_datetime(t["StartTime"]),
                **({"EndTime": to_datetime(t["EndTime"])} if "EndTime" in t else {}),
                "StatusMessage": t.get("StatusMessage", ""),
            }
            for t in doc.get("SecondaryStatusTransitions", [])
        ],
    )
    for name in ("TrainingStartTime", "TrainingEndTime"):
        if doc.get(name) is not None:
            out[name] = to_datetime(doc[name])
    for name in (
        "FailureReason",
        "TrainingTimeInSeconds",
        "BillableTimeInSeconds",
        "ModelArtifacts",
    ):
        if doc.get(name) is not None:
            out[name] = doc[name]
    if doc.get("FinalMetricDataList"):
        out["FinalMetricDataList"] = [
            {
                "MetricName": m["MetricName"],
                "Value": m["Value"],
                "Timestamp": to_datetime(m["Timestamp"]),
            }
            for m in doc["FinalMetricDataList"]
        ]
    return out


def summary_view(view: TrainingJobView) -> dict[str, Any]:
    doc = view.doc
    summary: dict[str, Any] = {
        "TrainingJobName": doc["Request"]["TrainingJobName"],
        "TrainingJobArn": view.arn,
        "CreationTime": to_datetime(doc["CreationTime"]),
        "LastModifiedTime": to_datetime(doc.get("LastModifiedTime", doc["CreationTime"])),
        "TrainingJobStatus": doc["TrainingJobStatus"],
        "SecondaryStatus": doc.get("SecondaryStatus"),
    }
    if doc.get("TrainingEndTime") is not None:
        summary["TrainingEndTime"] = to_datetime(doc["TrainingEndTime"])
    return summary


class TrainingHandlers:
    def __init__(self, service: TrainingService) -> None:
        self._service = service

    def create_training_job(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"TrainingJobArn": self._service.create(scope_of(ctx), params)}

    def describe_training_job(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        return describe_view(self._service.describe(scope_of(ctx), params["TrainingJobName"]))

    def list_training_jobs(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        views, token = self._service.find(scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {"TrainingJobSummaries": [summary_view(v) for v in views]}
        if token:
            out["NextToken"] = token
        return out

    def stop_training_job(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._service.stop(scope_of(ctx), params["TrainingJobName"])
        return {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateTrainingJob": self.create_training_job,
            "DescribeTrainingJob": self.describe_training_job,
            "ListTrainingJobs": self.list_training_jobs,
            "StopTrainingJob": self.stop_training_job,
        }
