"""Models and endpoint configurations: the two definitions an endpoint is built from.

Both are immutable documents once created, as on SageMaker. Deleting an endpoint configuration
that an endpoint still uses is allowed (the SDK's `delete_endpoint(delete_endpoint_config=True)`
deletes the config first): an endpoint keeps its own copy of the variants it was deployed with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.images import resolve_inference_image
from tsukuru.domain.paging import Listing, find_page
from tsukuru.domain.ports import Record, ResourceStore, TagStore
from tsukuru.domain.resources import Doc, epoch
from tsukuru.domain.scope import Scope
from tsukuru.domain.training_validation import check_instance_type, check_name, split_s3_uri

MODEL = "Model"
ENDPOINT_CONFIG = "EndpointConfig"


def model_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"model/{name.lower()}")


def endpoint_config_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"endpoint-config/{name.lower()}")


def primary_container(doc: Doc) -> Doc:
    """The one container a model runs (inference pipelines of several are refused at create)."""
    request = doc["Request"]
    if request.get("PrimaryContainer"):
        container: Doc = request["PrimaryContainer"]
        return container
    containers: list[Doc] = request.get("Containers") or []
    return containers[0]


def model_data_location(container: Doc) -> tuple[str, bool] | None:
    """(S3 URI, compressed) of a container's model data, or None when it has none."""
    if container.get("ModelDataUrl"):
        url = str(container["ModelDataUrl"])
        return url, not url.endswith("/")
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if source:
        compressed = source.get("CompressionType", "None") == "Gzip" or (
            source.get("S3DataType") == "S3Object"
        )
        return str(source["S3Uri"]), compressed
    return None


class DefinitionService:
    """CreateModel/DescribeModel/... and CreateEndpointConfig/... share this shape of rules."""

    def __init__(
        self,
        store: ResourceStore,
        tags: TagStore,
        clock: Clock,
        bucket_exists: Callable[[str], bool],
    ) -> None:
        self._store = store
        self._tags = tags
        self._clock = clock
        self._bucket_exists = bucket_exists

    # ------------------------------------------------------------------ models

    def create_model(self, scope: Scope, request: dict[str, Any]) -> str:
        name = str(request.get("ModelName", ""))
        check_name(name, "modelName")
        containers = request.get("Containers") or []
        if request.get("PrimaryContainer") and containers:
            raise Invalid("Specify either PrimaryContainer or Containers, not both")
        if not request.get("PrimaryContainer") and not containers:
            raise Invalid("A model needs a PrimaryContainer (or one entry in Containers)")
        if len(containers) > 1:
            raise Invalid(
                "Inference pipelines (more than one container) are not supported; "
                "use one PrimaryContainer"
            )
        container = request.get("PrimaryContainer") or containers[0]
        image = container.get("Image")
        if not image:
            raise Invalid("The container needs an Image (for example the built-in XGBoost image)")
        spec = resolve_inference_image(str(image))
        location = model_data_location(container)
        if location is not None:
            bucket, _ = split_s3_uri(location[0], "ModelDataUrl")
            if not self._bucket_exists(bucket):
                raise Invalid(f"Could not access model data at {location[0]}: no such bucket")
        arn = model_arn(scope, name)
        doc: Doc = {
            "Request": {k: v for k, v in request.items() if k != "Tags"},
            "Algorithm": {"Name": spec.algorithm, "Version": spec.version},
        }
        self._insert(MODEL, scope, name, arn, doc, request, "Model")
        return arn

    def get_model(self, scope: Scope, name: str) -> Record:
        return self._get(MODEL, scope, name, "Model")

    def delete_model(self, scope: Scope, name: str) -> None:
        record = self.get_model(scope, name)
        self._store.delete(MODEL, scope, name)
        self._tags.remove_all_tags(record.arn)

    # ------------------------------------------------------------------ endpoint configs

    def create_endpoint_config(self, scope: Scope, request: dict[str, Any]) -> str:
        name = str(request.get("EndpointConfigName", ""))
        check_name(name, "endpointConfigName")
        variants = request.get("ProductionVariants") or []
        if not variants:
            raise Invalid("ProductionVariants must have at least one variant")
        if len(variants) > 10:
            raise Invalid("An endpoint configuration can have at most 10 production variants")
        seen: set[str] = set()
        for variant in variants:
            variant_name = str(variant.get("VariantName", ""))
            if variant_name in seen:
                raise Invalid(f"Variant names must be unique; '{variant_name}' repeats")
            seen.add(variant_name)
            model_name = str(variant.get("ModelName", ""))
            try:
                self._store.get(MODEL, scope, model_name)
            except NotFound as exc:
                raise Invalid(f'Could not find model "{model_arn(scope, model_name)}".') from exc
            if not variant.get("ServerlessConfig"):
                check_instance_type(str(variant.get("InstanceType", "")), "instanceType")
                count = int(variant.get("InitialInstanceCount", 1))
                if not 1 <= count <= 16:
                    raise Invalid(
                        f"InitialInstanceCount must be between 1 and 16 here, got {count}"
                    )
            weight = float(variant.get("InitialVariantWeight", 1.0))
            if weight < 0:
                raise Invalid("InitialVariantWeight must not be negative")
        arn = endpoint_config_arn(scope, name)
        doc: Doc = {"Request": {k: v for k, v in request.items() if k != "Tags"}}
        self._insert(ENDPOINT_CONFIG, scope, name, arn, doc, request, "Endpoint configuration")
        return arn

    def get_endpoint_config(self, scope: Scope, name: str) -> Record:
        return self._get(ENDPOINT_CONFIG, scope, name, "Endpoint configuration")

    def delete_endpoint_config(self, scope: Scope, name: str) -> None:
        record = self.get_endpoint_config(scope, name)
        self._store.delete(ENDPOINT_CONFIG, scope, name)
        self._tags.remove_all_tags(record.arn)

    # ------------------------------------------------------------------ shared

    def find(self, kind: str, scope: Scope, listing: Listing) -> tuple[list[Record], str | None]:
        return find_page(self._store, kind, scope, listing)

    def _insert(
        self,
        kind: str,
        scope: Scope,
        name: str,
        arn: str,
        doc: Doc,
        request: dict[str, Any],
        label: str,
    ) -> None:
        now = self._clock.now()
        doc["CreationTime"] = epoch(now)
        try:
            self._store.insert(Record(kind, scope, name, arn, None, now, now, doc))
        except AlreadyExists as exc:
            raise Invalid(f'Cannot create already existing {label.lower()} "{arn}".') from exc
        if request.get("Tags"):
            self._tags.add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})

    def _get(self, kind: str, scope: Scope, name: str, label: str) -> Record:
        try:
            return self._store.get(kind, scope, name)
        except NotFound as exc:
            arn = (model_arn if kind == MODEL else endpoint_config_arn)(scope, name)
            raise Invalid(f'Could not find {label.lower()} "{arn}".') from exc
