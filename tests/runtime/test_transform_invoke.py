"""Calling the model as the transform agent does: retries, timeouts, one answer per record."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from tsukuru.runtime.serve import InvocationError
from tsukuru.runtime.transform_invoke import (
    InvocationFailed,
    InvocationWatchdog,
    Invoker,
    answers,
    fields_of,
    parse_value,
)


@dataclass
class ScriptedHandler:
    """An inference handler answering from a list of outcomes (an exception or a body)."""

    outcomes: list[object]
    bodies: list[bytes] = field(default_factory=list)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        self.bodies.append(body)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, float):
            time.sleep(outcome)
            return b"slow", "text/csv"
        assert isinstance(outcome, bytes)
        return outcome, f"{content_type}|{accept}"


def test_server_errors_are_retried_up_to_the_limit() -> None:
    handler = ScriptedHandler([InvocationError(500, "flaky"), RuntimeError("boom"), b"0.5\n"])
    invoke = Invoker(handler, "text/csv", "text/csv", max_retries=2)
    assert invoke(b"1,2") == (b"0.5\n", "text/csv|text/csv")
    assert handler.bodies == [b"1,2"] * 3


def test_retries_run_out() -> None:
    handler = ScriptedHandler([InvocationError(503, "down")] * 2)
    with pytest.raises(InvocationFailed) as caught:
        Invoker(handler, None, None, max_retries=1)(b"x")
    assert caught.value.status == 503
    assert caught.value.describe() == "the model answered 503: down"


def test_client_errors_are_not_retried() -> None:
    handler = ScriptedHandler([InvocationError(415, "Loading csv data failed"), b"never"])
    with pytest.raises(InvocationFailed) as caught:
        Invoker(handler, None, None, max_retries=3)(b"x")
    assert caught.value.status == 415
    assert len(handler.bodies) == 1


def test_a_call_past_the_timeout_is_reported() -> None:
    fired = threading.Event()
    watchdog = InvocationWatchdog(0.2, lambda seconds: fired.set()).start()
    handler = ScriptedHandler([0.6])
    Invoker(handler, None, None, max_retries=0, watchdog=watchdog)(b"x")
    assert fired.is_set()


def test_quick_calls_never_trip_the_watchdog() -> None:
    fired = threading.Event()
    watchdog = InvocationWatchdog(0.2, lambda seconds: fired.set()).start()
    invoke = Invoker(ScriptedHandler([b"1"] * 5), None, None, 0, watchdog)
    for _ in range(5):
        invoke(b"x")
        time.sleep(0.1)
    assert not fired.is_set()


@pytest.mark.parametrize(
    ("body", "content_type", "count", "expected"),
    [
        (b"0.1\n0.2\n", "text/csv; charset=utf-8", 2, ["0.1", "0.2"]),
        (b"0.1\r\n0.2", "text/csv", 2, ["0.1", "0.2"]),
        (b"0.1\n0.2\n", "text/csv", 3, None),
        (b"1,0.9\n", "text/csv", 1, ["1,0.9"]),
        (
            b'{"predictions": [{"score": 0.1}, {"score": 0.2}]}',
            "application/json",
            2,
            ['{"score": 0.1}', '{"score": 0.2}'],
        ),
        (b'{"predictions": [{"score": 0.1}]}', "application/json", 1, ['{"score": 0.1}']),
        (b"[1, 2, 3]", "application/json", 3, ["1", "2", "3"]),
        (
            b'{"score": 0.1}\n{"score": 0.2}\n',
            "application/jsonlines",
            2,
            ['{"score": 0.1}', '{"score": 0.2}'],
        ),
        (b'{"a": 1}\n{"a": 2}\n', "application/jsonlines", 2, ['{"a": 1}', '{"a": 2}']),
    ],
)
def test_answers_are_split_one_per_record(
    body: bytes, content_type: str, count: int, expected: list[str] | None
) -> None:
    assert answers(body, content_type, count) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.25", 0.25),
        ("3", 3),
        ("1,0.75", [1, 0.75]),
        ('{"score": 1}', {"score": 1}),
        ("[1, 2]", [1, 2]),
        ("cat,0.5", ["cat", 0.5]),
    ],
)
def test_answers_as_json_values(text: str, value: object) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("0.25", ["0.25"]),
        ("1,0.75", ["1", "0.75"]),
        ("[1, 0.5]", ["1", "0.5"]),
        ('{"score": 1}', ['{"score": 1}']),
        ('"a, b",c', ["a, b", "c"]),
    ],
)
def test_answers_as_csv_fields(text: str, fields: list[str]) -> None:
    assert fields_of(text) == fields
