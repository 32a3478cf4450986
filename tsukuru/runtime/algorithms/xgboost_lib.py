"""Import xgboost without dragging scikit-learn into the job process.

`import xgboost` imports scikit-learn when it is installed (only for its optional
`XGBClassifier`-style wrappers, which training never uses); that alone costs about two
seconds of every job's start-up. Hiding scikit-learn for the duration of the import makes
xgboost fall back to its sklearn-less mode; the block is lifted right after, so code that
genuinely needs scikit-learn later can still import it.

OpenMP threads are also told to sleep rather than spin while they wait (OMP_WAIT_POLICY=PASSIVE,
unless the job's environment says otherwise): on a machine shared with other jobs, spinning
threads fight over the cores and a training round can take ten times longer.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _import_xgboost() -> Any:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    already = "xgboost" in sys.modules or "sklearn" in sys.modules
    if not already:
        sys.modules["sklearn"] = None  # type: ignore[assignment]  # makes `import sklearn` fail
    try:
        import xgboost
    finally:
        if not already and sys.modules.get("sklearn", 0) is None:
            del sys.modules["sklearn"]
    return xgboost


xgb: Any = _import_xgboost()
