"""A console over real domain services, with resources put in place the way the platform would.

Page tests need jobs in every status, endpoints with instances and log lines with metrics,
without waiting for real processes. So the services are the real ones (training, definitions,
endpoints, objects, logs, ledger) over a metadata store (memory, or SQLite for the benchmark),
and records reach their states through the domain's own helpers (`enter_secondary`, `mutate`,
`write_lines`) as the runners write them. Only the model host is a small scripted one: an
endpoint "serves" by answering from Python, so the invoke form can be tested without model
processes (the browser test uses the real ones).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from tests.acceptance.platform_support import training_request
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.console import (
    PREFIX,
    ConsoleAuth,
    ConsoleServices,
    NotebookControl,
    build_console,
)
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.endpoint_routing import Route, RoutingTable
from tsukuru.domain.endpoints import KIND as ENDPOINT
from tsukuru.domain.endpoints import EndpointService, endpoint_arn
from tsukuru.domain.ledger import Ledger
from tsukuru.domain.ledger_prices import PriceTable
from tsukuru.domain.ledger_usage import UsageMeter
from tsukuru.domain.logs import LogService
from tsukuru.domain.models import DefinitionService
from tsukuru.domain.object_access import ObjectAccess
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Deployment, Invocation, InvocationResult, Record
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope
from tsukuru.domain.training import KIND as TRAINING
from tsukuru.domain.training import TrainingService, enter_secondary
from tsukuru.domain.transforms import TransformService
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")
BUCKET = "world-data"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class ScriptedHost:
    """A ModelHost whose instances are Python: `answer(body)` gives each response."""

    def __init__(self) -> None:
        self.deployed: dict[str, int] = {}
        self.answer: Callable[[bytes], InvocationResult] = lambda body: InvocationResult(
            200, b"0.25", "text/csv; charset=utf-8"
        )
        self.seen: list[Invocation] = []

    def deploy(self, deployment: Deployment, timeout: float = 120.0) -> None:
        self.deployed[deployment.deployment_id] = deployment.instance_count

    def undeploy(self, deployment_id: str) -> None:
        self.deployed.pop(deployment_id, None)

    def healthy_instances(self, deployment_id: str) -> int:
        return self.deployed.get(deployment_id, 0)

    async def invoke(
        self, deployment_id: str, invocation: Invocation, timeout: float = 60.0
    ) -> InvocationResult:
        await asyncio.sleep(0)
        self.seen.append(invocation)
        return self.answer(invocation.body)

    def close(self) -> None:
        self.deployed.clear()


@dataclass
class World:
    services: ConsoleServices
    metadata: Any
    clock: ManualClock
    host: ScriptedHost
    console: Starlette
    app: Starlette  # the console mounted at /_console, as the gateway mounts it
    submitted: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)

    def client(self, host: str = "127.0.0.1", **headers: str) -> TestClient:
        """A browser on `host` (loopback unless told otherwise), following no redirects;
        paths are relative to the console (`/buckets` is `/_console/buckets`)."""
        return TestClient(
            self.app,
            base_url=f"http://127.0.0.1:4590{PREFIX}",
            client=(host, 50000),
            follow_redirects=False,
            headers=headers or None,
        )

    # ------------------------------------------------------------------ training jobs

    def add_training_job(
        self,
        name: str,
        status: str = "Completed",
        rounds: int = 10,
        hyperparameters: dict[str, str] | None = None,
    ) -> None:
        """A job created through TrainingService and moved along its statuses as the runner
        does, with per-round log lines in CloudWatch's format."""
        request = training_request(
            name,
            hyperparameters or {"objective": "binary:logistic", "num_round": str(rounds)},
            {"train": f"s3://{BUCKET}/train"},
            f"s3://{BUCKET}/output",
            image=IMAGE,
        )
        self.services.training.create(SCOPE, request)
        start = self.clock.now()
        self.clock.advance(1)
        lines = [
            (
                int((start.timestamp() + 1 + i * 0.1) * 1000),
                f"[{i}]#011train-auc:{0.70 + i * 0.01:.5f}"
                f"#011validation-auc:{0.65 + i * 0.008:.5f}",
            )
            for i in range(rounds)
        ]
        if lines:
            self.services.logs.write_lines(
                SCOPE, "/aws/sagemaker/TrainingJobs", f"{name}/algo-1-1", lines
            )
        self.clock.advance(rounds * 0.1 + 1)

        def progress(doc: Doc) -> str:
            now = self.clock.now()
            doc["TrainingStartTime"] = epoch(start)
            enter_secondary(doc, "Downloading", start)
            enter_secondary(doc, "Training", start)
            if status == "InProgress":
                return "InProgress"
            enter_secondary(doc, "Uploading", now)
            doc["TrainingJobStatus"] = status
            doc["TrainingEndTime"] = epoch(now)
            doc["TrainingTimeInSeconds"] = doc["BillableTimeInSeconds"] = max(
                1, round(now.timestamp() - start.timestamp())
            )
            if status == "Completed":
                doc["ModelArtifacts"] = {
                    "S3ModelArtifacts": f"s3://{BUCKET}/output/{name}/output/model.tar.gz"
                }
                final = 0.70 + (rounds - 1) * 0.01
                doc["FinalMetricDataList"] = [
                    {"MetricName": "train:auc", "Value": final, "Timestamp": epoch(now)}
                ]
            if status == "Failed":
                doc["FailureReason"] = "AlgorithmError: the data has no label column"
            enter_secondary(doc, status, now)
            return status

        mutate(self.metadata.resources, TRAINING, SCOPE, name, progress, self.clock.now())

    # ------------------------------------------------------------------ hosting

    def add_model(self, name: str) -> None:
        self.services.definitions.create_model(
            SCOPE,
            {
                "ModelName": name,
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                "PrimaryContainer": {
                    "Image": IMAGE,
                    "ModelDataUrl": f"s3://{BUCKET}/output/{name}/output/model.tar.gz",
                },
            },
        )

    def add_config(self, name: str, model: str, instances: int = 1) -> None:
        self.services.definitions.create_endpoint_config(
            SCOPE,
            {
                "EndpointConfigName": name,
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": model,
                        "InstanceType": "ml.m5.large",
                        "InitialInstanceCount": instances,
                        "InitialVariantWeight": 1.0,
                    }
                ],
            },
        )

    def add_endpoint(
        self,
        name: str,
        config: str,
        model: str,
        status: str = "InService",
        instances: int = 1,
    ) -> None:
        """An endpoint record as a finished deployment leaves it, served by the scripted host
        (the cost ledger meters it from its next report on)."""
        now = self.clock.now()
        variants = [
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InstanceCount": instances,
                "CurrentWeight": 1.0,
                "Serverless": False,
            }
        ]
        doc: Doc = {
            "EndpointName": name,
            "EndpointConfigName": config,
            "Variants": variants,
            "Generation": 1,
            "EndpointStatus": status,
            "CreationTime": epoch(now),
            "LastModifiedTime": epoch(now),
        }
        if status == "Failed":
            doc["FailureReason"] = "The model could not be loaded"
        record = Record(ENDPOINT, SCOPE, name, endpoint_arn(SCOPE, name), status, now, now, doc)
        self.metadata.resources.insert(record)
        if status == "InService":
            deployment_id = f"{name}-AllTraffic-1"
            self.host.deployed[deployment_id] = instances
            self.services.routes.set(SCOPE, name, [Route("AllTraffic", 1.0, deployment_id)])


