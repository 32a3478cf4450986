"""Batch transform jobs, evaluation reports and notebook instances in the console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from tests.console.conftest import csrf_of, follow
from tests.console.world import BUCKET, SCOPE, World, build_world
from tsukuru.console.pages_transforms import s3_link
from tsukuru.domain.errors import Invalid
from tsukuru.domain.ports import Record
from tsukuru.domain.scope import Scope


def _transform(world: World, name: str) -> None:
    world.add_training_job("model-job", rounds=1)
    world.add_model("model-job")
    world.services.transforms.create(  # type: ignore[union-attr]
        SCOPE,
        {
            "TransformJobName": name,
            "ModelName": "model-job",
            "TransformInput": {
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/batch"}
                },
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/out/{name}"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        },
    )


def test_transform_jobs(client: TestClient, world: World) -> None:
    _transform(world, "score-all")
    listing = client.get("/transforms").text
    assert '<tr data-transform="score-all">' in listing
    assert 'data-live="/_console/transforms?fragment=1"' in listing
    page = client.get("/transforms/score-all").text
    assert 'href="/_console/buckets/world-data?prefix=batch/"' in page
    assert 'href="/_console/buckets/world-data?prefix=out/score-all/"' in page
    stopped = client.post("/transforms/score-all/stop", data={"csrf_token": csrf_of(client)})
    assert "Stopping score-all." in follow(client, stopped).text
    assert world.stopped == ["score-all"]


def test_s3_links() -> None:
    assert s3_link("s3://b/a/b") == ("b", "a/b/")
    assert s3_link("s3://b/a/") == ("b", "a/")
    assert s3_link("s3://b") == ("b", "")
    assert s3_link("https://x") is None


def test_transforms_absent_from_the_platform(tmp_path: Path) -> None:
    world = build_world(tmp_path, with_transforms=False)
    page = world.client().get("/transforms").text
    assert "Batch transform is not available" in page


def test_reports_on_disk_and_in_s3(client: TestClient, world: World) -> None:
    folder = world.services.reports_dir / "bank-xgb"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(
        "<html><head><title>Evaluation of bank-xgb</title></head><body>AUC 0.93</body></html>"
    )
    world.services.objects.put_object(
        BUCKET, "eval/run1/report.html", b"<html><body>from s3</body></html>"
    )
    world.services.objects.put_object(BUCKET, "eval/run1/metrics.json", b"{}")
    page = client.get("/reports").text
    assert "Evaluation of bank-xgb" in page
    assert 'href="/_console/reports/local?path=bank-xgb/report.html"' in page
    assert "s3://world-data/eval/run1/report.html" in page
    assert "metrics.json" not in page
    local = client.get("/reports/local", params={"path": "bank-xgb/report.html"})
    assert "AUC 0.93" in local.text
    assert local.headers["content-security-policy"].startswith("sandbox")
    remote = client.get("/reports/s3", params={"bucket": BUCKET, "key": "eval/run1/report.html"})
    assert "from s3" in remote.text
    assert remote.headers["content-security-policy"].startswith("sandbox")


def test_reports_cannot_reach_other_files(client: TestClient, world: World, tmp_path: Path) -> None:
    secret = tmp_path / "report.html"  # outside the reports folder
    secret.write_text("secret")
    world.services.reports_dir.mkdir(parents=True, exist_ok=True)
    for path in ("../report.html", str(secret), "x/../../report.html"):
        response = client.get("/reports/local", params={"path": path})
        assert response.status_code == 404, path
        assert "secret" not in response.text
    world.services.objects.put_object(BUCKET, "notes.txt", b"private")
    other = client.get("/reports/s3", params={"bucket": BUCKET, "key": "notes.txt"})
    assert other.status_code == 404


def test_no_reports_explains_how_to_make_one(client: TestClient) -> None:
    page = client.get("/reports").text
    assert "tsukuru evaluate" in page
    assert "--s3-output" in page


def test_notebooks_not_set_up(client: TestClient) -> None:
    page = client.get("/notebooks").text
    assert 'data-notebooks="unavailable"' in page
    assert "not set up in this platform yet" in page
    assert "tsukuru exec -- jupyter lab" in page


SCOPE_TIME = datetime(2026, 3, 1, tzinfo=UTC)


class Notebooks:
    """A NotebookControl over records, as a notebook service would keep them."""

    def __init__(self) -> None:
        self.records = {
            "analysis": Record(
                "NotebookInstance",
                SCOPE,
                "analysis",
                "arn:nb/analysis",
                "InService",
                SCOPE_TIME,
                SCOPE_TIME,
                {"InstanceType": "ml.t3.medium"},
            ),
            "old": Record(
                "NotebookInstance",
                SCOPE,
                "old",
                "arn:nb/old",
                "Stopped",
                SCOPE_TIME,
                SCOPE_TIME,
                {"InstanceType": "ml.t3.medium"},
            ),
        }
        self.calls: list[tuple[str, str]] = []

    def list(self, scope: Scope) -> list[Record]:
        return list(self.records.values())

    def start(self, scope: Scope, name: str) -> None:
        self.calls.append(("start", name))

    def stop(self, scope: Scope, name: str) -> None:
        if name not in self.records:
            raise Invalid(f"RecordNotFound: {name}")
        self.calls.append(("stop", name))

    def url(self, scope: Scope, name: str) -> str | None:
        return f"http://127.0.0.1:8888/lab?nb={name}"


def test_notebooks_open_stop_start(tmp_path: Path) -> None:
    notebooks = Notebooks()
    world = build_world(tmp_path, notebooks=notebooks)
    client = world.client()
    page = client.get("/notebooks").text
    assert 'href="http://127.0.0.1:8888/lab?nb=analysis"' in page
    assert 'data-action="stop-notebook"' in page
    assert 'data-action="start-notebook"' in page
    token = csrf_of(client)
    assert (
        "Stopping notebook instance analysis."
        in follow(client, client.post("/notebooks/analysis/stop", data={"csrf_token": token})).text
    )
    follow(client, client.post("/notebooks/old/start", data={"csrf_token": token}))
    assert notebooks.calls == [("stop", "analysis"), ("start", "old")]
    failed = client.post("/notebooks/ghost/stop", data={"csrf_token": token})
    assert failed.status_code == 400
