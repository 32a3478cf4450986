"""Entry point of a batch transform job process: `python -m tsukuru.runtime.transform`.

The platform prepares the job folder (inputs linked under `input/data`, the model extracted in
`model/`, the settings in `input/config/transform.json`), points TSUKURU_JOB_ROOT at it and
starts this module. It loads the model once with the same inference handler an endpoint uses,
transforms every input file into `output/data/<relative key>.out` and reports like a job:

* success: exit code 0, every output in place;
* failure: `output/failure` holds the job's FailureReason, naming the file and the line
  (`ClientError: s3://b/in/x.csv, line 17: the model answered 415: ...`), exit code 1. Outputs
  finished before the failure stay, as SageMaker keeps objects it transformed completely;
* SIGTERM (StopTransformJob): exit 143 at once; a file in progress is left unfinished.

Mini-batches are transformed by MaxConcurrentTransforms threads (the model releases the GIL
while it predicts) and written in input order. An output is written under `output/partial` and
moved into place only when its whole input is done.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from tsukuru.runtime.serve import HANDLER_LOADERS, HandlerLoader, InferenceHandler
from tsukuru.runtime.transform_invoke import InvocationWatchdog, Invoker
from tsukuru.runtime.transform_processing import BatchProcessor
from tsukuru.runtime.transform_records import Batch, RecordError, read_batches
from tsukuru.runtime.transform_settings import (
    InputFile,
    SettingsError,
    TransformSettings,
    describe,
    load_settings,
)

EXIT_SUCCESS = 0
EXIT_FAILURE = 1
EXIT_STOPPED = 128 + signal.SIGTERM
OUTPUT_SUFFIX = ".out"
LOG_PREFIX = "[sagemaker logs]:"

log = logging.getLogger("tsukuru.transform")


class JobFailed(Exception):
    """The job fails with this reason (already worded as the FailureReason)."""


def say(message: str) -> None:
    print(f"{LOG_PREFIX} {message}", flush=True)


def load_inference_handler(model_dir: Path, environ: Mapping[str, str]) -> InferenceHandler:
    algorithm = environ.get("TSUKURU_ALGORITHM", "xgboost").strip().lower()
    target = HANDLER_LOADERS.get(algorithm)
    if target is None:
        raise JobFailed(
            f"ClientError: the model's algorithm {algorithm!r} cannot serve batch transform "
            f"here; supported: {', '.join(sorted(HANDLER_LOADERS))}"
        )
    module_name, _, function = target.partition(":")
    loader: HandlerLoader = getattr(importlib.import_module(module_name), function)
    try:
        return loader(model_dir, environ)
    except Exception as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise JobFailed(f"ClientError: the model cannot be loaded: {text}") from None


def ordered(
    pool: ThreadPoolExecutor | None,
    work: Callable[[Batch], bytes],
    batches: Iterable[Batch],
    window: int,
) -> Iterator[tuple[Batch, bytes]]:
    """`work(batch)` for every batch, at most `window` at once, results in input order."""
    if pool is None:
        for batch in batches:
            yield batch, work(batch)
        return
    pending: deque[tuple[Batch, Future[bytes]]] = deque()
    try:
        for batch in batches:
            pending.append((batch, pool.submit(work, batch)))
            if len(pending) >= window:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        for _, future in pending:
            future.cancel()


def transform_file(
    item: InputFile,
    settings: TransformSettings,
    processor: BatchProcessor,
    pool: ThreadPoolExecutor | None,
) -> int:
    """Transform one input into its `.out` file; returns how many records it held."""
    final = settings.output_dir / (item.relative + OUTPUT_SUFFIX)
    partial = settings.root / "output" / "partial" / (item.relative + OUTPUT_SUFFIX)
    partial.parent.mkdir(parents=True, exist_ok=True)
    records = 0
    try:
        with partial.open("wb") as out:
            batches = read_batches(item, settings)
            for batch, data in ordered(pool, processor.process, batches, settings.concurrency + 1):
                out.write(data)
                records += batch.count
    except RecordError as exc:
        partial.unlink(missing_ok=True)
        raise JobFailed(f"{exc.kind}: {item.uri}{exc.where()}: {exc.message}") from None
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, final)
    return records


def run(environ: Mapping[str, str]) -> int:
    root_text = environ.get("TSUKURU_JOB_ROOT")
    if not root_text:
        print("TSUKURU_JOB_ROOT is not set: the platform must name the job folder", file=sys.stderr)
        return EXIT_FAILURE
    root = Path(root_text)
    failure_file = root / "output" / "failure"
    failure_file.unlink(missing_ok=True)
    try:
        settings = load_settings(root, environ)
        started = time.monotonic()
        handler = load_inference_handler(root / "model", environ)
        say(f"Model loaded in {time.monotonic() - started:.2f} s. {describe(settings)}")
        watchdog = InvocationWatchdog(
            settings.invocation_timeout_s, lambda seconds: _timed_out(failure_file, seconds)
        ).start()
        invoker = Invoker(
            handler, settings.content_type, settings.accept, settings.max_retries, watchdog
        )
        processor = BatchProcessor(invoker, settings)
        pool = ThreadPoolExecutor(settings.concurrency) if settings.concurrency > 1 else None
        try:
            for item in settings.files:
                began = time.monotonic()
                count = transform_file(item, settings, processor, pool)
                seconds = time.monotonic() - began
                say(
                    f"{item.uri}: {count} records transformed in {seconds:.2f} s "
                    f"({count / max(seconds, 1e-9):,.0f} records/s) -> {item.relative}.out"
                )
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    except (JobFailed, SettingsError) as exc:
        return _fail(failure_file, str(exc))
    except Exception as exc:
        log.exception("the transform failed")
        return _fail(failure_file, f"AlgorithmError: {type(exc).__name__}: {exc}")
    say(f"Transformed {len(settings.files)} object(s).")
    return EXIT_SUCCESS


def _fail(failure_file: Path, reason: str) -> int:
    say(reason)
    failure_file.parent.mkdir(parents=True, exist_ok=True)
    failure_file.write_text(reason + "\n", encoding="utf-8")
    return EXIT_FAILURE


def _timed_out(failure_file: Path, seconds: float) -> None:
    _fail(
        failure_file,
        f"ClientError: the model did not answer an invocation within "
        f"InvocationsTimeoutInSeconds (it ran {seconds:.0f} s); raise "
        "ModelClientConfig.InvocationsTimeoutInSeconds or lower MaxPayloadInMB",
    )
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    os._exit(EXIT_FAILURE)


def _stop(signum: int, frame: object) -> None:
    say("Stop requested: the transform ends now; objects finished so far are kept.")
    os._exit(EXIT_STOPPED)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(name)s:%(message)s")
    signal.signal(signal.SIGTERM, _stop)
    code = run(os.environ)
    sys.stdout.flush()
    sys.exit(code)


if __name__ == "__main__":
    # Run the importable copy, so the handler's `tsukuru.runtime.serve` errors and the ones
    # this job catches are the same classes.
    from tsukuru.runtime import transform as _importable  # noqa: PLW0406

    _importable.main()
