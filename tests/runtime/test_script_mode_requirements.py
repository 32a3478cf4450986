"""requirements.txt in a source directory: installed once per distinct file into an environment
layered on the platform's packages, reused by later jobs without installing again.

Nothing is downloaded: the packages are tiny wheels built here, named in requirements.txt with
`--no-index --find-links`, as a user with a private wheel folder would.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.runtime.script_mode_support import build_wheel, run_script_job, script_job
from tsukuru.runtime.envs import (
    environment_for,
    planned_additions,
    requirements_key,
    source_options,
)

USES_PACKAGE = """
    import sys
    import numpy
    import tinytable
    print("tinytable says", tinytable.render([1, 2]), flush=True)
    print("numpy from", numpy.__file__, flush=True)
"""
TINYTABLE = "def render(values):\n    return ' | '.join(map(str, values))\n"


def wheels(folder: Path) -> Path:
    build_wheel(folder, "tinytable", "0.3", TINYTABLE, requires=("numpy",))
    return folder


def requirements_text(wheel_folder: Path) -> str:
    return f"--no-index\n--find-links {wheel_folder}\ntinytable==0.3\n"


def test_requirements_install_once_and_the_second_job_reuses_them(tmp_path: Path) -> None:
    folder = wheels(tmp_path / "wheels")
    envs = tmp_path / "envs"
    files = {"train.py": USES_PACKAGE, "requirements.txt": requirements_text(folder)}

    first_job = script_job(tmp_path / "first", files)
    first = run_script_job(first_job, envs_dir=envs)
    assert first.returncode == 0, first_job.failure + first.stderr
    assert "tinytable says 1 | 2" in first.stdout
    assert "requirements.txt: installing into a new environment" in first.stdout
    assert "+ tinytable==0.3" in first.stdout
    # numpy, a dependency the platform already has, comes from the platform
    assert "numpy==" not in first.stdout
    numpy_line = next(line for line in first.stdout.splitlines() if "numpy from" in line)
    assert str(envs) not in numpy_line

    second_job = script_job(tmp_path / "second", files)
    second = run_script_job(second_job, envs_dir=envs)
    assert second.returncode == 0, second_job.failure
    assert "tinytable says 1 | 2" in second.stdout
    assert "reusing environment" in second.stdout
    for install_word in ("installing", "Installed", "Resolved", "+ tinytable"):
        assert install_word not in second.stdout + second.stderr
    assert len(list(envs.glob("*/.tsukuru-ready"))) == 1

    # the same script with and without the (cached) requirements: best of two each
    quick = "print('ok', flush=True)\n"
    cached = {"train.py": quick, "requirements.txt": files["requirements.txt"]}
    timings: dict[str, list[float]] = {"cached": [], "none": []}
    for attempt in range(2):
        for label, job_files in (("cached", cached), ("none", {"train.py": quick})):
            job = script_job(tmp_path / f"{label}-{attempt}", job_files)
            started = time.monotonic()
            assert run_script_job(job, envs_dir=envs).returncode == 0, job.failure
            timings[label].append(time.monotonic() - started)
    assert min(timings["cached"]) < min(timings["none"]) + 1.0, timings


def test_a_failed_install_is_a_client_error_with_uvs_reason(tmp_path: Path) -> None:
    folder = wheels(tmp_path / "wheels")
    files = {
        "train.py": "print('never runs')\n",
        "requirements.txt": f"--no-index\n--find-links {folder}\nno-such-package==1.0\n",
    }
    job = script_job(tmp_path / "job", files)
    result = run_script_job(job, envs_dir=tmp_path / "envs")
    assert result.returncode == 1
    assert "never runs" not in result.stdout
    failure = job.failure
    assert failure.startswith("ClientError: could not install the packages in requirements.txt:"), (
        failure
    )
    assert "no-such-package" in failure
    # nothing half-built is left to be reused
    assert not list((tmp_path / "envs").glob("*/.tsukuru-ready"))


def test_concurrent_jobs_build_one_environment(tmp_path: Path) -> None:
    folder = wheels(tmp_path / "wheels")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirements_text(folder))
    logs: list[list[str]] = [[], [], []]
    roots: list[Path] = []

    def build(index: int) -> None:
        roots.append(environment_for(requirements, tmp_path / "envs", log=logs[index].append).root)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(roots) == 3
    assert len(set(roots)) == 1
    builds = [log for log in logs if any("installing into a new environment" in m for m in log)]
    assert len(builds) == 1
    assert (roots[0] / "lib").is_dir()
    assert roots[0].name == requirements_key(requirements.read_bytes())


def test_a_different_file_gets_its_own_environment(tmp_path: Path) -> None:
    folder = wheels(tmp_path / "wheels")
    first = tmp_path / "a" / "requirements.txt"
    second = tmp_path / "b" / "requirements.txt"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(requirements_text(folder))
    second.write_text(requirements_text(folder) + "# pinned for the report\n")
    quiet: list[str] = []
    assert (
        environment_for(first, tmp_path / "envs", log=quiet.append).root
        != environment_for(second, tmp_path / "envs", log=quiet.append).root
    )


def test_dry_run_plan_and_source_options_are_read_from_uvs_formats() -> None:
    plan = (
        "Using Python 3.11.7 environment at: /venv\nResolved 8 packages in 6ms\n"
        "Would install 2 packages\n - numpy==2.4.6\n + numpy==1.26.4\n"
        " + demo @ file:///tmp/demo-0.1-py3-none-any.whl\n"
    )
    assert planned_additions(plan) == [
        "numpy==1.26.4",
        "demo @ file:///tmp/demo-0.1-py3-none-any.whl",
    ]
    text = (
        "--index-url https://pypi.example/simple  # ours\n-f ./wheels\npandas\n"
        "--no-index\n-r x.txt\n"
    )
    assert source_options(text) == [
        "--index-url https://pypi.example/simple",
        "-f ./wheels",
        "--no-index",
    ]
