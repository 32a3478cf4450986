"""Where InvokeEndpoint traffic goes: an in-memory table, swapped atomically on every change.

The store is the record of what endpoints exist; this table is what the hot path reads, so an
invocation touches no database. UpdateEndpoint builds the new generation's routes beside the old
ones and swaps them in one assignment: no request ever sees a half-updated endpoint.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from tsukuru.domain.errors import Invalid, NotFound
from tsukuru.domain.ports import Invocation, InvocationResult, ModelHost
from tsukuru.domain.scope import Scope


@dataclass(frozen=True)
class Route:
    variant: str
    weight: float
    deployment_id: str


class EndpointNotReady(Invalid):
    pass


class RoutingTable:
    def __init__(self, host: ModelHost) -> None:
        self._host = host
        self._routes: dict[tuple[Scope, str], tuple[Route, ...]] = {}
        self._lock = threading.Lock()
        self._random = random.Random()

    def set(self, scope: Scope, endpoint: str, routes: list[Route]) -> None:
        with self._lock:
            self._routes[(scope, endpoint)] = tuple(routes)

    def reweight(self, scope: Scope, endpoint: str, weights: dict[str, float]) -> None:
        with self._lock:
            current = self._routes.get((scope, endpoint), ())
            self._routes[(scope, endpoint)] = tuple(
                Route(r.variant, weights.get(r.variant, r.weight), r.deployment_id) for r in current
            )

    def remove(self, scope: Scope, endpoint: str) -> tuple[Route, ...]:
        with self._lock:
            return self._routes.pop((scope, endpoint), ())

    def get(self, scope: Scope, endpoint: str) -> tuple[Route, ...]:
        return self._routes.get((scope, endpoint), ())

    def choose(self, routes: tuple[Route, ...], target_variant: str | None) -> Route:
        if target_variant:
            for route in routes:
                if route.variant == target_variant:
                    return route
            raise Invalid(
                f"Endpoint does not have a variant named {target_variant}; variants: "
                + ", ".join(r.variant for r in routes)
            )
        if len(routes) == 1:  # the common case: no weights to draw between
            return routes[0]
        total = sum(r.weight for r in routes)
        if total <= 0:
            return routes[0]
        pick = self._random.uniform(0, total)
        for route in routes:
            pick -= route.weight
            if pick <= 0:
                return route
        return routes[-1]

    async def invoke(
        self,
        scope: Scope,
        endpoint: str,
        invocation: Invocation,
        target_variant: str | None = None,
        timeout: float = 60.0,
    ) -> tuple[str, InvocationResult]:
        routes = self._routes.get((scope, endpoint))
        if not routes:
            raise NotFound(f"Endpoint {endpoint} of account {scope.account_id} not found.")
        route = self.choose(routes, target_variant)
        result = await self._host.invoke(route.deployment_id, invocation, timeout)
        return route.variant, result
