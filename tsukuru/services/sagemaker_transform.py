"""SageMaker transform-job operations: wire dicts in, domain calls, Describe/List shapes out.

Every field of the answer is named here, with the defaults a job ran with filled in the way
DescribeTransformJob shows them (CompressionType and SplitType `None`, DataProcessing `$`, `$`,
`None`, MaxPayloadInMB 6, BatchStrategy MultiRecord), so the SDK's `Transformer.attach()` gets
back what it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.transforms import TransformJobView, TransformService
from tsukuru.domain.transforms_validation import resolved_settings
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.sagemaker_common import listing_of, scope_of, to_datetime

_ECHOED = (
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "Environment",
    "TransformResources",
    "ExperimentConfig",
)


def describe_view(view: TransformJobView) -> dict[str, Any]:
    doc = view.doc
    request = doc["Request"]
    settings = resolved_settings(request)
    out: dict[str, Any] = {k: request[k] for k in _ECHOED if k in request}
    transform_input = dict(request["TransformInput"])
    transform_input.setdefault("CompressionType", "None")
    transform_input.setdefault("SplitType", "None")
    output = dict(request["TransformOutput"])
    output.setdefault("AssembleWith", "None")
    out.update(
        TransformJobName=request["TransformJobName"],
        TransformJobArn=view.arn,
        TransformJobStatus=doc["TransformJobStatus"],
        TransformInput=transform_input,
        TransformOutput=output,
        MaxPayloadInMB=settings["MaxPayloadInMB"],
        BatchStrategy=settings["BatchStrategy"],
        DataProcessing={
            "InputFilter": settings["InputFilter"],
            "OutputFilter": settings["OutputFilter"],
            "JoinSource": settings["JoinSource"],
        },
        CreationTime=to_datetime(doc["CreationTime"]),
    )
    for name in ("TransformStartTime", "TransformEndTime"):
        if doc.get(name) is not None:
            out[name] = to_datetime(doc[name])
    if doc.get("FailureReason"):
        out["FailureReason"] = doc["FailureReason"]
    return out


def summary_view(view: TransformJobView) -> dict[str, Any]:
    doc = view.doc
    summary: dict[str, Any] = {
        "TransformJobName": doc["Request"]["TransformJobName"],
        "TransformJobArn": view.arn,
        "CreationTime": to_datetime(doc["CreationTime"]),
        "LastModifiedTime": to_datetime(doc.get("LastModifiedTime", doc["CreationTime"])),
        "TransformJobStatus": doc["TransformJobStatus"],
    }
    if doc.get("TransformEndTime") is not None:
        summary["TransformEndTime"] = to_datetime(doc["TransformEndTime"])
    if doc.get("FailureReason"):
        summary["FailureReason"] = doc["FailureReason"]
    return summary


class TransformHandlers:
    def __init__(self, service: TransformService) -> None:
        self._service = service

    def create_transform_job(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        return {"TransformJobArn": self._service.create(scope_of(ctx), params)}

    def describe_transform_job(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        return describe_view(self._service.describe(scope_of(ctx), params["TransformJobName"]))

    def list_transform_jobs(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        views, token = self._service.find(scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {"TransformJobSummaries": [summary_view(v) for v in views]}
        if token:
            out["NextToken"] = token
        return out

    def stop_transform_job(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._service.stop(scope_of(ctx), params["TransformJobName"])
        return {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateTransformJob": self.create_transform_job,
            "DescribeTransformJob": self.describe_transform_job,
            "ListTransformJobs": self.list_transform_jobs,
            "StopTransformJob": self.stop_transform_job,
        }
