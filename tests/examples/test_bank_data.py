"""`bank_clean.csv` from the UCI sample: the tutorial's 61 columns, consistent encodings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from examples.bank_data import (
    CATEGORIES,
    DEFAULT_SOURCE,
    build_bank_clean,
    clean_columns,
    clean_row,
    main,
    read_bank_additional,
)


def test_the_61_columns_of_the_tutorial() -> None:
    columns = clean_columns()
    assert len(columns) == 61 == len(set(columns))
    assert columns[:6] == [
        "age",
        "campaign",
        "pdays",
        "previous",
        "no_previous_contact",
        "not_working",
    ]
    assert columns[-2:] == ["y_no", "y_yes"]
    assert "duration" not in columns
    assert "euribor3m" not in columns
    assert "job_admin." in columns
    assert "default_yes" in columns


def test_build_from_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "bank_clean.csv"
    assert build_bank_clean(out) == 4119
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header == ["", *clean_columns()]
    assert [int(row[0]) for row in body] == list(range(4119))
    position = {name: i + 1 for i, name in enumerate(clean_columns())}
    raw = read_bank_additional(DEFAULT_SOURCE)
    for record, row in zip(raw, body, strict=True):
        assert int(row[position["age"]]) == int(record["age"])
        assert row[position["no_previous_contact"]] == str(int(record["pdays"] == "999"))
        for column, values in CATEGORIES.items():
            flags = [int(row[position[f"{column}_{value}"]]) for value in values]
            assert sum(flags) == 1
            assert values[flags.index(1)] == record[column]
    purchases = sum(int(row[position["y_yes"]]) for row in body)
    assert purchases == sum(record["y"] == "yes" for record in raw) == 451


def test_not_working_means_student_retired_or_unemployed() -> None:
    record = next(iter(read_bank_additional(DEFAULT_SOURCE)))
    names = clean_columns()
    for job, expected in (("student", 1), ("retired", 1), ("unemployed", 1), ("services", 0)):
        row = clean_row({**record, "job": job})
        assert row[names.index("not_working")] == expected


def test_unknown_values_are_refused() -> None:
    record = next(iter(read_bank_additional(DEFAULT_SOURCE)))
    with pytest.raises(ValueError, match="unexpected month value 'jan'"):
        clean_row({**record, "month": "jan"})
    with pytest.raises(ValueError, match="missing column 'loan'"):
        clean_row({k: v for k, v in record.items() if k != "loan"})


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.csv"
    assert main(["--out", str(out)]) == 0
    assert "4119 rows x 61 columns" in capsys.readouterr().out
    assert main(["--out", str(out), "--source", str(tmp_path / "missing.csv")]) == 1
