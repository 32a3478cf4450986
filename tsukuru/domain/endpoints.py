"""Real-time endpoints: Creating → InService | Failed, Updating, Deleting — in seconds.

An endpoint keeps its own copy of the variants it runs (the config may be deleted under it, as
on SageMaker). Deploying happens on a worker thread: each variant's model is fetched and
extracted once, the host starts its instances, and only when every variant is ready does the
routing table switch to the new generation and the old one retire. A deployment that fails
leaves the previous generation serving (UpdateEndpoint) or marks the endpoint Failed (create).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.endpoint_routing import Route, RoutingTable
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.ledger_usage import EndpointMeter
from tsukuru.domain.model_artifacts import ArtifactError, fetch_model
from tsukuru.domain.models import DefinitionService, model_data_location, primary_container
from tsukuru.domain.ports import Deployment, DeploymentFailed, ModelHost, Record, ResourceStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training_tree import TrainingData
from tsukuru.domain.training_validation import check_name

log = logging.getLogger("tsukuru.endpoints")

KIND = "Endpoint"
CONTAINER_MODEL_DIR = "/opt/ml/model"  # where a SageMaker container finds the model


def endpoint_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"endpoint/{name.lower()}")


class EndpointService:
    def __init__(
        self,
        store: ResourceStore,
        definitions: DefinitionService,
        data: TrainingData,
        host: ModelHost,
        routes: RoutingTable,
        clock: Clock,
        root: Path,
        add_tags: Callable[[str, dict[str, str]], None],
        meter: EndpointMeter | None = None,
    ) -> None:
        self._store = store
        self._definitions = definitions
        self._data = data
        self._host = host
        self._routes = routes
        self._clock = clock
        self._root = root
        self._add_tags = add_tags
        self._meter = meter  # the cost ledger's usage intervals
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ API

    def create(self, scope: Scope, request: dict[str, Any]) -> str:
        name = str(request.get("EndpointName", ""))
        check_name(name, "endpointName")
        config = self._definitions.get_endpoint_config(scope, str(request["EndpointConfigName"]))
        variants = self._variants_of(scope, config)
        now = self._clock.now()
        arn = endpoint_arn(scope, name)
        doc: Doc = {
            "EndpointName": name,
            "EndpointConfigName": config.name,
            "Variants": variants,
            "Generation": 0,
            "EndpointStatus": "Creating",
            "CreationTime": epoch(now),
            "LastModifiedTime": epoch(now),
        }
        try:
            self._store.insert(Record(KIND, scope, name, arn, "Creating", now, now, doc))
        except AlreadyExists as exc:
            raise Invalid(f'Cannot create already existing endpoint "{arn}".') from exc
        if request.get("Tags"):
            self._add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})
        self._spawn(self._deploy, scope, name, variants, 1, "Creating")
        return arn

    def get(self, scope: Scope, name: str) -> Record:
        try:
            return self._store.get(KIND, scope, name)
        except NotFound as exc:
            raise Invalid(f'Could not find endpoint "{endpoint_arn(scope, name)}".') from exc

    def update(self, scope: Scope, name: str, config_name: str) -> str:
        config = self._definitions.get_endpoint_config(scope, config_name)
        variants = self._variants_of(scope, config)
        record = self._begin_update(scope, name, config_name)
        generation = int(record.doc["Generation"]) + 1
        self._spawn(self._deploy, scope, name, variants, generation, "Updating")
        return record.arn

    def update_weights_and_capacities(
        self, scope: Scope, name: str, desired: list[dict[str, Any]]
    ) -> str:
        record = self.get(scope, name)
        variants = [dict(v) for v in record.doc["Variants"]]
        by_name = {v["VariantName"]: v for v in variants}
        capacity_changed = False
        for change in desired:
            variant = by_name.get(change["VariantName"])
            if variant is None:
                raise Invalid(f"The variant {change['VariantName']} does not exist in {name}")
            if change.get("DesiredWeight") is not None:
                variant["CurrentWeight"] = float(change["DesiredWeight"])
            if change.get("DesiredInstanceCount") is not None:
                count = int(change["DesiredInstanceCount"])
                if not 1 <= count <= 16:
                    raise Invalid("DesiredInstanceCount must be between 1 and 16 here")
                capacity_changed |= count != variant["InstanceCount"]
                variant["InstanceCount"] = count
        record = self._begin_update(scope, name, record.doc["EndpointConfigName"])
        if capacity_changed:
            generation = int(record.doc["Generation"]) + 1
            self._spawn(self._deploy, scope, name, variants, generation, "Updating")
        else:
            self._routes.reweight(
                scope, name, {v["VariantName"]: v["CurrentWeight"] for v in variants}
            )

            def done(doc: Doc) -> str:
                doc["Variants"] = variants
                doc["EndpointStatus"] = "InService"
                return "InService"

            self._mutate(scope, name, done)
        return record.arn

    def delete(self, scope: Scope, name: str) -> None:
        record = self.get(scope, name)
        if record.status in ("Creating", "Updating"):
            log.info("deleting endpoint %s while %s", name, record.status)

        def deleting(doc: Doc) -> str:
            doc["EndpointStatus"] = "Deleting"
            return "Deleting"

        self._mutate(scope, name, deleting)
        for route in self._routes.remove(scope, name):
            self._host.undeploy(route.deployment_id)
        self._store.delete(KIND, scope, name)
        if self._meter is not None:
            self._meter.endpoint_deleted(scope, name)
        shutil.rmtree(self._endpoint_dir(scope, name), ignore_errors=True)

    def recover(self) -> int:
        """Bring endpoints that were serving before a restart back, without user action."""
        count = 0
        for found in self._store.list_by_status(KIND, ("InService", "Creating", "Updating")):
            record = found
            if "PendingConfigName" in found.doc:
                # An update the restart interrupted is dropped: the generation that served
                # before it comes back, still under its own config (call UpdateEndpoint again).
                record = self._mutate(found.scope, found.name, _drop_pending_update)
            variants = record.doc["Variants"]
            generation = int(record.doc["Generation"]) + 1
            self._spawn(
                self._deploy,
                record.scope,
                record.name,
                variants,
                generation,
                record.status or "Creating",
            )
            count += 1
        for record in self._store.list_by_status(KIND, ("Deleting",)):
            self._store.delete(KIND, record.scope, record.name)
        return count

    def shutdown(self) -> None:
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(10)

    # ------------------------------------------------------------------ deployment

    def _deploy(
        self, scope: Scope, name: str, variants: list[Doc], generation: int, phase: str
    ) -> None:
        started: list[str] = []
        try:
            routes = []
            for variant in variants:
                deployment = self._prepare(scope, name, variant, generation)
                self._host.deploy(deployment)
                started.append(deployment.deployment_id)
                routes.append(
                    Route(
                        variant["VariantName"],
                        float(variant["CurrentWeight"]),
                        deployment.deployment_id,
                    )
                )
        except (DeploymentFailed, ArtifactError, Invalid) as exc:
            for deployment_id in started:
                self._host.undeploy(deployment_id)
            reason = getattr(exc, "reason", None) or str(exc)
            self._fail(scope, name, phase, reason)
            return
        except Exception as exc:  # never leave an endpoint stuck in Creating
            log.exception("deploying endpoint %s failed", name)
            for deployment_id in started:
                self._host.undeploy(deployment_id)
            self._fail(scope, name, phase, f"InternalServerError: {exc}")
            return
        old = self._routes.get(scope, name)
        self._routes.set(scope, name, routes)
        for route in old:
            self._host.undeploy(route.deployment_id)

        def in_service(doc: Doc) -> str:
            doc["EndpointStatus"] = "InService"
            doc["Variants"] = variants
            doc["Generation"] = generation
            doc.pop("FailureReason", None)
            doc["LastModifiedTime"] = epoch(self._clock.now())
            if "PendingConfigName" in doc:
                doc["EndpointConfigName"] = doc.pop("PendingConfigName")
            return "InService"

        try:
            record = self._mutate(scope, name, in_service)
        except (NotFound, Invalid):  # deleted while deploying
            for route in self._routes.remove(scope, name):
                self._host.undeploy(route.deployment_id)
            return
        if self._meter is not None:
            self._meter.endpoint_serving(record)

    def _prepare(self, scope: Scope, name: str, variant: Doc, generation: int) -> Deployment:
        model = self._definitions.get_model(scope, variant["ModelName"])
        container = primary_container(model.doc)
        folder = self._endpoint_dir(scope, name) / f"{variant['VariantName']}-{generation}"
        model_dir = folder / "model"
        location = model_data_location(container)
        if location is None:
            model_dir.mkdir(parents=True, exist_ok=True)
        else:
            fetch_model(self._data, location[0], location[1], model_dir)
        env = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
        env["TSUKURU_ALGORITHM"] = model.doc["Algorithm"]["Name"]
        env["TSUKURU_ALGORITHM_VERSION"] = model.doc["Algorithm"]["Version"]
        env["TSUKURU_ENVS_DIR"] = str(self._root.parent / "envs")  # script-mode requirements
        self._fetch_inference_code(env, folder, model_dir)
        workers = int(env.get("SAGEMAKER_MODEL_SERVER_WORKERS", "1") or 1)
        return Deployment(
            deployment_id=f"{scope.account_id}-{scope.region}-{name}-{variant['VariantName']}"
            f"-{generation}",
            model_dir=str(model_dir),
            env=env,
            instance_count=int(variant["InstanceCount"]),
            workers=max(1, workers),
        )

    def _fetch_inference_code(self, env: dict[str, str], folder: Path, model_dir: Path) -> None:
        """Script mode: the server cannot reach the object store, so an s3:// source directory
        (SAGEMAKER_SUBMIT_DIRECTORY, the SDK's sourcedir.tar.gz) is unpacked next to the model,
        and /opt/ml/model/... (code repacked into model.tar.gz) points into the model folder."""
        submitted = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "").strip()
        if submitted.startswith("s3://"):
            code_dir = folder / "code"
            try:
                fetch_model(self._data, submitted, True, code_dir)
            except ArtifactError as exc:
                raise ArtifactError(
                    f"Failed to fetch the inference code SAGEMAKER_SUBMIT_DIRECTORY={submitted}: "
                    f"{exc}"
                ) from exc
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = str(code_dir)
        elif submitted.startswith(CONTAINER_MODEL_DIR):
            relative = submitted[len(CONTAINER_MODEL_DIR) :].lstrip("/")
            env["SAGEMAKER_SUBMIT_DIRECTORY"] = str(model_dir / relative)

    def _fail(self, scope: Scope, name: str, phase: str, reason: str) -> None:
        def change(doc: Doc) -> str:
            doc["FailureReason"] = reason
            doc.pop("PendingConfigName", None)
            if phase == "Updating" and self._routes.get(scope, name):
                doc["EndpointStatus"] = "InService"  # the previous generation keeps serving
                return "InService"
            doc["EndpointStatus"] = "Failed"
            return "Failed"

        with contextlib.suppress(NotFound, Invalid):
            self._mutate(scope, name, change)

    # ------------------------------------------------------------------ helpers

    def _variants_of(self, scope: Scope, config: Record) -> list[Doc]:
        variants = []
        for variant in config.doc["Request"]["ProductionVariants"]:
            self._definitions.get_model(scope, variant["ModelName"])  # still there?
            variants.append(
                {
                    "VariantName": variant["VariantName"],
                    "ModelName": variant["ModelName"],
                    "InstanceType": variant.get("InstanceType", "ml.m5.large"),
                    "InstanceCount": int(variant.get("InitialInstanceCount", 1)),
                    "CurrentWeight": float(variant.get("InitialVariantWeight", 1.0)),
                    "Serverless": bool(variant.get("ServerlessConfig")),
                }
            )
        return variants

    def _begin_update(self, scope: Scope, name: str, config_name: str) -> Record:
        record = self.get(scope, name)
        if record.status != "InService":
            raise Invalid(
                f'Cannot update in-progress endpoint "{record.arn}".'
                if record.status in ("Creating", "Updating")
                else f"Cannot update endpoint {name} in status {record.status}."
            )

        def updating(doc: Doc) -> str:
            doc["EndpointStatus"] = "Updating"
            doc["PendingConfigName"] = config_name
            doc["LastModifiedTime"] = epoch(self._clock.now())
            return "Updating"

        return self._mutate(scope, name, updating)

    def _mutate(self, scope: Scope, name: str, change: Callable[[Doc], str | None]) -> Record:
        return mutate(self._store, KIND, scope, name, change, self._clock.now())

    def _endpoint_dir(self, scope: Scope, name: str) -> Path:
        return self._root / scope.account_id / scope.region / name

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True, name=f"endpoint-{args[1]}")
        with self._lock:
            self._threads.add(thread)
        thread.start()


def _drop_pending_update(doc: Doc) -> str | None:
    doc.pop("PendingConfigName", None)
    return None
