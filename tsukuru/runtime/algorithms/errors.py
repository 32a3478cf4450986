"""The two ways a training job can fail, worded as SageMaker words a FailureReason.

`ClientError` is a mistake the user can fix (a bad hyperparameter, a missing channel, data in
the wrong format); `AlgorithmError` is a failure inside training itself. The entry point writes
`<kind>: <message>` to `output/failure`, which becomes the job's FailureReason.
"""

from __future__ import annotations


class TrainingError(Exception):
    kind = "AlgorithmError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def failure_reason(self) -> str:
        return f"{self.kind}: {self.message}"


class ClientError(TrainingError):
    kind = "ClientError"


class AlgorithmError(TrainingError):
    kind = "AlgorithmError"
