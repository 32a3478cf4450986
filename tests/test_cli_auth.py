"""`tsukuru up --auth`: the switch is checked before anything starts."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tsukuru.cli import app


def test_an_unknown_auth_value_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["up", "--home", str(tmp_path), "--auth", "maybe"])
    assert result.exit_code == 2
    assert "--auth must be on or off" in result.output


def test_auth_off_on_every_interface_is_refused_before_starting(tmp_path: Path) -> None:
    args = ["up", "--home", str(tmp_path), "--host", "0.0.0.0", "--auth", "off"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0 with --auth off" in result.output
    assert not (tmp_path / "tsukuru.pid").exists()
