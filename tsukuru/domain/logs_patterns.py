"""CloudWatch Logs filter patterns for unstructured text: which messages a pattern matches.

FilterLogEvents takes a `filterPattern` in CloudWatch's own little language. The forms people
use on plain job output are served here, with CloudWatch's meaning:

- empty (or only spaces): every event;
- `ERROR Exception`: every term must appear (case-sensitive substring);
- `"Failed to start"`: a quoted phrase is one term (`\\"` and `\\\\` escape inside quotes);
- `?ERROR ?WARN`: at least one of the `?` terms must appear;
- `ERROR -Retrying`: a `-` term must not appear;
- `%ERROR|WARN%`: a regular expression between percent signs.

JSON (`{ $.level = "error" }`) and space-delimited (`[ip, user, ...]`) patterns select fields
of structured events; they are refused with a clear InvalidParameterException rather than
silently matching the wrong events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tsukuru.domain.errors import Invalid

_CODE = "InvalidParameterException"


@dataclass(frozen=True)
class FilterPattern:
    """A compiled pattern: call `matches(message)`."""

    required: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None

    def matches(self, message: str) -> bool:
        if self.regex is not None:
            return self.regex.search(message) is not None
        return (
            all(term in message for term in self.required)
            and not any(term in message for term in self.excluded)
            and (not self.any_of or any(term in message for term in self.any_of))
        )

    @property
    def matches_everything(self) -> bool:
        return self.regex is None and not (self.required or self.any_of or self.excluded)


def compile_pattern(pattern: str | None) -> FilterPattern:
    """Parse a CloudWatch filter pattern; Invalid for malformed or unsupported ones."""
    text = (pattern or "").strip()
    if not text:
        return FilterPattern()
    if text.startswith("{"):
        raise Invalid(
            "JSON filter patterns ({ $.field ... }) are not supported by tsukuru; use terms, "
            '"quoted phrases", ?optional terms, -excluded terms or a %regular expression%',
            code=_CODE,
        )
    if text.startswith("["):
        raise Invalid(
            "Space-delimited filter patterns ([field, ...]) are not supported by tsukuru; use "
            'terms, "quoted phrases", ?optional terms, -excluded terms or a %regular '
            "expression%",
            code=_CODE,
        )
    if len(text) >= 2 and text.startswith("%") and text.endswith("%"):
        return FilterPattern(regex=_compile_regex(text[1:-1]))
    required: list[str] = []
    any_of: list[str] = []
    excluded: list[str] = []
    for marker, term in _terms(text):
        {"": required, "?": any_of, "-": excluded}[marker].append(term)
    return FilterPattern(tuple(required), tuple(any_of), tuple(excluded))


def _compile_regex(body: str) -> re.Pattern[str]:
    if not body:
        raise Invalid("Invalid filter pattern: the regular expression is empty", code=_CODE)
    try:
        return re.compile(body)
    except re.error as exc:
        raise Invalid(f"Invalid regular expression in filter pattern: {exc}", code=_CODE) from None


def _terms(text: str) -> list[tuple[str, str]]:
    """Split into (marker, term) pairs, the marker being '', '?' or '-'."""
    terms: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        marker = ""
        if text[index] in "?-":
            marker = text[index]
            index += 1
        if index < len(text) and text[index] == '"':
            term, index = _quoted(text, index + 1)
        else:
            end = index
            while end < len(text) and not text[end].isspace() and text[end] != '"':
                end += 1
            term, index = text[index:end], end
        if not term:
            problem = f"'{marker}' must be followed by a term" if marker else "empty phrase"
            raise Invalid(f"Invalid filter pattern {text!r}: {problem}", code=_CODE)
        terms.append((marker, term))
    return terms


def _quoted(text: str, index: int) -> tuple[str, int]:
    """The phrase starting after an opening quote, and the index after its closing quote."""
    chars: list[str] = []
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise Invalid(f"Invalid filter pattern {text!r}: unterminated quoted phrase", code=_CODE)
