"""Who a request acts for: the account and region every resource belongs to.

Scope is passed explicitly into every use case instead of living in globals, so one platform
can hold several accounts and regions side by side, exactly as rows in the store are keyed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    account_id: str
    region: str

    def arn(self, service: str, resource: str) -> str:
        """The ARN of a regional resource, e.g. `arn:aws:sagemaker:us-east-1:123:training-job/x`."""
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def parse_arn(arn: str) -> tuple[str, str, str, str]:
    """Split an ARN into (service, region, account, resource); raises ValueError when malformed."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[2], parts[3], parts[4], parts[5]
