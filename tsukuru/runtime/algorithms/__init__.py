"""Built-in algorithms the runtime can run, by the name the platform passes in TSUKURU_ALGORITHM.

Each entry is imported only when a job asks for it, so a job pays start-up time for its own
algorithm alone. An algorithm module exposes `train(context: JobContext) -> bool` (True when
it stopped early on request) and raises ClientError/AlgorithmError on failure.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from tsukuru.runtime.algorithms.errors import AlgorithmError

if TYPE_CHECKING:
    from tsukuru.runtime.algorithms.context import JobContext

TrainFunction = Callable[["JobContext"], bool]

ALGORITHMS = {"xgboost": "tsukuru.runtime.algorithms.xgboost"}


def load_algorithm(name: str) -> TrainFunction:
    module_name = ALGORITHMS.get(name)
    if module_name is None:
        raise AlgorithmError(
            f"Unknown built-in algorithm {name!r}; this runtime provides: {', '.join(ALGORITHMS)}"
        )
    module = importlib.import_module(module_name)
    return cast(TrainFunction, module.train)
