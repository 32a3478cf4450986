"""Predictions as model servers write them, read back into numbers.

Every built-in XGBoost image answers in its own way (reference/xgboost-container.md): the legacy
image joins all predictions with commas on one line, newer ones write one per line (a softprob
record as a comma row), JSON answers `{"predictions": [{"score": ...}]}`, selectable inference
output adds `predicted_label`/`probabilities` keys, and batch transform writes one record per
line (a softprob record as `[0.1, 0.2, 0.7]`), possibly joined after the input row. The number
of rows we sent is known, and that is what settles the ambiguous cases: one line of k numbers is
k scalar predictions when we sent k rows, but one probability vector when we sent one.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

import numpy as np

from tsukuru.evaluation.metrics import FloatArray

_BRACKETED = re.compile(r"\[([^\[\]]*)\]")
# Keys of a JSON prediction record, most useful first: a class-probability vector beats the
# single "probability" of the top class; a label is the last resort.
_RECORD_KEYS = (
    "probabilities",
    "score",
    "probability",
    "predicted_score",
    "predicted_label",
    "label",
    "prediction",
)
_JOINED_OUTPUT = "SageMakerOutput"
_COMPARED_ROWS = 50


class ResponseFormatError(ValueError):
    """The bytes do not hold one prediction per row sent; the message quotes the start."""


def _excerpt(text: str) -> str:
    return repr(text[:120] + ("..." if len(text) > 120 else ""))


def _number(token: str) -> float:
    return float(token.strip().strip('"').strip("'"))


def _vector(text: str) -> list[float]:
    return [_number(token) for token in text.split(",") if token.strip()]


def _stack(records: list[float | list[float]], expected_rows: int, text: str) -> FloatArray:
    if len(records) != expected_rows:
        raise ResponseFormatError(
            f"expected {expected_rows} predictions but found {len(records)} in {_excerpt(text)}"
        )
    if all(isinstance(record, float) for record in records):
        return np.asarray(records, dtype=np.float64)
    widths = {len(record) if isinstance(record, list) else 1 for record in records}
    if len(widths) != 1:
        raise ResponseFormatError(
            f"predictions have different widths {sorted(widths)} in {_excerpt(text)}"
        )
    rows = [record if isinstance(record, list) else [record] for record in records]
    return np.asarray(rows, dtype=np.float64)


def record_value(record: Any) -> float | list[float]:
    """One JSON prediction record (a number, a list or an object) → a number or a vector."""
    if isinstance(record, bool):
        return float(record)
    if isinstance(record, int | float):
        return float(record)
    if isinstance(record, str):
        return _number(record)
    if isinstance(record, list):
        if len(record) == 1:
            return record_value(record[0])
        return [float(value) for value in record]
    if isinstance(record, dict):
        if isinstance(record.get("predictions"), list) and len(record["predictions"]) == 1:
            return record_value(record["predictions"][0])
        for key in _RECORD_KEYS:
            if key in record:
                return record_value(record[key])
        raise ResponseFormatError(
            f"a prediction record has none of the keys {', '.join(_RECORD_KEYS)}: {record}"
        )
    raise ResponseFormatError(f"cannot read a prediction from {record!r}")


def _from_json(document: Any, expected_rows: int, text: str) -> FloatArray:
    if isinstance(document, dict) and _JOINED_OUTPUT in document:
        records: list[Any] = [document[_JOINED_OUTPUT]]
    elif isinstance(document, dict) and isinstance(document.get("predictions"), list):
        records = document["predictions"]
    elif isinstance(document, dict):
        records = [document]
    elif isinstance(document, list):
        flat = all(isinstance(v, int | float) and not isinstance(v, bool) for v in document)
        one_vector = flat and expected_rows == 1 and len(document) > 1
        records = [document] if one_vector else document
    else:
        records = [document]
    return _stack([record_value(record) for record in records], expected_rows, text)


def _json_documents(text: str) -> list[Any] | None:
    """The response as one JSON document or as JSON lines; None when it is neither."""
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError:
        return None


def _from_text(text: str, expected_rows: int) -> FloatArray:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        if "[" in text:  # batch-transform softprob rows, or a legacy comma-joined softprob
            vectors = [_vector(body) for body in _BRACKETED.findall(text)]
            if len(vectors) == expected_rows:
                return _stack(list(vectors), expected_rows, text)
        if len(lines) == expected_rows:
            rows = [_vector(line) for line in lines]
            return _stack([row[0] if len(row) == 1 else row for row in rows], expected_rows, text)
        if len(lines) == 1:  # the legacy image: every prediction on one comma-joined line
            return _stack(list(_vector(lines[0])), expected_rows, text)
    except ValueError as exc:
        if isinstance(exc, ResponseFormatError):
            raise
        raise ResponseFormatError(f"not a number in {_excerpt(text)}: {exc}") from None
    raise ResponseFormatError(
        f"expected {expected_rows} predictions but the answer has {len(lines)} lines: "
        f"{_excerpt(text)}"
    )


def parse_predictions(
    body: bytes | str, expected_rows: int, content_type: str | None = None
) -> FloatArray:
    """An answer for `expected_rows` records → (rows,) scores/labels or (rows, k) vectors."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        if expected_rows == 0:
            return np.empty(0)
        raise ResponseFormatError(f"expected {expected_rows} predictions, got an empty answer")
    media = (content_type or "").split(";")[0].strip().lower()
    if "json" in media or text[0] in "{[":
        documents = _json_documents(text)
        if documents is not None and len(documents) == 1:
            return _from_json(documents[0], expected_rows, text)
        if documents is not None:
            return _stack([record_value(doc) for doc in documents], expected_rows, text)
    return _from_text(text, expected_rows)


