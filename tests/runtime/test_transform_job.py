"""The transform runtime over real job folders: outputs, batching, filters, joins, failures."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from tests.runtime.transform_support import FEATURES, csv_text, make_job, predictions, rows


def lines(data: bytes) -> list[str]:
    text = data.decode()
    assert text.endswith("\n")
    return text[:-1].split("\n")


def test_every_line_gets_its_prediction_in_order(tmp_path: Path) -> None:
    matrix = rows(500)
    job = make_job(tmp_path, {"part1.csv": csv_text(matrix).encode()})
    assert job.run() == 0, job.failure
    assert lines(job.output("part1.csv")) == predictions(matrix)


def test_many_small_mini_batches_keep_input_order(tmp_path: Path) -> None:
    """1 MB payloads over a 2.5 MB file: three mini-batches, two at a time, written in order."""
    matrix = rows(60_000)
    text = csv_text(matrix).encode()
    assert len(text) > 2 * 1024 * 1024
    job = make_job(tmp_path, {"big.csv": text}, MaxPayloadInMB=1, MaxConcurrentTransforms=2)
    assert job.run() == 0, job.failure
    assert lines(job.output("big.csv")) == predictions(matrix)


def test_outputs_keep_the_relative_key_of_each_input(tmp_path: Path) -> None:
    first, second = rows(5, seed=1), rows(7, seed=2)
    job = make_job(
        tmp_path,
        {"a.csv": csv_text(first).encode(), "nested/deeper/b.csv": csv_text(second).encode()},
    )
    assert job.run() == 0, job.failure
    assert lines(job.output("a.csv")) == predictions(first)
    assert lines(job.output("nested/deeper/b.csv")) == predictions(second)


def test_single_record_answers_each_line_on_its_own(tmp_path: Path) -> None:
    matrix = rows(40)
    job = make_job(tmp_path, {"x.csv": csv_text(matrix).encode()}, BatchStrategy="SingleRecord")
    assert job.run() == 0, job.failure
    assert lines(job.output("x.csv")) == predictions(matrix)


def test_split_none_sends_the_whole_file_as_one_request(tmp_path: Path) -> None:
    matrix = rows(30)
    job = make_job(tmp_path, {"x.csv": csv_text(matrix).encode()}, SplitType="None")
    assert job.run() == 0, job.failure
    assert lines(job.output("x.csv")) == predictions(matrix)


def test_a_whole_file_larger_than_the_payload_limit_fails_the_job(tmp_path: Path) -> None:
    text = csv_text(rows(25_000)).encode()
    assert len(text) > 1024 * 1024
    job = make_job(tmp_path, {"x.csv": text}, SplitType="None", MaxPayloadInMB=1)
    assert job.run() == 1
    assert job.failure.startswith("ClientError: s3://bucket/in/x.csv: the object is")
    assert "MaxPayloadInMB" in job.failure
    assert not job.has_output("x.csv")


def test_a_record_larger_than_the_payload_limit_names_its_line(tmp_path: Path) -> None:
    small = csv_text(rows(3))
    huge = ",".join(["1.0"] * 400_000) + "\n"  # 1.6 MB on one line
    job = make_job(tmp_path, {"x.csv": (small + huge).encode()}, MaxPayloadInMB=1)
    assert job.run() == 1
    assert job.failure.startswith("ClientError: s3://bucket/in/x.csv, line 4: the record is")


def test_gzip_inputs_are_read_decompressed(tmp_path: Path) -> None:
    matrix = rows(300)
    job = make_job(
        tmp_path, {"x.csv.gz": gzip.compress(csv_text(matrix).encode())}, CompressionType="Gzip"
    )
    assert job.run() == 0, job.failure
    assert lines(job.output("x.csv.gz")) == predictions(matrix)


def test_blank_lines_and_crlf_are_not_records(tmp_path: Path) -> None:
    matrix = rows(4)
    text = csv_text(matrix).replace("\n", "\r\n")
    first, rest = text.split("\r\n", 1)
    job = make_job(tmp_path, {"x.csv": f"\r\n{first}\r\n\r\n{rest}\r\n".encode()})
    assert job.run() == 0, job.failure
    assert lines(job.output("x.csv")) == predictions(matrix)


def test_assemble_with_none_concatenates_the_answers(tmp_path: Path) -> None:
    matrix = rows(10)
    job = make_job(tmp_path, {"x.csv": csv_text(matrix).encode()}, AssembleWith="None")
    assert job.run() == 0, job.failure
    # the batch-mode model server ends every record with a newline itself
    assert job.output("x.csv").decode() == "".join(p + "\n" for p in predictions(matrix))


def test_input_filter_and_join_keep_the_input_line_and_add_the_prediction(tmp_path: Path) -> None:
    matrix = rows(1_000)
    source = csv_text(matrix, label=True)
    job = make_job(tmp_path, {"x.csv": source.encode()}, InputFilter="$[1:]", JoinSource="Input")
    assert job.run() == 0, job.failure
    expected = [
        f"{line},{p}" for line, p in zip(source.splitlines(), predictions(matrix), strict=True)
    ]
    assert lines(job.output("x.csv")) == expected


def test_output_filter_picks_fields_of_the_joined_record(tmp_path: Path) -> None:
    matrix = rows(50)
    source = csv_text(matrix, label=True)
    job = make_job(
        tmp_path,
        {"x.csv": source.encode()},
        InputFilter="$[1:]",
        JoinSource="Input",
        OutputFilter="$[0,-1]",
    )
    assert job.run() == 0, job.failure
    labels = [line.split(",", 1)[0] for line in source.splitlines()]
    assert lines(job.output("x.csv")) == [
        f"{label},{p}" for label, p in zip(labels, predictions(matrix), strict=True)
    ]


def test_join_with_single_record_and_quoted_fields(tmp_path: Path) -> None:
    matrix = rows(3)
    source = [f'"id, {i}",' + ",".join(f"{v:.4f}" for v in row) for i, row in enumerate(matrix)]
    job = make_job(
        tmp_path,
        {"x.csv": ("\n".join(source) + "\n").encode()},
        InputFilter="$[1:]",
        JoinSource="Input",
        BatchStrategy="SingleRecord",
    )
    assert job.run() == 0, job.failure
    assert lines(job.output("x.csv")) == [
        f"{line},{p}" for line, p in zip(source, predictions(matrix), strict=True)
    ]


def test_json_lines_filter_join_and_output_filter(tmp_path: Path) -> None:
    matrix = rows(20)
    records = [
        json.dumps({"id": f"r{i}", "features": row.tolist()}) for i, row in enumerate(matrix)
    ]
    job = make_job(
        tmp_path,
        {"x.jsonl": ("\n".join(records) + "\n").encode()},
        ContentType="application/jsonlines",
        Accept="application/jsonlines",
        InputFilter="$.features",
        JoinSource="Input",
        OutputFilter="$['id','SageMakerOutput']",
    )
    assert job.run() == 0, job.failure
    written = [json.loads(line) for line in lines(job.output("x.jsonl"))]
    assert [w["id"] for w in written] == [f"r{i}" for i in range(20)]
    expected = [float(p) for p in predictions(matrix)]
    assert [w["SageMakerOutput"] for w in written] == pytest.approx(expected)
    assert all(set(w) == {"id", "SageMakerOutput"} for w in written)


def test_json_records_that_are_not_objects_are_wrapped(tmp_path: Path) -> None:
    matrix = rows(2)
    records = [json.dumps(row.tolist()) for row in matrix]
    job = make_job(
        tmp_path,
        {"x.jsonl": ("\n".join(records) + "\n").encode()},
        ContentType="application/jsonlines",
        Accept="application/jsonlines",
        JoinSource="Input",
    )
    assert job.run() == 0, job.failure
    written = [json.loads(line) for line in lines(job.output("x.jsonl"))]
    assert [w["SageMakerInput"] for w in written] == [row.tolist() for row in matrix]
    assert [w["SageMakerOutput"] for w in written] == pytest.approx(
        [float(p) for p in predictions(matrix)]
    )


def test_a_bad_record_fails_the_job_naming_file_and_line(tmp_path: Path) -> None:
    good = csv_text(rows(3)).encode()
    broken = csv_text(rows(30)).splitlines()
    broken[16] = "1.0,oops," + ",".join(["0.5"] * (FEATURES - 2))
    job = make_job(tmp_path, {"a-good.csv": good, "b-bad.csv": ("\n".join(broken) + "\n").encode()})
    assert job.run() == 1
    assert job.failure.startswith("ClientError: s3://bucket/in/b-bad.csv, line 17: ")
    assert "415" in job.failure
    assert job.has_output("a-good.csv")  # finished before the failure: kept
    assert not job.has_output("b-bad.csv")
    assert not list((job.root / "output" / "partial").rglob("*.out"))


def test_a_filter_that_does_not_fit_the_record_fails_the_job(tmp_path: Path) -> None:
    job = make_job(tmp_path, {"x.csv": csv_text(rows(5)).encode()}, InputFilter="$[9]")
    assert job.run() == 1
    assert job.failure == (
        "ClientError: s3://bucket/in/x.csv, lines 1-5: InputFilter $[9] selects index 9, but "
        f"the record has {FEATURES} fields"
    )


def test_ragged_rows_under_a_filter_name_the_line(tmp_path: Path) -> None:
    text = csv_text(rows(6)).splitlines()
    text[3] += ",9.9"
    job = make_job(tmp_path, {"x.csv": ("\n".join(text) + "\n").encode()}, InputFilter="$[1:]")
    assert job.run() == 1
    assert job.failure.startswith("ClientError: s3://bucket/in/x.csv, line 4: the input has 7")


def test_a_model_that_cannot_load_fails_with_its_reason(tmp_path: Path) -> None:
    job = make_job(tmp_path, {"x.csv": b"1,2\n"})
    (job.root / "model" / "xgboost-model").write_bytes(b"not a model")
    assert job.run() == 1
    assert job.failure.startswith("ClientError: the model cannot be loaded: Model file")


def test_one_thread_and_several_threads_write_the_same_output(tmp_path: Path) -> None:
    matrix = np.round(np.random.default_rng(5).normal(size=(30_000, FEATURES)), 3)
    text = csv_text(matrix).encode()
    outputs = []
    for threads in (1, 3):
        job = make_job(
            tmp_path / str(threads),
            {"x.csv": text},
            MaxConcurrentTransforms=threads,
            MaxPayloadInMB=1,
        )
        assert job.run() == 0, job.failure
        outputs.append(job.output("x.csv"))
    assert outputs[0] == outputs[1] == ("\n".join(predictions(matrix)) + "\n").encode()
