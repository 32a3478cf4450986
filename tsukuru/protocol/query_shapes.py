"""Reading the query protocol's flattened form parameters back into nested parameters.

STS and IAM requests are `Action=GetRole&Version=2010-05-08&RoleName=r` forms in which nesting
is spelled in the keys: `Tags.member.1.Key`, `Attributes.entry.1.key`, or `Tags.1.Key` for a
flattened list. An empty list is sent as a bare `Tags=`. This module walks the input shape and
picks up exactly the keys it defines.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

from tsukuru.protocol import values
from tsukuru.protocol.json_shapes import wire_name
from tsukuru.protocol.problems import InputProblems, member_path


def params_from_form(shape: Shape, form: dict[str, str], problems: InputProblems) -> dict[str, Any]:
    """The parameters of the input structure `shape` found in the decoded form `form`."""
    result = _structure(shape, form, "", problems, "")
    return result if result is not None else {}


def _value(shape: Shape, form: dict[str, str], key: str, problems: InputProblems, path: str) -> Any:
    type_name = shape.type_name
    if type_name == "structure":
        return _structure(shape, form, key, problems, path)
    if type_name == "list":
        return _list(shape, form, key, problems, path)
    if type_name == "map":
        return _map(shape, form, key, problems, path)
    if key not in form:
        return None
    fmt = str(shape.serialization.get("timestampFormat") or values.ISO8601)
    try:
        return values.parse_scalar_text(type_name, form[key], fmt)
    except ValueError:
        problems.wrong(path, form[key], f"a valid {type_name}")
        return None


def _structure(
    shape: Shape, form: dict[str, str], prefix: str, problems: InputProblems, path: str
) -> dict[str, Any] | None:
    if prefix and not _has_prefix(form, prefix):
        return None
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = wire_name(member, name)
        full = f"{prefix}.{key}" if prefix else key
        value = _value(member, form, full, problems, member_path(path, name))
        if value is not None:
            params[name] = value
    for name in shape.required_members:
        if name in params:
            continue
        if shape.members[name].type_name == "structure":
            # an empty structure leaves no key in a form, so absent and empty look the same
            params[name] = {}
        else:
            problems.missing(member_path(path, name))
    return params


def _list(
    shape: Shape, form: dict[str, str], prefix: str, problems: InputProblems, path: str
) -> list[Any] | None:
    if form.get(prefix) == "":
        return []
    if shape.serialization.get("flattened"):
        named = shape.member.serialization.get("name")
        base = ".".join([*prefix.split(".")[:-1], str(named)]) if named else prefix
    else:
        base = f"{prefix}.{wire_name(shape.member, 'member')}"
    items: list[Any] = []
    index = 1
    while True:
        item_key = f"{base}.{index}"
        if item_key not in form and not _has_prefix(form, item_key):
            break
        item = _value(shape.member, form, item_key, problems, f"{path}.member")
        if item is not None:
            items.append(item)
        index += 1
    return items if items or index > 1 else None


def _map(
    shape: Shape, form: dict[str, str], prefix: str, problems: InputProblems, path: str
) -> dict[str, Any] | None:
    base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
    key_name = wire_name(shape.key, "key")
    value_name = wire_name(shape.value, "value")
    result: dict[str, Any] = {}
    index = 1
    while f"{base}.{index}.{key_name}" in form:
        entry = f"{base}.{index}"
        item = _value(shape.value, form, f"{entry}.{value_name}", problems, path)
        if item is not None:
            result[form[f"{entry}.{key_name}"]] = item
        index += 1
    return result if index > 1 else None


def _has_prefix(form: dict[str, str], prefix: str) -> bool:
    dotted = prefix + "."
    return any(key.startswith(dotted) for key in form)
