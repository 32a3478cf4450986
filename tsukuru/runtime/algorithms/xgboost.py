"""SageMaker's built-in XGBoost algorithm mode: validate, load, train, save.

The steps and their failure messages follow the open-source container, so a job that fails
here fails the same way on SageMaker (and one that works here works there):

1. hyperparameters against the version's table, then the channels;
2. the files of `train` (required, non-empty) and `validation` (optional, non-empty if given);
3. labels against the objective (`label must be in [0,1] for logistic regression`);
4. `xgb.train` with the per-round monitor, early stopping, checkpoints and the stop hook;
5. the model, written to `model/xgboost-model` in the version's format.

A stop request during training ends it after the current round and saves the model so far.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from tsukuru.runtime.algorithms.context import JobContext
from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError
from tsukuru.runtime.algorithms.xgboost_callbacks import (
    RoundMonitor,
    SaveModelEachRound,
    StopWhenRequested,
)
from tsukuru.runtime.algorithms.xgboost_checkpoints import SaveCheckpoints, latest_checkpoint
from tsukuru.runtime.algorithms.xgboost_data import (
    LIBSVM,
    PARQUET,
    RECORDIO,
    TRAIN,
    VALIDATION,
    ChannelFiles,
    channel_files,
    check_input_mode,
    content_family,
    csv_delimiter,
    validate_channels,
    validate_files,
)
from tsukuru.runtime.algorithms.xgboost_lib import xgb
from tsukuru.runtime.algorithms.xgboost_metrics import custom_metric_function
from tsukuru.runtime.algorithms.xgboost_model import MODEL_NAME, save_booster
from tsukuru.runtime.algorithms.xgboost_params import hyperparameter_table
from tsukuru.runtime.algorithms.xgboost_plan import TrainingPlan, make_plan
from tsukuru.runtime.algorithms.xgboost_readers import (
    DenseData,
    read_csv,
    read_libsvm,
    read_parquet,
)
from tsukuru.runtime.algorithms.xgboost_round_scores import ScoreEachRound, round_scorer
from tsukuru.runtime.algorithms.xgboost_versions import XGBoostVersion, get_version

log = logging.getLogger("root")

NO_LABELS = (
    "Got input data without labels. Please check the input data set. If training job is running "
    "on multiple instances, please switch to using single instance if number of records in the "
    "data set is less than number of workers (16 * number of instance) in the cluster."
)
RECORDIO_UNSUPPORTED = (
    "Content type application/x-recordio-protobuf is not supported by this platform's built-in "
    "XGBoost. Provide the channel as text/csv, text/libsvm or application/x-parquet."
)
# XGBoost failures the container reports as the user's error rather than its own.
CUSTOMER_ERRORS = (
    "label must be in [0,1] for logistic regression",
    "label must be in [0, num_class)",
    "label must be discrete values in the range of [0, num_class)",
    "Target is multiclass but average='binary'",
    "feature_names mismatch",
    "Check failed: preds.size() == info.labels_.size()",
    "the dataset only contains pos or neg samples",
    "base_score must be in (0,1)",
    "label must be nonnegative",
    "label must be non-negative",
    "Parameter reg_lambda should be greater equal to 0",
)
_LOG_PREFIX = re.compile(r"^\[\d\d:\d\d:\d\d\] [^\n]*?:\d+: ")


def train(context: JobContext) -> bool:
    """Run the whole job; True when it was stopped early (the model so far is saved)."""
    version = get_version(context.algorithm_version)
    layout = context.layout
    hps = hyperparameter_table(version).validate(layout.hyperparameters())
    channels = validate_channels(layout.input_data_config())
    family = content_family(channels[TRAIN].get("ContentType"))
    for name in (TRAIN, VALIDATION):
        if name in channels:
            check_input_mode(channels[name], family, version)
    if family == RECORDIO:
        raise ClientError(RECORDIO_UNSUPPORTED)
    plan = make_plan(
        hps,
        version,
        num_cpus=context.num_cpus,
        num_gpus=context.num_gpus,
        has_validation=VALIDATION in channels,
    )

    train_files = channel_files(layout.channel_dir(TRAIN))
    val_files = channel_files(layout.channel_dir(VALIDATION)) if VALIDATION in channels else None
    validate_files(train_files, family)
    if val_files is not None:
        validate_files(val_files, family)
    if train_files.size == 0 or not train_files.files:
        raise ClientError(f"No data in training channel path {train_files.path}")
    if val_files is not None and (val_files.size == 0 or not val_files.files):
        raise ClientError(f"No data in validation channel path {val_files.path}")

    threads = int(plan.params["nthread"])
    dtrain = _load(train_files, family, plan, threads, reference=None)
    dval = _load(val_files, family, plan, threads, reference=dtrain) if val_files else None
    log.info("Train matrix has %s rows and %s columns", dtrain.num_row(), dtrain.num_col())
    if dval is not None:
        log.info("Validation matrix has %s rows", dval.num_row())
    if context.stop.requested():
        return True

    booster = _fit(context, version, plan, dtrain, dval)
    context.stop.enter("saving")
    save_booster(booster, layout.model_dir / MODEL_NAME, pickled=version.pickles_model)
    return context.stop.requested()


def _first_line(files: ChannelFiles) -> str:
    with files.files[0].open("r", encoding="utf-8", errors="ignore") as handle:
        return handle.readline()


def _load(
    files: ChannelFiles, family: str, plan: TrainingPlan, threads: int, reference: Any
) -> Any:
    """One channel as a matrix; `reference` is the training matrix when loading validation."""
    if family == LIBSVM:
        matrix = read_libsvm(files.files, xgb, threads=threads)
        check_labels(matrix.get_label(), plan)
        return matrix
    if family == PARQUET:
        data = read_parquet(files.files, threads=threads)
    else:
        delimiter = csv_delimiter(_first_line(files))
        data = read_csv(files.files, delimiter, weighted=plan.csv_weights, threads=threads)
    if data.rows == 0:
        raise ClientError(NO_LABELS)
    if reference is not None and data.features.shape[1] != reference.num_col():
        raise ClientError(
            f"The validation data has {data.features.shape[1]} features but the training data "
            f"has {reference.num_col()}; both channels need the same columns"
        )
    check_labels(data.label, plan)
    return _matrix(data, plan, threads, reference)


def _matrix(data: DenseData, plan: TrainingPlan, threads: int, reference: Any) -> Any:
    """A QuantileDMatrix for histogram training (about 4x smaller), else a DMatrix."""
    if plan.uses_histograms and (reference is None or isinstance(reference, xgb.QuantileDMatrix)):
        max_bin = plan.params.get("max_bin")
        extra = {"max_bin": int(max_bin)} if max_bin else {}
        return xgb.QuantileDMatrix(
            data.features,
            label=data.label,
            weight=data.weight,
            nthread=threads,
            ref=reference,
            **extra,
        )
    return xgb.DMatrix(data.features, label=data.label, weight=data.weight, nthread=threads)


def check_labels(label: Sequence[float] | np.ndarray, plan: TrainingPlan) -> None:
    """The label checks XGBoost of the container's era made, with their messages."""
    values = np.asarray(label)
    if values.size == 0:
        raise ClientError(NO_LABELS)
    objective = plan.objective
    if objective in ("binary:logistic", "reg:logistic", "binary:logitraw"):
        if np.any((values < 0) | (values > 1)):
            raise ClientError("label must be in [0,1] for logistic regression")
    elif objective in ("multi:softmax", "multi:softprob"):
        classes = int(plan.params.get("num_class", 1))
        whole = np.trunc(values)
        if np.any((whole < 0) | (whole >= classes)):
            raise ClientError("SoftmaxMultiClassObj: label must be in [0, num_class).")
    elif objective == "count:poisson" and np.any(values < 0):
        raise ClientError("PoissonRegression: label must be nonnegative")
    elif objective == "reg:tweedie" and np.any(values < 0):
        raise ClientError("TweedieRegression: label must be nonnegative")


