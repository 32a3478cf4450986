"""Framework images for script mode resolve from any region's ECR URI to the framework and its
version; the XGBoost image stays the built-in algorithm (the runtime switches it to script mode
when the job names an entry point)."""

from __future__ import annotations

import pytest

from tsukuru.domain.errors import Invalid
from tsukuru.domain.images import resolve_inference_image, resolve_training_image


@pytest.mark.parametrize(
    ("uri", "framework", "version"),
    [
        (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "sklearn",
            "1.2-1",
        ),
        (
            "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3",
            "sklearn",
            "1.4-2",
        ),
        (
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.1-cpu-py310",
            "pytorch",
            "2.1",
        ),
        (
            "763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch-inference:"
            "2.1.0-gpu-py310-cu121-ubuntu20.04-sagemaker",
            "pytorch",
            "2.1.0",
        ),
        (
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-training:2.13-cpu-py310",
            "tensorflow",
            "2.13",
        ),
        (
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/tensorflow-inference:2.13-cpu",
            "tensorflow",
            "2.13",
        ),
        (
            "520713654638.dkr.ecr.us-east-1.amazonaws.com/sagemaker-pytorch:1.0.0-cpu-py3",
            "pytorch",
            "1.0.0",
        ),
    ],
)
def test_framework_images_resolve_in_any_region(uri: str, framework: str, version: str) -> None:
    for resolve in (resolve_training_image, resolve_inference_image):
        spec = resolve(uri)
        assert (spec.algorithm, spec.version, spec.kind) == (framework, version, "framework")
        assert spec.metric_definitions == []


def test_xgboost_image_stays_the_built_in_algorithm() -> None:
    spec = resolve_training_image(
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    )
    assert (spec.algorithm, spec.version, spec.kind) == ("xgboost", "1.7-1", "algorithm")


def test_a_framework_tag_without_a_version_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        resolve_training_image(
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:latest"
        )
    assert "'latest'" in caught.value.message
    assert "image_uris.retrieve" in caught.value.message


def test_framework_names_outside_ecr_are_not_taken() -> None:
    with pytest.raises(Invalid) as caught:
        resolve_training_image("ghcr.io/someone/pytorch-training:2.1-cpu-py310")
    assert "sagemaker-scikit-learn" in caught.value.message
    assert "script mode" in caught.value.message
