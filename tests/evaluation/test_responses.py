"""Reading predictions back from every answer format the model server writes.

The answers are produced by the platform's own XGBoost response encoder, image version by
image version, so a change on the serving side that the evaluation cannot read fails here.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tsukuru.evaluation.responses import (
    ResponseFormatError,
    parse_batch_output,
    parse_predictions,
)
from tsukuru.runtime.algorithms.xgboost_serving_encode import ResponseEncoder, selected_keys

RNG = np.random.default_rng(8)
BINARY = RNG.random(7).astype(np.float32)
SOFTPROB = RNG.dirichlet(np.ones(3), 7).astype(np.float32)
SOFTMAX = np.array([0, 2, 1, 1, 0, 2, 2], dtype=np.float32)


def _encoder(objective: str, **overrides: Any) -> ResponseEncoder:
    settings: dict[str, Any] = {
        "comma_joined": False,
        "selection": None,
        "objective": objective,
        "num_class": 3 if objective.startswith("multi") else 0,
        "batch": False,
        "default_accept": "text/csv",
    }
    settings.update(overrides)
    return ResponseEncoder(**settings)


SETTINGS = {
    "legacy comma-joined": {"comma_joined": True},
    "per-line csv": {},
    "batch transform": {"batch": True},
    "legacy batch": {"comma_joined": True, "batch": True},
}


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize(
    ("objective", "predictions"),
    [("binary:logistic", BINARY), ("multi:softprob", SOFTPROB), ("multi:softmax", SOFTMAX)],
)
@pytest.mark.parametrize("rows", [7, 1])
def test_csv_answers_read_back(setting: str, objective: str, predictions: Any, rows: int) -> None:
    sent = predictions[:rows]
    body, media = _encoder(objective, **SETTINGS[setting]).encode(sent, "text/csv")
    parsed = parse_predictions(body, rows, media)
    assert parsed.shape == sent.shape
    np.testing.assert_allclose(parsed, sent.astype(np.float64), rtol=1e-7)


@pytest.mark.parametrize("accept", ["application/json", "application/jsonlines"])
@pytest.mark.parametrize(
    ("objective", "predictions"),
    [("binary:logistic", BINARY), ("multi:softprob", SOFTPROB), ("reg:squarederror", BINARY)],
)
@pytest.mark.parametrize("rows", [7, 1])
def test_json_answers_read_back(accept: str, objective: str, predictions: Any, rows: int) -> None:
    sent = predictions[:rows]
    body, media = _encoder(objective).encode(sent, accept)
    parsed = parse_predictions(body, rows, media)
    assert parsed.shape == sent.shape
    np.testing.assert_allclose(parsed, sent.astype(np.float64), rtol=1e-7)


@pytest.mark.parametrize("accept", ["application/json", "application/jsonlines", "text/csv"])
def test_selectable_output_gives_the_probability_vectors(accept: str) -> None:
    selection = selected_keys("predicted_label,probabilities")
    body, media = _encoder("multi:softprob", selection=selection).encode(SOFTPROB, accept)
    parsed = parse_predictions(body, len(SOFTPROB), media)
    np.testing.assert_allclose(parsed, SOFTPROB.astype(np.float64), rtol=1e-7)


@pytest.mark.parametrize("accept", ["application/json", "application/jsonlines"])
def test_selectable_binary_output_prefers_the_probability(accept: str) -> None:
    selection = selected_keys("predicted_label, probability")
    body, media = _encoder("binary:logistic", selection=selection).encode(BINARY, accept)
    np.testing.assert_allclose(parse_predictions(body, 7, media), BINARY, rtol=1e-7)
    both = selected_keys("predicted_label,probabilities")
    body, media = _encoder("binary:logistic", selection=both).encode(BINARY, accept)
    parsed = parse_predictions(body, 7, media)
    np.testing.assert_allclose(parsed[:, 1], BINARY, rtol=1e-7)  # [1 - p, p] rows


def test_the_tutorials_legacy_answer_is_split_by_the_row_count() -> None:
    assert parse_predictions(b"0.1,0.2,0.9", 3).tolist() == [0.1, 0.2, 0.9]
    assert parse_predictions(b"0.1,0.2,0.9", 1).tolist() == [[0.1, 0.2, 0.9]]
    assert parse_predictions("0.25\r\n0.5\r\n", 2).tolist() == [0.25, 0.5]


@pytest.mark.parametrize(
    ("body", "rows", "message"),
    [
        (b"0.1\n0.2\n", 3, "expected 3 predictions"),
        (b"", 2, "empty answer"),
        (b"0.1\nabc\n", 2, "not a number"),
        (b'{"predictions": [{"verdict": 1}]}', 1, "none of the keys"),
        (b"0.1,0.2\n0.3\n", 2, "different widths"),
    ],
)
def test_unreadable_answers_say_why(body: bytes, rows: int, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        parse_predictions(body, rows)


LABELS = np.array([1.0, 0.0, 1.0, 0.0])
FEATURES = np.array([[1.5, 2.0, np.nan], [0.0, -3.25, 4.0], [7.0, 8.0, 9.0], [1.0, 1.0, 1.0]])
SCORES = [0.9, 0.125, 0.75, 0.5]


def _input_line(row: Any, label: float | None = None) -> str:
    fields = ["" if np.isnan(v) else repr(float(v)) for v in row]
    return ",".join(([repr(float(label))] if label is not None else []) + fields)


def test_batch_output_one_prediction_per_line() -> None:
    content = "".join(f"{s}\n" for s in SCORES)
    assert parse_batch_output(content, LABELS, FEATURES).tolist() == SCORES


@pytest.mark.parametrize("with_label", [False, True])
def test_batch_output_joined_with_its_input(with_label: bool) -> None:
    lines = [
        f"{_input_line(row, label if with_label else None)},{score}"
        for row, label, score in zip(FEATURES, LABELS, SCORES, strict=True)
    ]
    assert parse_batch_output("\n".join(lines), LABELS, FEATURES).tolist() == SCORES


def test_batch_output_filtered_to_label_and_prediction() -> None:
    """OutputFilter `$[0,-1]` on a whole-input join leaves `label,prediction` lines."""
    lines = [f"{int(label)},{score}" for label, score in zip(LABELS, SCORES, strict=True)]
    assert parse_batch_output("\n".join(lines), LABELS, FEATURES).tolist() == SCORES


def test_batch_output_of_softprob_joined_with_its_input() -> None:
    vectors = [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25], [0.0, 1.0, 0.0], [0.3, 0.3, 0.4]]
    lines = [f"{_input_line(row)},{vector}" for row, vector in zip(FEATURES, vectors, strict=True)]
    assert parse_batch_output("\n".join(lines), LABELS, FEATURES).tolist() == vectors


def test_batch_output_joined_as_json_lines() -> None:
    lines = [
        json.dumps({"features": list(map(float, np.nan_to_num(row))), "SageMakerOutput": out})
        for row, out in zip(FEATURES, [{"score": s} for s in SCORES], strict=True)
    ]
    assert parse_batch_output("\n".join(lines), LABELS, FEATURES).tolist() == SCORES


def test_batch_output_with_an_explicit_column() -> None:
    content = "\n".join(f"id-{i},{s},extra" for i, s in enumerate(SCORES))
    assert parse_batch_output(content, LABELS, FEATURES, column=1).tolist() == SCORES
    with pytest.raises(ResponseFormatError, match="line 1 has no number in column 0"):
        parse_batch_output(content, LABELS, FEATURES, column=0)
