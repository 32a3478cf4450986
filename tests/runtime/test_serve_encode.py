"""Response encoding of the XGBoost model server, per image version and selectable output."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tsukuru.runtime.algorithms.xgboost_serving_encode import (
    ResponseEncoder,
    resolve_accept,
    selected_keys,
)
from tsukuru.runtime.serve import InvocationError

BINARY = np.array([0.25, 0.875], dtype=np.float32)
SOFTPROB = np.array([[0.5, 0.25, 0.25], [0.125, 0.125, 0.75]], dtype=np.float32)


def encoder(**overrides: Any) -> ResponseEncoder:
    settings: dict[str, Any] = {
        "comma_joined": False,
        "selection": None,
        "objective": "binary:logistic",
        "num_class": 0,
        "batch": False,
        "default_accept": "text/csv",
    }
    settings.update(overrides)
    return ResponseEncoder(**settings)


def test_legacy_csv_is_one_comma_joined_line_whatever_the_accept() -> None:
    legacy = encoder(comma_joined=True)
    for accept in (None, "*/*", "application/json", "text/plain"):
        assert legacy.encode(BINARY, accept) == (b"0.25,0.875", "text/csv; charset=utf-8")
    assert legacy.encode(SOFTPROB, None)[0] == b"[0.5, 0.25, 0.25],[0.125, 0.125, 0.75]"


def test_newer_images_answer_per_accept() -> None:
    newer = encoder()
    assert newer.encode(BINARY, None) == (b"0.25\n0.875\n", "text/csv; charset=utf-8")
    assert newer.encode(SOFTPROB, "text/csv")[0] == b"0.5,0.25,0.25\n0.125,0.125,0.75\n"
    body, media = newer.encode(BINARY, "application/json")
    assert media == "application/json"
    assert body == b'{"predictions": [{"score": 0.25}, {"score": 0.875}]}'
    body, media = newer.encode(BINARY, "application/jsonlines")
    assert body == b'{"score": 0.25}\n{"score": 0.875}\n'
    assert json.loads(newer.encode(SOFTPROB, "application/json")[0])["predictions"][1] == {
        "score": [0.125, 0.125, 0.75]
    }


def test_float32_values_are_written_as_python_floats() -> None:
    value = np.array([0.43861907720565796], dtype=np.float32)
    assert encoder().encode(value, "text/csv")[0] == b"0.43861907720565796\n"


def test_batch_mode_writes_one_line_per_record() -> None:
    assert encoder(batch=True).encode(BINARY, "application/json")[0] == b"0.25\n0.875\n"
    assert encoder(batch=True, comma_joined=True).encode(BINARY, None)[0] == b"0.25\n0.875\n"


def test_accept_resolution() -> None:
    assert resolve_accept("application/json; q=0.9", "text/csv") == "application/json"
    assert resolve_accept("text/html, application/jsonlines", "text/csv") == "application/jsonlines"
    assert resolve_accept("*/*", "application/json") == "application/json"
    assert resolve_accept(None, "text/csv") == "text/csv"
    with pytest.raises(InvocationError) as caught:
        resolve_accept("application/x-recordio-protobuf", "text/csv")
    assert caught.value.status == 406


def test_selectable_output_binary_logistic() -> None:
    keys = selected_keys("Predicted_Label, labels,probability,probabilities,raw_score,raw_scores")
    selectable = encoder(selection=keys)
    rows = json.loads(selectable.encode(BINARY, "application/json")[0])["predictions"]
    assert rows[1] == {
        "predicted_label": 1,
        "labels": [0, 1],
        "probability": 0.875,
        "probabilities": [0.125, 0.875],
        "raw_score": 0.875,
        "raw_scores": [0.125, 0.875],
    }
    assert rows[0]["predicted_label"] == 0
    csv = selectable.encode(BINARY, "text/csv")[0].decode()
    assert csv.splitlines()[0] == '0,"[0, 1]",0.25,"[0.75, 0.25]",0.25,"[0.75, 0.25]"'
    assert not csv.endswith("\n")
    lines = selectable.encode(BINARY, "application/jsonlines")[0].decode().splitlines()
    assert json.loads(lines[1])["probability"] == 0.875


def test_selectable_output_softprob_and_invalid_keys() -> None:
    keys = selected_keys("predicted_label,probability,probabilities,labels,predicted_score")
    selectable = encoder(selection=keys, objective="multi:softprob", num_class=3)
    rows = json.loads(selectable.encode(SOFTPROB, "application/json")[0])["predictions"]
    assert rows[1]["predicted_label"] == 2
    assert rows[1]["probability"] == 0.75
    assert rows[1]["probabilities"] == [0.125, 0.125, 0.75]
    assert rows[1]["labels"] == [0, 1, 2]
    assert np.isnan(rows[1]["predicted_score"])  # not valid for a classifier: NaN, as AWS does


def test_selectable_output_regression_and_unsupported_objective() -> None:
    regression = encoder(selection=("predicted_score",), objective="reg:squarederror")
    assert regression.encode(np.array([1.5], dtype=np.float32), "text/csv")[0] == b"1.5"
    ranking = encoder(selection=("predicted_score",), objective="rank:pairwise")
    with pytest.raises(InvocationError) as caught:
        ranking.encode(BINARY, "text/csv")
    assert caught.value.status == 500
    assert selected_keys(None) is None
    assert selected_keys("  ") is None
