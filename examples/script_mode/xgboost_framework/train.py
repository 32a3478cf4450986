"""XGBoost in framework mode: your own training loop in SageMaker's XGBoost container.

Run as `python train.py --num-round 50 --max-depth 4 --eta 0.2`; the data comes from the
`train` and `validation` channels (CSV, label first, no header). After every round the script
prints `validation auc: <value>`, which the estimator's `metric_definitions` regex turns into
the `validation:auc` metric. The model is saved as `xgboost-model`, the file the container's
default `model_fn` loads, so the endpoint needs no inference code: CSV (or libsvm, JSON) in,
predictions out with the container's defaults.
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import xgboost as xgb


def load_channel(folder: str) -> xgb.DMatrix:
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    table = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in files])
    return xgb.DMatrix(table[:, 1:], label=table[:, 0])


class PrintValidationAuc(xgb.callback.TrainingCallback):
    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        auc = evals_log["validation"]["auc"][-1]
        print(f"round {epoch}: validation auc: {auc:.5f}", flush=True)
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--num-round", type=int, default=50)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--eta", type=float, default=0.2)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "data/train"))
    parser.add_argument(
        "--validation", default=os.environ.get("SM_CHANNEL_VALIDATION", "data/validation")
    )
    args = parser.parse_args()

    train, validation = load_channel(args.train), load_channel(args.validation)
    params = {
        "objective": "binary:logistic",
        "eval_metric": "auc",
        "max_depth": args.max_depth,
        "eta": args.eta,
        "nthread": int(os.environ.get("SM_NUM_CPUS", "1")),
    }
    booster = xgb.train(
        params,
        train,
        num_boost_round=args.num_round,
        evals=[(validation, "validation")],
        verbose_eval=False,
        callbacks=[PrintValidationAuc()],
    )
    os.makedirs(args.model_dir, exist_ok=True)
    # the container's default model_fn loads `xgboost-model`; UBJSON is XGBoost's own format
    with open(os.path.join(args.model_dir, "xgboost-model"), "wb") as handle:
        handle.write(booster.save_raw("ubj"))


if __name__ == "__main__":
    main()
