"""Request decoding of the XGBoost model server: formats, the container's 415s, and speed."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.runtime.serve_support import bank_features, csv_body
from tsukuru.runtime.algorithms import xgboost_serving_decode as decode
from tsukuru.runtime.algorithms.xgboost_serving_decode import RequestFormat, _has_blank_line
from tsukuru.runtime.serve import InvocationError


def rejected(call: Callable[[], Any]) -> InvocationError:
    with pytest.raises(InvocationError) as caught:
        call()
    assert caught.value.status == 415
    return caught.value


@pytest.mark.parametrize("rows", [1, 7, 100, 1000, 4119])
def test_csv_matches_numpy_loadtxt_on_the_bank_data(rows: int) -> None:
    body = csv_body(bank_features()[0][:rows])
    expected = np.loadtxt(io.BytesIO(body), delimiter=",", ndmin=2)
    parsed = decode.decode_csv(body)
    assert parsed.shape == expected.shape
    np.testing.assert_array_equal(parsed, expected)


def test_large_csv_goes_through_arrow_and_small_through_numpy() -> None:
    features = bank_features()[0]
    assert len(csv_body(features[:1000])) > decode.ARROW_MIN_BYTES
    assert len(csv_body(features[:5])) < decode.ARROW_MIN_BYTES


@pytest.mark.parametrize("rows", [3, 200])
def test_empty_fields_are_missing_values(rows: int) -> None:
    lines = ["1.5,,3", ",2,", "4,5,6"] * (rows // 3 + 1)
    parsed = decode.decode_csv("\n".join(lines[:rows]).encode())
    assert parsed.shape == (rows, 3)
    np.testing.assert_array_equal(parsed[0], [1.5, np.nan, 3.0])
    np.testing.assert_array_equal(parsed[1], [np.nan, 2.0, np.nan])


@pytest.mark.parametrize("size", [2, 400])
def test_header_rows_and_ragged_rows_are_415(size: int) -> None:
    good = "\n".join(["1,2,3"] * size)
    error = rejected(lambda: decode.decode_csv(f"a,b,c\n{good}".encode()))
    assert "could not convert string to float: 'a'" in error.message
    error = rejected(lambda: decode.decode_csv(f"{good}\n1,2".encode()))
    assert f"row {size + 1} has 2 fields but row 1 has 3" in error.message
    rejected(lambda: decode.decode_csv(f'{good}\n"1",2,3'.encode()))  # quotes are not CSV here
    rejected(lambda: decode.decode_csv(f"{good}\n\n{good}".encode()))  # a blank row is ragged


def test_csv_delimiters_whitespace_and_line_endings() -> None:
    np.testing.assert_array_equal(decode.decode_csv(b"1\t2\n3\t4\n"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(decode.decode_csv(b"1;2\r\n3;4\r\n"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(decode.decode_csv(b"1, 2\n3, 4"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(decode.decode_csv(b"0.5"), [[0.5]])
    np.testing.assert_array_equal(
        decode.decode_csv(b"nan,inf\n1e3,-2"), [[np.nan, np.inf], [1000, -2]]
    )


def test_csv_parsing_is_faster_than_numpy_loadtxt() -> None:
    body = csv_body(bank_features()[0][:1000])

    def best_of(parse: Callable[[], object], runs: int = 7) -> float:
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            parse()
            timings.append(time.perf_counter() - started)
        return min(timings)

    ours = best_of(lambda: decode.decode_csv(body))
    numpy = best_of(lambda: np.loadtxt(io.BytesIO(body), delimiter=",", ndmin=2))
    assert ours < numpy, f"decode_csv {ours * 1e3:.2f} ms vs numpy.loadtxt {numpy * 1e3:.2f} ms"


def test_libsvm_zero_based_and_one_based() -> None:
    body = b"1 0:1.5 2:3\n0 1:-1\n"
    matrix = decode.decode_libsvm(body, one_based=False)
    assert matrix.shape == (2, 3)
    np.testing.assert_array_equal(matrix.toarray(), [[1.5, 0, 3], [0, -1, 0]])
    assert matrix.nnz == 3  # absent indices stay absent: missing values for XGBoost
    shifted = decode.decode_libsvm(b"1:1.5 3:3\n2:-1", one_based=True)
    np.testing.assert_array_equal(shifted.toarray(), [[1.5, 0, 3], [0, -1, 0]])
    kept = decode.decode_libsvm(b"1:1.5 3:3\n2:-1", one_based=False)
    assert kept.shape == (2, 4)
    assert (
        "no index:value pairs"
        in rejected(lambda: decode.decode_libsvm(b"1,2,3", one_based=False)).message
    )
    rejected(lambda: decode.decode_libsvm(b"1:x", one_based=False))


@pytest.mark.parametrize(
    "document",
    [
        {"instances": [{"features": [1, 2, 3]}, {"features": [4, None, 6]}]},
        {"instances": [[1, 2, 3], [4, None, 6]]},
        {"instances": [{"data": {"features": {"values": [1, 2, 3]}}}, {"features": [4, None, 6]}]},
        [[1, 2, 3], [4, None, 6]],
    ],
)
def test_json_common_formats(document: object) -> None:
    parsed = decode.decode_json(json.dumps(document).encode())
    np.testing.assert_array_equal(parsed, [[1, 2, 3], [4, np.nan, 6]])


def test_json_single_instances_and_sparse_records() -> None:
    np.testing.assert_array_equal(decode.decode_json(b'{"features": [1, 2]}'), [[1, 2]])
    np.testing.assert_array_equal(decode.decode_json(b"[1, 2]"), [[1, 2]])
    sparse = {
        "instances": [{"data": {"features": {"keys": [0, 2], "values": [5, 7], "shape": [3]}}}]
    }
    np.testing.assert_array_equal(decode.decode_json(json.dumps(sparse).encode()), [[5, np.nan, 7]])


def test_json_lines() -> None:
    body = b'{"features": [1, 2]}\n[3, 4]\n\n{"data": {"features": [5, 6]}}\n'
    np.testing.assert_array_equal(decode.decode_jsonlines(body), [[1, 2], [3, 4], [5, 6]])


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"instances": [[1, 2], [3]]}', b'{"rows": [1]}', b'{"instances": []}']
)
def test_bad_json_is_415(body: bytes) -> None:
    assert "json format" in rejected(lambda: decode.decode_json(body)).message


def test_content_types() -> None:
    assert decode.request_format("text/csv; charset=utf-8") is RequestFormat.CSV
    assert decode.request_format("TEXT/CSV;label_size=1") is RequestFormat.CSV
    assert decode.request_format("csv") is RequestFormat.CSV
    assert decode.request_format("text/x-libsvm") is RequestFormat.LIBSVM
    assert decode.request_format(None) is RequestFormat.LIBSVM  # the container's default
    assert decode.request_format("application/json") is RequestFormat.JSON
    assert decode.request_format("application/jsonlines") is RequestFormat.JSONLINES
    assert (
        "label_size must be equal to 1"
        in rejected(lambda: decode.request_format("text/csv;label_size=2")).message
    )
    assert (
        "RecordIO-protobuf"
        in rejected(lambda: decode.request_format("application/x-recordio-protobuf")).message
    )
    assert rejected(lambda: decode.request_format("image/png")).message == (
        "Content-type image/png is not supported."
    )


@pytest.mark.parametrize(
    "text",
    [
        b"1,2\n3,4",
        b"1,2\n\n3,4",
        b"1,2\r\n\r\n3,4",
        b"1,2\n\r\n3,4",
        b"1,2\r\n3,4\r\n5,6",
        b"1\r2\n3",
        b"\n\n",
        b"1,2\n3,4\n\n",
        b"1",
    ],
)
def test_blank_line_check_agrees_with_substring_search(text: bytes) -> None:
    assert _has_blank_line(text) == (b"\n\n" in text or b"\n\r\n" in text)
