"""What CloudWatch Logs accepts as names, how it spells ARNs, and its millisecond clock.

Kept apart from the use cases so the wire adapter, the training service (which writes job
output into `/aws/sagemaker/TrainingJobs`) and the console agree on one set of rules.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tsukuru.domain.errors import Invalid, NotFound
from tsukuru.domain.scope import Scope, parse_arn

_CODE = "InvalidParameterException"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

GROUP_NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
STREAM_NAME_PATTERN = r"[^:*]*"
MAX_NAME_LENGTH = 512

_GROUP_NAME = re.compile(GROUP_NAME_PATTERN)
_STREAM_NAME = re.compile(STREAM_NAME_PATTERN)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch (CloudWatch's timestamps) of an aware datetime."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _violation(value: str, member: str, constraint: str) -> Invalid:
    return Invalid(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
        code=_CODE,
    )


def check_group_name(name: str, member: str = "logGroupName") -> str:
    """`name` if it is a legal log group name (1-512 of `[.-_/#A-Za-z0-9]`), else Invalid."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise _violation(name, member, "Member must have length between 1 and 512")
    if _GROUP_NAME.fullmatch(name) is None:
        raise _violation(
            name, member, f"Member must satisfy regular expression pattern: {GROUP_NAME_PATTERN}"
        )
    return name


def check_stream_name(name: str, member: str = "logStreamName") -> str:
    """`name` if it is a legal log stream name (1-512 characters, no `:` or `*`), else Invalid."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise _violation(name, member, "Member must have length between 1 and 512")
    if _STREAM_NAME.fullmatch(name) is None:
        raise _violation(
            name, member, f"Member must satisfy regular expression pattern: {STREAM_NAME_PATTERN}"
        )
    return name


def log_group_arn(scope: Scope, group: str) -> str:
    """The `arn` DescribeLogGroups reports: it ends in `:*` (the group and all its streams)."""
    return scope.arn("logs", f"log-group:{group}:*")


def log_group_bare_arn(scope: Scope, group: str) -> str:
    """The `logGroupArn` DescribeLogGroups reports: the group alone, without `:*`."""
    return scope.arn("logs", f"log-group:{group}")


def log_stream_arn(scope: Scope, group: str, stream: str) -> str:
    return scope.arn("logs", f"log-group:{group}:log-stream:{stream}")


def group_from_identifier(scope: Scope, identifier: str) -> str:
    """The group a `logGroupIdentifier` names: a plain name or a log group ARN (with or without
    the trailing `:*`). An ARN of another account or region names nothing here (NotFound)."""
    if not identifier.startswith("arn:"):
        return check_group_name(identifier, "logGroupIdentifier")
    try:
        service, region, account, resource = parse_arn(identifier)
    except ValueError:
        raise _violation(
            identifier, "logGroupIdentifier", "Member must be a log group ARN"
        ) from None
    kind, _, rest = resource.partition(":")
    if service != "logs" or kind != "log-group" or not rest:
        raise _violation(identifier, "logGroupIdentifier", "Member must be a log group ARN")
    name = rest.removesuffix(":*")
    if (account, region) != (scope.account_id, scope.region):
        raise NotFound("The specified log group does not exist.", code="ResourceNotFoundException")
    return check_group_name(name, "logGroupIdentifier")
