"""`python -m bench NAME`: which modules run, and the exit status when none matches."""

from __future__ import annotations

import pytest

from bench.__main__ import benchmark_names, main, select


def test_helpers_are_not_benchmarks() -> None:
    names = benchmark_names()
    assert {"s3_throughput", "s3_small_ops"} <= set(names)
    assert "harness" not in names
    assert not [name for name in names if name.startswith("_")]


def test_a_name_selects_itself_or_its_family() -> None:
    names = ["endpoints", "s3_small_ops", "s3_throughput", "s3x"]
    assert select(names, []) == names
    assert select(names, ["s3"]) == ["s3_small_ops", "s3_throughput"]
    assert select(names, ["s3_throughput", "endpoints"]) == ["endpoints", "s3_throughput"]
    assert select(names, ["s3_"]) == []


def test_an_unknown_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-benchmark"]) == 2
    assert "available:" in capsys.readouterr().out
