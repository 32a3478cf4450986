"""A short run of the load benchmark (`bench/load.py`): 8 clients for 8 s, zero errors.

No timing is asserted (the machine is shared); what must hold under concurrent mixed load is
that every call succeeds, every answer is right, and the platform is still up afterwards. The
memory-flatness target needs the full minute: `python -m bench load`.
"""

from __future__ import annotations

import pytest

from bench.harness import Report, running_platform
from bench.load import RssSample, percentile, report, rss_growth, run_load
from bench.load import prepare as prepare_load

pytestmark = pytest.mark.slow


def test_a_short_mixed_load_has_no_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with running_platform() as platform:
        target = prepare_load(platform, platform.home)
        result = run_load(platform, target, clients=8, seconds=8)
        assert result.alive
        assert platform.process.poll() is None
    assert result.total_errors == 0, result.error_samples
    assert set(result.counts) == {
        "InvokeEndpoint",
        "GetObject",
        "PutObject",
        "DescribeTrainingJob",
    }
    assert result.rss
    assert all(sample.gateway_kib > 0 for sample in result.rss)
    out = Report("load")
    report(result, out)
    assert out.ok
    assert "InvokeEndpoint p99" in capsys.readouterr().out


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN


def test_rss_growth_compares_the_tenth_second_with_the_end() -> None:
    samples = [RssSample(float(s), 100 + s, 1000, 2) for s in range(61)]
    first, last, growth = rss_growth(samples, "gateway_kib")
    assert (first, last) == (110.0, 160.0)
    assert growth == pytest.approx(100 * 50 / 110)
    assert rss_growth(samples, "children_kib")[2] == 0.0
