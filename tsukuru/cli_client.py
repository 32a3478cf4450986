"""How the resource commands reach a running platform: botocore clients and error reporting.

The commands are ordinary AWS clients of the platform (exactly what boto3 in a notebook would
be), so they exercise the same wire path users do. This module builds those clients from the
CLI's Settings and turns what can go wrong on the way into one readable line and an exit code
instead of a traceback: no platform listening, a timeout, an AWS error, a bad parameter.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from rich.console import Console, RenderableType

from tsukuru.cli_messages import text
from tsukuru.config import Settings

# Piped output (`tsukuru ls jobs | grep ...`) is not cut at Rich's 80-column default; a terminal
# or an explicit COLUMNS still decides the width.
_PIPE_WIDTH = 200

# One attempt: the platform is local and does not throttle, and a second try at a closed port
# would only delay the hint that it is not running.
_RETRIES = {"total_max_attempts": 1, "mode": "standard"}


class PlatformClients:
    """botocore clients for one platform, created on first use and then reused."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: Any = None
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # botocore's client machinery is imported here, not at start-up, so `tsukuru status`
            # and `tsukuru env` stay quick.
            import botocore.session
            from botocore.config import Config

            if self._session is None:
                self._session = botocore.session.get_session()
            self._clients[service] = self._session.create_client(
                service,
                endpoint_url=self.settings.endpoint_url,
                region_name=self.settings.region,
                aws_access_key_id=self.settings.access_key_id,
                aws_secret_access_key=self.settings.secret_access_key,
                config=Config(retries=_RETRIES),
            )
        return self._clients[service]

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")

    @property
    def logs(self) -> Any:
        return self.client("logs")

    @property
    def runtime(self) -> Any:
        return self.client("sagemaker-runtime")

    @property
    def s3(self) -> Any:
        return self.client("s3")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def console(*, stderr: bool = False) -> Console:
    """A Rich console for this moment's stdout or stderr (so test runners can swap them)."""
    made = Console(stderr=stderr, highlight=False)
    if not made.is_terminal and "COLUMNS" not in os.environ:
        made.width = _PIPE_WIDTH
    return made


def show(renderable: RenderableType) -> None:
    """Print a Rich table or group on stdout."""
    console().print(renderable)


def say(message: str, *, stderr: bool = False) -> None:
    """Print one plain message line (no markup, no re-wrapping)."""
    console(stderr=stderr).print(message, markup=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` on stderr and return the Exit to raise (`raise fail(...)`)."""
    say(message, stderr=True)
    return typer.Exit(code)


@contextmanager
def reporting_errors(settings: Settings) -> Iterator[None]:
    """Turn connection failures and AWS errors inside the block into one line and exit 1."""
    try:
        yield
    except (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError) as exc:
        raise fail(text("not_running", url=settings.endpoint_url)) from exc
    except ReadTimeoutError as exc:
        raise fail(text("timed_out", url=settings.endpoint_url, detail=exc)) from exc
    except ClientError as exc:
        raise fail(text("aws_error", code=error_code(exc), message=error_message(exc))) from exc
    except ParamValidationError as exc:
        raise fail(text("bad_parameter", detail=exc), code=2) from exc


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """An API response without botocore's ResponseMetadata (what `--json` prints)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}
