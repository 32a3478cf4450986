"""The endpoint benchmark's baseline (a): the shortest honest model server one would write by hand.

One file, Starlette + uvicorn: `POST /invocations` parses the CSV body with numpy, calls
`Booster.inplace_predict` and answers the scores one per line; `GET /ping` says it is up. It has
no error shapes, no limits, no content negotiation and no supervision — that is the point: it is
the floor the platform's gateway + model server path is measured against
(`bench/endpoints.py`), run with the same number of workers on the same machine in the same run.

    python bench/baseline_app.py --model PATH/xgboost-model --port 8081 [--workers 1]
"""

from __future__ import annotations

import argparse
import io
import os
from typing import Any

import numpy as np
import uvicorn
import xgboost as xgb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MODEL_VARIABLE = "BENCH_BASELINE_MODEL"


def load_booster(path: str) -> Any:
    booster = xgb.Booster()
    booster.load_model(path)
    return booster


def predictions_csv(booster: Any, body: bytes) -> bytes:
    features = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=np.float64, ndmin=2)
    scores = booster.inplace_predict(features)
    return "\n".join(map(str, scores.tolist())).encode()


def build_app(model_path: str) -> Starlette:
    booster = load_booster(model_path)

    async def invocations(request: Request) -> Response:
        body = await request.body()
        return Response(predictions_csv(booster, body), media_type="text/csv")

    async def ping(_: Request) -> Response:
        return Response(b"", status_code=200)

    return Starlette(
        routes=[
            Route("/invocations", invocations, methods=["POST"]),
            Route("/ping", ping, methods=["GET"]),
        ]
    )


def app_from_environment() -> Starlette:
    """uvicorn's factory for each worker process (the model path comes in the environment)."""
    return build_app(os.environ[MODEL_VARIABLE])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[MODEL_VARIABLE] = args.model
    uvicorn.run(
        "bench.baseline_app:app_from_environment",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
