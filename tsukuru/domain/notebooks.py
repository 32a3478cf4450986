"""Notebook instances: Pending → InService | Failed, Stopping → Stopped, Deleting.

An instance is a JupyterLab server (started by the `NotebookHost` port) with a home folder
that outlives Stop/Start, in the client environment of `tsukuru exec`, so notebook code written
for SageMaker runs unchanged. Starting and stopping happen on worker threads, as on SageMaker
the calls return at once and the status moves on its own; one lock per instance keeps a stop
from racing a start, and the host aborts a start in progress when asked to stop.

Starting runs the lifecycle configuration's OnCreate script once (at the first start) and its
OnStart script every time, their output going to CloudWatch Logs under SageMaker's names; a
failing script fails the start. After a platform restart, instances that were InService come
back InService. While InService an instance is metered for the cost ledger.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from tsukuru.domain.clock import Clock
from tsukuru.domain.errors import AlreadyExists, DomainError, Invalid, NotFound
from tsukuru.domain.ledger_usage import MeteredPart
from tsukuru.domain.notebooks_lifecycle import LifecycleConfigService
from tsukuru.domain.notebooks_listing import all_records, list_page
from tsukuru.domain.notebooks_run import LifecycleFailed, LogWriter, run_lifecycle
from tsukuru.domain.notebooks_settings import apply_update, initial_settings, settings_filter
from tsukuru.domain.notebooks_validation import (
    check_create,
    check_notebook_name,
    check_session_seconds,
    check_settings,
    check_status,
    notebook_arn,
)
from tsukuru.domain.paging import Listing
from tsukuru.domain.ports import (
    NotebookHost,
    NotebookServer,
    NotebookStartFailed,
    Record,
    ResourceStore,
    TagStore,
)
from tsukuru.domain.resources import Doc, epoch, mutate
from tsukuru.domain.scope import Scope

log = logging.getLogger("tsukuru.notebooks")

KIND = "NotebookInstance"  # also the ledger's kind name
USAGE = "notebook_instance"  # the price table's usage for notebook instance hours
SORT_KEYS = ("Name", "CreationTime", "Status")
LOGIN_SECONDS = 300  # a presigned URL logs in for 5 minutes, as on SageMaker


class NotebookMeter(Protocol):
    """What the cost ledger needs to hear (`ledger_usage.UsageMeter` provides it)."""

    def running(self, record: Record, parts: list[MeteredPart]) -> None: ...

    def stopped(self, scope: Scope, kind: str, name: str) -> None: ...


def instance_id(scope: Scope, name: str) -> str:
    return f"{scope.account_id}/{scope.region}/{name}"


class NotebookService:
    def __init__(
        self,
        store: ResourceStore,
        tags: TagStore,
        clock: Clock,
        lifecycle: LifecycleConfigService,
        host: NotebookHost,
        write_logs: LogWriter,
        meter: NotebookMeter | None = None,
        *,
        script_timeout: float = 300.0,
        start_timeout: float = 180.0,
    ) -> None:
        self._store = store
        self._tags = tags
        self._clock = clock
        self._lifecycle = lifecycle
        self._host = host
        self._write_logs = write_logs
        self._meter = meter
        self._script_timeout = script_timeout
        self._start_timeout = start_timeout
        self._lock = threading.Lock()
        self._instance_locks: dict[tuple[Scope, str], threading.Lock] = {}
        self._threads: set[threading.Thread] = set()
        self._closing = False

    # ------------------------------------------------------------------ API

    def create(self, scope: Scope, request: dict[str, Any]) -> str:
        check_create(request)
        name = str(request["NotebookInstanceName"])
        if request.get("LifecycleConfigName"):
            self._lifecycle.get(scope, str(request["LifecycleConfigName"]))
        arn = notebook_arn(scope, name)
        now = self._clock.now()
        doc: Doc = {
            "NotebookInstanceName": name,
            "Request": initial_settings(request),
            "NotebookInstanceStatus": "Pending",
            "CreationTime": epoch(now),
            "LastModifiedTime": epoch(now),
            "OnCreateDone": False,
        }
        try:
            self._store.insert(Record(KIND, scope, name, arn, "Pending", now, now, doc))
        except AlreadyExists as exc:
            raise Invalid(f"Cannot create a duplicate Notebook Instance ({arn})") from exc
        if request.get("Tags"):
            self._tags.add_tags(arn, {t["Key"]: t.get("Value", "") for t in request["Tags"]})
        self._spawn(self._bring_up, scope, name, True)
        return arn

    def get(self, scope: Scope, name: str) -> Record:
        check_notebook_name(name)
        try:
            return self._store.get(KIND, scope, name)
        except NotFound as exc:
            raise Invalid("RecordNotFound") from exc

    def list(self, scope: Scope) -> builtins.list[Record]:
        """Every instance of the scope, newest first (the console's list)."""
        return sorted(
            all_records(self._store, KIND, scope), key=lambda record: record.created, reverse=True
        )

    def find(
        self,
        scope: Scope,
        listing: Listing,
        lifecycle_contains: str | None = None,
        repository_contains: str | None = None,
        repository_equals: str | None = None,
    ) -> tuple[builtins.list[Record], str | None]:
        extra = settings_filter(lifecycle_contains, repository_contains, repository_equals)
        fingerprint = {"lc": lifecycle_contains, "rc": repository_contains, "re": repository_equals}
        return list_page(self._store, KIND, scope, listing, SORT_KEYS, extra, fingerprint)

    def start(self, scope: Scope, name: str) -> None:
        record = self.get(scope, name)
        check_status(record.status or "", ("Stopped", "Failed"), "Pending", record.arn)

        def pending(doc: Doc) -> str | None:
            if doc["NotebookInstanceStatus"] not in ("Stopped", "Failed"):
                return None  # another request won the race
            doc["NotebookInstanceStatus"] = "Pending"
            doc.pop("FailureReason", None)
            doc["LastModifiedTime"] = epoch(self._clock.now())
            return "Pending"

        if self._mutate(scope, name, pending).status == "Pending":
            self._spawn(self._bring_up, scope, name, True)

    def stop(self, scope: Scope, name: str) -> None:
        record = self.get(scope, name)
        check_status(record.status or "", ("Pending", "InService"), "Stopping", record.arn)
        self._mark(scope, name, "Stopping")
        self._host.stop(instance_id(scope, name))  # aborts a start in progress at once
        self._spawn(self._take_down, scope, name)

    def update(self, scope: Scope, request: dict[str, Any]) -> None:
        name = str(request.get("NotebookInstanceName", ""))
        record = self.get(scope, name)
        check_status(record.status or "", ("Stopped", "Failed"), "Updating", record.arn)
        check_settings(request)
        if request.get("LifecycleConfigName"):
            self._lifecycle.get(scope, str(request["LifecycleConfigName"]))

        def change(doc: Doc) -> None:
            apply_update(doc["Request"], request)
            doc["LastModifiedTime"] = epoch(self._clock.now())

        self._mutate(scope, name, change)

    def delete(self, scope: Scope, name: str) -> None:
        record = self.get(scope, name)
        check_status(record.status or "", ("Stopped", "Failed"), "Deleting", record.arn)
        self._mark(scope, name, "Deleting")
        self._finish_delete(scope, name, record.arn)

    def presigned_url(self, scope: Scope, name: str, session_seconds: int | None = None) -> str:
        seconds = check_session_seconds(session_seconds)
        record = self.get(scope, name)
        if record.status != "InService":
            raise Invalid(
                f"Notebook Instance {name} is {record.status}: a URL can only be made for an "
                "instance that is InService (start it with StartNotebookInstance)"
            )
        now = self._clock.now()
        url = self._host.authorized_url(
            instance_id(scope, name),
            now + timedelta(seconds=LOGIN_SECONDS),
            now + timedelta(seconds=seconds),
        )
        if url is None:
            raise Invalid(
                f"The JupyterLab server of {name} is (re)starting; try again in a few seconds"
            )
        return url

    def url(self, scope: Scope, name: str) -> str | None:
        """An authorized URL when the instance runs, else None (the console's "open" link)."""
        try:
            return self.presigned_url(scope, name)
        except DomainError:
            return None

    def recover(self) -> int:
        """After a platform restart: InService and Pending instances start again (an InService
        one without re-running OnStart), interrupted stops and deletes finish."""
        count = 0
        for record in self._store.list_by_status(KIND, ("InService", "Pending")):
            self._spawn(self._bring_up, record.scope, record.name, record.status == "Pending")
            count += 1
        for record in self._store.list_by_status(KIND, ("Stopping",)):
            self._spawn(self._take_down, record.scope, record.name)
        for record in self._store.list_by_status(KIND, ("Deleting",)):
            self._finish_delete(record.scope, record.name, record.arn)
        return count

    def shutdown(self) -> None:
        """Platform shutdown: stop every server, wait for the workers; statuses stay as they
        are, so `recover` brings running instances back."""
        self._closing = True
        self._host.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(15)

    # ------------------------------------------------------------------ workers

    def _bring_up(self, scope: Scope, name: str, run_scripts: bool) -> None:
        with self._instance_lock(scope, name):
            try:
                record = self._store.get(KIND, scope, name)
            except NotFound:
                return
            if record.status not in ("Pending", "InService") or self._closing:
                return
            server = NotebookServer(instance_id(scope, name), name, record.arn)
            try:
                if run_scripts:
                    self._run_scripts(record, server)
                address = self._host.start(server, self._start_timeout)
            except (LifecycleFailed, NotebookStartFailed) as exc:
                self._start_failed(scope, name, exc.reason)
                return
            except Exception as exc:  # never leave an instance stuck in Pending
                log.exception("starting notebook instance %s failed", name)
                self._start_failed(scope, name, f"InternalServerError: {exc}")
                return
            self._in_service(scope, name, address)

    def _run_scripts(self, record: Record, server: NotebookServer) -> None:
        config = record.doc["Request"].get("LifecycleConfigName")
        first = not record.doc.get("OnCreateDone")
        if config:
            try:
                scripts = self._lifecycle.scripts(record.scope, str(config))
            except Invalid as exc:
                raise LifecycleFailed(exc.message) from exc
            run_lifecycle(
                self._host, self._write_logs, record, server, scripts, first, self._script_timeout
            )
        if first:

            def created(doc: Doc) -> None:
                doc["OnCreateDone"] = True

            self._mutate(record.scope, record.name, created)

    def _in_service(self, scope: Scope, name: str, address: str) -> None:
        def change(doc: Doc) -> str | None:
            if doc["NotebookInstanceStatus"] not in ("Pending", "InService"):
                return None
            doc["NotebookInstanceStatus"] = "InService"
            doc["Url"] = address
            doc.pop("FailureReason", None)
            doc["LastModifiedTime"] = epoch(self._clock.now())
            return "InService"

        try:
            record = self._mutate(scope, name, change)
        except NotFound:
            record = None
        if record is None or record.status != "InService":  # stopped while starting
            self._host.stop(instance_id(scope, name))
            return
        if self._meter is not None:
            parts = [MeteredPart("", str(record.doc["Request"]["InstanceType"]), 1, USAGE)]
            try:
                self._meter.running(record, parts)
            except DomainError:
                log.exception("could not record the usage of notebook instance %s", name)

    def _start_failed(self, scope: Scope, name: str, reason: str) -> None:
        self._host.stop(instance_id(scope, name))
        if self._closing:
            return  # the platform is shutting down; recovery starts it again

        def failed(doc: Doc) -> str | None:
            if doc["NotebookInstanceStatus"] not in ("Pending", "InService"):
                return None  # a stop or delete took over
            doc["NotebookInstanceStatus"] = "Failed"
            doc["FailureReason"] = reason[:1024]
            doc.pop("Url", None)
            doc["LastModifiedTime"] = epoch(self._clock.now())
            return "Failed"

        with contextlib.suppress(NotFound):
            self._mutate(scope, name, failed)
        self._stop_metering(scope, name)

    def _take_down(self, scope: Scope, name: str) -> None:
        self._host.stop(instance_id(scope, name))
        with self._instance_lock(scope, name):
            self._host.stop(instance_id(scope, name))  # a start that finished meanwhile

            def stopped(doc: Doc) -> str | None:
                if doc["NotebookInstanceStatus"] != "Stopping":
                    return None
                doc["NotebookInstanceStatus"] = "Stopped"
                doc.pop("Url", None)
                doc["LastModifiedTime"] = epoch(self._clock.now())
                return "Stopped"

            with contextlib.suppress(NotFound):
                self._mutate(scope, name, stopped)
            self._stop_metering(scope, name)

    def _finish_delete(self, scope: Scope, name: str, arn: str) -> None:
        with self._instance_lock(scope, name):
            self._host.stop(instance_id(scope, name))
            self._host.remove(instance_id(scope, name))
            with contextlib.suppress(NotFound):
                self._store.delete(KIND, scope, name)
            self._tags.remove_all_tags(arn)
            self._stop_metering(scope, name)
        with self._lock:
            self._instance_locks.pop((scope, name), None)

    # ------------------------------------------------------------------ helpers

    def _stop_metering(self, scope: Scope, name: str) -> None:
        if self._meter is None:
            return
        try:
            self._meter.stopped(scope, KIND, name)
        except DomainError:
            log.exception("could not close the usage of notebook instance %s", name)

    def _mark(self, scope: Scope, name: str, status: str) -> None:
        def change(doc: Doc) -> str:
            doc["NotebookInstanceStatus"] = status
            doc["LastModifiedTime"] = epoch(self._clock.now())
            return status

        self._mutate(scope, name, change)

    def _mutate(self, scope: Scope, name: str, change: Callable[[Doc], str | None]) -> Record:
        return mutate(self._store, KIND, scope, name, change, self._clock.now())

    def _instance_lock(self, scope: Scope, name: str) -> threading.Lock:
        with self._lock:
            return self._instance_locks.setdefault((scope, name), threading.Lock())

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        def run() -> None:
            try:
                target(*args)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True, name=f"notebook-{args[1]}")
        with self._lock:
            self._threads.add(thread)
        thread.start()
