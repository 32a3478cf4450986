"""The kernels every notebook instance offers, besides the server's own `python3`.

A SageMaker notebook instance comes with kernels that have the SageMaker SDK installed. Here
the user chooses: `tsukuru notebook kernel add PYTHON` registers any Python that has ipykernel
(for example the SDK v2 virtualenv made by scripts/client-venvs.sh) as a Jupyter kernelspec
in one shared Jupyter data folder, `<home>/notebooks/jupyter`, which every notebook server
has on its JUPYTER_PATH. A kernel named `python3` there replaces the server's default one, so
notebooks saved elsewhere (kernel `python3`) open with it; `conda_python3` matches notebooks
saved on SageMaker.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

KERNELS = "kernels"
SHARED_FOLDER = "jupyter"
NOTEBOOKS_FOLDER = "notebooks"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Kernelspec:
    name: str
    display_name: str
    python: str
    path: Path


def notebooks_root(home: Path) -> Path:
    """Where a platform home keeps its notebook instances and shared kernels."""
    return home / NOTEBOOKS_FOLDER


def shared_data_folder(notebooks_root: Path) -> Path:
    """The Jupyter data folder on every server's JUPYTER_PATH."""
    return notebooks_root / SHARED_FOLDER


def has_ipykernel(python: str, timeout: float = 60.0) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import ipykernel"],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def write_kernelspec(data_folder: Path, name: str, python: str, display_name: str) -> Kernelspec:
    """Register `python` (absolute path) as kernel `name`; replaces one of the same name."""
    if not _NAME.match(name):
        raise ValueError(
            f"a kernel name starts with a letter or digit and uses letters, digits, '.', '_' "
            f"and '-' only: {name!r}"
        )
    folder = data_folder / KERNELS / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "metadata": {"debugger": True},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    return Kernelspec(name, display_name, python, folder)


def read_kernelspecs(data_folder: Path) -> list[Kernelspec]:
    found = []
    for spec_file in sorted((data_folder / KERNELS).glob("*/kernel.json")):
        try:
            spec = json.loads(spec_file.read_text(encoding="utf-8"))
            python = str(spec["argv"][0])
            display = str(spec.get("display_name", spec_file.parent.name))
        except (OSError, ValueError, KeyError, IndexError):
            continue
        found.append(Kernelspec(spec_file.parent.name, display, python, spec_file.parent))
    return found


def remove_kernelspec(data_folder: Path, name: str) -> bool:
    folder = data_folder / KERNELS / name
    if not _NAME.match(name) or not (folder / "kernel.json").is_file():
        return False
    shutil.rmtree(folder)
    return True
