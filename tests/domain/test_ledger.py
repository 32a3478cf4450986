"""The cost ledger: prices (listed, estimated from the family, missing), usage intervals of
endpoints, job records and stored bytes, on the memory store with a manual clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tsukuru.domain.clock import ManualClock
from tsukuru.domain.ledger import Ledger, LedgerReport
from tsukuru.domain.ledger_items import LineItem
from tsukuru.domain.ledger_prices import PriceTable, instance_shape
from tsukuru.domain.ledger_storage import GIB, log_group_item
from tsukuru.domain.ledger_usage import USAGE_KIND, MeteredPart, UsageMeter
from tsukuru.domain.ports import Bucket, LogGroup, Record, StoredObject
from tsukuru.domain.resources import epoch
from tsukuru.domain.scope import Scope
from tsukuru.store.memory import MemoryMetadata

SCOPE = Scope("123456789012", "us-east-1")
SHIPPED = Path(__file__).resolve().parents[2] / "tsukuru" / "data" / "pricing"
INSTANCE_HEADER = "instance_type,usage,usd_per_hour,source,as_of\n"


@pytest.fixture
def prices() -> PriceTable:
    return PriceTable.from_folders([SHIPPED])


# --------------------------------------------------------------------------- prices


def test_shipped_table_matches_the_shared_reference_data(prices: PriceTable) -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data" / "pricing"
    if shared.is_dir():
        reference = PriceTable.from_folders([shared])
        assert reference.instance_rates.keys() == prices.instance_rates.keys()
        assert reference.storage_rates.keys() == prices.storage_rates.keys()
    assert prices.problems == []
    assert len(prices.files) == 2


def test_listed_price_is_quoted_with_its_source(prices: PriceTable) -> None:
    quote = prices.quote("ml.m5.large", "training")
    assert quote.basis == "listed"
    assert quote.usd_per_hour == pytest.approx(0.115)
    assert quote.based_on is None
    assert "USE1-Train:ml.m5.large" in quote.source
    assert quote.as_of == "2026-08-11"


def test_another_generation_of_the_family_gives_an_estimate(prices: PriceTable) -> None:
    quote = prices.quote("ml.m4.xlarge", "realtime_inference")
    assert quote.basis == "estimated"
    assert quote.based_on == "ml.m5.xlarge"  # same size preferred over a scaled size
    assert quote.usd_per_hour == pytest.approx(0.23)


def test_a_larger_size_is_scaled_from_the_same_generation(prices: PriceTable) -> None:
    quote = prices.quote("ml.m5.12xlarge", "realtime_inference")
    assert quote.basis == "estimated"
    assert quote.based_on == "ml.m5.2xlarge"  # the closest listed size
    assert quote.usd_per_hour == pytest.approx(0.461 * 6)


def test_estimates_never_cross_usages(prices: PriceTable) -> None:
    # ml.m5.2xlarge is listed only for realtime_inference; training estimates from m5 training
    quote = prices.quote("ml.m5.2xlarge", "training")
    assert quote.basis == "estimated"
    assert quote.based_on == "ml.m5.4xlarge"  # as close as ml.m5.xlarge; ties go by name
    assert quote.usd_per_hour == pytest.approx(0.922 / 2)


@pytest.mark.parametrize(
    ("instance_type", "usage"),
    [
        ("ml.m5.large", "batch_transform"),  # no batch transform rows at all
        ("ml.c5.xlarge", "training"),  # no listed type of the c family
        ("ml.m5.metal", "training"),  # a size without a normalization factor
        ("local", "training"),
        ("serverless", "serverless_inference"),
    ],
)
def test_no_list_price_is_missing_not_free(
    prices: PriceTable, instance_type: str, usage: str
) -> None:
    quote = prices.quote(instance_type, usage)
    assert quote.basis == "missing"
    assert quote.usd_per_hour is None


def test_user_rows_override_and_extend_the_shipped_table(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text(
        INSTANCE_HEADER
        + "ml.m5.large,training,0.2,my invoice,2026-10-01\n"
        + "ml.c5.xlarge,batch_transform,0.204,my invoice,2026-10-01\n"
    )
    table = PriceTable.from_folders([SHIPPED, tmp_path, tmp_path / "absent"])
    listed = table.quote("ml.m5.large", "training")
    assert (listed.usd_per_hour, listed.source) == (0.2, "my invoice")
    assert table.quote("ml.c5.xlarge", "batch_transform").basis == "listed"
    estimate = table.quote("ml.c5.2xlarge", "batch_transform")
    assert estimate.basis == "estimated"
    assert estimate.usd_per_hour == pytest.approx(0.408)
    assert str(tmp_path / "mine.csv") in table.files


def test_bad_rows_and_files_are_reported_and_skipped() -> None:
    table = PriceTable()
    table.add_csv(
        INSTANCE_HEADER
        + "ml.m5.large,training,cheap,x,2026\n"
        + "ml.m5.large,painting,1,x,2026\n"
        + "m5.large,training,1,x,2026\n"
        + "ml.m5.large,training,-1,x,2026\n"
        + "ml.m5.large,training,0.5,x,2026\n",
        "a.csv",
    )
    table.add_csv("price,thing\n1,2\n", "b.csv")
    assert len(table.problems) == 5
    assert table.problems[0].startswith("a.csv line 2:")
    assert "unknown columns" in table.problems[-1]
    assert table.quote("ml.m5.large", "training").usd_per_hour == 0.5
    assert table.files == ["a.csv"]


def test_instance_shapes() -> None:
    shape = instance_shape("ml.g4dn.2xlarge")
    assert shape is not None
    assert (shape.family, shape.generation, shape.attributes, shape.size_units) == (
        "g",
        4,
        "dn",
        16.0,
    )
    inf = instance_shape("ml.inf1.xlarge")
    assert inf is not None
    assert (inf.family, inf.generation) == ("inf", 1)
    assert instance_shape("ml.t3.medium") is not None
    assert instance_shape("ml.m5.metal") is None
    assert instance_shape("ml.m5") is None


# --------------------------------------------------------------------------- usage intervals


class World:
    def __init__(self, prices: PriceTable) -> None:
        self.clock = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
        self.metadata = MemoryMetadata()
        self.meter = UsageMeter(self.metadata.resources, self.clock)
        self.ledger = Ledger(
            self.metadata.resources,
            self.metadata.objects,
            self.metadata.logs,
            self.meter,
            prices,
            self.clock,
        )

    def endpoint(
        self, name: str, instance_type: str, count: int, status: str = "InService"
    ) -> Record:
        now = self.clock.now()
        doc = {
            "EndpointName": name,
            "EndpointStatus": status,
            "LastModifiedTime": epoch(now),
            "Variants": [
                {
                    "VariantName": "AllTraffic",
                    "InstanceType": instance_type,
                    "InstanceCount": count,
                    "CurrentWeight": 1.0,
                }
            ],
        }
        arn = SCOPE.arn("sagemaker", f"endpoint/{name}")
        record = Record("Endpoint", SCOPE, name, arn, status, now, now, doc)
        return self.metadata.resources.insert(record)

    def set_count(self, record: Record, count: int) -> Record:
        doc = json.loads(json.dumps(record.doc))
        doc["Variants"][0]["InstanceCount"] = count
        stored = self.metadata.resources.get("Endpoint", SCOPE, record.name)
        return self.metadata.resources.update(replace(stored, doc=doc))

    def delete(self, record: Record) -> None:
        self.metadata.resources.delete("Endpoint", SCOPE, record.name)
        self.meter.endpoint_deleted(SCOPE, record.name)

    def report(self) -> LedgerReport:
        return self.ledger.report(SCOPE)

    def items(self, kind: str) -> list[LineItem]:
        return [item for item in self.report().items if item.kind == kind]


@pytest.fixture
def world(prices: PriceTable) -> World:
    return World(prices)


def test_an_endpoint_bills_while_it_exists_and_stops_when_deleted(world: World) -> None:
    record = world.endpoint("e1", "ml.m5.large", 2)
    world.meter.endpoint_serving(record)
    world.clock.advance(3600)
    [item] = world.items("Endpoint")
    assert (item.running, item.billable_now, item.status) == (True, True, "InService")
    assert item.instance_count == 2
    assert item.quantity == pytest.approx(2.0)
    assert item.estimated_usd == pytest.approx(0.23)
    assert item.usd_per_hour == pytest.approx(0.23)
    assert item.part == "AllTraffic"

    world.meter.endpoint_serving(world.set_count(record, 1))  # scaled in
    world.clock.advance(3600)
    world.delete(record)
    world.clock.advance(7200)  # deleted: no more cost
    [item] = world.items("Endpoint")
    assert (item.running, item.billable_now, item.status) == (False, False, "Deleted")
    assert item.quantity == pytest.approx(3.0)
    assert item.estimated_usd == pytest.approx(0.345)
    assert item.usd_per_hour is None
    assert item.elapsed_seconds == pytest.approx(7200)
    assert item.ended == datetime(2026, 3, 1, 2, tzinfo=UTC)


def test_reporting_the_same_variants_again_keeps_one_interval(world: World) -> None:
    record = world.endpoint("e1", "ml.m5.large", 1)
    world.meter.endpoint_serving(record)
    world.clock.advance(60)
    world.meter.endpoint_serving(record)  # a platform restart redeploys the same endpoint
    intervals = world.meter.intervals(SCOPE)
    assert len(intervals) == 1
    assert intervals[0].end is None


def test_a_recreated_endpoint_is_a_new_line(world: World) -> None:
    first = world.endpoint("e1", "ml.m5.large", 1)
    world.meter.endpoint_serving(first)
    world.clock.advance(1800)
    world.delete(first)
    world.clock.advance(10)
    second = world.endpoint("e1", "ml.m5.xlarge", 1)
    world.meter.endpoint_serving(second)
    world.clock.advance(1800)
    items = sorted(world.items("Endpoint"), key=lambda item: item.started or 0)
    assert [(i.status, i.running, i.instance_type) for i in items] == [
        ("Deleted", False, "ml.m5.large"),
        ("InService", True, "ml.m5.xlarge"),
    ]
    assert items[1].estimated_usd == pytest.approx(0.115)


def test_reconcile_repairs_missed_hooks(world: World) -> None:
    gone = world.endpoint("gone", "ml.m5.large", 1)
    world.meter.endpoint_serving(gone)
    world.metadata.resources.delete("Endpoint", SCOPE, "gone")  # deleted without the hook
    unmetered = world.endpoint("old", "ml.m5.large", 1)  # serving before metering existed
    world.endpoint("broken", "ml.m5.large", 1, status="Failed")
    world.clock.advance(3600)
    items = {item.name: item for item in world.items("Endpoint")}
    assert set(items) == {"gone", "old"}
    assert items["gone"].status == "Deleted"
    assert not items["gone"].running
    assert items["old"].running
    assert items["old"].started == unmetered.created
    assert items["old"].estimated_usd == pytest.approx(0.115)
    assert all(r.status == "Closed" for r in _usage(world) if r.doc["ResourceName"] == "gone")


def _usage(world: World) -> list[Record]:
    return world.metadata.resources.list_by_status(USAGE_KIND, ("Open", "Closed"))


def test_notebook_instances_meter_through_the_same_intervals(world: World) -> None:
    now = world.clock.now()
    arn = SCOPE.arn("sagemaker", "notebook-instance/nb")
    notebook = Record("NotebookInstance", SCOPE, "nb", arn, "InService", now, now, {})
    world.metadata.resources.insert(notebook)
    world.meter.running(notebook, [MeteredPart("", "ml.t3.medium", 1, "notebook_instance")])
    world.clock.advance(7200)
    world.meter.stopped(SCOPE, "NotebookInstance", "nb")
    [item] = world.items("NotebookInstance")
    assert (item.running, item.status, item.price_basis) == (False, "InService", "listed")
    assert item.estimated_usd == pytest.approx(0.10)


# --------------------------------------------------------------------------- jobs


def _job(world: World, name: str, status: str, doc: dict[str, Any]) -> None:
    now = world.clock.now()
    base = {
        "Request": {"ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 2}},
        "TrainingJobStatus": status,
        "CreationTime": epoch(now),
    }
    arn = SCOPE.arn("sagemaker", f"training-job/{name}")
    world.metadata.resources.insert(
        Record("TrainingJob", SCOPE, name, arn, status, now, now, {**base, **doc})
    )


def test_training_jobs_are_priced_from_their_records(world: World) -> None:
    start = world.clock.now()
    _job(
        world,
        "done",
        "Completed",
        {
            "TrainingStartTime": epoch(start),
            "TrainingEndTime": epoch(start + timedelta(hours=1)),
            "BillableTimeInSeconds": 3600,
        },
    )
    _job(world, "busy", "InProgress", {"TrainingStartTime": epoch(start)})
    _job(world, "queued", "InProgress", {})
    world.clock.advance(1800)
    items = {item.name: item for item in world.items("TrainingJob")}
    done, busy, queued = items["done"], items["busy"], items["queued"]
    assert (done.running, done.billable_now) == (False, False)
    assert done.estimated_usd == pytest.approx(0.23)  # 2 instances x 1 h x 0.115
    assert done.elapsed_seconds == pytest.approx(3600)
    assert (busy.running, busy.billable_now) == (True, True)
    assert busy.estimated_usd == pytest.approx(0.115)
    assert busy.usd_per_hour == pytest.approx(0.23)
    assert queued.estimated_usd == 0.0
    assert queued.running


def test_transform_jobs_have_no_list_price(world: World) -> None:
    now = world.clock.now()
    doc = {
        "Request": {"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}},
        "TransformJobStatus": "Completed",
        "TransformStartTime": epoch(now),
        "TransformEndTime": epoch(now + timedelta(minutes=5)),
    }
    arn = SCOPE.arn("sagemaker", "transform-job/t")
    world.metadata.resources.insert(
        Record("TransformJob", SCOPE, "t", arn, "Completed", now, now, doc)
    )
    [item] = world.items("TransformJob")
    assert item.price_basis == "missing"
    assert item.estimated_usd is None
    assert item.quantity == pytest.approx(5 / 60)
    report = world.report()
    assert report.unpriced == [item]
    assert report.to_json()["totals"]["unpriced"] == 1


# --------------------------------------------------------------------------- storage


def test_stored_bytes_are_prorated_gb_months(world: World) -> None:
    start = world.clock.now()
    objects = world.metadata.objects
    objects.create_bucket(Bucket("data", SCOPE.account_id, SCOPE.region, start))
    objects.create_bucket(Bucket("elsewhere", SCOPE.account_id, "eu-west-1", start))
    objects.put_object(StoredObject("data", "a", "blob-a", GIB, '"x"', start))
    world.clock.advance(365 * 3600)
    objects.put_object(StoredObject("data", "b", "blob-b", GIB, '"y"', world.clock.now()))
    world.clock.advance(365 * 3600)
    [item] = world.items("Bucket")
    assert item.name == "data"
    assert item.stored_bytes == 2 * GIB
    assert item.quantity == pytest.approx(1.5)  # 1 GB x 1 month + 1 GB x half a month
    assert item.estimated_usd == pytest.approx(1.5 * 0.023)
    assert item.usd_per_hour == pytest.approx(2 * 0.023 / 730)
    assert (item.billable_now, item.running) == (True, False)


def test_an_empty_bucket_does_not_bill(world: World) -> None:
    world.metadata.objects.create_bucket(
        Bucket("empty", SCOPE.account_id, SCOPE.region, world.clock.now())
    )
    [item] = world.items("Bucket")
    assert not item.billable_now
    assert item.estimated_usd == 0.0


def test_log_groups_bill_ingestion_and_say_storage_is_unpriced(prices: PriceTable) -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    group = LogGroup(SCOPE, "/aws/sagemaker/TrainingJobs", created, stored_bytes=GIB // 2)
    item = log_group_item(group, prices, created + timedelta(days=1))
    assert item.estimated_usd == pytest.approx(0.25)
    assert item.billable_now
    assert "no list price" in item.note
    prices.add_csv(
        "item,unit,usd,source,as_of\ncloudwatch-logs-storage-standard,GB-month,0.03,me,2026\n",
        "mine.csv",
    )
    priced = log_group_item(group, prices, created + timedelta(hours=730))
    assert priced.estimated_usd == pytest.approx(0.25 + 0.5 * 0.03)
    assert priced.note == ""


# --------------------------------------------------------------------------- report


def test_report_is_json_with_totals_and_free_definitions(world: World) -> None:
    record = world.endpoint("e1", "ml.m4.xlarge", 1)
    world.meter.endpoint_serving(record)
    now = world.clock.now()
    model = Record("Model", SCOPE, "m1", SCOPE.arn("sagemaker", "model/m1"), None, now, now, {})
    world.metadata.resources.insert(model)
    world.clock.advance(3600)
    report = world.report()
    document = json.loads(json.dumps(report.to_json()))
    kinds = [item["kind"] for item in document["items"]]
    assert kinds == ["Endpoint", "Model"]  # billing first
    endpoint, free = document["items"]
    assert endpoint["price_basis"] == "estimated"
    assert endpoint["based_on"] == "ml.m5.xlarge"
    assert free["price_basis"] == "no_charge"
    assert free["estimated_usd"] == 0.0
    assert document["totals"]["estimated_usd"] == pytest.approx(0.23)
    assert document["totals"]["usd_per_hour_now"] == pytest.approx(0.23)
    assert document["totals"]["running"] == 1
    assert document["price_region"] == "us-east-1"
