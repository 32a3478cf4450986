"""Fuzz requests: what a real botocore client sends for generated parameters, then broken.

A case starts from parameters drawn from the operation's input shape (`tests.fuzz.shapes`),
serialized by a real botocore client (parameter validation off, so wrong values reach the wire)
and caught before it is sent. One mutation may then be applied, chosen by hypothesis:

* `valid`   — the request as botocore built it;
* `params`  — one member replaced by a nasty or unparseable value, or dropped;
* `json`    — (json protocols) the decoded body edited: a member of the wrong JSON type, a
  required member removed, an unknown member added, a huge or odd string, an absurd number;
* `body`    — the body replaced: random bytes, cut short, not an object, broken or hostile XML,
  nesting deep enough to overflow a recursive parser;
* `headers` — Content-Type changed, a header dropped, a hostile header added;
* `path`    — junk appended to the path or the query string, or the method changed.

(The last three know nothing of shapes and live in `tests.fuzz.wire_mutations`.)

`FuzzCase.must_fail` marks mutations that no correct server accepts (the wrong JSON type, a
required member missing, a body that is not a JSON object, an unknown `X-Amz-Target`), so the
tests can insist on a 4xx for those rather than only on "not a 500".
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.model import OperationModel, Shape
from hypothesis import strategies as st

from tests.fuzz.nasty import nasty_text, odd_numbers, odd_text, wrong_json_type, wrong_text
from tests.fuzz.shapes import Hints, valid_input
from tests.fuzz.wire_mutations import mutated_body, mutated_headers, mutated_path, short, show
from tests.protocol.oracle import to_wire
from tsukuru.protocol.json_shapes import wire_name
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import WireRequest

KINDS = ("valid", "params", "json", "body", "headers", "path")
REGION = "us-east-1"
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FuzzCase:
    service: str
    operation: str
    request: WireRequest
    how: str  # what was done to the request, for the failure message
    must_fail: bool = False

    def describe(self) -> str:
        req = self.request
        body = req.body[:300]
        return (
            f"{self.service}.{self.operation} [{self.how}] {req.method} {req.raw_path[:200]}"
            f"?{req.query_string[:200]}\nheaders={dict(req.headers)!r}\nbody={body!r}"
        )


class _Caught(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("caught")
        self.request = request


def _catch(request: AWSPreparedRequest, **_: Any) -> None:
    raise _Caught(request)


class Builder:
    """botocore clients (one per service) that build requests and never send them."""

    def __init__(
        self, endpoint_url: str, access_key: str = "AKIDFUZZ", secret_key: str = "fuzz-secret"
    ) -> None:
        self.endpoint_url = endpoint_url
        self._keys = (access_key, secret_key)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            made = botocore.session.get_session().create_client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=REGION,
                aws_access_key_id=self._keys[0],
                aws_secret_access_key=self._keys[1],
                config=Config(
                    parameter_validation=False,
                    retries={"max_attempts": 1},
                    s3={"addressing_style": "path"},
                ),
            )
            made.meta.events.register("before-send", _catch)
            self._clients[service] = made
        return self._clients[service]

    def build(self, service: str, operation: str, params: dict[str, Any]) -> WireRequest | None:
        """The request botocore sends for `operation(**params)`; None if botocore refuses."""
        method = getattr(self.client(service), xform_name(operation))
        try:
            method(**copy.deepcopy(params))
        except _Caught as caught:
            return to_wire(caught.request)
        except Exception:  # botocore could not serialize the broken parameters
            return None
        return None


def fuzz_cases(
    builder: Builder,
    service: str,
    operation: str,
    hints: Hints,
    kinds: tuple[str, ...] = KINDS,
) -> st.SearchStrategy[FuzzCase]:
    """Requests for one operation: valid, or broken in one of `kinds`."""
    model = service_model(service)
    op = model.operation_model(operation)
    usable = tuple(k for k in kinds if k != "json" or model.protocol == "json")
    return _case(builder, service, op, valid_input(op.input_shape, hints), usable)


@st.composite
def _case(
    draw: st.DrawFn,
    builder: Builder,
    service: str,
    op: OperationModel,
    params_strategy: st.SearchStrategy[dict[str, Any]],
    kinds: tuple[str, ...],
) -> FuzzCase:
    params = draw(params_strategy)
    kind = draw(st.sampled_from(kinds))
    how = kind
    request = None
    if kind == "params":
        mutated, how = draw(_mutated_params(op, params))
        request = builder.build(service, op.name, mutated)
        if request is None:
            how = f"{how} (botocore refused it; sent unchanged)"
    if request is None:
        request = builder.build(service, op.name, params)
    if request is None:  # botocore refused even the valid parameters (a rule it adds)
        request = WireRequest(method="POST", raw_path="/", body=b"")
        how = f"{how} (botocore refused; empty POST /)"
    must_fail = False
    if kind == "json":
        request, how, must_fail = draw(_mutated_json(op, request))
    elif kind == "body":
        request, how, must_fail = draw(mutated_body(op, request, service))
    elif kind == "headers":
        request, how, must_fail = draw(mutated_headers(request, service))
    elif kind == "path":
        request, how = draw(mutated_path(request))
    return FuzzCase(service, op.name, request, how, must_fail)


# --------------------------------------------------------------------------- parameters


def param_nodes(shape: Shape, value: Any, path: Path = ()) -> list[tuple[Path, Shape]]:
    """Every (path, shape) inside a parameter value, the value itself first."""
    nodes = [(path, shape)]
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                nodes += param_nodes(shape.members[name], item, (*path, name))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            nodes += param_nodes(shape.member, item, (*path, index))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            nodes += param_nodes(shape.value, item, (*path, key))
    return nodes


def _set(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _drop(document: Any, path: Path) -> None:
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]


@st.composite
def _mutated_params(
    draw: st.DrawFn, op: OperationModel, params: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    if op.input_shape is None:
        return params, "params (no input)"
    nodes = param_nodes(op.input_shape, params)[1:]
    if not nodes:
        return params, "params (nothing to change)"
    path, shape = draw(st.sampled_from(nodes))
    mutated = copy.deepcopy(params)
    if draw(st.booleans()) and shape.type_name in ("structure", "list", "map"):
        _drop(mutated, path)
        return mutated, f"params: dropped {show(path)}"
    value: Any = draw(wrong_text(shape) if shape.type_name != "blob" else st.binary(max_size=64))
    return _set(mutated, path, value), f"params: {show(path)} = {short(value)}"


# --------------------------------------------------------------------------- json bodies


def json_nodes(shape: Shape, value: Any, path: Path = ()) -> list[tuple[Path, Shape, bool]]:
    """(path, shape, required) for every member inside a decoded JSON body of `shape`."""
    nodes: list[tuple[Path, Shape, bool]] = []
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not shape.metadata.get("document"):
        required = set(shape.required_members)
        for name, member in shape.members.items():
            key = wire_name(member, name)
            if key in value:
                nodes.append(((*path, key), member, name in required))
                nodes += json_nodes(member, value[key], (*path, key))
    elif kind == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            nodes.append(((*path, index), shape.member, False))
            nodes += json_nodes(shape.member, item, (*path, index))
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            nodes.append(((*path, key), shape.value, False))
            nodes += json_nodes(shape.value, item, (*path, key))
    return nodes


@st.composite
def _mutated_json(
    draw: st.DrawFn, op: OperationModel, request: WireRequest
) -> tuple[WireRequest, str, bool]:
    try:
        document = json.loads(request.body or b"{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    nodes = json_nodes(op.input_shape, document) if op.input_shape is not None else []
    choice = draw(st.sampled_from(("wrong type", "drop", "extra", "string", "number")))
    must_fail = False
    if choice in ("wrong type", "drop") and nodes:
        path, shape, required = draw(st.sampled_from(nodes))
        wrong = wrong_json_type(shape)
        if choice == "drop" or wrong is None:
            _drop(document, path)
            how, must_fail = f"json: dropped {show(path)}", required
        else:
            value = draw(wrong)
            _set(document, path, value)
            how, must_fail = f"json: {show(path)} = {short(value)} (wrong type)", True
    elif choice == "number" and nodes:
        path, _, _ = draw(st.sampled_from(nodes))
        value = draw(odd_numbers)
        _set(document, path, value)
        how = f"json: {show(path)} = {value!r}"
    elif choice == "string" and nodes:
        path, _, _ = draw(st.sampled_from(nodes))
        value = draw(nasty_text)
        _set(document, path, value)
        how = f"json: {show(path)} = {short(value)}"
    else:
        key = draw(odd_text | st.sampled_from(("Unknown", "__proto__", "")))
        document[key] = draw(nasty_text | odd_numbers | st.just({"a": [1]}))
        how = f"json: extra member {short(key)}"
    escaped = draw(st.booleans())
    text = json.dumps(document, ensure_ascii=escaped)
    # Unescaped lone surrogates become bytes that are not UTF-8 at all, as a buggy client sends.
    body = text.encode("utf-8", "surrogatepass")
    return replace(request, body=body), how, must_fail
