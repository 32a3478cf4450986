"""The only wiring: settings in, a running platform out.

Every backend choice (which metadata store, which blob store, which executor and model host) is
made here and nowhere else; the layers below receive ports, not configuration.
"""

from __future__ import annotations

import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import FrameType

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tsukuru import client_env, client_sitecustomize
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.tiered import TieredBlobStore
from tsukuru.config import Settings
from tsukuru.console import PREFIX as CONSOLE_PREFIX
from tsukuru.console import ConsoleAuth, ConsoleServices, build_console
from tsukuru.domain.clock import SystemClock
from tsukuru.domain.endpoint_routing import RoutingTable
from tsukuru.domain.endpoints import EndpointService
from tsukuru.domain.errors import NotFound
from tsukuru.domain.job_run import job_slots
from tsukuru.domain.ledger import Ledger
from tsukuru.domain.ledger_prices import PriceTable
from tsukuru.domain.ledger_usage import UsageMeter
from tsukuru.domain.logs import LogService
from tsukuru.domain.models import DefinitionService
from tsukuru.domain.notebooks import NotebookService
from tsukuru.domain.notebooks_lifecycle import LifecycleConfigService
from tsukuru.domain.object_access import ObjectAccess
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.scope import Scope
from tsukuru.domain.tags import TagService
from tsukuru.domain.training import TrainingService
from tsukuru.domain.training_run import TrainingRunner
from tsukuru.domain.transforms import TransformService
from tsukuru.domain.transforms_run import TransformRunner
from tsukuru.executors.limits import memory_share
from tsukuru.executors.local import LocalExecutor
from tsukuru.executors.warm import WarmStarter
from tsukuru.gateway import build_gateway
from tsukuru.gateway_bodies import BodyIntake
from tsukuru.hosting.local import LocalModelHost
from tsukuru.hosting.notebooks import LocalNotebookHost
from tsukuru.hosting.notebooks_kernels import notebooks_root
from tsukuru.hosting.orphans import claim_children, reap_orphans
from tsukuru.protocol.auth import Authenticator
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.services.errors import guard, sagemaker_errors
from tsukuru.services.identity import Identity, IdentityService
from tsukuru.services.logs import LogsService
from tsukuru.services.runtime import RuntimeHandlers
from tsukuru.services.s3 import S3Service
from tsukuru.services.sagemaker_hosting import HostingHandlers
from tsukuru.services.sagemaker_notebooks import NotebookHandlers
from tsukuru.services.sagemaker_tags import TagHandlers
from tsukuru.services.sagemaker_training import TrainingHandlers
from tsukuru.services.sagemaker_transform import TransformHandlers
from tsukuru.store.sql import SqlMetadata, open_store
from tsukuru.store.sql.small_blobs import SqlSmallBlobStore

log = logging.getLogger("tsukuru")


@dataclass
class Platform:
    settings: Settings
    metadata: SqlMetadata
    objects: ObjectService
    logs: LogService
    training: TrainingService
    runner: TrainingRunner
    definitions: DefinitionService
    endpoints: EndpointService
    host: LocalModelHost
    asgi: ASGIApp
    transforms: TransformService
    transform_runner: TransformRunner
    ledger: Ledger  # what everything would cost on AWS (`tsukuru cost`, the console)
    meter: UsageMeter  # usage intervals of endpoints (and notebook instances)
    notebooks: NotebookService
    notebook_host: LocalNotebookHost
    dispatcher: Dispatcher  # the wire pipeline (`dispatcher.handlers`: every served operation)
    run_id: str = ""  # marks the processes this run starts (see tsukuru.hosting.orphans)

    def start(self) -> None:
        """Crash recovery, in order: stop processes a killed earlier run left behind, drop
        bytes no row references, settle jobs that were running, bring serving endpoints back."""
        if self.run_id:
            reaped = reap_orphans(self.settings.home, self.run_id)
            if reaped:
                log.info("stopped %d process(es) left running by an earlier platform run", reaped)
        removed = self.objects.garbage_collect()
        if removed:
            log.info("removed %d leftover blob files from an interrupted run", removed)
        failed = self.runner.recover()
        if failed:
            log.info(
                "%d training job(s) were running when the platform stopped: marked Failed", failed
            )
        failed = self.transform_runner.recover()
        if failed:
            log.info(
                "%d transform job(s) were running when the platform stopped: marked Failed", failed
            )
        restored = self.endpoints.recover()
        if restored:
            log.info("redeploying %d endpoint(s) that were serving before the restart", restored)
        restarted = self.notebooks.recover()
        if restarted:
            log.info("restarting %d notebook instance(s) that were running", restarted)
        self.ensure_default_bucket()

    def ensure_default_bucket(self) -> None:
        """The SDK's default bucket (the client environment's `DefaultS3Bucket`) exists, so a new
        user's first `sagemaker.Session().default_bucket()` finds it."""
        name, region = self.settings.bucket_name, self.settings.region
        try:
            self.objects.get_bucket(name)
        except NotFound:
            location = None if region == "us-east-1" else region
            self.objects.create_bucket(name, account_id=self.settings.account_id, location=location)
            log.info("created the default bucket %s", name)

    def close(self) -> None:
        self.transform_runner.shutdown()
        self.runner.shutdown()
        self.endpoints.shutdown()
        self.host.close()
        self.notebooks.shutdown()  # stops the notebook servers; they come back on restart
        self.metadata.close()


