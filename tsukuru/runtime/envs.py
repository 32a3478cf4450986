"""Per-requirements Python environments for script mode, layered on the platform's own packages.

A user's source directory may carry a `requirements.txt`, which SageMaker's containers install
with pip before the script starts. Installing into the platform's environment would let one job
change what every other job (and the platform) imports, and installing from scratch for every
job costs seconds to minutes. So each distinct requirements file gets its own virtual
environment under `<TSUKURU_HOME>/envs/<sha256>`, built once with `uv` and reused by every later
job with the same file:

* the environment's interpreter is the platform's, and a `.pth` file puts the platform's
  site-packages behind the environment's own, so numpy, scikit-learn and xgboost come from the
  platform and a user's pin (`numpy==1.26.4`) shadows the platform's copy;
* uv does not count packages reached that way as installed (astral-sh/uv#2500), so the plan is
  made against the platform's environment (`uv pip install --dry-run`, which sees exactly what
  the platform has) and only the packages it would add are installed into the layer, with
  `--no-deps` and the index options of the user's file;
* the key is the file's bytes plus the interpreter's identity; a file lock makes concurrent jobs
  with the same requirements wait for one build, and a marker written last tells a complete
  environment from one a crash left half-built.

Packages come from whatever index the user's file or uv's own configuration names
(`--index-url`, `--find-links`, `--no-index` lines, `UV_INDEX_URL`, `uv.toml`). An install
failure is the user's to fix: it raises ClientError with the tail of uv's message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tsukuru.runtime.algorithms.errors import ClientError

ENVS_DIR_VARIABLE = "TSUKURU_ENVS_DIR"
READY_MARKER = ".tsukuru-ready"
PLATFORM_PTH = "_tsukuru_platform.pth"
UV_CACHE_FOLDER = ".uv-cache"  # uv's download cache, unless UV_CACHE_DIR says otherwise
# requirements.txt options that choose where packages come from; they are carried over to the
# layer install so its `name==version` pins resolve from the same places
_SOURCE_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--no-index",
    "--trusted-host",
    "--index-strategy",
)
_FAILURE_TAIL_LINES = 4

Log = Callable[[str], None]


@dataclass(frozen=True)
class LayeredEnvironment:
    """A built environment: its interpreter, its own site-packages and its scripts folder."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.root / "bin"

    @property
    def site_packages(self) -> Path:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        return self.root / "lib" / version / "site-packages"

    def process_environment(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` as a process running in this environment sees it (PATH, VIRTUAL_ENV)."""
        env = dict(base)
        env["VIRTUAL_ENV"] = str(self.root)
        env["PATH"] = os.pathsep.join(p for p in (str(self.bin_dir), base.get("PATH", "")) if p)
        return env

    def activate_here(self) -> None:
        """Put this environment's packages in front of the running interpreter's (a model
        server, which is already running when it learns the requirements)."""
        before = list(sys.path)
        site.addsitedir(str(self.site_packages))
        added = [entry for entry in sys.path if entry not in before]
        sys.path[:] = added + before


def envs_root(environ: Mapping[str, str]) -> Path:
    """Where environments are cached: TSUKURU_ENVS_DIR, else `<TSUKURU_HOME>/envs`."""
    explicit = environ.get(ENVS_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    home = environ.get("TSUKURU_HOME") or str(Path.home() / ".tsukuru")
    return Path(home).expanduser() / "envs"


def requirements_key(requirements: bytes) -> str:
    """sha256 of the file's bytes and the interpreter the environment is layered on."""
    digest = hashlib.sha256(requirements)
    digest.update(b"\0" + sys.executable.encode() + b"\0" + sys.version.encode())
    return digest.hexdigest()


def environment_for(
    requirements: Path, cache: Path, *, log: Log = print, uv: str | None = None
) -> LayeredEnvironment:
    """The environment for `requirements`, built now unless a previous job built it."""
    key = requirements_key(requirements.read_bytes())
    environment = LayeredEnvironment(cache / key)
    if (environment.root / READY_MARKER).is_file():
        log(f"requirements.txt: reusing environment {key[:12]}, built for the same requirements")
        return environment
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / f"{key}.lock"):
        if (environment.root / READY_MARKER).is_file():  # built by a job we waited for
            log(f"requirements.txt: reusing environment {key[:12]}, built by another job")
            return environment
        shutil.rmtree(environment.root, ignore_errors=True)  # a build a crash left unfinished
        log(f"requirements.txt: installing into a new environment {key[:12]}")
        try:
            _build(environment, requirements, uv or find_uv(), log)
        except BaseException:
            shutil.rmtree(environment.root, ignore_errors=True)
            raise
        (environment.root / READY_MARKER).write_text(requirements.read_text(errors="replace"))
    return environment


def find_uv() -> str:
    """The uv executable that ships with the platform (the `uv` package), else one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise ClientError(
        "requirements.txt cannot be installed: the uv installer is missing from the platform's "
        "environment; reinstall tsukuru (it depends on uv)"
    )


def platform_site_directories() -> list[str]:
    """The running interpreter's site-packages folders, which the layer sits on."""
    folders = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        folders.append(site.getusersitepackages())
    return [folder for folder in dict.fromkeys(folders) if os.path.isdir(folder)]


def _build(environment: LayeredEnvironment, requirements: Path, uv: str, log: Log) -> None:
    # uv's cache beside the environments: writable wherever they are, and on the same disk, so
    # installs are links (UV_CACHE_DIR, when set, wins)
    cache = environment.root.parent / UV_CACHE_FOLDER
    _run_uv([uv, "venv", "--quiet", "--python", sys.executable, str(environment.root)], log, cache)
    lines = "".join(
        f"import site; site.addsitedir({folder!r})\n" for folder in platform_site_directories()
    )
    (environment.site_packages / PLATFORM_PTH).write_text(lines)
    plan = _run_uv(
        [uv, "pip", "install", "--python", sys.executable, "--dry-run", "-r", str(requirements)],
        log,
        cache,
        cwd=requirements.parent,
        echo=False,
    )
    additions = planned_additions(plan)
    if not additions:
        log("requirements.txt: every requirement is already provided by the platform")
        return
    pinned = requirements.parent / f".tsukuru-layer-{os.getpid()}.txt"
    pinned.write_text("\n".join([*source_options(requirements.read_text()), *additions]) + "\n")
    install = [uv, "pip", "install", "--python", str(environment.python), "--no-deps"]
    try:
        _run_uv([*install, "-r", str(pinned)], log, cache, cwd=requirements.parent)
    finally:
        pinned.unlink(missing_ok=True)


def planned_additions(dry_run_output: str) -> list[str]:
    """The ` + name==version` (or ` + name @ url`) lines of `uv pip install --dry-run`."""
    return [line.strip()[2:] for line in dry_run_output.splitlines() if line.startswith(" + ")]


def source_options(requirements_text: str) -> list[str]:
    """The lines of a requirements file that say where packages come from."""
    options = []
    for raw in requirements_text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if any(line == opt or line.startswith((opt + " ", opt + "=")) for opt in _SOURCE_OPTIONS):
            options.append(line)
    return options


def _run_uv(
    argv: list[str], log: Log, cache: Path, cwd: Path | None = None, *, echo: bool = True
) -> str:
    """Run uv; its output goes to the job's log (always when it fails)."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)  # --python chooses the environment, nothing else
    env.setdefault("UV_NO_PROGRESS", "1")
    env.setdefault("UV_CACHE_DIR", str(cache))
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        check=False,
    )
    output = completed.stdout
    if echo or completed.returncode != 0:
        for line in output.splitlines():
            if line.strip():
                log(line)
    if completed.returncode != 0:
        raise ClientError(
            "could not install the packages in requirements.txt: " + failure_tail(output)
        )
    return output


def failure_tail(output: str) -> str:
    """The last few meaningful lines of uv's output, on one line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Using Python")]
    return " ".join(lines[-_FAILURE_TAIL_LINES:]) or "uv exited without a message"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
