"""The encodings both stores rely on: exact UTC microseconds and byte-order prefix ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsukuru.store.codec import (
    ascii_lower,
    from_micros,
    from_millis,
    json_copy,
    prefix_upper_bound,
    to_micros,
    to_utc,
)

utf8_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)


def test_micros_round_trip_keeps_the_instant_and_answers_in_utc() -> None:
    moment = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=9)))
    back = from_micros(to_micros(moment))
    assert back == moment
    assert back.tzinfo == UTC
    assert to_utc(moment) == back
    assert to_micros(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert to_micros(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == -1


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_micros(datetime(2024, 1, 1))


def test_millis() -> None:
    assert from_millis(1_714_564_800_123) == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [
        ("", None),
        ("a", "b"),
        ("logs/", "logs0"),
        ("a%", "a&"),
        ("\ud7ff", "\ue000"),
        ("x\U0010ffff", "y"),
        ("\U0010ffff\U0010ffff", None),
    ],
)
def test_prefix_upper_bound(prefix: str, upper: str | None) -> None:
    assert prefix_upper_bound(prefix) == upper


@given(prefix=utf8_text, key=utf8_text)
def test_prefix_range_matches_startswith_in_byte_order(prefix: str, key: str) -> None:
    upper = prefix_upper_bound(prefix)
    key_bytes = key.encode("utf-8")
    in_range = key_bytes >= prefix.encode("utf-8") and (
        upper is None or key_bytes < upper.encode("utf-8")
    )
    assert in_range == key.startswith(prefix)


@given(a=utf8_text, b=utf8_text)
def test_code_point_order_is_utf8_byte_order(a: str, b: str) -> None:
    assert (a < b) == (a.encode("utf-8") < b.encode("utf-8"))


def test_json_copy_is_deep_and_refuses_what_a_column_refuses() -> None:
    doc = {"a": {"b": [1, 2]}, "t": (1, 2)}
    copied = json_copy(doc)
    assert copied == {"a": {"b": [1, 2]}, "t": [1, 2]}
    copied["a"]["b"].append(3)
    assert doc["a"] == {"b": [1, 2]}
    with pytest.raises(TypeError):
        json_copy({"when": datetime.now(UTC)})
    with pytest.raises(ValueError, match="Out of range"):
        json_copy({"x": float("nan")})


def test_ascii_lower_leaves_other_letters_alone() -> None:
    assert ascii_lower("Job-ÄB") == "job-Äb"
