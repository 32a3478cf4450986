"""kill -9 while an endpoint is being updated: after a restart the endpoint is InService again
without user action, serving the generation that served before the interrupted update under
its own config (the update is dropped: call UpdateEndpoint again), with exactly one model server
per instance and none left over from the killed run.

Killing a model server under load is covered by
`tests/acceptance/test_endpoints_boto3.py::test_killed_model_server_is_replaced_without_failing_calls`
(every call succeeds, the server is replaced); `python -m bench reliability` measures it under
concurrent load.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from tests.acceptance.platform_support import (
    INSTANCE,
    create_model,
    parse_predictions,
    wait_for_endpoint,
)
from tests.harness import make_client, start_platform
from tests.reliability.support import (
    csv_rows,
    model_archive,
    processes,
    s3_of,
    wait_for,
    working_in,
)
from tsukuru.hosting.orphans import is_alive

BUCKET = "crash-endpoints"


def config(sm: Any, name: str, model: str) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": INSTANCE,
            }
        ],
    )


def predict(runtime: Any, rows: str) -> Any:
    body = runtime.invoke_endpoint(EndpointName="live", Body=rows, ContentType="text/csv")["Body"]
    return parse_predictions(body.read())


@pytest.mark.slow
def test_kill_during_an_endpoint_update(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_platform(home)
    try:
        s3, sm = s3_of(first), make_client(first, "sagemaker")
        s3.create_bucket(Bucket=BUCKET)
        expected = {}
        for name, depth in (("old", 1), ("new", 6)):
            archive, booster, features = model_archive(depth)
            s3.put_object(Bucket=BUCKET, Key=f"{name}/model.tar.gz", Body=archive)
            create_model(sm, name, f"s3://{BUCKET}/{name}/model.tar.gz")
            config(sm, name, name)
            expected[name] = booster.predict(xgb.DMatrix(features))
        rows = csv_rows(features)
        assert not np.allclose(expected["old"], expected["new"], atol=1e-3)
        sm.create_endpoint(EndpointName="live", EndpointConfigName="old")
        assert wait_for_endpoint(sm, "live")["EndpointStatus"] == "InService"
        served = predict(make_client(first, "sagemaker-runtime"), rows)
        np.testing.assert_allclose(served, expected["old"], rtol=1e-5)
        old_runs = {found.run for found in processes(home)}
        old_servers = working_in(home, home / "run")
        assert len(old_servers) == 1, old_servers

        sm.update_endpoint(EndpointName="live", EndpointConfigName="new")
        assert sm.describe_endpoint(EndpointName="live")["EndpointStatus"] == "Updating"
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
        time.sleep(0.5)
        # the kill alone leaves the model server running, orphaned, until the next start
        assert is_alive(old_servers[0].pid)
        again = start_platform(home, port=first.port, timeout=120)
    except BaseException:
        first.stop()
        raise
    try:
        sm = make_client(again, "sagemaker")
        described = wait_for_endpoint(sm, "live", timeout=120)
        assert described["EndpointStatus"] == "InService", described.get("FailureReason")
        assert described["EndpointConfigName"] == "old"
        runtime = make_client(again, "sagemaker-runtime")
        np.testing.assert_allclose(predict(runtime, rows), expected["old"], rtol=1e-5)

        assert not is_alive(old_servers[0].pid)
        assert not old_runs & {found.run for found in processes(home)}, processes(home)
        servers = wait_for(
            lambda: working_in(home, home / "run"), timeout=30, what="the model server"
        )
        assert len(servers) == 1, servers

        sm.update_endpoint(EndpointName="live", EndpointConfigName="new")  # it can be redone
        described = wait_for_endpoint(sm, "live", timeout=120)
        assert (described["EndpointStatus"], described["EndpointConfigName"]) == (
            "InService",
            "new",
        )
        np.testing.assert_allclose(predict(runtime, rows), expected["new"], rtol=1e-5)
    finally:
        again.stop()
