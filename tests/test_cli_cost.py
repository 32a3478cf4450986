"""`tsukuru cost` and `tsukuru cleanup` against a real platform process.

The tutorial's shape, small: a real XGBoost training job on a synthetic CSV, a model, an
endpoint config and an endpoint; then the ledger must show the job and the endpoint with a
non-zero would-be AWS cost, and cleanup must leave nothing billing by the hour. Cleanup deletes
everything it finds (buckets included, with --include), so this module runs its own platform
instead of the session's shared one. Tests run in file order: they walk one story.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.harness import RunningPlatform, free_port, start_platform
from tsukuru.cli import app
from tsukuru.cli_client import PlatformClients
from tsukuru.cli_cost import money, unit_price
from tsukuru.cli_cost_cleanup import parse_include, parse_older_than
from tsukuru.config import load_settings

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = "arn:aws:iam::123456789012:role/CostTests"


def _csv(count: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        features = [round(rng.random(), 4) for _ in range(3)]
        label = 1 if features[0] + rng.gauss(0, 0.1) > 0.5 else 0
        lines.append(",".join(str(v) for v in [label, *features]))
    return ("\n".join(lines) + "\n").encode()


@dataclass
class World:
    platform: RunningPlatform
    clients: PlatformClients

    def args(self) -> list[str]:
        return ["--home", str(self.platform.home), "--port", str(self.platform.port)]

    @property
    def sm(self) -> Any:
        return self.clients.sagemaker


def _wait(check: Any, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    platform = start_platform(tmp_path_factory.mktemp("tsukuru-cost"))
    try:
        clients = PlatformClients(load_settings(home=platform.home, port=platform.port))
        sm, s3 = clients.sagemaker, clients.s3
        s3.create_bucket(Bucket="cost-data")
        s3.put_object(Bucket="cost-data", Key="train/a.csv", Body=_csv(120, 1))
        s3.put_object(Bucket="cost-data", Key="validation/b.csv", Body=_csv(40, 2))
        sm.create_training_job(
            TrainingJobName="cost-job",
            AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            RoleArn=ROLE,
            OutputDataConfig={"S3OutputPath": "s3://cost-data/output"},
            # the tutorial's type: no list price of its own, estimated from ml.m5.xlarge
            ResourceConfig={
                "InstanceType": "ml.m4.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            StoppingCondition={"MaxRuntimeInSeconds": 600},
            HyperParameters={"objective": "binary:logistic", "num_round": "5", "max_depth": "2"},
            InputDataConfig=[
                {
                    "ChannelName": channel,
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": f"s3://cost-data/{channel}/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for channel in ("train", "validation")
            ],
        )
        job = _wait(
            lambda: (
                (d := sm.describe_training_job(TrainingJobName="cost-job"))["TrainingJobStatus"]
                != "InProgress"
                and d
            )
        )
        assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
        sm.create_model(
            ModelName="cost-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={
                "Image": IMAGE,
                "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName="cost-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "cost-model",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sm.create_endpoint(EndpointName="cost-endpoint", EndpointConfigName="cost-config")
        status = _wait(
            lambda: (
                (s := sm.describe_endpoint(EndpointName="cost-endpoint")["EndpointStatus"])
                != "Creating"
                and s
            )
        )
        assert status == "InService"
        yield World(platform, clients)
    finally:
        platform.stop()


runner = CliRunner()


def cli(world: World, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, [*args, *world.args()], input=stdin, env={"COLUMNS": "200"})


def ledger(world: World) -> dict[str, Any]:
    result = cli(world, "cost", "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = dict(json.loads(result.stdout))
    return report


def line(report: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    found = [i for i in report["items"] if i["kind"] == kind and i["name"] == name]
    assert len(found) == 1, found
    return dict(found[0])


# --------------------------------------------------------------------------- cost


def test_cost_shows_the_job_and_the_endpoint_with_would_be_aws_cost(world: World) -> None:
    time.sleep(0.5)  # let the endpoint accrue a measurable cost
    report = ledger(world)
    job = line(report, "TrainingJob", "cost-job")
    assert (job["running"], job["billable_now"], job["status"]) == (False, False, "Completed")
    assert job["estimated_usd"] > 0
    assert (job["price_basis"], job["based_on"]) == ("estimated", "ml.m5.xlarge")
    endpoint = line(report, "Endpoint", "cost-endpoint")
    assert (endpoint["running"], endpoint["billable_now"]) == (True, True)
    assert endpoint["estimated_usd"] > 0
    assert endpoint["usd_per_hour"] == pytest.approx(0.115)
    assert endpoint["price_basis"] == "listed"
    assert endpoint["instance_type"] == "ml.m5.large"
    assert line(report, "Model", "cost-model")["price_basis"] == "no_charge"
    bucket = line(report, "Bucket", "cost-data")
    assert bucket["billable_now"]
    assert bucket["stored_bytes"] > 0
    assert report["totals"]["running"] == 1
    assert report["totals"]["usd_per_hour_now"] == pytest.approx(0.115, rel=1e-3)

    shown = cli(world, "cost")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "Running now" in out
    assert "cost-endpoint" in out
    assert "cost-job" in out
    assert "~ estimate from ml.m5.xlarge" in out
    assert "Billing now: $0.115/hour" in out
    # A fast run can total less than a hundredth of a cent, shown as "<$0.0001".
    assert re.search(r"Would have cost on AWS so far: <?\$[0-9]", out), out


# --------------------------------------------------------------------------- cleanup


def test_dry_run_lists_the_endpoint_and_changes_nothing(world: World) -> None:
    result = cli(world, "cleanup", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "cost-endpoint" in result.stdout
    assert "$0.115/h" in result.stdout
    assert "Dry run: nothing was changed." in result.stdout
    assert "1 model(s)" in result.stdout  # kept unless --include models
    assert world.sm.describe_endpoint(EndpointName="cost-endpoint")["EndpointStatus"] == (
        "InService"
    )


def test_older_than_spares_what_is_younger(world: World) -> None:
    young = cli(world, "cleanup", "--yes", "--older-than", "1h")
    assert young.exit_code == 0, young.output
    assert "Nothing to clean up." in young.stdout
    old = cli(world, "cleanup", "--dry-run", "--older-than", "1s")
    assert "cost-endpoint" in old.stdout
    assert len(world.sm.list_endpoints()["Endpoints"]) == 1


def test_cleanup_asks_first_and_a_no_changes_nothing(world: World) -> None:
    result = cli(world, "cleanup", stdin="n\n")
    assert result.exit_code == 1
    assert "Delete or stop these 1 resource(s)?" in result.output
    assert len(world.sm.list_endpoints()["Endpoints"]) == 1


def test_cleanup_yes_leaves_nothing_billing_by_the_hour(world: World) -> None:
    result = cli(world, "cleanup", "--yes")
    assert result.exit_code == 0, result.output
    assert "Freed: deleted 1 endpoint(s)." in result.stdout
    assert "$0.115/hour no longer billing" in result.stdout
    assert world.sm.list_endpoints()["Endpoints"] == []
    assert [m["ModelName"] for m in world.sm.list_models()["Models"]] == ["cost-model"]

    report = ledger(world)
    assert report["totals"]["running"] == 0
    assert report["totals"]["usd_per_hour_now"] < 0.001  # only stored bytes remain
    endpoint = line(report, "Endpoint", "cost-endpoint")
    assert (endpoint["status"], endpoint["running"]) == ("Deleted", False)
    assert endpoint["estimated_usd"] > 0  # its history stays in the ledger
    shown = cli(world, "cost")
    assert "Nothing is running" in shown.stdout


def test_include_deletes_definitions_buckets_and_logs(world: World) -> None:
    result = cli(world, "cleanup", "--yes", "--include", "models,configs,buckets,logs")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "1 endpoint config(s)" in out
    assert "1 model(s)" in out
    assert "of stored data" in out
    assert world.sm.list_models()["Models"] == []
    assert world.sm.list_endpoint_configs()["EndpointConfigs"] == []
    assert world.clients.s3.list_buckets()["Buckets"] == []
    assert world.clients.logs.describe_log_groups()["logGroups"] == []
    report = ledger(world)
    assert not any(i["billable_now"] for i in report["items"])
    assert {i["kind"] for i in report["items"]} == {"TrainingJob", "Endpoint"}
    again = cli(world, "cleanup", "--yes", "--include", "all")
    assert "Nothing to clean up." in again.stdout


# --------------------------------------------------------------------------- edges


def test_bad_options_exit_2() -> None:
    assert runner.invoke(app, ["cleanup", "--older-than", "2 parsecs"]).exit_code == 2
    assert runner.invoke(app, ["cleanup", "--include", "models,cats"]).exit_code == 2


def test_cost_without_a_platform_says_how_to_start_one(tmp_path: Any) -> None:
    result = runner.invoke(app, ["cost", "--home", str(tmp_path), "--port", str(free_port())])
    assert result.exit_code == 1
    assert "tsukuru up --detach" in result.output


def test_option_parsing_and_money() -> None:
    assert parse_older_than("90s") is not None
    assert parse_older_than("2h").total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_older_than("1.5d").total_seconds() == 129600  # type: ignore[union-attr]
    assert parse_older_than(None) is None
    with pytest.raises(ValueError, match="h2"):
        parse_older_than("h2")
    assert parse_include("Models, logs") == {"models", "logs"}
    assert parse_include("all") == {"models", "configs", "buckets", "logs"}
    assert parse_include(None) == set()
    assert [money(v) for v in (None, 0, 0.00001, 0.0031, 12.3)] == [
        "no list price",
        "$0",
        "<$0.0001",
        "$0.0031",
        "$12.30",
    ]
    assert [unit_price(v) for v in (0.115, 0.023, 0.5, 2.766, 3e-8)] == [
        "$0.115",
        "$0.023",
        "$0.50",
        "$2.766",
        "<$0.0001",
    ]
