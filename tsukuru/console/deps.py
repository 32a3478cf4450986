"""What the console is given to work with: the platform's domain services, nothing of the wire.

The console is a second front door to the same use cases the AWS API reaches, so it receives
the domain services themselves (built once in `app.py`) rather than calling its own platform
over HTTP. Optional parts (transform jobs, notebook instances) are `None` when the platform was
built without them, and the pages say so instead of showing an empty imitation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.endpoint_routing import RoutingTable
from tsukuru.domain.endpoints import EndpointService
from tsukuru.domain.ledger import Ledger
from tsukuru.domain.logs import LogService
from tsukuru.domain.models import DefinitionService
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import Record
from tsukuru.domain.scope import Scope
from tsukuru.domain.training import TrainingService
from tsukuru.domain.transforms import TransformService


class NotebookControl(Protocol):
    """Notebook instances as the console needs them (list, open, start, stop)."""

    def list(self, scope: Scope) -> list[Record]:
        """Every notebook instance of the scope, newest first."""
        ...

    def start(self, scope: Scope, name: str) -> None: ...

    def stop(self, scope: Scope, name: str) -> None: ...

    def url(self, scope: Scope, name: str) -> str | None:
        """Where the running instance's JupyterLab answers, or None when it is not running."""
        ...


@dataclass(frozen=True)
class ConsoleAuth:
    """Who may use the console from another machine.

    Requests from loopback are always served (the platform's default bind). From anywhere else
    the console answers only when `check` is set: HTTP Basic with the platform's access key id
    as user name and its secret access key as password. With `check` None it refuses them.
    `host_names` are the Host header names a loopback request may use besides IP literals and
    `localhost` (a defence against DNS rebinding).
    """

    check: Callable[[str, str], bool] | None = None
    host_names: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ConsoleServices:
    scope: Scope
    clock: Clock
    objects: ObjectService
    logs: LogService
    training: TrainingService
    definitions: DefinitionService
    endpoints: EndpointService
    routes: RoutingTable
    healthy_instances: Callable[[str], int]  # deployment id -> instances answering /ping
    ledger: Ledger
    reports_dir: Path  # where `tsukuru evaluate` reports are looked for (TSUKURU_HOME/reports)
    transforms: TransformService | None = None
    notebooks: NotebookControl | None = None
    auth: ConsoleAuth = field(default_factory=ConsoleAuth)
