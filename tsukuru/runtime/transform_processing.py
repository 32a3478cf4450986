"""One mini-batch through the model: input filter, invocation, join, output filter, assembly.

Without DataProcessing a batch is passed to the model as it was read and its answer written as
it came (AssembleWith Line only makes sure it ends a line): nothing is split per record. With a
filter or a join, records are looked into the way SageMaker documents it:

* InputFilter selects what the model sees (CSV: fields by index; JSON: a path into the value);
* JoinSource Input appends the model's answer to the *unfiltered* input record: CSV fields go
  after the input's fields, a JSON object gets a `SageMakerOutput` key (anything else becomes
  `{"SageMakerInput": ..., "SageMakerOutput": ...}`);
* OutputFilter selects what is written from the joined record (or from the answer alone).

When the model refuses a mini-batch (4xx), its records are sent one by one to find the record
at fault, so the failure names the line a user has to look at.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from tsukuru.runtime.transform_csv import (
    parse_fields,
    select,
    side_by_side,
    table_of_rows,
    write_rows,
)
from tsukuru.runtime.transform_invoke import (
    InvocationFailed,
    Invoker,
    answers,
    fields_of,
    parse_value,
)
from tsukuru.runtime.transform_jsonpath import FilterError, JsonPath
from tsukuru.runtime.transform_records import Batch, RecordError, lines_of
from tsukuru.runtime.transform_settings import RecordFormat, TransformSettings, media_type

_COMPACT = (",", ":")


class BatchProcessor:
    def __init__(self, invoke: Invoker, settings: TransformSettings) -> None:
        self._invoke = invoke
        self._settings = settings

    def process(self, batch: Batch) -> bytes:
        """The bytes the batch contributes to its `.out` file; RecordError when it fails."""
        if not self._settings.processes_records:
            return self._pass_through(batch)
        if self._settings.record_format is RecordFormat.CSV:
            return self._csv(batch)
        return self._json(batch)

    # ------------------------------------------------------------------ no data processing

    def _pass_through(self, batch: Batch) -> bytes:
        if self._settings.single_record and self._settings.split_lines:
            records = batch.records()
            return b"".join(
                self._assemble(self._call_one(record, batch, index)[0])
                for index, record in enumerate(records)
            )
        body, _ = self._call(batch.body, batch if self._settings.split_lines else None, None)
        return self._assemble(body)

    def _assemble(self, body: bytes) -> bytes:
        if self._settings.assemble_lines and body and not body.endswith(b"\n"):
            return body + b"\n"
        return body

    # ------------------------------------------------------------------ CSV records

    def _csv(self, batch: Batch) -> bytes:
        settings = self._settings
        rows = batch if settings.split_lines else lines_of(batch.body)
        needs_input = settings.join_input or settings.input_filter is not None
        table = (
            parse_fields(rows.body, rows.count, "the input", rows.line_of) if needs_input else None
        )
        payload = rows.body
        if settings.input_filter is not None and table is not None:
            columns = self._columns(settings.input_filter, table.num_columns, "InputFilter", rows)
            payload = write_rows(select(table, columns), newline_after_each=True).rstrip(b"\n")
        if not settings.join_input and settings.output_filter is None:
            return self._answer_as_is(payload, rows)
        answer = self._answer_table(payload, rows)
        joined = side_by_side(table, answer) if settings.join_input and table else answer
        if settings.output_filter is not None:
            columns = self._columns(
                settings.output_filter, joined.num_columns, "OutputFilter", rows
            )
            joined = select(joined, columns)
        return write_rows(joined, newline_after_each=settings.assemble_lines)

    def _answer_as_is(self, payload: bytes, rows: Batch) -> bytes:
        if self._settings.single_record:
            return b"".join(
                self._assemble(self._call_one(record, rows, index)[0])
                for index, record in enumerate(payload.split(b"\n"))
            )
        return self._assemble(self._call(payload, rows, payload)[0])

    def _answer_table(self, payload: bytes, rows: Batch) -> pa.Table:
        """The model's answer, one row of fields per record."""
        texts, body, _ = self._answer_texts(payload, rows)
        if texts is None:  # a CSV answer to a whole mini-batch: parsed in one go
            return parse_fields(
                body.rstrip(b"\r\n"), rows.count, "the model's answer", rows.line_of
            )
        return table_of_rows(
            [fields_of(text) for text in texts], "the model's answer", rows.line_of
        )

    def _columns(self, path: JsonPath, width: int, name: str, rows: Batch) -> list[int] | int:
        try:
            return path.columns(width)
        except FilterError as exc:
            raise RecordError(f"{name} {exc}", rows.line_of(0), rows.last_line) from None

    # ------------------------------------------------------------------ JSON records

    def _json(self, batch: Batch) -> bytes:
        settings = self._settings
        whole = not settings.split_lines and settings.json_document
        rows = batch if settings.split_lines or whole else lines_of(batch.body)
        records = [batch.body] if whole else rows.records()
        values = [self._load(record, rows, index) for index, record in enumerate(records)]
        payload = rows.body if not whole else batch.body
        if settings.input_filter is not None:
            filtered = [
                self._apply(settings.input_filter, value, "InputFilter", rows, index)
                for index, value in enumerate(values)
            ]
            payload = b"\n".join(json.dumps(v, separators=_COMPACT).encode() for v in filtered)
        if not settings.join_input and settings.output_filter is None:
            return self._answer_as_is(payload, rows) if not whole else self._whole(payload, rows)
        if whole:
            texts = self._whole_texts(payload)
        else:
            found, body, content_type = self._answer_texts(payload, rows)
            texts = found if found is not None else self._split(body, content_type, rows)
        results: list[Any] = []
        for index, text in enumerate(texts):
            result: Any = parse_value(text)
            if settings.join_input:
                source = values[index]
                if isinstance(source, dict):
                    result = {**source, "SageMakerOutput": result}
                else:
                    result = {"SageMakerInput": source, "SageMakerOutput": result}
            if settings.output_filter is not None:
                result = self._apply(settings.output_filter, result, "OutputFilter", rows, index)
            results.append(result)
        lines = [json.dumps(result, separators=_COMPACT) for result in results]
        if settings.assemble_lines:
            return ("\n".join(lines) + "\n").encode()
        return "".join(lines).encode()

    def _whole(self, payload: bytes, rows: Batch) -> bytes:
        return self._assemble(self._call(payload, None, None)[0])

    def _whole_texts(self, payload: bytes) -> list[str]:
        body, content_type = self._call(payload, None, None)
        return answers(body, content_type, 1) or [body.decode("utf-8", errors="replace")]

    def _load(self, record: bytes, rows: Batch, index: int) -> Any:
        try:
            return json.loads(record)
        except ValueError as exc:
            raise RecordError(f"the record is not valid JSON: {exc}", rows.line_of(index)) from None

    def _apply(self, path: JsonPath, value: Any, name: str, rows: Batch, index: int) -> Any:
        try:
            return path.apply(value)
        except FilterError as exc:
            raise RecordError(f"{name} {exc}", rows.line_of(index)) from None

    # ------------------------------------------------------------------ calling the model

    def _answer_texts(self, payload: bytes, rows: Batch) -> tuple[list[str] | None, bytes, str]:
        """(one answer text per record, the answer, its type). The texts are None when the
        answer to a whole mini-batch is CSV, which the caller parses in one go."""
        if self._settings.single_record:
            texts = []
            for index, record in enumerate(payload.split(b"\n")):
                body, content_type = self._call_one(record, rows, index)
                texts.append(self._split(body, content_type, rows, index, 1)[0])
            return texts, b"", ""
        body, content_type = self._call(payload, rows, payload)
        if media_type(content_type) in ("application/json", "application/jsonlines"):
            return self._split(body, content_type, rows), body, content_type
        return None, body, content_type

    def _split(
        self, body: bytes, content_type: str, rows: Batch, index: int = 0, count: int = 0
    ) -> list[str]:
        expected = count or rows.count
        texts = answers(body, content_type, expected)
        if texts is None:
            raise RecordError(
                f"the model answered a mini-batch of {expected} records with a {content_type} "
                "body that does not hold one answer per record; JoinSource and OutputFilter need "
                "one (use Accept text/csv or application/jsonlines)",
                rows.line_of(index),
                rows.line_of(index + expected - 1),
            )
        return texts

    def _call_one(self, record: bytes, rows: Batch, index: int) -> tuple[bytes, str]:
        try:
            return self._invoke(record)
        except InvocationFailed as exc:
            raise _failure(exc, rows.line_of(index)) from None

    def _call(self, payload: bytes, rows: Batch | None, records: bytes | None) -> tuple[bytes, str]:
        """One call for a whole mini-batch; on a 4xx, finds the record at fault if it can."""
        try:
            return self._invoke(payload)
        except InvocationFailed as exc:
            if rows is None:
                raise _failure(exc, None) from None
            if exc.status < 500 and rows.count > 1:
                parts = (records if records is not None else rows.body).split(b"\n")
                if len(parts) == rows.count:
                    for index, part in enumerate(parts):
                        try:
                            self._invoke(part)
                        except InvocationFailed as single:
                            raise _failure(single, rows.line_of(index)) from None
            raise _failure(exc, rows.line_of(0), rows.last_line) from None


def _failure(exc: InvocationFailed, line: int | None, last: int | None = None) -> RecordError:
    kind = "AlgorithmError" if exc.status >= 500 else "ClientError"
    return RecordError(exc.describe(), line, last, kind)
