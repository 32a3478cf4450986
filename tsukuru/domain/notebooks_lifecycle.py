"""Notebook instance lifecycle configurations: the OnCreate / OnStart shell scripts.

A configuration is a named pair of base64-encoded scripts. It is read when an instance starts,
so editing one changes what the next start runs, as on SageMaker; deleting one that an instance
still names makes that instance's next start fail with a clear reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, Invalid, NotFound
from tsukuru.domain.notebooks_listing import list_page
from tsukuru.domain.notebooks_validation import (
    check_lifecycle_name,
    check_text,
    decode_hook,
    lifecycle_config_arn,
)
from tsukuru.domain.paging import Listing
from tsukuru.domain.ports import Record, ResourceStore, TagStore
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope

LIFECYCLE_KIND = "NotebookInstanceLifecycleConfig"
SORT_KEYS = ("Name", "CreationTime", "LastModifiedTime")


@dataclass(frozen=True)
class LifecycleScripts:
    """The decoded scripts of one configuration (None where it has none)."""

    on_create: bytes | None
    on_start: bytes | None


class LifecycleConfigService:
    def __init__(self, store: ResourceStore, tags: TagStore, clock: Clock) -> None:
        self._store = store
        self._tags = tags
        self._clock = clock

    def create(self, scope: Scope, request: dict[str, Any]) -> str:
        name = str(request.get("NotebookInstanceLifecycleConfigName", ""))
        check_lifecycle_name(name)
        hooks = self._checked_hooks(request)
        arn = lifecycle_config_arn(scope, name)
        now = self._clock.now()
        doc: Doc = {
            "NotebookInstanceLifecycleConfigName": name,
            **hooks,
            "CreationTime": epoch(now),
            "LastModifiedTime": epoch(now),
        }
        try:
            self._store.insert(Record(LIFECYCLE_KIND, scope, name, arn, None, now, now, doc))
        except AlreadyExists as exc:
            raise Invalid(
                f"Unable to create Notebook Instance Lifecycle Config {arn}. (Details: "
                "Notebook Instance Lifecycle Config already exists.)"
            ) from exc
        if request.get("Tags"):
            self._tags.add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})
        return arn

    def get(self, scope: Scope, name: str) -> Record:
        check_lifecycle_name(name)
        try:
            return self._store.get(LIFECYCLE_KIND, scope, name)
        except NotFound as exc:
            raise Invalid(
                f"Unable to describe Notebook Instance Lifecycle Config "
                f"'{lifecycle_config_arn(scope, name)}'. (Details: Notebook Instance Lifecycle "
                "Config does not exist.)"
            ) from exc

    def update(self, scope: Scope, request: dict[str, Any]) -> None:
        name = str(request.get("NotebookInstanceLifecycleConfigName", ""))
        self.get(scope, name)
        hooks = self._checked_hooks(request)

        def change(doc: Doc) -> None:
            doc.update(hooks)  # a hook left out of the request keeps its script
            doc["LastModifiedTime"] = epoch(self._clock.now())

        mutate(self._store, LIFECYCLE_KIND, scope, name, change, self._clock.now())

    def delete(self, scope: Scope, name: str) -> None:
        record = self.get(scope, name)
        self._store.delete(LIFECYCLE_KIND, scope, name)
        self._tags.remove_all_tags(record.arn)

    def scripts(self, scope: Scope, name: str) -> LifecycleScripts:
        doc = self.get(scope, name).doc
        return LifecycleScripts(
            on_create=decode_hook(doc.get("OnCreate"), "OnCreate"),
            on_start=decode_hook(doc.get("OnStart"), "OnStart"),
        )

    def find(self, scope: Scope, listing: Listing) -> tuple[list[Record], str | None]:
        return list_page(self._store, LIFECYCLE_KIND, scope, listing, SORT_KEYS)

    @staticmethod
    def _checked_hooks(request: dict[str, Any]) -> Doc:
        check_text(request)
        hooks: Doc = {}
        for field in ("OnCreate", "OnStart"):
            if request.get(field) is not None:
                decode_hook(request[field], field)  # refuse what could never run
                hooks[field] = [{"Content": str(h["Content"])} for h in request[field]]
        return hooks
