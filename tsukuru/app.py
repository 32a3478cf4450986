"""The only wiring: settings in, a running platform out.

Every backend choice (which metadata store, which blob store, later which executor and model
host) is made here and nowhere else; the layers below receive ports, not configuration.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.config import Settings
from tsukuru.domain.clock import SystemClock
from tsukuru.domain.objects import ObjectService
from tsukuru.gateway import build_gateway
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.services.errors import guard
from tsukuru.services.identity import Identity, IdentityService
from tsukuru.services.s3 import S3Service
from tsukuru.services.s3_errors import translate_s3_error
from tsukuru.store.sql import SqlMetadata, open_metadata

log = logging.getLogger("tsukuru")


@dataclass
class Platform:
    settings: Settings
    metadata: SqlMetadata
    blobs: FilesystemBlobStore
    objects: ObjectService
    asgi: Starlette

    def close(self) -> None:
        self.metadata.close()


def build_platform(settings: Settings) -> Platform:
    settings.home.mkdir(parents=True, exist_ok=True)
    metadata = open_metadata(settings.metadata_url)
    blobs = FilesystemBlobStore(settings.home / "blobs")
    clock = SystemClock()
    objects = ObjectService(metadata.objects, blobs, clock)
    identity = IdentityService(
        Identity(account_id=settings.account_id, role_name=settings.role_name)
    )

    def s3_translate(exc: Exception) -> object:
        return translate_s3_error(exc)

    handlers = {
        "s3": guard(S3Service(objects).handlers(), translate_s3_error),  # type: ignore[arg-type]
        "sts": identity.sts_handlers(),
        "iam": identity.iam_handlers(),
    }

    def identify(cred: SigV4Credential | None) -> tuple[str, str]:
        region = cred.region if cred and cred.region else settings.region
        return settings.account_id, region

    dispatcher = Dispatcher(
        handlers=handlers,
        identify=identify,
        translate_error=lambda exc: None,
        logger=log,
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        removed = objects.garbage_collect()
        if removed:
            log.info("removed %d leftover blob files from an interrupted run", removed)
        yield

    asgi = build_gateway(dispatcher.handle, lifespan=lifespan)
    return Platform(settings=settings, metadata=metadata, blobs=blobs, objects=objects, asgi=asgi)


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
        limit_concurrency=None,
        access_log=False,
    )
    try:
        uvicorn.Server(config).run()
    finally:
        platform.close()
