"""The `tsukuru` command: start, stop and inspect the platform, and point clients at it.

Every command that starts or talks to the platform takes `--home` and `--port` and otherwise
reads `TSUKURU_HOME` / `TSUKURU_PORT`, so several platforms can run side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from tsukuru import client_env
from tsukuru.cli_cost import register_cost_commands
from tsukuru.cli_notebook import register_notebook_commands
from tsukuru.cli_resources import register_resource_commands
from tsukuru.config import Settings, load_settings, parse_switch

app = typer.Typer(
    name="tsukuru",
    help="A self-hosted machine-learning platform that speaks the Amazon SageMaker API.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $TSUKURU_HOME or ~/.tsukuru).")
]
PortOpt = Annotated[
    int | None, typer.Option("--port", help="Gateway port (default: $TSUKURU_PORT or 4590).")
]


def _settings(
    home: Path | None, port: int | None, host: str | None = None, auth: bool | None = None
) -> Settings:
    try:
        return load_settings(home=home, port=port, host=host, auth=auth)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except OSError as exc:  # e.g. a home whose credentials file cannot be created
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _pid_file(settings: Settings) -> Path:
    return settings.home / "tsukuru.pid"


def _running_pid(settings: Settings) -> int | None:
    try:
        pid = int(_pid_file(settings).read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def _healthy(settings: Settings, timeout: float = 1.0) -> bool:
    try:
        response = httpx.get(f"{settings.endpoint_url}/_tsukuru/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@app.command()
def up(
    home: HomeOpt = None,
    port: PortOpt = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    detach: Annotated[bool, typer.Option("--detach", "-d", help="Run in the background.")] = False,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            metavar="on|off",
            help="Verify request signatures (default on; $TSUKURU_AUTH). "
            "off accepts any signature and is allowed on a loopback address only.",
        ),
    ] = None,
) -> None:
    """Start the platform (in the foreground unless --detach); Ctrl-C or SIGTERM stops it."""
    settings = _settings(home, port, host, _auth_switch(auth))
    if not settings.auth and not settings.binds_loopback:
        err.print(
            f"[red]error:[/red] refusing to listen on {settings.host} with --auth off: anyone "
            "who can reach it could use the platform. Bind 127.0.0.1 or keep --auth on."
        )
        raise typer.Exit(2)
    settings.home.mkdir(parents=True, exist_ok=True)
    if (pid := _running_pid(settings)) is not None:
        err.print(f"tsukuru is already running for {settings.home} (pid {pid}).")
        raise typer.Exit(1)
    if detach:
        _start_detached(settings)
        return
    from tsukuru.app import serve  # heavy imports only when really starting

    _pid_file(settings).write_text(f"{os.getpid()} {settings.port}\n")
    try:
        console.print(
            f"tsukuru listening on [bold]{settings.endpoint_url}[/bold] (home {settings.home})"
        )
        console.print(
            'requests must be signed with this home\'s keys: eval "$(tsukuru env)"'
            if settings.auth
            else "[yellow]authentication is off[/yellow]: any signature is accepted"
        )
        serve(settings)
    finally:
        _pid_file(settings).unlink(missing_ok=True)


def _auth_switch(value: str | None) -> bool | None:
    if value is None:
        return None
    try:
        return parse_switch("--auth", value)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _start_detached(settings: Settings) -> None:
    log_path = settings.home / "gateway.log"
    command = [
        sys.executable,
        "-m",
        "tsukuru",
        "up",
        "--home",
        str(settings.home),
        "--port",
        str(settings.port),
        "--host",
        settings.host,
        "--auth",
        "on" if settings.auth else "off",
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err.print(f"[red]tsukuru failed to start[/red]; see {log_path}")
            raise typer.Exit(1)
        if _healthy(settings, timeout=0.5):
            console.print(
                f"tsukuru is running at [bold]{settings.endpoint_url}[/bold] "
                f"(pid {process.pid}, log {log_path})"
            )
            return
        time.sleep(0.1)
    process.terminate()
    err.print(f"[red]tsukuru did not become ready within 60 s[/red]; see {log_path}")
    raise typer.Exit(1)


@app.command()
def down(home: HomeOpt = None, port: PortOpt = None) -> None:
    """Stop a platform started with `up --detach`."""
    settings = _settings(home, port)
    pid = _running_pid(settings)
    if pid is None:
        console.print(f"tsukuru is not running for {settings.home}.")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            console.print(f"tsukuru stopped (pid {pid}).")
            _pid_file(settings).unlink(missing_ok=True)
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    console.print(f"tsukuru did not stop in 30 s and was killed (pid {pid}).")


@app.command()
def status(home: HomeOpt = None, port: PortOpt = None) -> None:
    """Show whether the platform is running and where."""
    settings = _settings(home, port)
    pid = _running_pid(settings)
    healthy = _healthy(settings)
    table = Table(show_header=False, box=None)
    table.add_row("home", str(settings.home))
    table.add_row("endpoint", settings.endpoint_url)
    table.add_row("pid", str(pid) if pid else "-")
    table.add_row("status", "[green]running[/green]" if healthy else "[red]not running[/red]")
    console.print(table)
    if not healthy:
        raise typer.Exit(1)


def client_environment(settings: Settings) -> dict[str, str]:
    """What a boto3 / SageMaker SDK / AWS CLI process needs to talk to this platform (the files
    the variables name are written under `<home>/client/`)."""
    return client_env.prepare(settings, os.environ).variables


@app.command()
def env(home: HomeOpt = None, port: PortOpt = None) -> None:
    """Print shell exports for clients: `eval "$(tsukuru env)"`."""
    settings = _settings(home, port)
    typer.echo(client_env.prepare(settings, os.environ).shell_script(), nl=False)


@app.command(
    "exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
def exec_command(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments.")],
    home: HomeOpt = None,
    port: PortOpt = None,
) -> None:
    """Run a command in the client environment: `tsukuru exec -- python train.py`."""
    settings = _settings(home, port)
    environment = client_env.prepare(settings, os.environ).apply(os.environ)
    if not _healthy(settings, timeout=0.5):
        err.print(
            f"[yellow]warning:[/yellow] no tsukuru answers at {settings.endpoint_url} "
            "(start it with `tsukuru up`)"
        )
    sys.stdout.flush()
    try:
        os.execvpe(command[0], command, environment)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot run {command[0]!r}: {exc.strerror or exc}")
        raise typer.Exit(127 if isinstance(exc, FileNotFoundError) else 126) from exc


register_resource_commands(app, _settings)
register_cost_commands(app, _settings)
register_notebook_commands(app, _settings)


def main() -> None:
    app()


from tsukuru.cli_evaluate import evaluate_command  # noqa: E402  (registered last)

app.command("evaluate")(evaluate_command)
