"""Image URI -> built-in algorithm, as SageMaker resolves the ECR names the SDK returns."""

from __future__ import annotations

import re

import pytest

from tsukuru.domain.errors import Invalid
from tsukuru.domain.images import (
    FRAMEWORK_RESOLVERS,
    XGBOOST_METRICS,
    XGBOOST_VERSIONS,
    ImageName,
    ImageSpec,
    parse_image_uri,
    resolve_inference_image,
    resolve_training_image,
)
from tsukuru.runtime.algorithms.xgboost_versions import VERSIONS


@pytest.mark.parametrize(
    "uri",
    [
        "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:latest",
        "811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:1",
        "685385470294.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1",
        "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/xgboost:latest",
    ],
)
def test_legacy_image_in_any_region_is_xgboost_1(uri: str) -> None:
    spec = resolve_training_image(uri)
    assert (spec.algorithm, spec.version, spec.legacy) == ("xgboost", "1", True)
    assert spec.image_uri == uri


@pytest.mark.parametrize(
    ("uri", "version"),
    [
        ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "1.7-1"),
        ("246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:0.90-1-cpu-py3", "0.90-1"),
        ("141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3", "1.0-1"),
        ("683313688378.dkr.ecr-fips.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5", "3.0-5"),
        ("451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.5-1", "1.5-1"),
        ("sagemaker-xgboost:1.2-2", "1.2-2"),
    ],
)
def test_container_images_resolve_to_their_version(uri: str, version: str) -> None:
    spec = resolve_training_image(uri)
    assert (spec.algorithm, spec.version, spec.legacy) == ("xgboost", version, False)
    assert "text/csv" in spec.supported_content_types
    assert "application/x-parquet" in spec.supported_content_types


def test_inference_uses_the_same_table() -> None:
    uri = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    spec = resolve_inference_image(uri)
    assert spec.version == "1.7-1"
    assert "text/csv" in spec.inference_content_types


@pytest.mark.parametrize(
    "uri",
    [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-image:latest",
        "docker.io/library/python:3.11",
        "quay.io/someone/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "quay.io/someone/sagemaker-xgboost:1.7-1",
    ],
)
def test_unknown_image_explains_what_is_supported(uri: str) -> None:
    with pytest.raises(Invalid) as caught:
        resolve_training_image(uri)
    message = caught.value.message
    assert uri in message
    assert "xgboost:latest" in message
    assert "1.7-1" in message
    assert "0.90-1" in message
    assert "script mode" in message


@pytest.mark.parametrize("tag", ["1.4-1", "2.0-1", "latest", "1.7"])
def test_unknown_container_version_is_invalid(tag: str) -> None:
    with pytest.raises(Invalid) as caught:
        resolve_training_image(
            f"683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:{tag}"
        )
    assert f"'{tag}'" in caught.value.message
    assert ", ".join(XGBOOST_VERSIONS) in caught.value.message


def test_metric_definitions_parse_cloudwatch_lines() -> None:
    spec = resolve_training_image("811284229777.dkr.ecr.us-east-1.amazonaws.com/xgboost:latest")
    definitions = dict(spec.metric_definitions)
    line = "[12]#011train-auc:0.91234#011validation-auc:0.89012#011validation-logloss:0.3"
    train = re.search(definitions["train:auc"], line)
    validation = re.search(definitions["validation:auc"], line)
    logloss = re.search(definitions["validation:logloss"], line)
    assert train is not None
    assert train.group(1) == "0.91234"
    assert validation is not None
    assert validation.group(1) == "0.89012"
    assert logloss is not None
    assert logloss.group(1) == "0.3"
    assert re.search(definitions["train:error"], "[0]#011train-error:1e-05") is not None


def test_metric_definitions_follow_the_version() -> None:
    new = dict(resolve_training_image("sagemaker-xgboost:1.7-1").metric_definitions)
    old = dict(resolve_training_image("sagemaker-xgboost:1.0-1").metric_definitions)
    assert "validation:balanced_accuracy" in new
    assert "validation:balanced_accuracy" not in old
    assert len(new) == 2 * 33
    assert new["validation:auc"] == (
        r".*\[[0-9]+\].*#011validation-auc:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?).*"
    )


def test_metric_lists_match_the_runtime() -> None:
    """The domain and the runtime may not import each other; this keeps their lists equal."""
    for version, metrics in XGBOOST_METRICS.items():
        assert metrics == VERSIONS[version].metrics, version
    assert set(VERSIONS) == set(XGBOOST_METRICS)


def test_parse_image_uri_splits_registry_repository_and_tag() -> None:
    name = parse_image_uri("localhost:5000/team/image:1.0@sha256:abc")
    assert (name.registry, name.repository, name.tag) == ("localhost:5000", "team/image", "1.0")
    assert parse_image_uri("python").tag is None


def test_framework_resolvers_extend_the_table() -> None:
    def scikit_learn(name: ImageName) -> ImageSpec | None:
        if name.repository.endswith("sagemaker-scikit-learn"):
            return ImageSpec(name.uri, "sklearn", name.tag or "", False, kind="framework")
        return None

    FRAMEWORK_RESOLVERS.append(scikit_learn)
    try:
        spec = resolve_training_image(
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1"
        )
    finally:
        FRAMEWORK_RESOLVERS.remove(scikit_learn)
    assert (spec.algorithm, spec.kind) == ("sklearn", "framework")
