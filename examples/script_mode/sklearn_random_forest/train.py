"""A random forest on the bank-marketing data, written for SageMaker's scikit-learn container.

One file serves both sides of script mode, as the SKLearn estimator expects:

* training runs `python train.py --n-estimators 200 --max-depth 8 ...`: hyperparameters arrive
  as command-line arguments, the data and output folders as `SM_*` environment variables;
* the endpoint imports this module (so `main()` does not run) and calls `model_fn` to load the
  model and `predict_fn` to answer; JSON decoding and encoding are the container's defaults.

Data: CSV files without a header, the label (1 = subscribed) in the first column.
"""

from __future__ import annotations

import argparse
import glob
import os

import joblib
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

MODEL_FILE = "model.joblib"


def load_channel(folder: str) -> tuple[np.ndarray, np.ndarray]:
    files = sorted(glob.glob(os.path.join(folder, "*.csv")))
    if not files:
        raise FileNotFoundError(f"no CSV files in {folder}")
    table = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in files])
    return table[:, 1:], table[:, 0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int, default=100)
    parser.add_argument("--max-depth", type=int, default=None)
    parser.add_argument("--min-samples-leaf", type=int, default=1)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN", "data/train"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION"))
    args = parser.parse_args()

    features, labels = load_channel(args.train)
    print(f"training on {len(labels)} rows, {features.shape[1]} features", flush=True)
    model = RandomForestClassifier(
        n_estimators=args.n_estimators,
        max_depth=args.max_depth,
        min_samples_leaf=args.min_samples_leaf,
        class_weight="balanced",
        random_state=0,
        n_jobs=int(os.environ.get("SM_NUM_CPUS", "1")),
    )
    model.fit(features, labels)
    if args.validation:
        x, y = load_channel(args.validation)
        auc = roc_auc_score(y, model.predict_proba(x)[:, 1])
        print(f"validation auc: {auc:.5f}", flush=True)
    os.makedirs(args.model_dir, exist_ok=True)
    joblib.dump(model, os.path.join(args.model_dir, MODEL_FILE))


def model_fn(model_dir: str) -> RandomForestClassifier:
    return joblib.load(os.path.join(model_dir, MODEL_FILE))


def predict_fn(data: np.ndarray, model: RandomForestClassifier) -> np.ndarray:
    """The probability of "yes" for each row (the default would return the 0/1 class)."""
    return model.predict_proba(np.atleast_2d(data))[:, 1]


if __name__ == "__main__":
    main()