def build_platform(settings: Settings) -> Platform:
    settings.home.mkdir(parents=True, exist_ok=True)
    run_id = claim_children(settings.home)  # before any process is started
    clock = SystemClock()
    metadata = open_store(settings.metadata_url)
    # small objects' bytes live in the metadata database (no file, no fsync), larger ones in files
    blobs = TieredBlobStore(
        SqlSmallBlobStore(metadata.database), FilesystemBlobStore(settings.home / "blobs")
    )
    objects = ObjectService(metadata.objects, blobs, clock)
    access = ObjectAccess(objects)
    logs = LogService(metadata.logs, clock)
    tags = TagService(metadata.tags)
    slots = job_slots(settings.effective_job_slots)  # shared by training and transform jobs
    # One warm helper forks every job and model server, so none waits a second for its imports;
    # it starts now, in the background (until it is ready, processes start cold).
    starter = WarmStarter(log_path=settings.home / "forkserver.log")
    starter.start()
    # Each job's memory share: three quarters of the machine split between the job slots.
    job_memory = memory_share(settings.effective_job_slots)

    runner = TrainingRunner(
        metadata.resources,
        access,
        logs,
        LocalExecutor(starter=starter, memory_limit=job_memory),
        clock,
        settings.home / "jobs",
        slots,
    )
    training = TrainingService(
        metadata.resources,
        metadata.tags,
        clock,
        access.bucket_exists,
        runner.submit,
        runner.request_stop,
    )
    host = LocalModelHost(settings.home / "run", starter=starter)
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
        settings.home / "endpoints",
        metadata.tags.add_tags,
        meter=meter,
    )
    transform_runner = TransformRunner(
        metadata.resources,
        access,
        definitions,
        logs,
        LocalExecutor(starter=starter, memory_limit=job_memory),
        clock,
        settings.home / "transform-jobs",
        slots,
    )
    transforms = TransformService(
        metadata.resources,
        metadata.tags,
        clock,
        definitions,
        access.bucket_exists,
        transform_runner.submit,
        transform_runner.request_stop,
    )
    notebook_host = LocalNotebookHost(
        notebooks_root(settings.home),
        client_env.prepare(settings, os.environ).apply(os.environ),
        metadata_variable=client_sitecustomize.METADATA_VARIABLE,
    )
    lifecycle_configs = LifecycleConfigService(metadata.resources, metadata.tags, clock)
    notebooks = NotebookService(
        metadata.resources,
        metadata.tags,
        clock,
        lifecycle_configs,
        notebook_host,
        logs.write_lines,
        meter=meter,
    )
    identity = IdentityService(
        Identity(account_id=settings.account_id, role_name=settings.role_name)
    )

    sagemaker = {
        **TrainingHandlers(training).handlers(),
        **TransformHandlers(transforms).handlers(),
        **HostingHandlers(definitions, endpoints).handlers(),
        **TagHandlers(tags).handlers(),
        **NotebookHandlers(notebooks, lifecycle_configs).handlers(),
    }
    handlers = {
        "s3": S3Service(objects).handlers(),
        "sts": identity.sts_handlers(),
        "iam": identity.iam_handlers(),
        "logs": LogsService(logs).handlers(),
        "sagemaker": guard(sagemaker, sagemaker_errors),
        "sagemaker-runtime": RuntimeHandlers(routes).handlers(),
    }

    def identify(cred: SigV4Credential | None) -> tuple[str, str]:
        region = cred.region if cred and cred.region else settings.region
        return settings.account_id, region

    dispatcher = Dispatcher(
        handlers=handlers,
        identify=identify,
        translate_error=lambda exc: None,
        logger=log,
        authenticate=_authenticator(settings, clock),
    )
    platform: Platform

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        platform.start()
        yield

    ledger = Ledger(
        metadata.resources,
        metadata.objects,
        metadata.logs,
        meter,
        PriceTable.from_folders(
            [Path(str(files("tsukuru") / "data" / "pricing")), settings.home / "pricing"]
        ),
        clock,
        str(settings.home / "pricing"),
    )

    async def cost(request: Request) -> JSONResponse:
        """`tsukuru cost` and the console read the ledger here (`?region=` picks the scope)."""
        scope = Scope(settings.account_id, request.query_params.get("region") or settings.region)
        report = await anyio.to_thread.run_sync(ledger.report, scope)
        return JSONResponse(report.to_json())

    console = build_console(
        ConsoleServices(
            scope=Scope(settings.account_id, settings.region),
            clock=clock,
            objects=objects,
            logs=logs,
            training=training,
            definitions=definitions,
            endpoints=endpoints,
            routes=routes,
            healthy_instances=host.healthy_instances,
            ledger=ledger,
            reports_dir=settings.home / "reports",
            transforms=transforms,
            notebooks=notebooks,
            auth=_console_auth(settings),
        )
    )
    asgi = build_gateway(
        dispatcher.handle,
        lifespan=lifespan,
        extra_routes=[Route("/_tsukuru/cost", cost, methods=["GET"])],
        console=console,
        console_prefix=CONSOLE_PREFIX,
        intake=BodyIntake(folder=blobs.temporary_folder),
    )
    platform = Platform(
        settings=settings,
        metadata=metadata,
        objects=objects,
        logs=logs,
        training=training,
        runner=runner,
        definitions=definitions,
        endpoints=endpoints,
        host=host,
        asgi=asgi,
        transforms=transforms,
        transform_runner=transform_runner,
        ledger=ledger,
        meter=meter,
        notebooks=notebooks,
        notebook_host=notebook_host,
        dispatcher=dispatcher,
        run_id=run_id,
    )
    return platform


