"""Running a notebook instance's lifecycle scripts, and what SageMaker says when one fails.

OnCreate runs once, at an instance's first start; OnStart at every start, after it. Each one's
output goes to the CloudWatch log group `/aws/sagemaker/NotebookInstances`, stream
`<instance>/LifecycleConfigOnCreate` or `<instance>/LifecycleConfigOnStart`, and a script that
exits non-zero or runs past five minutes fails the start with SageMaker's own FailureReason.
"""

from __future__ import annotations

from collections.abc import Callable

from tsukuru.domain.notebooks_lifecycle import LifecycleScripts
from tsukuru.domain.notebooks_validation import lifecycle_config_arn
from tsukuru.domain.ports import NotebookHost, NotebookServer, Record
from tsukuru.domain.scope import Scope

LOG_GROUP = "/aws/sagemaker/NotebookInstances"

LogWriter = Callable[[Scope, str, str, list[tuple[int, str]]], None]


class LifecycleFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def log_stream(instance: str, hook: str) -> str:
    """`<instance>/LifecycleConfigOnCreate` or `<instance>/LifecycleConfigOnStart`."""
    return f"{instance}/LifecycleConfig{hook}"


def run_lifecycle(
    host: NotebookHost,
    write_logs: LogWriter,
    record: Record,
    server: NotebookServer,
    scripts: LifecycleScripts,
    first_start: bool,
    timeout: float,
) -> None:
    """Run the scripts this start calls for; LifecycleFailed when one fails."""
    config = str(record.doc["Request"]["LifecycleConfigName"])
    hooks = [("OnCreate", scripts.on_create)] if first_start else []
    hooks.append(("OnStart", scripts.on_start))
    for hook, script in hooks:
        if script is None:
            continue
        outcome = host.run_script(server, script, timeout)
        if outcome.lines:
            write_logs(record.scope, LOG_GROUP, log_stream(record.name, hook), outcome.lines)
        if outcome.exit_code != 0:
            raise LifecycleFailed(
                failure_reason(record, config, timed_out=outcome.exit_code is None)
            )


def failure_reason(record: Record, config: str, *, timed_out: bool) -> str:
    config_arn = lifecycle_config_arn(record.scope, config)
    what = "took longer than 5 minutes" if timed_out else "failed"
    return (
        f"Notebook Instance Lifecycle Config '{config_arn}' for Notebook Instance "
        f"'{record.arn}' {what}. Please check your CloudWatch logs for more details if your "
        "Notebook Instance has Internet access."
    )
