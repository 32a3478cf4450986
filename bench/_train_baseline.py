"""The training benchmark's baseline, alone in its process so its peak RSS is only its own.

`python -m bench._train_baseline CSV PARAMS_JSON ROUNDS` reads CSV the fast way (pyarrow's
multi-threaded reader, every column float32, label first), builds a `QuantileDMatrix`, trains
with `xgb.train`, and prints `{"seconds": ..., "cpu_s": ..., "phases": {...}}`: the time from
opening the file to the trained booster, the CPU seconds of that stretch, and how long its three
steps took (read, matrix, train: the benchmark compares them with the job's). Imports (numpy,
pyarrow, xgboost) happen before the clocks start, and nothing else is imported, so the process's
peak RSS is what this training needs and no more.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import xgboost as xgb


def train(
    path: Path, params: dict[str, Any], rounds: int, *, train_metric: bool = False
) -> tuple[float, float, dict[str, float]]:
    """Wall seconds and CPU seconds (all threads) from opening the file to the trained booster,
    and the wall seconds of each step. With `train_metric`, every round also evaluates the
    training set, as the built-in container does to log `train-<metric>`."""
    started, cpu = time.perf_counter(), time.process_time()
    with path.open() as handle:
        columns = len(handle.readline().split(","))
    names = [f"c{i}" for i in range(columns)]
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.float32())),
    )
    data = np.asarray(table.to_tensor(row_major=True))
    del table
    read = time.perf_counter()
    matrix = xgb.QuantileDMatrix(data[:, 1:], label=data[:, 0])
    del data
    built = time.perf_counter()
    evals = [(matrix, "train")] if train_metric else []
    xgb.train(params, matrix, num_boost_round=rounds, evals=evals, verbose_eval=False)
    ended = time.perf_counter()
    phases = {"read": read - started, "matrix": built - read, "train": ended - built}
    return ended - started, time.process_time() - cpu, phases


if __name__ == "__main__":
    seconds, cpu_s, phases = train(
        Path(sys.argv[1]),
        json.loads(sys.argv[2]),
        int(sys.argv[3]),
        train_metric="--train-metric" in sys.argv[4:],
    )
    print(json.dumps({"seconds": seconds, "cpu_s": cpu_s, "phases": phases}))
