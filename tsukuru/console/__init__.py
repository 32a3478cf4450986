"""The web console: server-rendered pages over the domain services, in English and Japanese.

A data scientist learning SageMaker wants to *see* what their notebook code did — the bucket
they filled, the job moving through its statuses, the metric curve, the endpoint answering, and
what is still billing. The console shows exactly that, calling the same domain services the AWS
API does (never the wire layer), at the gateway's `/` for browsers.
"""

from tsukuru.console.app import build_console
from tsukuru.console.deps import ConsoleAuth, ConsoleServices, NotebookControl
from tsukuru.console.rendering import PREFIX

__all__ = ["PREFIX", "ConsoleAuth", "ConsoleServices", "NotebookControl", "build_console"]
