"""A notebook instance's settings: what CreateNotebookInstance stores, Update changes and the
List filters match.

The settings live in the record as the request that made them (`doc["Request"]`), completed
with SageMaker's defaults, so DescribeNotebookInstance answers what the user asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tsukuru.domain.ports import Record
from tsukuru.domain.resources import Doc

DEFAULTS: Doc = {
    "VolumeSizeInGB": 5,
    "DirectInternetAccess": "Enabled",
    "RootAccess": "Enabled",
    "PlatformIdentifier": "notebook-al2-v3",
}
UPDATABLE = (
    "InstanceType",
    "RoleArn",
    "LifecycleConfigName",
    "VolumeSizeInGB",
    "DefaultCodeRepository",
    "AdditionalCodeRepositories",
    "RootAccess",
    "PlatformIdentifier",
    "IpAddressType",
    "InstanceMetadataServiceConfiguration",
)
DISASSOCIATIONS = {
    "DisassociateLifecycleConfig": "LifecycleConfigName",
    "DisassociateDefaultCodeRepository": "DefaultCodeRepository",
    "DisassociateAdditionalCodeRepositories": "AdditionalCodeRepositories",
    "DisassociateAcceleratorTypes": "AcceleratorTypes",
}


def initial_settings(request: dict[str, Any]) -> Doc:
    """CreateNotebookInstance's request (less the name and tags) over the defaults."""
    given = {k: v for k, v in request.items() if k not in ("Tags", "NotebookInstanceName")}
    return {**DEFAULTS, **given}


def apply_update(settings: Doc, request: dict[str, Any]) -> None:
    """UpdateNotebookInstance: drop what it disassociates, then set what it names."""
    for flag, field in DISASSOCIATIONS.items():
        if request.get(flag):
            settings.pop(field, None)
    for field in UPDATABLE:
        if request.get(field) is not None:
            settings[field] = request[field]


def settings_filter(
    lifecycle_contains: str | None,
    repository_contains: str | None,
    repository_equals: str | None,
) -> Callable[[Record], bool]:
    """ListNotebookInstances' filters on settings (the store indexes none of them)."""

    def matches(record: Record) -> bool:
        settings = record.doc["Request"]
        config = str(settings.get("LifecycleConfigName") or "")
        default_repo = str(settings.get("DefaultCodeRepository") or "")
        additional = [str(r) for r in settings.get("AdditionalCodeRepositories") or []]
        return (
            (not lifecycle_contains or lifecycle_contains.lower() in config.lower())
            and (not repository_contains or repository_contains in default_repo)
            and (not repository_equals or repository_equals in additional)
        )

    return matches
