"""Walking a botocore shape over XML, in both directions (S3's rest-xml and the query protocol).

Element names come from the shape: a member's `locationName` (botocore calls it `name`) or its
member name; a list is either wrapped (`<Buckets><Bucket/>…</Buckets>`, the inner name from the
list member's `locationName`, else `member`) or `flattened` (the member element repeated in its
parent, as S3's `<Contents>` and `<Part>`). Namespaces on incoming documents are ignored, as AWS
does; outgoing documents carry the shape's `xmlNamespace`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from botocore.model import Shape

from tsukuru.protocol import values
from tsukuru.protocol.json_shapes import wire_name
from tsukuru.protocol.problems import InputProblems, member_path

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def local_name(tag: str) -> str:
    """`{namespace}Tag` → `Tag`."""
    return tag.rsplit("}", 1)[-1]


def parse_xml_document(body: bytes) -> ET.Element:
    """Parse a request body; raises ValueError for anything that is not one XML document.

    The standard library parser never fetches external entities, and the bundled expat limits
    entity expansion, so a hostile body cannot make the server read files or explode in memory.
    """
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise ValueError("document type declarations are not accepted")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise ValueError(str(exc)) from exc


# --------------------------------------------------------------------------- XML → params


def params_from_xml(
    shape: Shape,
    element: ET.Element,
    problems: InputProblems,
    path: str = "",
    timestamp_format: str = values.ISO8601,
) -> Any:
    """Convert an element (whose tag was already matched by the caller) to `shape`'s value."""
    type_name = shape.type_name
    if type_name == "structure":
        return _structure_from_xml(shape, element, problems, path, timestamp_format)
    if type_name == "list":
        item_name = wire_name(shape.member, "member")
        items = [child for child in element if local_name(child.tag) == item_name]
        return _list_items(shape, items, problems, path, timestamp_format)
    if type_name == "map":
        entries = [child for child in element if local_name(child.tag) == "entry"]
        return _map_entries(shape, entries, problems, path, timestamp_format)
    text = element.text or ""
    fmt = str(shape.serialization.get("timestampFormat") or timestamp_format)
    try:
        return values.parse_scalar_text(type_name, text, fmt)
    except ValueError:
        problems.wrong(path, text, f"a valid {type_name}")
        return None


def _structure_from_xml(
    shape: Shape, element: ET.Element, problems: InputProblems, path: str, timestamp_format: str
) -> dict[str, Any]:
    children: dict[str, list[ET.Element]] = {}
    for child in element:
        children.setdefault(local_name(child.tag), []).append(child)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        xml_name = wire_name(member, name)
        child_path = member_path(path, name)
        if member.serialization.get("xmlAttribute"):
            raw = _attribute(element, xml_name)
            if raw is not None:
                params[name] = raw
            continue
        found = children.get(xml_name, [])
        if not found:
            continue
        if member.type_name == "list" and member.serialization.get("flattened"):
            params[name] = _list_items(member, found, problems, child_path, timestamp_format)
        elif member.type_name == "map" and member.serialization.get("flattened"):
            params[name] = _map_entries(member, found, problems, child_path, timestamp_format)
        else:
            value = params_from_xml(member, found[0], problems, child_path, timestamp_format)
            if value is not None:
                params[name] = value
    for name in shape.required_members:
        member = shape.members[name]
        if name not in params and member.serialization.get("location") is None:
            problems.missing(member_path(path, name))
    return params


def _attribute(element: ET.Element, xml_name: str) -> str | None:
    if ":" in xml_name:
        prefix, attr = xml_name.split(":", 1)
        if prefix == "xsi":
            return element.get(f"{{{XSI_NAMESPACE}}}{attr}", element.get(xml_name))
    return element.get(xml_name)


def _list_items(
    shape: Shape,
    items: list[ET.Element],
    problems: InputProblems,
    path: str,
    timestamp_format: str,
) -> list[Any]:
    converted = [
        params_from_xml(shape.member, item, problems, f"{path}.member", timestamp_format)
        for item in items
    ]
    return [item for item in converted if item is not None]


