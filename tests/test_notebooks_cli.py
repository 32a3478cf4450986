"""`tsukuru notebook kernel add|ls|rm`: registering kernels for every notebook instance."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from tsukuru.cli import app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_add_list_and_remove_a_kernel(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    code, output = run("notebook", "kernel", "add", sys.executable, "--name", "sdk", "--home", home)
    assert code == 0, output
    assert f"kernel sdk (Python 3 (sdk)) -> {sys.executable}" in output
    spec_file = tmp_path / "home" / "notebooks" / "jupyter" / "kernels" / "sdk" / "kernel.json"
    assert json.loads(spec_file.read_text())["argv"][0] == sys.executable
    code, output = run("notebook", "kernel", "ls", "--home", home)
    assert code == 0
    assert "sdk" in output
    code, output = run("notebook", "kernel", "rm", "sdk", "--home", home)
    assert (code, spec_file.exists()) == (0, False)
    code, output = run("notebook", "kernel", "rm", "sdk", "--home", home)
    assert code == 1
    assert "no kernel named sdk" in output


def test_a_python_without_ipykernel_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    code, output = run("notebook", "kernel", "add", str(fake), "--home", str(tmp_path / "h"))
    assert code == 2
    assert "cannot import ipykernel" in output
    code, output = run(
        "notebook", "kernel", "add", str(tmp_path / "missing"), "--home", str(tmp_path / "h")
    )
    assert code == 2
    assert "not an executable file" in output


def test_open_without_a_platform_says_so(tmp_path: Path) -> None:
    code, output = run(
        "notebook", "open", "nb", "--no-browser", "--home", str(tmp_path), "--port", "9"
    )
    assert code == 1
    assert "tsukuru is not running at http://127.0.0.1:9" in output
