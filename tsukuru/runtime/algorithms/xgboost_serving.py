"""The built-in XGBoost inference handler: the container's /invocations, version by version.

SageMaker's XGBoost images differ in what an endpoint answers (comma-joined CSV before 1.2-2,
Accept-driven output after, selectable output from 1.0-1, ensembles from 1.2-2, 1-based libsvm
indices in 3.0-5), and clients are written against one of them. `ServingBehaviour` pins those
differences to `TSUKURU_ALGORITHM_VERSION`; `XGBoostHandler.invoke` follows the container's order
of checks (204 empty body, 415 undecodable body, 400 unevaluable payload, 406 Accept) so that the
same request gets the same status code here as on SageMaker. Decoding, model loading and
encoding live in the `xgboost_serving_*` modules next to this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import scipy.sparse  # type: ignore[import-untyped]

from tsukuru.runtime.algorithms.xgboost_serving_decode import (
    Features,
    RequestFormat,
    decode,
    request_format,
)
from tsukuru.runtime.algorithms.xgboost_serving_encode import CSV, ResponseEncoder, selected_keys
from tsukuru.runtime.algorithms.xgboost_serving_model import LoadedModel, load_model
from tsukuru.runtime.serve import InvocationError, StartupError

LEGACY_VERSION = "1"
DEFAULT_VERSION = "3.0-5"
KNOWN_VERSIONS = ("1", "0.90-1", "0.90-2", "1.0-1", "1.2-1", "1.2-2", "1.3-1", "1.5-1", "1.7-1")
_VERSION = re.compile(r"^(\d+)\.(\d+)-(\d+)$")


@dataclass(frozen=True)
class ServingBehaviour:
    """What one image version does differently at inference time."""

    version: str
    comma_joined_csv: bool
    selectable_output: bool
    ensemble: bool
    one_based_libsvm: bool

    @classmethod
    def for_version(cls, version: str) -> ServingBehaviour:
        if version == LEGACY_VERSION:
            return cls(version, True, False, False, False)
        match = _VERSION.match(version)
        if match is None:
            raise StartupError(
                f"Unknown XGBoost image version {version!r}: use {LEGACY_VERSION!r} (legacy "
                f"xgboost:1 image) or a sagemaker-xgboost tag such as "
                f"{', '.join(KNOWN_VERSIONS[1:])} or {DEFAULT_VERSION}."
            )
        key = tuple(int(part) for part in match.groups())
        return cls(
            version=version,
            comma_joined_csv=key < (1, 2, 2),
            selectable_output=key >= (1, 0, 1),
            ensemble=key >= (1, 2, 2),
            one_based_libsvm=key >= (3, 0, 0),
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class XGBoostHandler:
    """Answers one /invocations request: body bytes in, (body bytes, Content-Type) out."""

    def __init__(self, model: LoadedModel, behaviour: ServingBehaviour, encoder: ResponseEncoder):
        self.model = model
        self.behaviour = behaviour
        self.encoder = encoder

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        if not body:
            raise InvocationError(HTTPStatus.NO_CONTENT, "")
        fmt = request_format(content_type)
        features = decode(body, fmt, one_based_libsvm=self.behaviour.one_based_libsvm)
        matrix = self._fit_to_model(features, fmt)
        try:
            predictions = self.model.predict(matrix)
        except Exception as exc:
            raise InvocationError(
                HTTPStatus.BAD_REQUEST, f"Unable to evaluate payload provided: {_first_line(exc)}"
            ) from None
        return self.encoder.encode(predictions, accept)

    def _fit_to_model(self, features: Features, fmt: RequestFormat) -> Any:
        """Apply the container's feature-count rules, then shape the input to the model's width.

        Pickled models (1.0-1, 1.2-x) take N or N-1 dense columns (libsvm: at most N+1); native
        models take at most N, as XGBoost's own check does. Columns the payload lacks are missing
        values, exactly what XGBoost does with a narrower DMatrix.
        """
        expected = self.model.num_features
        got = int(features.shape[1])
        sparse = isinstance(features, scipy.sparse.csr_matrix)
        if self.model.pickled:
            if sparse and got > expected + 1:
                self._reject(
                    f"Feature size of libsvm inference data {got} is larger than feature size "
                    f"of trained model {expected}."
                )
            if not sparse and got not in (expected, expected - 1):
                self._reject(
                    f"Feature size of {fmt.value} inference data {got} is not consistent with "
                    f"feature size of trained model {expected}."
                )
        elif got > expected:
            self._reject(
                "Number of columns does not match number of features in booster "
                f"(the model has {expected} features, the payload has {got} columns)."
            )
        if got == expected:
            return features
        if isinstance(features, scipy.sparse.csr_matrix):
            resized = features[:, :expected] if got > expected else features.copy()
            resized.resize((features.shape[0], expected))
            return resized
        padding = np.full((features.shape[0], expected - got), np.nan)
        return np.hstack((features, padding))

    @staticmethod
    def _reject(reason: str) -> NoReturn:
        raise InvocationError(
            HTTPStatus.BAD_REQUEST, f"Unable to evaluate payload provided: {reason}"
        )


def load_handler(model_dir: Path, environ: Mapping[str, str]) -> XGBoostHandler:
    """Build the handler for one worker: read the settings, load the model (StartupError)."""
    behaviour = ServingBehaviour.for_version(
        environ.get("TSUKURU_ALGORITHM_VERSION", "").strip() or DEFAULT_VERSION
    )
    ensemble = behaviour.ensemble and environ.get("SAGEMAKER_INFERENCE_ENSEMBLE", "true") == "true"
    model = load_model(model_dir, ensemble=ensemble)
    selection = None
    if behaviour.selectable_output:
        selection = selected_keys(environ.get("SAGEMAKER_INFERENCE_OUTPUT"))
    encoder = ResponseEncoder(
        comma_joined=behaviour.comma_joined_csv,
        selection=selection,
        objective=model.objective,
        num_class=model.num_class,
        batch=bool(environ.get("SAGEMAKER_BATCH")),
        default_accept=environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", CSV).strip().lower(),
    )
    return XGBoostHandler(model, behaviour, encoder)
