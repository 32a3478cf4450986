"""Helpers for the model-server tests: real data, real boosters, real server processes."""

from __future__ import annotations

import csv
import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import xgboost as xgb

from tests.harness import free_port

BANK_CSV = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "bank-additional"
    / ("bank-additional.csv")
)
REPO_ROOT = Path(__file__).resolve().parents[2]
Matrix = np.ndarray[Any, np.dtype[np.float64]]


@lru_cache(maxsize=1)
def bank_features() -> tuple[Matrix, Matrix]:
    """The bank-marketing sample, numeric columns as they are and categories one-hot encoded."""
    with BANK_CSV.open(newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    columns = list(zip(*rows, strict=True))
    blocks: list[Matrix] = []
    for values in columns[:-1]:
        try:
            blocks.append(np.array([float(v) for v in values])[:, None])
        except ValueError:
            categories = sorted(set(values))
            blocks.append(np.array([[float(v == c) for c in categories] for v in values]))
    labels = np.array([float(v == "yes") for v in columns[-1]])
    assert header[-1] == "y"
    return np.hstack(blocks), labels


@lru_cache(maxsize=1)
def bank_booster() -> Any:
    features, labels = bank_features()
    params = {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "nthread": 1}
    return xgb.train(params, xgb.DMatrix(features, label=labels), num_boost_round=20)


def synthetic_booster(objective: str, *, features: int = 6, rounds: int = 8, **extra: Any) -> Any:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, features))
    if objective.startswith("multi:"):
        y = (x[:, 0] > 0.5).astype(float) + (x[:, 1] > 0).astype(float)
        extra.setdefault("num_class", 3)
    elif objective.startswith("binary:"):
        y = (x[:, 0] + x[:, 1] > 0).astype(float)
    else:
        y = x[:, 0] * 3 + x[:, 2]
    params = {"objective": objective, "max_depth": 3, "nthread": 1, **extra}
    return xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=rounds)


def write_model(model_dir: Path, booster: Any, *, pickled: bool = False) -> Path:
    """Save a booster as `xgboost-model` the way the training images do (pickle or native)."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / "xgboost-model"
    if pickled:
        path.write_bytes(pickle.dumps(booster, protocol=4))
    else:
        path.write_bytes(bytes(booster.save_raw("ubj")))
    return model_dir


def csv_body(rows: Matrix) -> bytes:
    return ("\n".join(",".join(map(str, row)) for row in rows.tolist()) + "\n").encode()


def parse_csv_response(text: str) -> Matrix:
    return np.array(text.replace("\n", ",").strip(",").split(","), dtype=np.float64)


@dataclass
class ModelServer:
    """One `python -m tsukuru.runtime.serve` process and an httpx client connected to it."""

    process: subprocess.Popen[bytes]
    client: httpx.Client
    log_path: Path
    uds: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_command(model_dir: Path, listen: list[str], failure_file: Path | None) -> list[str]:
    command = [sys.executable, "-m", "tsukuru.runtime.serve", "--model-dir", str(model_dir)]
    command += listen
    if failure_file is not None:
        command += ["--failure-file", str(failure_file)]
    return command


def server_env(env: dict[str, str]) -> dict[str, str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_")}
    merged.update({"TSUKURU_ALGORITHM": "xgboost", "PYTHONPATH": str(REPO_ROOT)})
    merged.update(env)
    return merged


def start_server(
    model_dir: Path,
    work_dir: Path,
    env: dict[str, str],
    *,
    uds: bool = False,
    timeout: float = 60,
) -> ModelServer:
    """Start a server and wait until /ping answers 200."""
    work_dir.mkdir(parents=True, exist_ok=True)
    if uds:
        socket_path = str(work_dir / "model.sock")
        listen = ["--uds", socket_path]
        transport = httpx.HTTPTransport(uds=socket_path)
        base_url = "http://model"
    else:
        port = free_port()
        socket_path = None
        listen = ["--host", "127.0.0.1", "--port", str(port)]
        transport = httpx.HTTPTransport()
        base_url = f"http://127.0.0.1:{port}"
    log_path = work_dir / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            server_command(model_dir, listen, work_dir / "failure"),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(env),
            cwd=REPO_ROOT,
        )
    client = httpx.Client(transport=transport, base_url=base_url, timeout=30)
    server = ModelServer(process, client, log_path, socket_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"model server exited with {process.returncode}:\n{server.log()}")
        try:
            if client.get("/ping").status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"model server did not answer /ping within {timeout} s:\n{server.log()}")
