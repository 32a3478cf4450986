"""SageMaker model, endpoint-config and endpoint operations: wire dicts ⇄ domain calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.endpoints import EndpointService
from tsukuru.domain.models import ENDPOINT_CONFIG, MODEL, DefinitionService
from tsukuru.domain.ports import Record
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.services.sagemaker_common import listing_of, scope_of, to_datetime


def model_view(record: Record) -> dict[str, Any]:
    request = record.doc["Request"]
    out = {
        k: v
        for k, v in request.items()
        if k
        in (
            "ModelName",
            "PrimaryContainer",
            "Containers",
            "InferenceExecutionConfig",
            "ExecutionRoleArn",
            "VpcConfig",
            "EnableNetworkIsolation",
            "DeploymentRecommendation",
        )
    }
    out.setdefault("EnableNetworkIsolation", False)
    out["ModelArn"] = record.arn
    out["CreationTime"] = to_datetime(record.doc["CreationTime"])
    return out


def endpoint_config_view(record: Record) -> dict[str, Any]:
    request = record.doc["Request"]
    out = {k: v for k, v in request.items() if k not in ("Tags",)}
    out["EndpointConfigArn"] = record.arn
    out["CreationTime"] = to_datetime(record.doc["CreationTime"])
    return out


def endpoint_view(record: Record) -> dict[str, Any]:
    doc = record.doc
    out: dict[str, Any] = {
        "EndpointName": doc["EndpointName"],
        "EndpointArn": record.arn,
        "EndpointConfigName": doc["EndpointConfigName"],
        "EndpointStatus": doc["EndpointStatus"],
        "CreationTime": to_datetime(doc["CreationTime"]),
        "LastModifiedTime": to_datetime(doc["LastModifiedTime"]),
    }
    if doc.get("FailureReason"):
        out["FailureReason"] = doc["FailureReason"]
    serving = doc["EndpointStatus"] in ("InService", "Updating")
    out["ProductionVariants"] = [
        {
            "VariantName": v["VariantName"],
            "CurrentWeight": v["CurrentWeight"],
            "DesiredWeight": v["CurrentWeight"],
            "CurrentInstanceCount": v["InstanceCount"] if serving else 0,
            "DesiredInstanceCount": v["InstanceCount"],
        }
        for v in doc["Variants"]
    ]
    return out


def _summary(record: Record, name_key: str, arn_key: str) -> dict[str, Any]:
    return {
        name_key: record.name,
        arn_key: record.arn,
        "CreationTime": to_datetime(record.doc["CreationTime"]),
    }


class HostingHandlers:
    def __init__(self, definitions: DefinitionService, endpoints: EndpointService) -> None:
        self._definitions = definitions
        self._endpoints = endpoints

    # models
    def create_model(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"ModelArn": self._definitions.create_model(scope_of(ctx), params)}

    def describe_model(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return model_view(self._definitions.get_model(scope_of(ctx), params["ModelName"]))

    def delete_model(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._definitions.delete_model(scope_of(ctx), params["ModelName"])
        return {}

    def list_models(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        records, token = self._definitions.find(MODEL, scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {"Models": [_summary(r, "ModelName", "ModelArn") for r in records]}
        if token:
            out["NextToken"] = token
        return out

    # endpoint configs
    def create_endpoint_config(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        return {
            "EndpointConfigArn": self._definitions.create_endpoint_config(scope_of(ctx), params)
        }

    def describe_endpoint_config(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        record = self._definitions.get_endpoint_config(scope_of(ctx), params["EndpointConfigName"])
        return endpoint_config_view(record)

    def delete_endpoint_config(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        self._definitions.delete_endpoint_config(scope_of(ctx), params["EndpointConfigName"])
        return {}

    def list_endpoint_configs(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        records, token = self._definitions.find(ENDPOINT_CONFIG, scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {
            "EndpointConfigs": [
                _summary(r, "EndpointConfigName", "EndpointConfigArn") for r in records
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    # endpoints
    def create_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return {"EndpointArn": self._endpoints.create(scope_of(ctx), params)}

    def describe_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        return endpoint_view(self._endpoints.get(scope_of(ctx), params["EndpointName"]))

    def delete_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._endpoints.delete(scope_of(ctx), params["EndpointName"])
        return {}

    def update_endpoint(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        arn = self._endpoints.update(
            scope_of(ctx), params["EndpointName"], params["EndpointConfigName"]
        )
        return {"EndpointArn": arn}

    def update_endpoint_weights_and_capacities(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        arn = self._endpoints.update_weights_and_capacities(
            scope_of(ctx), params["EndpointName"], list(params["DesiredWeightsAndCapacities"])
        )
        return {"EndpointArn": arn}

    def list_endpoints(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        records, token = self._definitions.find(ENDPOINT, scope_of(ctx), listing_of(params))
        out: dict[str, Any] = {
            "Endpoints": [
                {
                    **_summary(r, "EndpointName", "EndpointArn"),
                    "LastModifiedTime": to_datetime(r.doc["LastModifiedTime"]),
                    "EndpointStatus": r.doc["EndpointStatus"],
                }
                for r in records
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    def handlers(self) -> dict[str, Handler]:
        return {
            "CreateModel": self.create_model,
            "DescribeModel": self.describe_model,
            "DeleteModel": self.delete_model,
            "ListModels": self.list_models,
            "CreateEndpointConfig": self.create_endpoint_config,
            "DescribeEndpointConfig": self.describe_endpoint_config,
            "DeleteEndpointConfig": self.delete_endpoint_config,
            "ListEndpointConfigs": self.list_endpoint_configs,
            "CreateEndpoint": self.create_endpoint,
            "DescribeEndpoint": self.describe_endpoint,
            "DeleteEndpoint": self.delete_endpoint,
            "UpdateEndpoint": self.update_endpoint,
            "UpdateEndpointWeightsAndCapacities": self.update_endpoint_weights_and_capacities,
            "ListEndpoints": self.list_endpoints,
        }
