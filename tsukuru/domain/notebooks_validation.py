"""What CreateNotebookInstance and its siblings check, in the words SageMaker answers with.

Requests that break a constraint never create anything; a state that forbids an action is
refused with SageMaker's "Status (X) not in ([...])" sentence, so scripts written against AWS
recognise the error.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from tsukuru.domain.errors import Invalid
from tsukuru.domain.scope import Scope
from tsukuru.domain.training_validation import check_instance_type, check_name

ROLE_PATTERN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"
_ROLE = re.compile(ROLE_PATTERN)
MIN_VOLUME_GB = 5
MAX_VOLUME_GB = 16384
SCRIPT_LIMIT = 16384  # characters of one base64-encoded lifecycle script
SWITCHES = ("Enabled", "Disabled")
SESSION_SECONDS = (1800, 43200)  # CreatePresignedNotebookInstanceUrl's allowed session lengths


def notebook_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"notebook-instance/{name.lower()}")


def lifecycle_config_arn(scope: Scope, name: str) -> str:
    return scope.arn("sagemaker", f"notebook-instance-lifecycle-config/{name.lower()}")


def check_notebook_name(name: str) -> None:
    check_name(name, "notebookInstanceName")


def check_lifecycle_name(name: str) -> None:
    check_name(name, "notebookInstanceLifecycleConfigName")


def check_role(role: str, where: str = "roleArn") -> None:
    if not _ROLE.match(role or ""):
        raise Invalid(
            f"1 validation error detected: Value '{role}' at '{where}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {ROLE_PATTERN}"
        )


def check_text(value: Any, where: str = "request") -> None:
    """Every string in a request is text that can be stored (no lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise Invalid(f"{where} must be valid Unicode text") from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(item, str(key))
    elif isinstance(value, list):
        for item in value:
            check_text(item, where)


def check_settings(request: dict[str, Any]) -> None:
    """The fields CreateNotebookInstance and UpdateNotebookInstance share."""
    check_text(request)
    if request.get("InstanceType") is not None:
        check_instance_type(str(request["InstanceType"]), "instanceType")
    if request.get("RoleArn") is not None:
        check_role(str(request["RoleArn"]))
    volume = request.get("VolumeSizeInGB")
    if volume is not None and not MIN_VOLUME_GB <= int(volume) <= MAX_VOLUME_GB:
        raise Invalid(
            f"1 validation error detected: Value '{volume}' at 'volumeSizeInGB' failed to "
            f"satisfy constraint: Member must have value between {MIN_VOLUME_GB} and "
            f"{MAX_VOLUME_GB}"
        )
    for field, where in (
        ("DirectInternetAccess", "directInternetAccess"),
        ("RootAccess", "rootAccess"),
    ):
        value = request.get(field)
        if value is not None and value not in SWITCHES:
            raise Invalid(
                f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Enabled, Disabled]"
            )
    if request.get("AcceleratorTypes"):
        raise Invalid(
            "AcceleratorTypes (Elastic Inference) are not supported: Elastic Inference has been "
            "discontinued; leave AcceleratorTypes out"
        )


def check_create(request: dict[str, Any]) -> None:
    check_notebook_name(str(request.get("NotebookInstanceName", "")))
    if not request.get("InstanceType"):
        raise Invalid("InstanceType is required, for example 'ml.t3.medium'")
    if not request.get("RoleArn"):
        raise Invalid("RoleArn is required: the IAM role the notebook's code runs as")
    check_settings(request)


def check_status(status: str, allowed: tuple[str, ...], target: str, arn: str) -> None:
    """SageMaker's refusal of a transition the current status does not allow."""
    if status not in allowed:
        raise Invalid(
            f"Status ({status}) not in ([{', '.join(allowed)}]). Unable to transition to "
            f"({target}) for Notebook Instance ({arn})."
        )


def check_session_seconds(value: int | None) -> int:
    """SessionExpirationDurationInSeconds (default 12 hours, as on SageMaker)."""
    low, high = SESSION_SECONDS
    if value is None:
        return high
    if not low <= int(value) <= high:
        raise Invalid(
            f"1 validation error detected: Value '{value}' at 'sessionExpirationDurationInSeconds'"
            f" failed to satisfy constraint: Member must have value between {low} and {high}"
        )
    return int(value)


def decode_hook(hooks: list[dict[str, Any]] | None, where: str) -> bytes | None:
    """The shell script of an OnCreate/OnStart list (at most one entry, base64-encoded)."""
    if not hooks:
        return None
    if len(hooks) > 1:
        raise Invalid(
            f"1 validation error detected: Value at '{where}' failed to satisfy constraint: "
            "Member must have length less than or equal to 1"
        )
    content = str(hooks[0].get("Content") or "")
    if not content:
        raise Invalid(f"{where}: Content must not be empty")
    if len(content) > SCRIPT_LIMIT:
        raise Invalid(
            f"1 validation error detected: Value at '{where}.1.member.content' failed to satisfy "
            f"constraint: Member must have length less than or equal to {SCRIPT_LIMIT}"
        )
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid(
            f"{where}: Content must be a base64-encoded shell script "
            "(for example `base64 on-start.sh`)"
        ) from exc
