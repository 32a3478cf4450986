"""`tsukuru logs JOB [--follow]`: a training job's CloudWatch log lines, read like a user would.

A job writes to log group `/aws/sagemaker/TrainingJobs`, one stream per instance named
`<job>/algo-<n>-<epoch>`. Streams are found with DescribeLogStreams (prefix `<job>/`) and read
with GetLogEvents from the head; each stream keeps its forward token, and a stream is caught up
when a page comes back carrying the very token that was sent (CloudWatch's end-of-stream
signal; an empty page with a *different* token just means "keep going"). Following repeats
that on a timer, checking the job's status *before* each read, so the read after the job
turned terminal still drains every line it wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from tsukuru.cli_client import error_code
from tsukuru.cli_format import TERMINAL_JOB_STATUSES, event_time, readable_log_message

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


@dataclass(frozen=True)
class LogLine:
    stream: str
    timestamp: int
    message: str


@dataclass
class JobLogReader:
    """Reads the not-yet-seen events of every log stream of one training job."""

    logs: Any
    job_name: str
    group: str = TRAINING_LOG_GROUP
    page_size: int | None = None  # GetLogEvents `limit`; None: the server's default (10,000)
    _tokens: dict[str, str | None] = field(default_factory=dict)

    @property
    def stream_count(self) -> int:
        return len(self._tokens)

    def _discover_streams(self) -> None:
        params: dict[str, Any] = {
            "logGroupName": self.group,
            "logStreamNamePrefix": f"{self.job_name}/",
        }
        while True:
            try:
                page = self.logs.describe_log_streams(**params)
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":  # no job has logged yet
                    return
                raise
            for stream in page.get("logStreams", []):
                self._tokens.setdefault(stream["logStreamName"], None)
            token = page.get("nextToken")
            if not token or token == params.get("nextToken"):
                return
            params["nextToken"] = token

    def _drain(self, stream: str) -> list[LogLine]:
        lines: list[LogLine] = []
        while True:
            sent = self._tokens[stream]
            params: dict[str, Any] = {
                "logGroupName": self.group,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if sent is not None:
                params["nextToken"] = sent
            if self.page_size is not None:
                params["limit"] = self.page_size
            page = self.logs.get_log_events(**params)
            lines.extend(
                LogLine(stream, event["timestamp"], event["message"])
                for event in page.get("events", [])
            )
            received = page.get("nextForwardToken")
            if received is None or received == sent:
                return lines
            self._tokens[stream] = received

    def read_new(self) -> list[LogLine]:
        """Every event written since the last call, across streams, in time order."""
        self._discover_streams()
        lines: list[LogLine] = []
        for stream in sorted(self._tokens):
            lines.extend(self._drain(stream))
        lines.sort(key=lambda line: line.timestamp)
        return lines


def format_line(line: LogLine, *, with_stream: bool, with_time: bool) -> str:
    """One log line for the terminal: `#011` as TAB, optionally with its time and stream."""
    prefix = ""
    if with_time:
        prefix += f"{event_time(line.timestamp)} "
    if with_stream:
        prefix += f"[{line.stream.split('/', 1)[-1]}] "
    return prefix + readable_log_message(line.message)


def follow(
    reader: JobLogReader,
    describe_job: Callable[[], dict[str, Any]],
    emit: Callable[[LogLine], None],
    *,
    poll_seconds: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Emit lines until the job is terminal; return its final DescribeTrainingJob response."""
    while True:
        description = describe_job()
        for line in reader.read_new():
            emit(line)
        if description.get("TrainingJobStatus") in TERMINAL_JOB_STATUSES:
            return description
        sleep(poll_seconds)
