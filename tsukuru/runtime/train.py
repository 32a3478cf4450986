"""Entry point of a training job process: `python -m tsukuru.runtime.train`.

The platform prepares a SageMaker-style tree, points TSUKURU_JOB_ROOT at it, names the
algorithm (TSUKURU_ALGORITHM, TSUKURU_ALGORITHM_VERSION) and starts this module. It exports
the `SM_*` environment, runs the algorithm — or, for framework images and XGBoost given an
entry point, the user's script (script_mode.py) — and reports the outcome the way SageMaker's
training toolkit does:

* success: `output/success`, exit code 0;
* failure: `output/failure` holding `ClientError: ...` or `AlgorithmError: ...` (the job's
  FailureReason), the traceback on stderr, exit code 1;
* SIGTERM (StopTrainingJob, MaxRuntimeInSeconds): during training the current round finishes,
  the model so far is written to `model/` and the process exits with 143; before training
  starts there is nothing to save and it exits with 143 at once.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Mapping

from tsukuru.runtime import script_mode
from tsukuru.runtime.algorithms import TrainFunction, load_algorithm
from tsukuru.runtime.algorithms.context import JobContext, Phase, StopSignal
from tsukuru.runtime.algorithms.errors import AlgorithmError, TrainingError
from tsukuru.runtime.env import training_environment
from tsukuru.runtime.layout import JobLayout
from tsukuru.runtime.script_mode_failure import UserScriptError

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_STOPPED = 128 + signal.SIGTERM

log = logging.getLogger("tsukuru.runtime")


def run(
    environ: Mapping[str, str],
    *,
    stop: StopSignal | None = None,
    export_environment: bool = False,
) -> int:
    """Run one job described by `environ`; returns the process exit code."""
    try:
        layout = JobLayout.from_environ(environ)
    except TrainingError as exc:
        print(exc.failure_reason, file=sys.stderr)
        return EXIT_FAILURE
    for stale in (layout.failure_file, layout.success_file):
        stale.unlink(missing_ok=True)
    try:
        algorithm = environ.get("TSUKURU_ALGORITHM", "xgboost")
        version = environ.get("TSUKURU_ALGORITHM_VERSION")
        if not version:
            raise AlgorithmError("TSUKURU_ALGORITHM_VERSION is not set")
        num_cpus = _count(environ.get("TSUKURU_NUM_CPUS"), os.cpu_count() or 1)
        num_gpus = _count(environ.get("TSUKURU_NUM_GPUS"), 0)
        if export_environment:
            os.environ.update(training_environment(layout, num_cpus=num_cpus, num_gpus=num_gpus))
        train: TrainFunction
        if script_mode.wants_script_mode(algorithm, layout):
            train = functools.partial(script_mode.train, framework=algorithm)
        else:
            train = load_algorithm(algorithm)
        context = JobContext(layout, version, num_cpus, num_gpus, stop or StopSignal())
        stopped = train(context)
    except TrainingError as exc:
        return _fail(layout, exc)
    except Exception as exc:
        return _fail(layout, AlgorithmError(f"{type(exc).__name__}: {exc}"))
    if stopped:
        log.info("Training stopped on request; the model trained so far was saved")
        return EXIT_STOPPED
    layout.write_success()
    log.info("Reporting training SUCCESS")
    return EXIT_SUCCESS


def _count(text: str | None, default: int) -> int:
    try:
        return max(int(text), 0) if text else default
    except ValueError:
        return default


def _fail(layout: JobLayout, error: TrainingError) -> int:
    if not isinstance(error, UserScriptError):  # a user's script printed its own traceback
        traceback.print_exc(file=sys.stderr)
    print(error.failure_reason, file=sys.stderr)
    log.error("Reporting training FAILURE")
    layout.write_failure(error.failure_reason)
    return EXIT_FAILURE


def install_stop_handler() -> StopSignal:
    """SIGTERM -> stop request. A watcher thread sees the signal even while the main thread is
    inside a long C call (parsing data), so a job that has not started training exits at once."""

    def on_request(phase: Phase) -> None:
        if phase == "setup":
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(EXIT_STOPPED)

    stop = StopSignal(on_request)
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.request())

    def watch() -> None:
        while True:
            data = os.read(read_fd, 64)
            if not data:
                return
            if signal.SIGTERM in data:
                stop.request()

    threading.Thread(target=watch, name="sigterm-watcher", daemon=True).start()
    return stop


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:root:%(message)s")
    stop = install_stop_handler()
    code = run(os.environ, stop=stop, export_environment=True)
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    main()
