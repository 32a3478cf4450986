"""Which algorithm a container image URI stands for, as SageMaker decides it from ECR names.

A training job or model names an image, not an algorithm. SageMaker's built-in XGBoost lives in
per-region ECR accounts under two repositories: `xgboost:latest`/`xgboost:1` (the legacy 0.72
algorithm, which still accepts `silent`) and `sagemaker-xgboost:<version>[-cpu-py3]` (the
open-source container, one set of rules per version). Any account and region resolve the same,
so tutorial code that calls `image_uris.retrieve("xgboost", region, ...)` works unchanged.

The metric definitions are the ones SageMaker attaches to the first-party image (they drive
FinalMetricDataList and tuning): `train:<m>` and `validation:<m>` for every metric the version
computes, matched against CloudWatch's rendering of the per-round line (TAB shown as `#011`).

Framework images (script mode) run the user's own code instead of an algorithm: the
scikit-learn, PyTorch and TensorFlow training and inference repositories resolve to a framework
named after the Python package that must be importable where the job runs (sklearn, pytorch,
tensorflow). `sagemaker-xgboost:<v>` stays the built-in algorithm; the runtime switches it to
framework mode when the job names an entry point (`sagemaker_program`), as the container does.
Framework resolvers plug in through `FRAMEWORK_RESOLVERS` without touching the built-in table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tsukuru.domain.errors import Invalid

LEGACY_XGBOOST = "1"
XGBOOST_VERSIONS = (
    "0.90-1",
    "0.90-2",
    "1.0-1",
    "1.2-1",
    "1.2-2",
    "1.3-1",
    "1.5-1",
    "1.7-1",
    "3.0-5",
)

TRAINING_CONTENT_TYPES = (
    "csv",
    "libsvm",
    "parquet",
    "recordio-protobuf",
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
)
INFERENCE_CONTENT_TYPES = (
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-recordio-protobuf",
)

_METRICS_090 = (
    "accuracy auc aucpr cox-nloglik f1 gamma-nloglik map ndcg poisson-nloglik tweedie-nloglik "
    "error gamma-deviance logloss mae merror mlogloss mse rmse"
)
_METRICS_10 = (
    "accuracy auc aucpr f1 map ndcg cox-nloglik error gamma-deviance gamma-nloglik logloss mae "
    "merror mlogloss mse poisson-nloglik rmse rmsle tweedie-nloglik"
)
_MINIMIZE_12 = (
    "aft-nloglik cox-nloglik error gamma-deviance gamma-nloglik interval-regression-accuracy "
    "logloss mae merror mlogloss mphe mse poisson-nloglik rmse rmsle tweedie-nloglik"
)
_METRICS_121 = "accuracy auc aucpr f1 map ndcg r2 " + _MINIMIZE_12
_METRICS_122 = "accuracy auc aucpr f1 f1_binary f1_macro map ndcg r2 " + _MINIMIZE_12
_METRICS_13 = (
    "accuracy auc aucpr balanced_accuracy f1 f1_binary f1_macro map ndcg precision r2 recall "
    "precision_macro precision_micro recall_macro recall_micro aft-nloglik cox-nloglik error "
    "gamma-deviance gamma-nloglik interval-regression-accuracy logloss mae mape merror "
    "mlogloss mphe mse poisson-nloglik rmse rmsle tweedie-nloglik"
)

# The metric names each version's container knows (its eval_metric / tuning vocabulary).
XGBOOST_METRICS: dict[str, tuple[str, ...]] = {
    LEGACY_XGBOOST: tuple(_METRICS_090.split()),
    "0.90-1": tuple(_METRICS_090.split()),
    "0.90-2": tuple(_METRICS_090.split()),
    "1.0-1": tuple(_METRICS_10.split()),
    "1.2-1": tuple(_METRICS_121.split()),
    "1.2-2": tuple(_METRICS_122.split()),
    "1.3-1": tuple(_METRICS_13.split()),
    "1.5-1": tuple(_METRICS_13.split()),
    "1.7-1": tuple(_METRICS_13.split()),
    "3.0-5": tuple(_METRICS_13.split()),
}

_NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_ECR_HOST = re.compile(r"^[0-9]{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
_CONTAINER_TAG = re.compile(r"^([0-9]+\.[0-9]+-[0-9]+)(?:-(?:cpu|gpu)(?:-py[0-9]+)?)?$")


@dataclass(frozen=True)
class ImageSpec:
    """What runs for an image: the algorithm, its version's rules, and how to read its logs."""

    image_uri: str
    algorithm: str
    version: str
    legacy: bool
    metric_definitions: list[tuple[str, str]] = field(default_factory=list)
    supported_content_types: list[str] = field(default_factory=list)
    inference_content_types: list[str] = field(default_factory=list)
    kind: Literal["algorithm", "framework"] = "algorithm"


@dataclass(frozen=True)
class ImageName:
    """An image URI split the way Docker splits it."""

    uri: str
    registry: str | None
    repository: str
    tag: str | None


# Extension point: resolvers for framework (script-mode) images, tried after the built-ins.
# Each returns an ImageSpec for images it recognises and None otherwise.
FRAMEWORK_RESOLVERS: list[Callable[[ImageName], ImageSpec | None]] = []

