"""The botocore service models tsukuru speaks, loaded once per process.

Everything the wire layer knows about operations, shapes, locations and timestamp formats comes
from botocore's own JSON specs, so a new operation needs no wire code at all. Loading a model
parses a multi-megabyte JSON file (SageMaker's is the largest), hence the cache.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ServiceModel

SERVICES: tuple[str, ...] = ("s3", "sagemaker", "sagemaker-runtime", "logs", "sts", "iam")
"""The services tsukuru serves, by botocore service name."""


@cache
def service_model(name: str) -> ServiceModel:
    """The botocore `ServiceModel` for one of `SERVICES` (KeyError for any other name)."""
    if name not in SERVICES:
        raise KeyError(f"tsukuru does not serve the {name!r} API")
    return ServiceModel(_loader().load_service_model(name, "service-2"), service_name=name)


@cache
def _loader() -> Any:
    return create_loader()


@cache
def json_target_prefixes() -> dict[str, str]:
    """`X-Amz-Target` prefix (`SageMaker`, `Logs_20140328`) → service, for the json services."""
    prefixes: dict[str, str] = {}
    for name in SERVICES:
        prefix = service_model(name).metadata.get("targetPrefix")
        if prefix:
            prefixes[prefix] = name
    return prefixes