def _map_entries(
    shape: Shape,
    entries: list[ET.Element],
    problems: InputProblems,
    path: str,
    timestamp_format: str,
) -> dict[str, Any]:
    key_name = wire_name(shape.key, "key")
    value_name = wire_name(shape.value, "value")
    result: dict[str, Any] = {}
    for entry in entries:
        key_el = next((c for c in entry if local_name(c.tag) == key_name), None)
        value_el = next((c for c in entry if local_name(c.tag) == value_name), None)
        if key_el is None or value_el is None:
            problems.wrong(path, "entry", f"an entry with <{key_name}> and <{value_name}>")
            continue
        value = params_from_xml(shape.value, value_el, problems, path, timestamp_format)
        if value is not None:
            result[key_el.text or ""] = value
    return result


# --------------------------------------------------------------------------- params → XML


def namespace_attributes(shape: Shape) -> dict[str, str]:
    """`xmlns` / `xmlns:prefix` attributes for a shape carrying the `xmlNamespace` trait."""
    namespace = shape.serialization.get("xmlNamespace")
    if not namespace:
        return {}
    uri = namespace if isinstance(namespace, str) else namespace.get("uri", "")
    prefix = None if isinstance(namespace, str) else namespace.get("prefix")
    return {f"xmlns:{prefix}" if prefix else "xmlns": uri}


def params_to_xml(
    parent: ET.Element,
    shape: Shape,
    value: Any,
    name: str,
    timestamp_format: str = values.ISO8601,
) -> None:
    """Append `value` of `shape` to `parent` as element(s) named `name`."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        for item in value:
            params_to_xml(parent, shape.member, item, name, timestamp_format)
        return
    if shape.type_name == "map" and shape.serialization.get("flattened"):
        for key, item in value.items():
            _map_entry(ET.SubElement(parent, name), shape, key, item, timestamp_format)
        return
    element = ET.SubElement(parent, name, namespace_attributes(shape))
    fill_element(element, shape, value, timestamp_format)


def fill_element(element: ET.Element, shape: Shape, value: Any, timestamp_format: str) -> None:
    """Write `value` of `shape` as the content (children or text) of an existing element."""
    type_name = shape.type_name
    if type_name == "structure":
        if not isinstance(value, Mapping):
            raise TypeError(f"{shape.name} must be a mapping, got {type(value).__name__}")
        for member_name, member in shape.members.items():
            item = value.get(member_name)
            if item is None or member.serialization.get("location") is not None:
                continue
            xml_name = wire_name(member, member_name)
            if member.serialization.get("xmlAttribute"):
                if xml_name.startswith("xsi:"):
                    element.set("xmlns:xsi", XSI_NAMESPACE)
                element.set(xml_name, str(item))
            else:
                params_to_xml(element, member, item, xml_name, timestamp_format)
    elif type_name == "list":
        item_name = wire_name(shape.member, "member")
        for item in value:
            params_to_xml(element, shape.member, item, item_name, timestamp_format)
    elif type_name == "map":
        for key, item in value.items():
            _map_entry(ET.SubElement(element, "entry"), shape, key, item, timestamp_format)
    else:
        fmt = str(shape.serialization.get("timestampFormat") or timestamp_format)
        element.text = values.scalar_text(type_name, value, fmt)


def _map_entry(entry: ET.Element, shape: Shape, key: Any, item: Any, timestamp_format: str) -> None:
    ET.SubElement(entry, wire_name(shape.key, "key")).text = str(key)
    params_to_xml(entry, shape.value, item, wire_name(shape.value, "value"), timestamp_format)


# Characters XML 1.0 cannot carry at all, not even as `&#...;` references (control characters,
# lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_document(root: ET.Element) -> bytes:
    """The XML document, always well-formed: a character XML 1.0 cannot carry (a NUL in an
    echoed prefix or key) becomes U+FFFD, so every XML parser, botocore's included, can read the
    response. Clients that need such keys exactly ask for `EncodingType=url`, as botocore does."""
    text = _NOT_XML.sub("\ufffd", ET.tostring(root, encoding="unicode"))
    return XML_DECLARATION + text.encode("utf-8")
