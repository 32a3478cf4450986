"""A job's CloudWatch lines for its page: the tail to show and every line to chart.

Training jobs write to `/aws/sagemaker/TrainingJobs`, transform jobs to
`/aws/sagemaker/TransformJobs`, one stream per instance named `<job>/...`. The page is
re-rendered every second or two while the job runs, so reading is bounded: at most `MAX_LINES`
lines (a 1,000-round job prints about that many).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsukuru.domain.logs import LogService
from tsukuru.domain.logs_tail import TailCursor
from tsukuru.domain.ports import LogEvent
from tsukuru.domain.scope import Scope

TRAINING_GROUP = "/aws/sagemaker/TrainingJobs"
TRANSFORM_GROUP = "/aws/sagemaker/TransformJobs"
MAX_LINES = 20_000
TAIL_LINES = 200


@dataclass(frozen=True)
class JobLog:
    events: list[LogEvent]
    truncated: bool  # more than MAX_LINES were written; the first MAX_LINES are here

    @property
    def messages(self) -> list[str]:
        return [event.message for event in self.events]

    def tail(self, count: int = TAIL_LINES) -> list[LogEvent]:
        return self.events[-count:]


def read_job_log(logs: LogService, scope: Scope, group: str, job: str) -> JobLog:
    """Every line of the job's streams, in time order (at most MAX_LINES)."""
    events: list[LogEvent] = []
    cursor: TailCursor | None = None
    more = True
    while more and len(events) < MAX_LINES:
        batch = logs.poll(scope, group, stream_prefix=f"{job}/", cursor=cursor)
        events.extend(batch.events)
        cursor, more = batch.cursor, batch.more
    events.sort(key=lambda event: (event.timestamp_ms, event.stream, event.seq))
    return JobLog(events[:MAX_LINES], truncated=more or len(events) > MAX_LINES)