def _input_fields(line: str) -> tuple[list[str], bool]:
    """The CSV fields before a bracketed prediction (or all fields), and whether one follows."""
    if "[" in line:
        head = line.split("[", 1)[0].rstrip().rstrip(",")
        return (next(csv.reader([head])) if head else []), True
    return next(csv.reader([line])), False


def _joined_prefix_width(lines: list[str], labels: FloatArray, features: FloatArray) -> int | None:
    """How many leading fields of each line repeat the input.

    Tried in turn: the features (input filtered to the features, then joined), the label and
    the features (the whole input joined), the label alone (an OutputFilter like `$[0,-1]`).
    """
    sample = min(_COMPARED_ROWS, len(lines))
    heads = [_input_fields(line) for line in lines[:sample]]
    columns = int(features.shape[1])
    for with_label, with_features in ((False, True), (True, True), (True, False)):
        width = columns * int(with_features) + int(with_label)
        if any(len(fields) < width + (0 if bracketed else 1) for fields, bracketed in heads):
            continue
        try:
            leading = np.array(
                [[_number(v) if v.strip() else np.nan for v in f[:width]] for f, _ in heads]
            )
        except ValueError:
            continue
        parts = ([labels[:sample]] if with_label else []) + (
            [features[:sample]] if with_features else []
        )
        expected = np.column_stack(parts)
        if np.allclose(leading, expected, rtol=1e-6, atol=1e-9, equal_nan=True):
            return width
    return None


def _joined_output(line: str, prefix: int) -> float | list[float]:
    if "[" in line:
        return _vector(_BRACKETED.findall(line)[-1])
    fields = next(csv.reader([line]))[prefix:]
    return _number(fields[0]) if len(fields) == 1 else [_number(f) for f in fields]


def parse_batch_output(
    content: bytes | str,
    labels: FloatArray,
    features: FloatArray,
    *,
    column: int | None = None,
) -> FloatArray:
    """A batch-transform output (`<input>.out`, one record per line) for the labelled rows.

    With `column`, that CSV field of each line is the prediction. Otherwise lines joined with
    their input (JoinSource=Input: the input fields, then the prediction) are recognised by
    comparing the leading fields with the labelled data, and JSON lines with a
    `SageMakerOutput` key by that key; anything else is read like an endpoint's answer.
    """
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    expected = len(labels)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if column is not None:
        picked: list[float | list[float]] = []
        for number, line in enumerate(lines, start=1):
            fields = next(csv.reader([line]))
            try:
                field = fields[column]
                picked.append(record_value(json.loads(field)) if "[" in field else _number(field))
            except (IndexError, ValueError) as exc:
                raise ResponseFormatError(
                    f"line {number} has no number in column {column}: {_excerpt(line)} ({exc})"
                ) from None
        return _stack(picked, expected, text)
    if lines and lines[0].startswith("{") and _JOINED_OUTPUT in lines[0]:
        return _stack(
            [record_value(json.loads(line)[_JOINED_OUTPUT]) for line in lines], expected, text
        )
    if len(lines) == expected:
        prefix = _joined_prefix_width(lines, labels, features)
        if prefix is not None:
            return _stack([_joined_output(line, prefix) for line in lines], expected, text)
    return parse_predictions(text, expected)
