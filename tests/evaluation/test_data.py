"""Reading labelled CSVs: the built-in XGBoost layout, headers, label columns, missing values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tsukuru.evaluation.data import parse_labelled_csv, read_labelled_csv
from tsukuru.evaluation.sources import feature_lines, payload_batches


def test_label_first_without_header_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "test.csv"
    path.write_text("1,0.5,3\n0,,4.25\n")
    data = read_labelled_csv(path)
    assert data.labels.tolist() == [1.0, 0.0]
    np.testing.assert_array_equal(data.features, [[0.5, 3.0], [np.nan, 4.25]])
    assert data.source == str(path)
    assert data.feature_names is None
    assert data.rows == 2


def test_named_label_column_with_a_header() -> None:
    data = parse_labelled_csv(b"a,y,b\n1,0,2\n3,1,4\n", label_column="y", header=True)
    assert data.labels.tolist() == [0.0, 1.0]
    assert data.features.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert data.feature_names == ["a", "b"]


def test_last_column_by_negative_index_and_another_delimiter() -> None:
    data = parse_labelled_csv(b"1;2;0\n3;4;1\n", label_column="-1", delimiter=";")
    assert data.labels.tolist() == [0.0, 1.0]
    assert data.features.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"", {}, "is empty"),
        (b"1,blue,2\n0,red,3\n", {}, "column 1 is not numeric \\(for example 'blue'\\)"),
        (b"1,2\n,3\n", {}, "label \\(column 0\\) is missing in row 2"),
        (b"1,2\n0,3\n", {"label_column": 5}, "label column 5 does not exist"),
        (b"1,2\n0,3\n", {"label_column": "y"}, "is a name, but the CSV has no header"),
        (b"a,b\n1,2\n", {"label_column": "y", "header": True}, "no column named 'y'"),
        (b"1,2\n0,3,4\n", {}, "not a readable CSV"),
    ],
)
def test_unusable_data_is_refused_with_the_reason(
    content: bytes, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_labelled_csv(content, **options)  # type: ignore[arg-type]


def test_feature_lines_round_trip_and_leave_missing_values_empty() -> None:
    features = np.array([[0.1, np.nan, 5099.1], [1e-12, -2.0, 123456789.125]])
    lines = feature_lines(features)
    assert lines[0] == b"0.1,,5099.1"
    parsed = parse_labelled_csv(b"\n".join(b"0," + line for line in lines))
    np.testing.assert_array_equal(parsed.features, features)


def test_payload_batches_stay_under_the_limit_and_keep_every_row_in_order() -> None:
    lines = [str(i).encode() * (i % 7 + 1) for i in range(200)]
    batches = list(payload_batches(lines, 64))
    assert [line for batch in batches for line in batch] == lines
    assert all(sum(len(line) + 1 for line in batch) <= 64 for batch in batches)
    assert len(batches) > 1
    with pytest.raises(ValueError, match="row 1 alone is 100 bytes"):
        list(payload_batches([b"x" * 100], 64))
