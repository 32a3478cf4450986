"""The user's source directory, brought into the job's `code/` folder before the script runs.

The SageMaker SDK packs `source_dir` (or the lone entry point) into `sourcedir.tar.gz`, uploads
it and names it in the `sagemaker_submit_directory` hyperparameter. The runtime cannot reach the
object store, so the platform links that archive to `input/sourcedir.tar.gz` in the job tree;
this module unpacks it (tar's "data" filter: nothing can land outside `code/`). A submit
directory that is already local (a folder or an archive path, `file://` or absolute, as SDK
local mode and the tests use) is taken from where it is.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from tsukuru.runtime.algorithms.errors import ClientError
from tsukuru.runtime.layout import JobLayout

FETCHED_ARCHIVE = Path("input") / "sourcedir.tar.gz"  # where the platform puts an s3:// archive


def fetched_archive(layout: JobLayout) -> Path:
    return layout.root / FETCHED_ARCHIVE


def prepare_code(layout: JobLayout, submit_directory: object) -> Path:
    """Fill `code/` from the submit directory; returns the folder the script runs in."""
    code = layout.code_dir
    code.mkdir(parents=True, exist_ok=True)
    archive = fetched_archive(layout)
    source = str(submit_directory or "")
    if archive.is_file():
        unpack(archive, code, source or str(archive))
    elif source.startswith("s3://"):
        raise ClientError(
            f"The source directory {source} (sagemaker_submit_directory) was not fetched into "
            "the job; the platform must link it to input/sourcedir.tar.gz"
        )
    elif source:
        local = Path(source.removeprefix("file://"))
        if local.is_dir():
            if local.resolve() != code.resolve():
                shutil.copytree(local, code, dirs_exist_ok=True)
        elif local.is_file():
            unpack(local, code, source)
        else:
            raise ClientError(
                f"The source directory {source} (sagemaker_submit_directory) does not exist"
            )
    return code


def unpack(archive: Path, dest: Path, label: str) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ClientError(
            f"The source directory {label} is not a readable tar.gz archive ({detail}); the "
            "SDK uploads source_dir as sourcedir.tar.gz, or pack it with "
            "`tar -czf sourcedir.tar.gz -C <source_dir> .`"
        ) from exc


def entry_point(code: Path, program: object) -> Path:
    """The script to run, which must be a file inside `code/`."""
    name = str(program or "").strip()
    if not name:
        raise ClientError(
            "Script mode needs an entry point: the hyperparameter sagemaker_program (the "
            "estimator's entry_point) is missing"
        )
    script = (code / name).resolve()
    if code.resolve() not in script.parents:
        raise ClientError(f"The entry point {name} must be inside the source directory")
    if not script.is_file():
        found = sorted(p.name for p in code.iterdir())[:20]
        listing = ", ".join(found) if found else "nothing"
        raise ClientError(
            f"The entry point {name} was not found in the source directory (it holds: {listing})"
        )
    return script