def build_world(
    tmp: Path,
    *,
    metadata: Any | None = None,
    auth: ConsoleAuth | None = None,
    with_transforms: bool = True,
    notebooks: NotebookControl | None = None,
) -> World:
    metadata = metadata or MemoryMetadata()
    clock = ManualClock(START)
    objects = ObjectService(metadata.objects, MemoryBlobStore(), clock)
    objects.create_bucket(BUCKET, account_id=SCOPE.account_id)
    access = ObjectAccess(objects)
    logs = LogService(metadata.logs, clock)
    submitted: list[str] = []
    stopped: list[str] = []
    training = TrainingService(
        metadata.resources,
        metadata.tags,
        clock,
        access.bucket_exists,
        lambda scope, name: submitted.append(name),
        lambda scope, name: stopped.append(name),
    )
    host = ScriptedHost()
    routes = RoutingTable(host)
    meter = UsageMeter(metadata.resources, clock)
    definitions = DefinitionService(metadata.resources, metadata.tags, clock, access.bucket_exists)
    endpoints = EndpointService(
        metadata.resources,
        definitions,
        access,
        host,
        routes,
        clock,
        tmp / "endpoints",
        metadata.tags.add_tags,
        meter=meter,
    )
    transforms = TransformService(
        metadata.resources,
        metadata.tags,
        clock,
        definitions,
        access.bucket_exists,
        lambda scope, name: submitted.append(name),
        lambda scope, name: stopped.append(name),
    )
    prices = PriceTable.from_folders([Path(str(files("tsukuru") / "data" / "pricing"))])
    ledger = Ledger(
        metadata.resources, metadata.objects, metadata.logs, meter, prices, clock, str(tmp)
    )
    services = ConsoleServices(
        scope=SCOPE,
        clock=clock,
        objects=objects,
        logs=logs,
        training=training,
        definitions=definitions,
        endpoints=endpoints,
        routes=routes,
        healthy_instances=host.healthy_instances,
        ledger=ledger,
        reports_dir=tmp / "reports",
        transforms=transforms if with_transforms else None,
        notebooks=notebooks,
        auth=auth or ConsoleAuth(),
    )
    console = build_console(services)
    return World(
        services=services,
        metadata=metadata,
        clock=clock,
        host=host,
        console=console,
        app=Starlette(routes=[Mount(PREFIX, app=console)]),
        submitted=submitted,
        stopped=stopped,
    )
