"""SageMaker notebook instance and lifecycle configuration operations: wire dicts ⇄ domain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.notebooks import NotebookService
from tsukuru.domain.notebooks_lifecycle import LifecycleConfigService
from tsukuru.domain.ports import Record
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.sagemaker_common import listing_of, scope_of, to_datetime

_DESCRIBED = (
    "InstanceType",
    "IpAddressType",
    "SubnetId",
    "RoleArn",
    "KmsKeyId",
    "DirectInternetAccess",
    "VolumeSizeInGB",
    "AcceleratorTypes",
    "DefaultCodeRepository",
    "AdditionalCodeRepositories",
    "RootAccess",
    "PlatformIdentifier",
    "InstanceMetadataServiceConfiguration",
)


def notebook_view(record: Record) -> dict[str, Any]:
    doc = record.doc
    request = doc["Request"]
    out: dict[str, Any] = {
        "NotebookInstanceArn": record.arn,
        "NotebookInstanceName": record.name,
        "NotebookInstanceStatus": doc["NotebookInstanceStatus"],
        "CreationTime": to_datetime(doc["CreationTime"]),
        "LastModifiedTime": to_datetime(doc["LastModifiedTime"]),
    }
    out.update({k: request[k] for k in _DESCRIBED if request.get(k) is not None})
    if request.get("SecurityGroupIds"):
        out["SecurityGroups"] = list(request["SecurityGroupIds"])
    if request.get("LifecycleConfigName"):
        out["NotebookInstanceLifecycleConfigName"] = request["LifecycleConfigName"]
    if doc.get("Url"):
        out["Url"] = doc["Url"]
    if doc.get("FailureReason"):
        out["FailureReason"] = doc["FailureReason"]
    return out


def notebook_summary(record: Record) -> dict[str, Any]:
    view = notebook_view(record)
    keys = (
        "NotebookInstanceName",
        "NotebookInstanceArn",
        "NotebookInstanceStatus",
        "Url",
        "InstanceType",
        "CreationTime",
        "LastModifiedTime",
        "NotebookInstanceLifecycleConfigName",
        "DefaultCodeRepository",
        "AdditionalCodeRepositories",
    )
    return {k: view[k] for k in keys if k in view}


def lifecycle_view(record: Record) -> dict[str, Any]:
    doc = record.doc
    out: dict[str, Any] = {
        "NotebookInstanceLifecycleConfigArn": record.arn,
        "NotebookInstanceLifecycleConfigName": record.name,
        "CreationTime": to_datetime(doc["CreationTime"]),
        "LastModifiedTime": to_datetime(doc["LastModifiedTime"]),
    }
    for hook in ("OnCreate", "OnStart"):
        if doc.get(hook):
            out[hook] = doc[hook]
    return out


class NotebookHandlers:
    def __init__(self, notebooks: NotebookService, lifecycle: LifecycleConfigService) -> None:
        self._notebooks = notebooks
        self._lifecycle = lifecycle

    # notebook instances
    def create(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"NotebookInstanceArn": self._notebooks.create(scope_of(ctx), params)}

    def describe(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return notebook_view(self._notebooks.get(scope_of(ctx), params["NotebookInstanceName"]))

    def list(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        records, token = self._notebooks.find(
            scope_of(ctx),
            listing_of(params),
            lifecycle_contains=params.get("NotebookInstanceLifecycleConfigNameContains"),
            repository_contains=params.get("DefaultCodeRepositoryContains"),
            repository_equals=params.get("AdditionalCodeRepositoryEquals"),
        )
        out: dict[str, Any] = {"NotebookInstances": [notebook_summary(r) for r in records]}
        if token:
            out["NextToken"] = token
        return out

    def start(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._notebooks.start(scope_of(ctx), params["NotebookInstanceName"])
        return {}

    def stop(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._notebooks.stop(scope_of(ctx), params["NotebookInstanceName"])
        return {}

    def update(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._notebooks.update(scope_of(ctx), params)
        return {}

    def delete(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._notebooks.delete(scope_of(ctx), params["NotebookInstanceName"])
        return {}

    def presigned_url(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        url = self._notebooks.presigned_url(
            scope_of(ctx),
            params["NotebookInstanceName"],
            params.get("SessionExpirationDurationInSeconds"),
        )
        return {"AuthorizedUrl": url}

    # lifecycle configurations
    def create_config(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"NotebookInstanceLifecycleConfigArn": self._lifecycle.create(scope_of(ctx), params)}

    def describe_config(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        name = params["NotebookInstanceLifecycleConfigName"]
        return lifecycle_view(self._lifecycle.get(scope_of(ctx), name))

    def list_configs(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        records, token = self._lifecycle.find(scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {
            "NotebookInstanceLifecycleConfigs": [
                {k: v for k, v in lifecycle_view(r).items() if k not in ("OnCreate", "OnStart")}
                for r in records
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def update_config(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._lifecycle.update(scope_of(ctx), params)
        return {}

    def delete_config(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._lifecycle.delete(scope_of(ctx), params["NotebookInstanceLifecycleConfigName"])
        return {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateNotebookInstance": self.create,
            "DescribeNotebookInstance": self.describe,
            "ListNotebookInstances": self.list,
            "StartNotebookInstance": self.start,
            "StopNotebookInstance": self.stop,
            "UpdateNotebookInstance": self.update,
            "DeleteNotebookInstance": self.delete,
            "CreatePresignedNotebookInstanceUrl": self.presigned_url,
            "CreateNotebookInstanceLifecycleConfig": self.create_config,
            "DescribeNotebookInstanceLifecycleConfig": self.describe_config,
            "ListNotebookInstanceLifecycleConfigs": self.list_configs,
            "UpdateNotebookInstanceLifecycleConfig": self.update_config,
            "DeleteNotebookInstanceLifecycleConfig": self.delete_config,
        }
