"""The JSONPath subset batch transform's InputFilter and OutputFilter are written in.

SageMaker documents `$`, `.name`, `['a','b']`, `[i]`, `[i,j]`, `[start:end]`, negative indexes
and `*`, where a step that selects several elements ends the path. A CSV record is an array of
its fields (strings), a JSON record is whatever the line holds. Selecting several keys of an
object keeps an object of those keys (`$['id','SageMakerOutput']` → `{"id": ..., ...}`); several
indexes of an array give an array. A path that does not fit the record raises FilterError with
what did not fit, which fails the job naming the file and the line.

For CSV, `columns(width)` turns a path into column indexes once per mini-batch, so a filter is
one column selection over the whole mini-batch instead of a Python step per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = r"[A-Za-z_$][A-Za-z0-9_$\-]*"
_SLICE = r"-?\d*\s*:\s*-?\d*"
_INDEX = r"-?\d+"
_QUOTED = r"'[^']*'|\"[^\"]*\""
_ITEM = rf"(?:{_SLICE}|{_INDEX}|{_QUOTED}|\*)"
_STEP = re.compile(rf"\.(?P<dot>{_NAME}|\*)|\.?\[\s*(?P<items>{_ITEM}(?:\s*,\s*{_ITEM})*)\s*\]")
_ITEM_SPLIT = re.compile(rf"\s*({_ITEM})\s*(?:,|$)")


class FilterError(Exception):
    """A filter cannot be applied to a record; the message says why."""


Selector = int | slice | str  # an index, a slice of indexes, or a key


@dataclass(frozen=True)
class Step:
    selectors: tuple[Selector, ...]  # empty: the wildcard
    several: bool  # selects several elements (a list or an object), not one

    @property
    def wildcard(self) -> bool:
        return not self.selectors


@dataclass(frozen=True)
class JsonPath:
    text: str
    steps: tuple[Step, ...]

    @property
    def is_root(self) -> bool:
        return not self.steps

    def apply(self, value: Any) -> Any:
        for step in self.steps:
            value = _apply_step(step, value, self.text)
        return value

    def columns(self, width: int) -> list[int] | int:
        """The columns of a `width`-field CSV record this path selects: a list (an array of
        fields) or one index (a single field)."""
        if not self.steps:
            return list(range(width))
        if len(self.steps) > 1:
            raise FilterError(
                f"{self.text} goes deeper than one level, but a CSV record is a flat array of "
                "fields"
            )
        step = self.steps[0]
        if step.wildcard:
            return list(range(width))
        if any(isinstance(s, str) for s in step.selectors):
            raise FilterError(
                f"{self.text} selects keys, but a CSV record is an array of fields: use indexes "
                "such as $[1:] or $[0,-1]"
            )
        picked = _pick_indexes(step.selectors, width, self.text, "fields")
        return picked if step.several else picked[0]


def parse_jsonpath(text: str) -> JsonPath:
    """Parse a filter; ValueError saying what is wrong when it is outside the subset."""
    source = text.strip()
    if not source.startswith("$"):
        raise ValueError(f"{text!r} must start with $ (the record)")
    steps: list[Step] = []
    position = 1
    while position < len(source):
        match = _STEP.match(source, position)
        if match is None:
            raise ValueError(f"cannot read {text!r} from position {position}")
        if steps and steps[-1].several:
            raise ValueError(f"in {text!r} a step that selects several elements must be last")
        steps.append(_step(match))
        position = match.end()
    return JsonPath(source, tuple(steps))


def _step(match: re.Match[str]) -> Step:
    dot = match.group("dot")
    if dot is not None:
        return Step((), True) if dot == "*" else Step((dot,), False)
    items = [m.group(1) for m in _ITEM_SPLIT.finditer(match.group("items"))]
    if items == ["*"]:
        return Step((), True)
    selectors: list[Selector] = []
    for item in items:
        if item[0] in "'\"":
            selectors.append(item[1:-1])
        elif ":" in item:
            start, _, end = (part.strip() for part in item.partition(":"))
            selectors.append(slice(int(start) if start else None, int(end) if end else None))
        elif item == "*":
            raise ValueError("* cannot be combined with other selectors in one bracket")
        else:
            selectors.append(int(item))
    kinds = {isinstance(s, str) for s in selectors}
    if len(kinds) > 1:
        raise ValueError("names and indexes cannot be mixed in one bracket")
    several = len(selectors) > 1 or isinstance(selectors[0], slice)
    return Step(tuple(selectors), several)


def _pick_indexes(selectors: tuple[Selector, ...], size: int, text: str, noun: str) -> list[int]:
    picked: list[int] = []
    for selector in selectors:
        if isinstance(selector, slice):
            picked.extend(range(size)[selector])
        elif isinstance(selector, int):
            index = selector + size if selector < 0 else selector
            if not 0 <= index < size:
                raise FilterError(
                    f"{text} selects index {selector}, but the record has {size} {noun}"
                )
            picked.append(index)
    return picked


def _apply_step(step: Step, value: Any, text: str) -> Any:
    if step.wildcard:
        if isinstance(value, dict):
            return list(value.values())
        if isinstance(value, list):
            return list(value)
        raise FilterError(f"{text} uses * on a {_kind(value)}")
    if isinstance(step.selectors[0], str):
        if not isinstance(value, dict):
            raise FilterError(f"{text} selects a key of a {_kind(value)}, not of an object")
        missing = [key for key in step.selectors if key not in value]
        if missing:
            raise FilterError(f"{text} selects the key {missing[0]!r}, which the record lacks")
        if step.several:
            return {key: value[key] for key in step.selectors if isinstance(key, str)}
        return value[step.selectors[0]]
    if not isinstance(value, list):
        raise FilterError(f"{text} selects an index of a {_kind(value)}, not of an array")
    picked = _pick_indexes(step.selectors, len(value), text, "elements")
    if step.several:
        return [value[i] for i in picked]
    return value[picked[0]]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number" if isinstance(value, int | float) else type(value).__name__
