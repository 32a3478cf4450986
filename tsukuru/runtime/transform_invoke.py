"""Calling the inference handler as SageMaker's transform agent calls /invocations.

The model is loaded once in the job process and called in-process: an HTTP hop would add
nothing a user can observe. What stays is the agent's contract: each call carries the input's
ContentType and the output's Accept; an answer of 5xx (or an unexpected exception) is retried up
to InvocationsMaxRetries times, a 4xx is not; a call still running after
InvocationsTimeoutInSeconds ends the job. `answers()` splits one answer into one text per
record, which joins and output filters need.
"""

from __future__ import annotations

import contextlib
import csv
import json
import threading
import time
from collections.abc import Callable, Iterator

from tsukuru.runtime.serve import InferenceHandler, InvocationError
from tsukuru.runtime.transform_settings import media_type


class InvocationFailed(Exception):
    """The model answered an error status for a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def describe(self) -> str:
        text = " ".join(self.message.split()) or "(no message)"
        return f"the model answered {self.status}: {text}"


class InvocationWatchdog:
    """Notices a call that runs past the timeout (a C call cannot be interrupted, so the
    reaction, `on_timeout(seconds)`, is expected to end the process)."""

    def __init__(self, timeout_s: float, on_timeout: Callable[[float], None]) -> None:
        self.timeout_s = timeout_s
        self._on_timeout = on_timeout
        self._busy: dict[int, float] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="invocation-watch", daemon=True)

    def start(self) -> InvocationWatchdog:
        self._thread.start()
        return self

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        ident = threading.get_ident()
        with self._lock:
            self._busy[ident] = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._busy.pop(ident, None)

    def _watch(self) -> None:
        interval = min(1.0, self.timeout_s / 4)
        while True:
            time.sleep(interval)
            with self._lock:
                oldest = min(self._busy.values(), default=None)
            if oldest is not None and time.monotonic() - oldest > self.timeout_s:
                self._on_timeout(time.monotonic() - oldest)
                return


class Invoker:
    def __init__(
        self,
        handler: InferenceHandler,
        content_type: str | None,
        accept: str | None,
        max_retries: int,
        watchdog: InvocationWatchdog | None = None,
    ) -> None:
        self._handler = handler
        self._content_type = content_type
        self._accept = accept
        self._retries = max(0, max_retries)
        self._watchdog = watchdog

    def __call__(self, body: bytes) -> tuple[bytes, str]:
        """(answer, its Content-Type); InvocationFailed for an error the retries did not cure."""
        attempt = 0
        while True:
            try:
                with self._watchdog.busy() if self._watchdog else contextlib.nullcontext():
                    return self._handler.invoke(body, self._content_type, self._accept)
            except InvocationError as exc:
                if exc.status == 204:
                    return b"", "text/csv"
                failure = InvocationFailed(exc.status, exc.message)
            except Exception as exc:  # the model server answers 500 to anything unexpected
                failure = InvocationFailed(500, f"{type(exc).__name__}: {exc}")
            if failure.status < 500 or attempt >= self._retries:
                raise failure
            attempt += 1


def answers(body: bytes, content_type: str, count: int) -> list[str] | None:
    """One text per record from an answer to `count` records, or None when the answer does not
    hold exactly `count` of them. JSON answers holding one list (`{"predictions": [...]}` or
    `[...]`) give one JSON text per element; other answers give one line per record."""
    text = body.decode("utf-8", errors="replace")
    if media_type(content_type) == "application/json":
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        items = document
        if isinstance(document, dict) and len(document) == 1:
            items = next(iter(document.values()))
        if isinstance(items, list) and len(items) == count and count != 1:
            return [json.dumps(item) for item in items]
        if isinstance(items, list) and count == 1 and len(items) == 1:
            return [json.dumps(items[0])]
        if document is not None and count == 1:
            return [text.strip()]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) == count:
        return [line.rstrip("\r") for line in lines]
    if count == 1:
        return [text.strip()]
    return None


def parse_value(text: str) -> object:
    """A record's answer as a JSON value: JSON as it is; a CSV line as a number or a list."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    fields = [_number(field) for field in text.split(",")]
    return fields[0] if len(fields) == 1 else fields


def _number(field: str) -> object:
    try:
        value = float(field)
    except ValueError:
        return field
    return int(value) if value.is_integer() and "." not in field and "e" not in field else value


def fields_of(text: str) -> list[str]:
    """A record's answer as CSV fields: JSON numbers and arrays become fields, a JSON object
    one field holding its text, a CSV line its own fields."""
    try:
        value = json.loads(text)
    except ValueError:
        return next(csv.reader([text]), [text])
    if isinstance(value, list):
        return [json.dumps(v) if isinstance(v, dict | list) else str(v) for v in value]
    if isinstance(value, dict):
        return [text]
    return [str(value)]
