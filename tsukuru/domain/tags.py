"""Tags on any SageMaker resource, with AWS's limits (50 per resource, key 128, value 256)."""

from __future__ import annotations

from tsukuru.domain.errors import Invalid
from tsukuru.domain.paging import decode_token, encode_token, page_limit
from tsukuru.domain.ports import TagStore

MAX_TAGS = 50


class TagService:
    def __init__(self, store: TagStore) -> None:
        self._store = store

    def add(self, arn: str, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            if not 1 <= len(key) <= 128:
                raise Invalid(f"Tag keys must be 1 to 128 characters long: {key[:40]!r}")
            if len(value) > 256:
                raise Invalid(f"Tag values must be at most 256 characters long (key {key!r})")
            if key.lower().startswith("aws:"):
                raise Invalid(f"Tag keys may not start with 'aws:': {key!r}")
        merged = {**self._store.get_tags(arn), **tags}
        if len(merged) > MAX_TAGS:
            raise Invalid(
                f"A resource can have at most {MAX_TAGS} tags; this would make it {len(merged)}"
            )
        self._store.add_tags(arn, tags)
        return tags

    def page(
        self, arn: str, max_results: int | None, next_token: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        filters = {"arn": arn}
        limit = page_limit(max_results, default=50, maximum=100)
        offset = decode_token(next_token, filters)
        items = sorted(self._store.get_tags(arn).items())
        page = items[offset : offset + limit]
        token = encode_token(offset + limit, filters) if offset + limit < len(items) else None
        return page, token

    def delete(self, arn: str, keys: list[str]) -> None:
        self._store.remove_tags(arn, keys)
