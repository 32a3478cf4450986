"""The JSONPath subset of InputFilter/OutputFilter: parsing, applying, CSV columns."""

from __future__ import annotations

from typing import Any

import pytest

from tsukuru.runtime.transform_jsonpath import FilterError, parse_jsonpath

RECORD = {"id": 7, "features": [1, 2, 3, 4], "meta": {"a": 1, "b": [5, 6]}}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", RECORD),
        ("$.id", 7),
        ("$.features", [1, 2, 3, 4]),
        ("$.features[0]", 1),
        ("$.features[-1]", 4),
        ("$.features[1:3]", [2, 3]),
        ("$.features[2:]", [3, 4]),
        ("$.features[:-2]", [1, 2]),
        ("$.features[0,3]", [1, 4]),
        ("$.features[0,2:]", [1, 3, 4]),
        ("$['id','features']", {"id": 7, "features": [1, 2, 3, 4]}),
        ('$["id"]', 7),
        ("$.meta.b[1]", 6),
        ("$.meta['a']", 1),
        ("$.meta.*", [1, [5, 6]]),
        ("$.features[*]", [1, 2, 3, 4]),
        ("$.meta.['a','b']", {"a": 1, "b": [5, 6]}),
    ],
)
def test_paths_select_as_documented(path: str, expected: Any) -> None:
    assert parse_jsonpath(path).apply(RECORD) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("$.missing", "selects the key 'missing', which the record lacks"),
        ("$.features[9]", "selects index 9, but the record has 4 elements"),
        ("$.id[0]", "selects an index of a number, not of an array"),
        ("$.features.x", "selects a key of a array, not of an object"),
    ],
)
def test_paths_that_do_not_fit_say_why(path: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("[", r"\[")):
        parse_jsonpath(path).apply(RECORD)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("features", "must start with"),
        ("$..id", "cannot read"),
        ("$[?(@.id)]", "cannot read"),
        ("$[0,'a']", "cannot be mixed"),
        ("$[1:].x", "must be last"),
        ("$.a[0,1][0]", "must be last"),
        ("$[", "cannot read"),
    ],
)
def test_paths_outside_the_subset_are_refused(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_jsonpath(path)


@pytest.mark.parametrize(
    ("path", "width", "columns"),
    [
        ("$", 4, [0, 1, 2, 3]),
        ("$[1:]", 4, [1, 2, 3]),
        ("$[0,-1]", 4, [0, 3]),
        ("$[0,5:]", 7, [0, 5, 6]),
        ("$[2]", 4, 2),
        ("$[*]", 3, [0, 1, 2]),
        ("$[-2:]", 5, [3, 4]),
    ],
)
def test_csv_paths_become_column_indexes(path: str, width: int, columns: Any) -> None:
    assert parse_jsonpath(path).columns(width) == columns


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("$.features", "selects keys, but a CSV record is an array of fields"),
        ("$[0][1]", "goes deeper than one level"),
        ("$[4]", "selects index 4, but the record has 4 fields"),
    ],
)
def test_csv_paths_that_cannot_apply_say_why(path: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("[", r"\[")):
        parse_jsonpath(path).columns(4)
