"""Run commands the way a user of `tsukuru exec` does: a shell environment with no AWS settings
of its own, a scratch HOME, and no way out to the internet.

The proxy variables point at a closed loopback port (the discard port), so anything that tries
to reach the real AWS or the internet fails at once instead of downloading or hanging; loopback
addresses bypass the proxy, so clients still reach the platform.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

DEAD_PROXY = "http://127.0.0.1:9"
LOOPBACK = "127.0.0.1,localhost,::1"
_INHERITED_PREFIXES = ("AWS_", "TSUKURU_", "SAGEMAKER_")
_INHERITED_NAMES = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND")


def user_environ(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test runner's environment, minus anything that already configures AWS or Python."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_INHERITED_PREFIXES)
        and name not in _INHERITED_NAMES
        and name.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env.update(
        HOME=str(home),
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",
        http_proxy=DEAD_PROXY,
        https_proxy=DEAD_PROXY,
        HTTP_PROXY=DEAD_PROXY,
        HTTPS_PROXY=DEAD_PROXY,
        no_proxy=LOOPBACK,
        NO_PROXY=LOOPBACK,
    )
    env.update(extra or {})
    return env


def tsukuru_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tsukuru", *args]


def tsukuru_exec(
    home: Path,
    port: int,
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    as_user: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`tsukuru exec --home H --port P -- command...` (as `as_user` when given: needs root),
    output captured as text."""
    argv = [*tsukuru_command("exec", "--home", str(home), "--port", str(port), "--"), *command]
    return run_as(as_user, argv, cwd=cwd, env=env, timeout=timeout)


def run_as(
    user: str | None,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` as `user` (its own uid and primary group, no supplementary groups)."""
    uid = gid = None
    groups: list[int] | None = None
    if user is not None:
        entry = pwd.getpwnam(user)
        uid, gid, groups = entry.pw_uid, entry.pw_gid, []
    return subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        user=uid,
        group=gid,
        extra_groups=groups,
    )