def _console_auth(settings: Settings) -> ConsoleAuth:
    """The console answers loopback always; other machines only with the platform's key pair
    (HTTP Basic), and not at all with `--auth off`."""
    names = frozenset({settings.host.lower()} - {"", "0.0.0.0", "::"})
    if not settings.auth or not settings.access_key_id or not settings.secret_access_key:
        return ConsoleAuth(check=None, host_names=names)
    key_id, secret = settings.access_key_id.encode(), settings.secret_access_key.encode()

    def check(user: str, password: str) -> bool:
        same_user = hmac.compare_digest(user.encode(), key_id)
        return hmac.compare_digest(password.encode(), secret) and same_user

    return ConsoleAuth(check=check, host_names=names)


def _authenticator(settings: Settings, clock: SystemClock) -> Authenticator | None:
    """Signature checking against the platform's key (one key, one account for now), or None
    with `--auth off`, which only a loopback-bound gateway may run."""
    if not settings.auth:
        if not settings.binds_loopback:
            raise ValueError(
                f"refusing to serve {settings.host} with authentication off; "
                "bind 127.0.0.1 or turn --auth on"
            )
        log.warning("authentication is off: any signature is accepted (loopback only)")
        return None
    if not settings.access_key_id or not settings.secret_access_key:
        raise ValueError("authentication is on but the settings carry no access key")
    secrets = {settings.access_key_id: settings.secret_access_key}
    return Authenticator(secrets.get, now=lambda: clock.now().timestamp())


def serve(settings: Settings) -> None:
    """Run the gateway in the foreground until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    platform = build_platform(settings)
    config = uvicorn.Config(
        platform.asgi,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        timeout_keep_alive=75,
        access_log=False,
        proxy_headers=False,  # the peer address is the client's: the console serves loopback only
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown; with the default handler that kills
    # the process before `platform.close()` (and the CLI's pid-file cleanup) can run.
    signal.signal(signal.SIGTERM, _exit_normally)
    try:
        uvicorn.Server(config).run()
    finally:
        platform.close()


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
