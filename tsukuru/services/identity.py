"""STS and IAM, minimal: just what the SageMaker SDKs ask before they start a job.

There is no IAM here. `get_execution_role()` needs an assumed-role identity, and SDK v3 checks
the role's trust policy and simulates its permissions; these handlers answer those questions
truthfully for the one platform role (any role name is accepted as that role, since every job
runs with the platform's own rights).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tsukuru.protocol.context import Handler, RequestContext

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Identity:
    account_id: str
    role_name: str  # may carry a path: "service-role/SageMakerRole"
    session_name: str = "tsukuru"
    created: datetime = datetime(2024, 1, 1, tzinfo=UTC)

    @property
    def short_role_name(self) -> str:
        return self.role_name.rsplit("/", 1)[-1]

    def role_id(self, name: str) -> str:
        return "AROA" + hashlib.sha1(name.encode()).hexdigest()[:17].upper()


class IdentityService:
    def __init__(self, identity: Identity) -> None:
        self._identity = identity

    def get_caller_identity(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        ident = self._identity
        role = ident.short_role_name
        return {
            "UserId": f"{ident.role_id(role)}:{ident.session_name}",
            "Account": ctx.account_id,
            "Arn": f"arn:aws:sts::{ctx.account_id}:assumed-role/{role}/{ident.session_name}",
        }

    def get_role(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        name = str(params["RoleName"])
        path = "/"
        configured = self._identity.role_name
        if name == self._identity.short_role_name and "/" in configured:
            path = "/" + configured.rsplit("/", 1)[0] + "/"
        return {
            "Role": {
                "Path": path,
                "RoleName": name,
                "RoleId": self._identity.role_id(name),
                "Arn": f"arn:aws:iam::{ctx.account_id}:role{path}{name}",
                "CreateDate": self._identity.created,
                "AssumeRolePolicyDocument": quote(json.dumps(TRUST_POLICY)),
                "MaxSessionDuration": 3600,
            }
        }

    def simulate_principal_policy(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> Mapping[str, Any]:
        actions = params.get("ActionNames", [])
        resources = params.get("ResourceArns") or ["*"]
        return {
            "EvaluationResults": [
                {
                    "EvalActionName": action,
                    "EvalResourceName": resources[0],
                    "EvalDecision": "allowed",
                    "MatchedStatements": [],
                    "MissingContextValues": [],
                }
                for action in actions
            ],
            "IsTruncated": False,
        }

    def sts_handlers(self) -> dict[str, Handler]:
        return {"GetCallerIdentity": self.get_caller_identity}

    def iam_handlers(self) -> dict[str, Handler]:
        return {"GetRole": self.get_role, "SimulatePrincipalPolicy": self.simulate_principal_policy}
