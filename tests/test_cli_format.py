"""The pure renderings behind the resource commands: durations, times, statuses, log lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tsukuru.cli_format import (
    duration,
    elapsed,
    local_time,
    readable_log_message,
    styled_status,
    to_json,
)
from tsukuru.cli_logs import LogLine, format_line
from tsukuru.cli_messages import ENGLISH, text


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.04, "0.0s"),
        (3.25, "3.2s"),
        (12.4, "12s"),
        (59.6, "1m 00s"),
        (185, "3m 05s"),
        (7620, "2h 07m"),
        (-1, "0.0s"),
    ],
)
def test_duration(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_elapsed_and_local_time() -> None:
    start = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
    assert elapsed(start, start + timedelta(seconds=75)) == "1m 15s"
    assert elapsed(None, start) == "-"
    assert local_time(None) == "-"
    assert local_time(start) == start.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert local_time(start, with_date=False) == start.astimezone().strftime("%H:%M:%S")


def test_styled_status_colours_meaning_and_escapes() -> None:
    assert styled_status("Completed") == "[green]Completed[/green]"
    assert styled_status("Failed") == "[red]Failed[/red]"
    assert styled_status("Training") == "Training"
    assert styled_status(None) == "-"
    assert styled_status("[odd]") == "\\[odd]"


def test_cloudwatch_tab_becomes_a_tab() -> None:
    message = "[3]#011train-auc:0.95#011validation-auc:0.93"
    assert readable_log_message(message) == "[3]\ttrain-auc:0.95\tvalidation-auc:0.93"


def test_format_line_prefixes() -> None:
    line = LogLine("job/algo-2-123", 0, "[0]#011train-rmse:1.5")
    assert format_line(line, with_stream=False, with_time=False) == "[0]\ttrain-rmse:1.5"
    assert (
        format_line(line, with_stream=True, with_time=False) == "[algo-2-123] [0]\ttrain-rmse:1.5"
    )
    stamped = format_line(line, with_stream=False, with_time=True)
    assert stamped.endswith(".000 [0]\ttrain-rmse:1.5")


def test_to_json_handles_datetimes_and_bytes() -> None:
    moment = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    document = json.loads(to_json({"When": moment, "Body": b"ok", "N": [1]}))
    assert document == {"When": "2026-01-31T12:00:00+00:00", "Body": "ok", "N": [1]}
    with pytest.raises(TypeError):
        to_json({"x": object()})


def test_every_message_formats() -> None:
    fields = {
        "url": "u",
        "detail": "d",
        "code": "c",
        "message": "m",
        "kind": "k",
        "status": "s",
        "choices": "a, b",
        "count": 1,
        "name": "n",
        "kinds": "x",
        "job": "j",
        "duration": "1s",
        "reason": "r",
        "path": "p",
        "variant": "v",
        "content_type": "t",
    }
    for key in ENGLISH:
        assert text(key, **fields)
