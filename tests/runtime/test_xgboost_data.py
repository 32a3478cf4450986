"""Channel rules, input-file checks and the readers of the built-in XGBoost."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tsukuru.runtime.algorithms import xgboost_csv
from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.algorithms.xgboost_csv import count_rows, cut_pieces
from tsukuru.runtime.algorithms.xgboost_data import (
    channel_files,
    check_input_mode,
    content_family,
    csv_delimiter,
    validate_channels,
    validate_files,
)
from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_readers import (
    read_csv,
    read_libsvm,
    read_parquet,
)
from tsukuru.runtime.algorithms.xgboost_versions import get_version

FILE = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}


def test_train_channel_is_required() -> None:
    with pytest.raises(ClientError, match=r"^Missing required channel: train$"):
        validate_channels({"validation": {"ContentType": "text/csv", **FILE}})


def test_other_channel_names_are_extraneous() -> None:
    channels = {"train": {"ContentType": "csv", **FILE}, "test": {"ContentType": "csv", **FILE}}
    with pytest.raises(ClientError, match=r"^Extraneous channel found: test$"):
        validate_channels(channels)


def test_missing_content_type_defaults_to_libsvm() -> None:
    validated = validate_channels({"train": dict(FILE)})
    assert validated["train"]["ContentType"] == "text/libsvm"


def test_unsupported_combination_prints_the_channel() -> None:
    channel = {"ContentType": "text/libsvm", "TrainingInputMode": "Pipe"}
    channel["S3DistributionType"] = "FullyReplicated"
    with pytest.raises(ClientError) as caught:
        validate_channels({"train": channel})
    assert caught.value.message == (
        "Channel configuration for 'train' channel is not supported: "
        "{'ContentType': 'text/libsvm', 'TrainingInputMode': 'Pipe', "
        "'S3DistributionType': 'FullyReplicated'}"
    )


@pytest.mark.parametrize(
    ("content_type", "family"),
    [
        ("csv", "csv"),
        ("text/csv", "csv"),
        ("text/csv; label_size=1", "csv"),
        ("text/x-libsvm", "libsvm"),
        (None, "libsvm"),
        ("application/x-parquet", "parquet"),
        ("application/x-recordio-protobuf", "recordio-protobuf"),
    ],
)
def test_content_families(content_type: str | None, family: str) -> None:
    assert content_family(content_type) == family


def test_bad_content_types() -> None:
    with pytest.raises(ClientError, match="label_size must be equal to 1"):
        content_family("text/csv;label_size=2")
    with pytest.raises(ClientError, match=r"^application/json is not an accepted ContentType: csv"):
        content_family("application/json")


def test_pipe_mode_was_removed_in_3_0() -> None:
    check_input_mode({"TrainingInputMode": "Pipe"}, "csv", get_version("1.7-1"))
    with pytest.raises(ClientError, match="Pipe mode for CSV is no longer supported"):
        check_input_mode({"TrainingInputMode": "Pipe"}, "csv", get_version("3.0-5"))


def test_channel_files_walk_three_levels_and_skip_empty_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "top.csv").write_text("1,2\n")
    (tmp_path / "a" / "one.csv").write_text("1,2\n")
    (tmp_path / "a" / "b" / "two.csv").write_text("1,2\n")
    (tmp_path / "a" / "b" / "c" / "too-deep.csv").write_text("1,2\n")
    (tmp_path / "empty.csv").write_text("")
    found = channel_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == [
        "a/b/two.csv",
        "a/one.csv",
        "top.csv",
    ]
    assert found.size == 16
    assert channel_files(tmp_path / "missing").size == 0


def test_hidden_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".DS_Store").write_text("x")
    with pytest.raises(ClientError, match=r"^Hidden file found in the data path!"):
        channel_files(tmp_path)


def test_csv_delimiter_is_sniffed() -> None:
    assert csv_delimiter("1;2;3\n") == ";"
    assert csv_delimiter("1\t2\n") == "\t"
    assert csv_delimiter("1\n") == ","


def test_libsvm_first_line_check(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("1 0:1.5 3:2\n0 1:2\n")
    bad.write_text("1,2,3\n")
    validate_files(channel_files(good), "libsvm")
    with pytest.raises(ClientError) as caught:
        validate_files(channel_files(bad), "libsvm")
    assert caught.value.message == (
        "First line '1,2,3\n...' of file 'bad.txt' is not 'LIBSVM' format. "
        "Please ensure the file is in 'LIBSVM' format."
    )


def test_row_counts_are_upper_bounds(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"1\n2\n3")
    (tmp_path / "b").write_bytes(b"1\n\n2\n")
    pieces = cut_pieces([tmp_path / "a", tmp_path / "b"])
    assert [count_rows(piece) for piece in pieces] == [3, 3]


def test_pieces_end_after_a_newline_and_cover_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"".join(b"%d,%d\n" % (i, i * i) for i in range(1000)) + b"7,8")
    pieces = cut_pieces([path], piece_bytes=100)
    assert len(pieces) > 10
    assert pieces[0].start == 0
    assert pieces[-1].end == path.stat().st_size
    data = path.read_bytes()
    for before, after in itertools.pairwise(pieces):
        assert before.end == after.start
        assert data[before.end - 1 : before.end] == b"\n"
    assert sum(count_rows(piece) for piece in pieces) == 1001


def test_read_csv_in_many_pieces_matches_one_reader(tmp_path: Path, monkeypatch: Any) -> None:
    """Pieces parsed on several threads, with blank lines and missing values in some of them,
    give exactly the rows one reader gives, in file order."""
    rng = np.random.default_rng(3)
    table = np.round(rng.normal(size=(5000, 6)), 4)
    lines = [",".join("" if rng.random() < 0.01 else f"{v:g}" for v in row) for row in table]
    for index in range(1, 5000, 700):
        lines.insert(index, "")
    path = tmp_path / "data.csv"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(xgboost_csv, "PIECE_BYTES", 4096)
    assert len(cut_pieces([path])) > 10
    many = read_csv([path], ",", weighted=True, threads=3)
    monkeypatch.setattr(xgboost_csv, "PIECE_BYTES", 1 << 30)
    one = read_csv([path], ",", weighted=True, threads=1)
    assert many.rows == one.rows == 5000
    np.testing.assert_array_equal(many.label, one.label)
    assert many.weight is not None
    assert one.weight is not None
    np.testing.assert_array_equal(many.weight, one.weight)
    np.testing.assert_array_equal(many.features, one.features)
    assert many.features.flags.c_contiguous
    assert many.features.dtype == np.float32
    expected = np.array(
        [[np.nan if f == "" else float(f) for f in line.split(",")] for line in lines if line],
        dtype=np.float32,
    )
    np.testing.assert_array_equal(many.features, expected[:, 2:])


def test_read_csv_error_in_a_later_piece(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "data.csv"
    path.write_text("1,2,3\n" * 3000 + "1,x,3\n" + "0,1,1\n" * 10)
    monkeypatch.setattr(xgboost_csv, "PIECE_BYTES", 1024)
    assert len(cut_pieces([path])) > 10
    with pytest.raises(ClientError, match="Failed to load csv data with exception:") as caught:
        read_csv([path], ",", weighted=False, threads=2)
    assert "Row #" not in str(caught.value)  # a piece's row numbers would not be the file's


def test_read_csv_label_weight_and_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("1,0.5,3,4\n0,2,,6\n\n1,1,7,8")
    data = read_csv([path], ",", weighted=True, threads=2)
    assert data.label.tolist() == [1, 0, 1]
    assert data.weight is not None
    assert data.weight.tolist() == [0.5, 2, 1]
    assert data.features.dtype == np.float32
    assert data.features.flags.c_contiguous
    assert np.isnan(data.features[1, 0])
    assert data.features[2].tolist() == [7, 8]


def test_read_csv_concatenates_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    parts = [np.round(rng.normal(size=(n, 4)), 6) for n in (10, 1, 25)]
    paths = []
    for index, part in enumerate(parts):
        paths.append(tmp_path / f"part-{index}.csv")
        np.savetxt(paths[-1], part, delimiter=",", fmt="%.6f")
    data = read_csv(paths, ",", weighted=False, threads=1)
    expected = np.vstack(parts).astype(np.float32)
    np.testing.assert_allclose(data.label, expected[:, 0], rtol=1e-6)
    np.testing.assert_allclose(data.features, expected[:, 1:], rtol=1e-6)


def test_read_csv_rejects_a_header(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("y,x1,x2\n1,2,3\n")
    with pytest.raises(ClientError, match="Failed to load csv data with exception:"):
        read_csv([path], ",", weighted=False, threads=1)


def test_read_csv_rejects_ragged_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("1,2,3\n")
    second.write_text("1,2,3,4\n")
    with pytest.raises(ClientError):
        read_csv([first, second], ",", weighted=False, threads=1)


def test_read_parquet_casts_every_column(tmp_path: Path) -> None:
    table = pa.table({"y": [1, 0, 1], "a": [1.5, 2.5, 3.5], "b": [7, 8, 9]})
    pq.write_table(table.slice(0, 2), tmp_path / "one.parquet")
    pq.write_table(table.slice(2, 1), tmp_path / "two.parquet")
    data = read_parquet(channel_files(tmp_path).files, threads=1)
    assert data.label.tolist() == [1, 0, 1]
    assert data.features.tolist() == [[1.5, 7], [2.5, 8], [3.5, 9]]


def test_read_libsvm_files_into_one_matrix(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("1 0:1.5 2:3\n0 1:2 2:1\n")
    (tmp_path / "b.txt").write_text("1 0:1 1:1 2:1\n")
    matrix = read_libsvm(channel_files(tmp_path).files, xgb, threads=1)
    assert matrix.num_row() == 3
    assert matrix.num_col() == 3
    assert sorted(matrix.get_label().tolist()) == [0, 1, 1]