def _fit(
    context: JobContext, version: XGBoostVersion, plan: TrainingPlan, dtrain: Any, dval: Any
) -> Any:
    layout = context.layout
    evals = [(dtrain, "train")] + ([(dval, "validation")] if dval is not None else [])
    start_model, done = None, 0
    checkpointing = layout.checkpoint_config() is not None
    if checkpointing:
        start_model, done = latest_checkpoint(layout.checkpoints_dir)
    callbacks: list[Any] = [RoundMonitor(version, plan.custom_metrics, offset=done)]
    scorer = round_scorer(plan.params, plan.custom_metrics, version)
    if scorer is not None:  # scores the rounds from cached margins instead of xgb.train
        callbacks.insert(0, ScoreEachRound(scorer, evals))
        evals = []
    if checkpointing:
        callbacks.append(SaveCheckpoints(layout.checkpoints_dir, offset=done))
    if plan.save_model_each_round:
        path = layout.model_dir / MODEL_NAME
        callbacks.append(SaveModelEachRound(path, pickled=version.pickles_model))
    if plan.early_stop is not None:
        stop = plan.early_stop
        callbacks.append(
            xgb.callback.EarlyStopping(
                rounds=stop.rounds,
                metric_name=stop.metric_name,
                data_name=stop.data_name,
                maximize=stop.maximize,
                save_best=True,
            )
        )
    callbacks.append(StopWhenRequested(context.stop.requested))
    custom = (
        custom_metric_function(plan.custom_metrics, plan.objective, version)
        if plan.custom_metrics
        else None
    )
    context.stop.enter("training")
    try:
        return xgb.train(
            plan.params,
            dtrain,
            num_boost_round=max(plan.num_round - done, 0),
            evals=evals,
            custom_metric=custom,
            callbacks=callbacks,
            xgb_model=start_model,
            verbose_eval=False,
        )
    except ClientError:
        raise
    except Exception as exc:
        message = clean_xgboost_message(str(exc))
        if any(known in message for known in CUSTOMER_ERRORS):
            raise ClientError(message) from exc
        raise AlgorithmError(f"XGB train call failed with exception:\n {message}") from exc


def clean_xgboost_message(message: str) -> str:
    """XGBoost's error without the `[hh:mm:ss] file.cc:NN:` prefix and the stack trace."""
    text = message.split("\nStack trace:", 1)[0].strip()
    return _LOG_PREFIX.sub("", text)
