"""Splitting input files into mini-batches: payload limits, line numbers, whole files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tsukuru.runtime.transform_records import RecordError, read_batches
from tsukuru.runtime.transform_settings import MIB, InputFile, TransformSettings, load_settings


def settings_for(tmp_path: Path, content: bytes, **overrides: object) -> TransformSettings:
    data = tmp_path / "input" / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "x.csv").write_bytes(content)
    config = {"SplitType": "Line", "MaxPayloadInMB": 1, "Files": [{"Path": "x.csv", "Uri": "u"}]}
    config.update(overrides)
    (tmp_path / "input" / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "input" / "config" / "transform.json").write_text(json.dumps(config))
    return load_settings(tmp_path, {"TSUKURU_NUM_CPUS": "2"})


def batches_of(settings: TransformSettings) -> list[tuple[bytes, int, int]]:
    item: InputFile = settings.files[0]
    return [(b.body, b.count, b.first_line) for b in read_batches(item, settings)]


def test_lines_fill_mini_batches_up_to_the_payload_limit(tmp_path: Path) -> None:
    line = b"x" * 999  # 1000 bytes with its newline
    content = (line + b"\n") * 2500  # 2.5 MB
    settings = settings_for(tmp_path, content)
    found = batches_of(settings)
    assert all(len(body) <= MIB for body, _, _ in found)
    assert sum(count for _, count, _ in found) == 2500
    assert [first for _, _, first in found] == [1, 1049, 2097]
    assert b"\n".join(body for body, _, _ in found) + b"\n" == content


def test_a_record_exactly_at_the_limit_fits(tmp_path: Path) -> None:
    content = b"a" * MIB + b"\n" + b"b\n"
    assert batches_of(settings_for(tmp_path, content)) == [(b"a" * MIB, 1, 1), (b"b", 1, 2)]


def test_a_record_over_the_limit_names_its_line(tmp_path: Path) -> None:
    content = b"ok\n" * 3 + b"a" * (MIB + 1) + b"\nok\n"
    with pytest.raises(RecordError) as caught:
        batches_of(settings_for(tmp_path, content))
    assert caught.value.line == 4
    assert f"the record is {MIB + 1} bytes" in caught.value.message


def test_no_limit_reads_any_record(tmp_path: Path) -> None:
    content = b"a" * (MIB + 5) + b"\nb"
    found = batches_of(settings_for(tmp_path, content, MaxPayloadInMB=0))
    assert found == [(b"a" * (MIB + 5) + b"\nb", 2, 1)]


def test_blank_lines_are_dropped_but_lines_keep_their_numbers(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, b"\n\na\n\nb\r\nc\n\n")
    (batch,) = list(read_batches(settings.files[0], settings))
    assert batch.body == b"a\nb\nc"
    assert [batch.line_of(i) for i in range(batch.count)] == [3, 5, 6]


def test_split_none_reads_the_file_whole(tmp_path: Path) -> None:
    content = b"1,2\n3,4\n"
    assert batches_of(settings_for(tmp_path, content, SplitType="None")) == [(content, 1, 1)]


def test_single_record_reads_in_smaller_chunks(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, b"1\n", BatchStrategy="SingleRecord", MaxPayloadInMB=50)
    assert settings.batch_bytes == 4 * MIB


def test_broken_gzip_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, b"not gzip at all", CompressionType="Gzip")
    with pytest.raises(RecordError, match="the gzip data cannot be read"):
        batches_of(settings)