# ECR repository → framework, for SageMaker's script-mode images (current and legacy names).
FRAMEWORK_REPOSITORIES = {
    "sagemaker-scikit-learn": "sklearn",
    "pytorch-training": "pytorch",
    "pytorch-inference": "pytorch",
    "sagemaker-pytorch": "pytorch",
    "tensorflow-training": "tensorflow",
    "tensorflow-inference": "tensorflow",
    "sagemaker-tensorflow-scriptmode": "tensorflow",
    "sagemaker-tensorflow-serving": "tensorflow",
}
# `1.2-1-cpu-py3` → 1.2-1, `2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker` → 2.1.0, `2.13-cpu` → 2.13
_FRAMEWORK_TAG = re.compile(r"^([0-9]+(?:\.[0-9]+){0,2}(?:-[0-9]+)?)(?:-(?:cpu|gpu)\b.*)?$")


def parse_image_uri(uri: str) -> ImageName:
    """`[registry/]repository[:tag][@digest]`; the registry is the first part if it has a dot."""
    text = uri.strip()
    if "@" in text:
        text = text.split("@", 1)[0]
    registry: str | None = None
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, text = first, rest
    repository, tag = text, None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        repository, tag = text[:colon], text[colon + 1 :]
    return ImageName(uri=uri, registry=registry, repository=repository, tag=tag)


def xgboost_metric_definitions(version: str) -> list[tuple[str, str]]:
    """SageMaker's `train:<m>`/`validation:<m>` definitions for one XGBoost version."""
    metrics = XGBOOST_METRICS[version]
    return [
        (f"{channel}:{metric}", rf".*\[[0-9]+\].*#011{channel}-{metric}:{_NUMBER}.*")
        for channel in ("train", "validation")
        for metric in metrics
    ]


def resolve_training_image(uri: str) -> ImageSpec:
    """The algorithm behind a TrainingImage; Invalid (a ValidationException) when unknown."""
    return _resolve(uri, purpose="training")


def resolve_inference_image(uri: str) -> ImageSpec:
    """The algorithm behind a model's container Image; the same table as for training."""
    return _resolve(uri, purpose="inference")


def _resolve(uri: str, purpose: str) -> ImageSpec:
    name = parse_image_uri(uri)
    spec = _builtin_xgboost(name)
    if spec is not None:
        return spec
    for resolver in FRAMEWORK_RESOLVERS:
        spec = resolver(name)
        if spec is not None:
            return spec
    raise Invalid(_unsupported_message(name, purpose))


def _builtin_xgboost(name: ImageName) -> ImageSpec | None:
    if name.registry is not None and not _ECR_HOST.match(name.registry):
        return None
    if name.repository == "xgboost" and name.tag in (None, "latest", "1"):
        return _xgboost_spec(name.uri, LEGACY_XGBOOST)
    if name.repository != "sagemaker-xgboost":
        return None
    match = _CONTAINER_TAG.match(name.tag or "")
    if match is None or match.group(1) not in XGBOOST_VERSIONS:
        raise Invalid(
            f"The XGBoost image tag '{name.tag}' in {name.uri} is not a supported version. "
            f"Supported sagemaker-xgboost versions: {', '.join(XGBOOST_VERSIONS)} "
            "(optionally with a -cpu-py3 suffix), or xgboost:latest / xgboost:1 for the legacy "
            "algorithm."
        )
    return _xgboost_spec(name.uri, match.group(1))


def _xgboost_spec(uri: str, version: str) -> ImageSpec:
    return ImageSpec(
        image_uri=uri,
        algorithm="xgboost",
        version=version,
        legacy=version == LEGACY_XGBOOST,
        metric_definitions=xgboost_metric_definitions(version),
        supported_content_types=list(TRAINING_CONTENT_TYPES),
        inference_content_types=list(INFERENCE_CONTENT_TYPES),
    )


def framework_image(name: ImageName) -> ImageSpec | None:
    """SageMaker's scikit-learn / PyTorch / TensorFlow images from any region's ECR account."""
    if name.registry is not None and not _ECR_HOST.match(name.registry):
        return None
    framework = FRAMEWORK_REPOSITORIES.get(name.repository)
    if framework is None:
        return None
    match = _FRAMEWORK_TAG.match(name.tag or "")
    if match is None:
        raise Invalid(
            f"The {name.repository} image tag '{name.tag}' in {name.uri} does not name a "
            "framework version: use the URI sagemaker.image_uris.retrieve returns, such as "
            f"{name.repository}:<version>-cpu-py3 (the framework's own version comes from the "
            "package installed where tsukuru runs)."
        )
    return ImageSpec(
        image_uri=name.uri,
        algorithm=framework,
        version=match.group(1),
        legacy=False,
        kind="framework",
    )


FRAMEWORK_RESOLVERS.append(framework_image)


def _unsupported_message(name: ImageName, purpose: str) -> str:
    return (
        f"The {purpose} image {name.uri} is not supported. Supported images are SageMaker's "
        "built-in XGBoost from any region's ECR account: <account>.dkr.ecr.<region>.amazonaws.com"
        "/xgboost:latest (or :1, the legacy algorithm) and .../sagemaker-xgboost:<version> for "
        f"versions {', '.join(XGBOOST_VERSIONS)} (as returned by sagemaker.image_uris.retrieve"
        '("xgboost", region, version)), and the script-mode framework images '
        f"{', '.join(sorted(FRAMEWORK_REPOSITORIES))}:<version>. To train your own code, use "
        "script mode: a framework estimator (SKLearn, XGBoost, PyTorch, TensorFlow) with "
        "entry_point=..."
    )
