"""Batch transform jobs: the list and one job's page (input, output, status, log tail).

A transform job scores every object under an S3 prefix with a model and writes `<key>.out`
beside each under the output path; its page links both places in the bucket browser so the
results are one click away. When the platform was built without batch transform the page says
so rather than listing nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.guard import csrf_protected
from tsukuru.console.joblogs import TRANSFORM_GROUP, read_job_log
from tsukuru.console.kit import Kit, is_fragment
from tsukuru.domain.errors import DomainError
from tsukuru.domain.paging import Listing
from tsukuru.domain.resources import Doc
from tsukuru.domain.transforms import TERMINAL

PAGE_SIZE = 50


def s3_link(uri: str) -> tuple[str, str] | None:
    """(bucket, folder) of an `s3://bucket/prefix` URI, for a link into the bucket browser
    (a prefix is shown as the folder of that name)."""
    if not uri.startswith("s3://"):
        return None
    bucket, _, key = uri[5:].partition("/")
    return bucket, key if key.endswith("/") or not key else key + "/"


def transform_row(doc: Doc, now: float) -> dict[str, Any]:
    request = doc["Request"]
    source = ((request.get("TransformInput") or {}).get("DataSource") or {}).get(
        "S3DataSource"
    ) or {}
    resources = request.get("TransformResources") or {}
    start, end = doc.get("TransformStartTime"), doc.get("TransformEndTime")
    input_uri = str(source.get("S3Uri", ""))
    output_uri = str((request.get("TransformOutput") or {}).get("S3OutputPath", ""))
    return {
        "name": request["TransformJobName"],
        "status": doc["TransformJobStatus"],
        "model": request.get("ModelName", ""),
        "created": doc["CreationTime"],
        "duration": None if start is None else float(end or now) - float(start),
        "input": input_uri,
        "input_link": s3_link(input_uri),
        "output": output_uri,
        "output_link": s3_link(output_uri),
        "instance_type": resources.get("InstanceType", ""),
        "instance_count": resources.get("InstanceCount", 1),
        "content_type": (request.get("TransformInput") or {}).get("ContentType", ""),
        "split_type": (request.get("TransformInput") or {}).get("SplitType", "None"),
        "failure": doc.get("FailureReason"),
    }


class TransformPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/transforms", self.list_jobs),
            Route("/transforms/{name}", self.job),
            Route("/transforms/{name}/stop", csrf_protected(self.stop), methods=["POST"]),
        ]

    def list_jobs(self, request: Request) -> Response:
        service = self.kit.services.transforms
        if service is None:
            return self.kit.page(request, "transforms.html", section="transforms", available=False)
        token = request.query_params.get("token") or None
        try:
            views, next_token = service.find(
                self.kit.scope, Listing(max_results=PAGE_SIZE, next_token=token)
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/transforms")
        now = self.kit.services.clock.now().timestamp()
        rows = [transform_row(view.doc, now) for view in views]
        return self.kit.page(
            request,
            "transforms_table.html" if is_fragment(request) else "transforms.html",
            section="transforms",
            available=True,
            rows=rows,
            next_token=next_token,
            live=any(row["status"] not in TERMINAL for row in rows),
        )

    def job(self, request: Request) -> Response:
        name = request.path_params["name"]
        service = self.kit.services.transforms
        if service is None:
            return self.kit.see_other("/transforms")
        try:
            view = service.describe(self.kit.scope, name)
        except DomainError as exc:
            return self.kit.error(request, exc, "/transforms")
        now = self.kit.services.clock.now().timestamp()
        log = read_job_log(self.kit.services.logs, self.kit.scope, TRANSFORM_GROUP, name)
        row = transform_row(view.doc, now)
        return self.kit.page(
            request,
            "transform_live.html" if is_fragment(request) else "transform.html",
            section="transforms",
            arn=view.arn,
            job=row,
            log_lines=log.tail(),
            log_total=len(log.events),
            running=row["status"] not in TERMINAL,
        )

    async def stop(self, request: Request) -> Response:
        name = request.path_params["name"]
        service = self.kit.services.transforms
        if service is None:
            return self.kit.see_other("/transforms")
        try:
            await self.kit.in_thread(lambda: service.stop(self.kit.scope, name))
        except DomainError as exc:
            return self.kit.error(request, exc, f"/transforms/{name}")
        return self.kit.see_other(f"/transforms/{name}", {"notice": "job_stopping", "name": name})
