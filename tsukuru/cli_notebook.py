"""`tsukuru notebook …`: open a notebook instance in the browser, list them, choose kernels.

`open` is what the SageMaker console's "Open JupyterLab" link does: it asks the API for a
presigned URL (CreatePresignedNotebookInstanceUrl, through botocore like any client) and opens
it. `kernel add` registers a Python that has ipykernel — typically a virtualenv with the
SageMaker SDK — as a kernel every notebook instance of this home offers (see
`tsukuru.hosting.notebooks_kernels` and docs/notebooks.md).
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tsukuru.cli_client import PlatformClients, fail, reporting_errors, say, show
from tsukuru.config import Settings
from tsukuru.hosting.notebooks_kernels import (
    has_ipykernel,
    notebooks_root,
    read_kernelspecs,
    remove_kernelspec,
    shared_data_folder,
    write_kernelspec,
)

SettingsFactory = Callable[[Path | None, int | None], Settings]

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $TSUKURU_HOME or ~/.tsukuru).")
]
PortOpt = Annotated[
    int | None, typer.Option("--port", help="Gateway port (default: $TSUKURU_PORT or 4590).")
]


def kernels_folder(settings: Settings) -> Path:
    return shared_data_folder(notebooks_root(settings.home))


class NotebookCommands:
    def __init__(self, settings_for: SettingsFactory) -> None:
        self._settings_for = settings_for

    def open(
        self,
        name: Annotated[str, typer.Argument(help="The notebook instance's name.")],
        home: HomeOpt = None,
        port: PortOpt = None,
        browser: Annotated[
            bool, typer.Option("--browser/--no-browser", help="Open it in a web browser.")
        ] = True,
        session_seconds: Annotated[
            int | None,
            typer.Option(
                "--session-seconds",
                help="How long the browser session lasts (1800-43200; default 43200).",
            ),
        ] = None,
    ) -> None:
        """Open a notebook instance's JupyterLab (prints the presigned URL too)."""
        settings = self._settings_for(home, port)
        clients = PlatformClients(settings)
        arguments: dict[str, object] = {"NotebookInstanceName": name}
        if session_seconds is not None:
            arguments["SessionExpirationDurationInSeconds"] = session_seconds
        with reporting_errors(settings):
            url = str(
                clients.sagemaker.create_presigned_notebook_instance_url(**arguments)[
                    "AuthorizedUrl"
                ]
            )
        say(url)
        if browser and not webbrowser.open(url):
            say("(no web browser found here: open the URL above yourself)", stderr=True)

    def ls(self, home: HomeOpt = None, port: PortOpt = None) -> None:
        """List notebook instances."""
        settings = self._settings_for(home, port)
        clients = PlatformClients(settings)
        with reporting_errors(settings):
            paginator = clients.sagemaker.get_paginator("list_notebook_instances")
            rows = [n for page in paginator.paginate() for n in page["NotebookInstances"]]
        table = Table("name", "status", "instance type", "lifecycle config", "created")
        for row in rows:
            table.add_row(
                row["NotebookInstanceName"],
                row.get("NotebookInstanceStatus", ""),
                row.get("InstanceType", ""),
                row.get("NotebookInstanceLifecycleConfigName", "-"),
                f"{row['CreationTime']:%Y-%m-%d %H:%M:%S}",
            )
        show(table)

    def kernel_add(
        self,
        python: Annotated[str, typer.Argument(help="A Python interpreter that has ipykernel.")],
        name: Annotated[
            str,
            typer.Option(help="Kernel name; 'python3' replaces the default kernel."),
        ] = "python3",
        display_name: Annotated[
            str | None, typer.Option("--display-name", help="What JupyterLab shows.")
        ] = None,
        home: HomeOpt = None,
    ) -> None:
        """Offer PYTHON as a kernel in every notebook instance of this home."""
        settings = self._settings_for(home, None)
        interpreter = Path(python).expanduser()
        if not interpreter.is_file() or not os.access(interpreter, os.X_OK):
            raise fail(f"{python} is not an executable file", code=2)
        absolute = str(interpreter.absolute())
        if not has_ipykernel(absolute):
            raise fail(
                f"{python} cannot import ipykernel: install it there first "
                f"({python} -m pip install ipykernel)",
                code=2,
            )
        try:
            spec = write_kernelspec(
                kernels_folder(settings), name, absolute, display_name or f"Python 3 ({name})"
            )
        except ValueError as exc:
            raise fail(str(exc), code=2) from exc
        say(f"kernel {spec.name} ({spec.display_name}) -> {absolute}")
        say("notebook instances started from now on offer it")

    def kernel_ls(self, home: HomeOpt = None) -> None:
        """List the kernels registered with `kernel add`."""
        settings = self._settings_for(home, None)
        table = Table("name", "display name", "python")
        for spec in read_kernelspecs(kernels_folder(settings)):
            table.add_row(spec.name, spec.display_name, spec.python)
        show(table)

    def kernel_rm(
        self,
        name: Annotated[str, typer.Argument(help="The kernel's name.")],
        home: HomeOpt = None,
    ) -> None:
        """Stop offering a kernel registered with `kernel add`."""
        settings = self._settings_for(home, None)
        if not remove_kernelspec(kernels_folder(settings), name):
            raise fail(f"no kernel named {name} is registered", code=1)
        say(f"removed kernel {name}")


def register_notebook_commands(app: typer.Typer, settings_for: SettingsFactory) -> None:
    """Add the `notebook` command group (open, ls, kernel add|ls|rm) to `app`."""
    commands = NotebookCommands(settings_for)
    notebook = typer.Typer(help="Notebook instances: open, list, kernels.", no_args_is_help=True)
    notebook.command("open")(commands.open)
    notebook.command("ls")(commands.ls)
    kernel = typer.Typer(help="Kernels every notebook instance offers.", no_args_is_help=True)
    kernel.command("add")(commands.kernel_add)
    kernel.command("ls")(commands.kernel_ls)
    kernel.command("rm")(commands.kernel_rm)
    notebook.add_typer(kernel, name="kernel")
    app.add_typer(notebook, name="notebook")
