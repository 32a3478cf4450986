"""Evaluation reports: every `report.html` that `tsukuru evaluate` wrote, on disk or in S3.

`tsukuru evaluate --out DIR` writes a self-contained page (figures embedded as data URIs) and
`--s3-output s3://bucket/prefix` uploads it; this page finds both kinds — under
`TSUKURU_HOME/reports` and as objects named `report.html` in any bucket — and serves them. A
report is a document, not part of the console, so it is served in a sandbox (no scripts, no
access to the console's cookies or forms).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tsukuru.console.kit import Kit
from tsukuru.domain.errors import DomainError

REPORT_FILE = "report.html"
MAX_LOCAL = 500
MAX_DEPTH = 4
MAX_SCANNED_OBJECTS = 20_000
_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SANDBOX = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "font-src data:; frame-ancestors 'self'"
)


@dataclass(frozen=True)
class ReportEntry:
    title: str
    where: str  # a folder under the reports directory, or s3://bucket/key
    modified: datetime
    size: int
    local_path: str | None = None  # relative to the reports directory
    bucket: str | None = None
    key: str | None = None


def _title_of(head: bytes, fallback: str) -> str:
    match = _TITLE.search(head)
    if not match:
        return fallback
    return match.group(1).decode("utf-8", errors="replace").strip() or fallback


def local_reports(root: Path) -> list[ReportEntry]:
    """Report pages under `root`, newest first (at most MAX_LOCAL, MAX_DEPTH folders deep)."""
    if not root.is_dir():
        return []
    found: list[ReportEntry] = []
    base_depth = len(root.parts)
    for folder, subfolders, names in os.walk(root):
        if len(Path(folder).parts) - base_depth >= MAX_DEPTH:
            subfolders[:] = []
        if REPORT_FILE not in names:
            continue
        path = Path(folder) / REPORT_FILE
        relative = path.relative_to(root).as_posix()
        try:
            stat = path.stat()
            with path.open("rb") as handle:
                head = handle.read(4096)
        except OSError:
            continue
        found.append(
            ReportEntry(
                title=_title_of(head, relative),
                where=str(Path(folder)),
                modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                size=stat.st_size,
                local_path=relative,
            )
        )
        if len(found) >= MAX_LOCAL:
            break
    found.sort(key=lambda entry: entry.modified, reverse=True)
    return found


class ReportPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/reports", self.reports),
            Route("/reports/local", self.local),
            Route("/reports/s3", self.from_s3),
        ]

    def _s3_reports(self) -> tuple[list[ReportEntry], bool]:
        """Objects named report.html in any bucket; True when the scan stopped at its limit."""
        objects = self.kit.services.objects
        found: list[ReportEntry] = []
        scanned = 0
        for bucket in objects.list_buckets(self.kit.scope.account_id):
            try:
                for obj in objects.iter_objects(bucket.name):
                    scanned += 1
                    if scanned > MAX_SCANNED_OBJECTS:
                        return found, True
                    if obj.key == REPORT_FILE or obj.key.endswith("/" + REPORT_FILE):
                        found.append(
                            ReportEntry(
                                title=obj.key,
                                where=f"s3://{bucket.name}/{obj.key}",
                                modified=obj.last_modified,
                                size=obj.size,
                                bucket=bucket.name,
                                key=obj.key,
                            )
                        )
            except DomainError:
                continue  # deleted while we looked
        found.sort(key=lambda entry: entry.modified, reverse=True)
        return found, False

    def reports(self, request: Request) -> Response:
        root = self.kit.services.reports_dir
        in_s3, partial = self._s3_reports()
        return self.kit.page(
            request,
            "reports.html",
            section="reports",
            local=local_reports(root),
            in_s3=in_s3,
            partial=partial,
            reports_dir=str(root),
        )

    def local(self, request: Request) -> Response:
        root = self.kit.services.reports_dir.resolve()
        relative = request.query_params.get("path", "")
        target = (root / relative).resolve()
        if target.name != REPORT_FILE or not target.is_relative_to(root) or not target.is_file():
            t = self.kit.renderer.translator(request)
            return self.kit.error(request, t("reports.not_found"), "/reports", status=404)
        response = FileResponse(target, media_type="text/html; charset=utf-8")
        response.headers["content-security-policy"] = _SANDBOX
        return response

    def from_s3(self, request: Request) -> Response:
        bucket = request.query_params.get("bucket", "")
        key = request.query_params.get("key", "")
        objects = self.kit.services.objects
        if key != REPORT_FILE and not key.endswith("/" + REPORT_FILE):
            t = self.kit.renderer.translator(request)
            return self.kit.error(request, t("reports.not_found"), "/reports", status=404)
        try:
            read = objects.read_object(bucket, key)
        except DomainError as exc:
            return self.kit.error(request, exc, "/reports")
        response = StreamingResponse(objects.stream(read), media_type="text/html; charset=utf-8")
        response.headers["content-security-policy"] = _SANDBOX
        return response
