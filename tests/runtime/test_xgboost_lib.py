"""The job process starts without scikit-learn and with sleeping OpenMP threads."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, os, sys
import tsukuru.runtime.algorithms.xgboost as algorithm
loaded = "sklearn" in sys.modules
import sklearn
print(json.dumps({"sklearn_at_start": loaded, "xgboost": algorithm.xgb.__version__,
                  "omp": os.environ.get("OMP_WAIT_POLICY")}))
"""


def probe(env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    answer: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_no_scikit_learn_at_start_but_importable_and_openmp_sleeps() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    answer = probe(env)
    assert answer["sklearn_at_start"] is False
    assert answer["omp"] == "PASSIVE"
