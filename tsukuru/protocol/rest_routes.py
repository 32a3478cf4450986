"""Finding a REST operation (S3, SageMaker runtime) from the method, path and query string.

Each operation's `requestUri` (`/{Bucket}/{Key+}?uploads`) becomes a path pattern plus literal
query markers. Several S3 operations share a method and path (PutObject, CopyObject, UploadPart
and UploadPartCopy are all `PUT /{Bucket}/{Key+}`), so every candidate is scored by how many of
its distinguishing marks the request carries: literal query markers, required query-string
members (`partNumber`, `uploadId`) and required headers (`x-amz-copy-source`). The most specific
candidate wins; deprecated aliases (GetBucketLifecycle) lose ties to their successors.

Labels are matched against the *raw* path and percent-decoded afterwards, so a key containing an
encoded slash (`%2F`) or `+` is recovered exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import unquote

from botocore.model import OperationModel

from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import WireRequest

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


@dataclass(frozen=True)
class RestRoute:
    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # regex group index → label name
    query_markers: tuple[tuple[str, str | None], ...]
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    deprecated: bool

    def match_path(self, raw_path: str) -> dict[str, str] | None:
        found = self.pattern.match(raw_path)
        if found is None:
            return None
        return {name: unquote(found.group(i + 1)) for i, name in enumerate(self.labels)}

    def specificity(self, req: WireRequest, query: dict[str, str]) -> int | None:
        """How many distinguishing marks the request (whose query is `query`) carries; None if
        one is missing."""
        for key, value in self.query_markers:
            if key not in query or (value is not None and query[key] != value):
                return None
        if any(key not in query for key in self.required_query):
            return None
        if any(name not in req.headers for name in self.required_headers):
            return None
        return len(self.query_markers) + len(self.required_query) + len(self.required_headers)


def compile_route(op: OperationModel) -> RestRoute:
    path, _, query = str(op.http.get("requestUri", "/")).partition("?")
    labels: list[str] = []
    regex = ""
    position = 0
    for label in _LABEL.finditer(path):
        regex += re.escape(path[position : label.start()])
        labels.append(label.group(1))
        regex += "(.+)" if label.group(2) else "([^/]+)"
        position = label.end()
    regex += re.escape(path[position:])
    if regex != "/" and not regex.endswith("/"):
        regex += "/?"  # S3 accepts `/bucket/` for `/{Bucket}`
    markers: list[tuple[str, str | None]] = []
    for part in filter(None, query.split("&")):
        key, has_value, value = part.partition("=")
        markers.append((key, value if has_value else None))
    required_query: list[str] = []
    required_headers: list[str] = []
    shape = op.input_shape
    if shape is not None:
        for name in shape.required_members:
            member = shape.members[name]
            location = member.serialization.get("location")
            wire = str(member.serialization.get("name", name))
            if location == "querystring":
                required_query.append(wire)
            elif location == "header":
                required_headers.append(wire)
    return RestRoute(
        operation=op.name,
        method=str(op.http.get("method", "POST")).upper(),
        pattern=re.compile(f"^{regex}$", re.DOTALL),
        labels=tuple(labels),
        query_markers=tuple(markers),
        required_query=tuple(required_query),
        required_headers=tuple(required_headers),
        deprecated=bool(op.deprecated),
    )


@cache
def routes_for(service: str) -> tuple[RestRoute, ...]:
    model = service_model(service)
    return tuple(compile_route(model.operation_model(name)) for name in model.operation_names)


@cache
def _routes_by_method(service: str) -> dict[str, tuple[RestRoute, ...]]:
    by_method: dict[str, list[RestRoute]] = {}
    for route in routes_for(service):
        by_method.setdefault(route.method, []).append(route)
    return {method: tuple(routes) for method, routes in by_method.items()}


@lru_cache(maxsize=1024)
def _candidates(service: str, method: str, query_keys: frozenset[str]) -> tuple[RestRoute, ...]:
    """The routes a request with these query keys could match: most S3 GET routes need a query
    marker (`?acl`, `?tagging`, ...) that a plain object GET does not carry."""
    return tuple(
        route
        for route in _routes_by_method(service).get(method, ())
        if all(key in query_keys for key, _ in route.query_markers)
        and all(key in query_keys for key in route.required_query)
    )


@dataclass(frozen=True)
class RouteMatch:
    operation: str
    labels: dict[str, str]


def match_route(service: str, req: WireRequest) -> RouteMatch | None:
    """The most specific route for the request, or None."""
    best: tuple[int, bool, str] | None = None
    best_labels: dict[str, str] = {}
    query = req.query_dict
    for route in _candidates(service, req.method.upper(), frozenset(query)):
        score = route.specificity(req, query)  # cheap, and rules most routes out
        if score is None:
            continue
        labels = route.match_path(req.raw_path)
        if labels is None:
            continue
        rank = (score, not route.deprecated, route.operation)
        if best is None or _outranks(rank, best):
            best, best_labels = rank, labels
    return None if best is None else RouteMatch(operation=best[2], labels=best_labels)


def allowed_methods(service: str, raw_path: str) -> set[str]:
    """The methods some operation accepts on this path (to tell 405 from 400/404)."""
    return {r.method for r in routes_for(service) if r.match_path(raw_path) is not None}


def _outranks(rank: tuple[int, bool, str], best: tuple[int, bool, str]) -> bool:
    if rank[:2] != best[:2]:
        return rank[:2] > best[:2]
    return rank[2] < best[2]  # a stable choice between true aliases (ListBuckets first)
