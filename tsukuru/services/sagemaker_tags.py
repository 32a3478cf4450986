"""AddTags / ListTags / DeleteTags for every SageMaker resource kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsukuru.domain.tags import TagService
from tsukuru.protocol.context import Handler, RequestContext


class TagHandlers:
    def __init__(self, tags: TagService) -> None:
        self._tags = tags

    def add_tags(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags", [])}
        added = self._tags.add(params["ResourceArn"], tags)
        return {"Tags": [{"Key": k, "Value": v} for k, v in added.items()]}

    def list_tags(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        page, token = self._tags.page(
            params["ResourceArn"], params.get("MaxResults"), params.get("NextToken")
        )
        out: dict[str, Any] = {"Tags": [{"Key": k, "Value": v} for k, v in page]}
        if token:
            out["NextToken"] = token
        return out

    def delete_tags(self, ctx: RequestContext, params: dict[str, Any]) -> Mapping[str, Any]:
        self._tags.delete(params["ResourceArn"], list(params.get("TagKeys", [])))
        return {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "AddTags": self.add_tags,
            "ListTags": self.list_tags,
            "DeleteTags": self.delete_tags,
        }
