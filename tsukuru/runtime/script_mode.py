"""Script mode: run the user's own training script the way SageMaker's training toolkit does.

A framework estimator (SKLearn, XGBoost with an entry point, PyTorch, TensorFlow) sends the
script as `sourcedir.tar.gz` and names it in the `sagemaker_program` hyperparameter. Here, as in
the framework containers:

1. the source directory is unpacked into the job's `code/` (script_mode_source.py);
2. `requirements.txt` in it is installed into a cached environment layered on the platform's
   packages (envs.py), and the framework's package must be importable (script_mode_frameworks);
3. the script runs as `python <program> --name value ...` from `code/`, the user's
   hyperparameters (JSON-decoded, `sagemaker_*` removed) as arguments and the whole `SM_*`
   environment set (env.py), so `argparse` defaults like `os.environ["SM_MODEL_DIR"]` work;
4. its stdout and stderr are the job's log (metric definitions match them there); a non-zero
   exit fails the job with the exception and its innermost frames (script_mode_failure.py).

SIGTERM (StopTrainingJob) reaches the script too: the executor signals the whole process group.
What the script saved in `model/` by then is uploaded, as on SageMaker.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tsukuru.runtime.algorithms.context import JobContext
from tsukuru.runtime.env import (
    command_line_arguments,
    decode_hyperparameters,
    split_platform_parameters,
    training_environment,
)
from tsukuru.runtime.envs import LayeredEnvironment, environment_for, envs_root
from tsukuru.runtime.layout import JobLayout
from tsukuru.runtime.script_mode_failure import StderrTail, script_failure
from tsukuru.runtime.script_mode_frameworks import (
    FRAMEWORKS,
    SCRIPT_ONLY_FRAMEWORKS,
    framework_named,
    require_framework,
)
from tsukuru.runtime.script_mode_source import entry_point, prepare_code

log = logging.getLogger("tsukuru.runtime")

REQUIREMENTS_FILE = "requirements.txt"


def wants_script_mode(algorithm: str, layout: JobLayout) -> bool:
    """Framework images always run a script; the XGBoost image does when it is given one."""
    if algorithm in SCRIPT_ONLY_FRAMEWORKS:
        return True
    return algorithm in FRAMEWORKS and "sagemaker_program" in layout.hyperparameters()


def train(context: JobContext, framework: str) -> bool:
    """Run the job's script; True when it was stopped on request, raises when it failed."""
    layout = context.layout
    user, platform = split_platform_parameters(decode_hyperparameters(layout.hyperparameters()))
    for folder in (layout.model_dir, layout.output_data_dir, layout.output_intermediate_dir):
        folder.mkdir(parents=True, exist_ok=True)
    code = prepare_code(layout, platform.get("sagemaker_submit_directory"))
    script = entry_point(code, platform.get("sagemaker_program"))
    environment = requirements_environment(code, os.environ)
    extra_paths = [str(environment.site_packages)] if environment else []
    require_framework(framework_named(framework), extra_paths)
    command = script_command(script, environment, user)
    env = script_environment(context, environment, code, os.environ)
    log.info("Invoking user script: %s", shlex.join(command))
    context.stop.enter("training")
    exit_code, tail = run_script(command, code, env)
    if context.stop.requested():
        return True
    if exit_code != 0:
        raise script_failure(exit_code, tail.lines(), command, code)
    return False


def requirements_environment(code: Path, environ: Mapping[str, str]) -> LayeredEnvironment | None:
    requirements = code / REQUIREMENTS_FILE
    if not requirements.is_file():
        return None
    return environment_for(requirements, envs_root(environ), log=_print_flushed)


def script_command(
    script: Path, environment: LayeredEnvironment | None, hyperparameters: Mapping[str, Any]
) -> list[str]:
    """The toolkit's command: the interpreter (or sh), the script's name, `--name value`..."""
    arguments = command_line_arguments(hyperparameters)
    if script.suffix == ".sh":
        return ["/bin/sh", script.name, *arguments]
    python = str(environment.python) if environment else sys.executable
    return [python, script.name, *arguments]


def script_environment(
    context: JobContext,
    environment: LayeredEnvironment | None,
    code: Path,
    base: Mapping[str, str],
) -> dict[str, str]:
    env = dict(base)
    env.update(
        training_environment(context.layout, num_cpus=context.num_cpus, num_gpus=context.num_gpus)
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), base.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return environment.process_environment(env) if environment else env


def run_script(
    command: Sequence[str], code: Path, env: Mapping[str, str]
) -> tuple[int, StderrTail]:
    """Run the script with its stdout shared and its stderr relayed line by line (kept in a
    tail for the FailureReason)."""
    tail = StderrTail()
    sys.stdout.flush()
    sys.stderr.flush()
    process = subprocess.Popen(
        list(command),
        cwd=code,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    with process.stderr:
        for raw in iter(process.stderr.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            sys.stderr.write(line)
            sys.stderr.flush()
            tail.add(line)
    return process.wait(), tail


def _print_flushed(line: str) -> None:
    print(line, flush=True)
