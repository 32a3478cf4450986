"""Training jobs: the list, and one job's page that follows it while it runs.

The job page shows what DescribeTrainingJob says (status, secondary-status timeline,
hyperparameters, channels, final metrics, artifacts) next to what the job printed (the log
tail) and the per-round metric curves drawn from those lines. While the job is not finished the
page's live region is fetched again every second and a half; once it is, refreshing stops.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tsukuru.console.charts import group_charts, metric_series
from tsukuru.console.guard import csrf_protected
from tsukuru.console.joblogs import TRAINING_GROUP, read_job_log
from tsukuru.console.kit import Kit, is_fragment
from tsukuru.domain.errors import DomainError
from tsukuru.domain.paging import Listing
from tsukuru.domain.resources import Doc
from tsukuru.domain.training import TERMINAL

PAGE_SIZE = 50
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")


def job_row(doc: Doc, now: float) -> dict[str, Any]:
    request = doc["Request"]
    resources = request.get("ResourceConfig") or {}
    start = doc.get("TrainingStartTime")
    end = doc.get("TrainingEndTime")
    return {
        "name": request["TrainingJobName"],
        "status": doc["TrainingJobStatus"],
        "secondary": doc.get("SecondaryStatus"),
        "created": doc["CreationTime"],
        "duration": None if start is None else float(end or now) - float(start),
        "instance_type": resources.get("InstanceType", ""),
        "instance_count": resources.get("InstanceCount", 1),
    }


def timeline(doc: Doc, now: float) -> list[dict[str, Any]]:
    return [
        {
            "status": step["Status"],
            "start": step["StartTime"],
            "end": step.get("EndTime"),
            "seconds": float(step.get("EndTime") or now) - float(step["StartTime"]),
            "message": step.get("StatusMessage", ""),
            "open": "EndTime" not in step,
        }
        for step in doc.get("SecondaryStatusTransitions", [])
    ]


def channels(request: Doc) -> list[dict[str, str]]:
    rows = []
    for channel in request.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        rows.append(
            {
                "name": channel.get("ChannelName", ""),
                "uri": source.get("S3Uri", ""),
                "content_type": channel.get("ContentType", ""),
                "mode": channel.get("InputMode") or "",
            }
        )
    return rows


class TrainingPages:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/jobs", self.list_jobs),
            Route("/jobs/{name}", self.job),
            Route("/jobs/{name}/stop", csrf_protected(self.stop), methods=["POST"]),
        ]

    def list_jobs(self, request: Request) -> Response:
        status = request.query_params.get("status") or None
        if status not in STATUSES:
            status = None
        search = (request.query_params.get("q") or "").strip() or None
        token = request.query_params.get("token") or None
        try:
            views, next_token = self.kit.services.training.find(
                self.kit.scope,
                Listing(
                    name_contains=search,
                    status_equals=status,
                    max_results=PAGE_SIZE,
                    next_token=token,
                ),
            )
        except DomainError as exc:
            return self.kit.error(request, exc, "/jobs")
        now = self.kit.services.clock.now().timestamp()
        rows = [job_row(view.doc, now) for view in views]
        template = "jobs_table.html" if is_fragment(request) else "jobs.html"
        return self.kit.page(
            request,
            template,
            section="jobs",
            rows=rows,
            status=status or "",
            search=search or "",
            statuses=STATUSES,
            token=token or "",
            next_token=next_token,
            live=any(row["status"] not in TERMINAL for row in rows),
        )

    def job(self, request: Request) -> Response:
        name = request.path_params["name"]
        services = self.kit.services
        try:
            view = services.training.describe(self.kit.scope, name)
        except DomainError as exc:
            return self.kit.error(request, exc, "/jobs")
        doc = view.doc
        now = services.clock.now().timestamp()
        log = read_job_log(services.logs, self.kit.scope, TRAINING_GROUP, name)
        series = metric_series(log.messages, doc.get("MetricDefinitions") or [])
        request_doc = doc["Request"]
        context = {
            "section": "jobs",
            "arn": view.arn,
            "job": job_row(doc, now),
            "doc": doc,
            "algorithm": doc.get("Algorithm") or {},
            "image": (request_doc.get("AlgorithmSpecification") or {}).get("TrainingImage", ""),
            "hyperparameters": sorted((request_doc.get("HyperParameters") or {}).items()),
            "channels": channels(request_doc),
            "output_path": (request_doc.get("OutputDataConfig") or {}).get("S3OutputPath", ""),
            "artifact": (doc.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
            "timeline": timeline(doc, now),
            "final_metrics": doc.get("FinalMetricDataList") or [],
            "charts": group_charts(series),
            "log_lines": log.tail(),
            "log_total": len(log.events),
            "log_truncated": log.truncated,
            "running": doc["TrainingJobStatus"] not in TERMINAL,
            "stoppable": doc["TrainingJobStatus"] == "InProgress",
        }
        template = "job_live.html" if is_fragment(request) else "job.html"
        return self.kit.page(request, template, **context)

    async def stop(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            await self.kit.in_thread(lambda: self.kit.services.training.stop(self.kit.scope, name))
        except DomainError as exc:
            return self.kit.error(request, exc, f"/jobs/{name}")
        return self.kit.see_other(f"/jobs/{name}", {"notice": "job_stopping", "name": name})
