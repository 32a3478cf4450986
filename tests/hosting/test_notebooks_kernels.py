"""Kernelspecs shared by every notebook instance: registering, listing and removing them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tsukuru.hosting.notebooks_kernels import (
    has_ipykernel,
    notebooks_root,
    read_kernelspecs,
    remove_kernelspec,
    shared_data_folder,
    write_kernelspec,
)


def test_a_registered_python_becomes_a_jupyter_kernelspec(tmp_path: Path) -> None:
    folder = shared_data_folder(notebooks_root(tmp_path))
    assert folder == tmp_path / "notebooks" / "jupyter"
    spec = write_kernelspec(folder, "python3", "/opt/sdk/bin/python", "Python 3 (SageMaker)")
    document = json.loads((folder / "kernels" / "python3" / "kernel.json").read_text())
    assert document["argv"] == [
        "/opt/sdk/bin/python",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    assert document["display_name"] == "Python 3 (SageMaker)"
    assert document["language"] == "python"
    assert read_kernelspecs(folder) == [spec]


def test_registering_a_name_again_replaces_it(tmp_path: Path) -> None:
    write_kernelspec(tmp_path, "sdk", "/a/python", "A")
    write_kernelspec(tmp_path, "sdk", "/b/python", "B")
    write_kernelspec(tmp_path, "conda_python3", "/b/python", "C")
    specs = read_kernelspecs(tmp_path)
    assert [(s.name, s.python, s.display_name) for s in specs] == [
        ("conda_python3", "/b/python", "C"),
        ("sdk", "/b/python", "B"),
    ]


def test_removing_a_kernel(tmp_path: Path) -> None:
    write_kernelspec(tmp_path, "sdk", "/a/python", "A")
    assert remove_kernelspec(tmp_path, "sdk")
    assert not remove_kernelspec(tmp_path, "sdk")
    assert not remove_kernelspec(tmp_path, "../kernels")
    assert read_kernelspecs(tmp_path) == []


def test_kernel_names_are_plain(tmp_path: Path) -> None:
    for bad in ("", "a/b", "..", ".hidden", "with space"):
        with pytest.raises(ValueError, match="kernel name"):
            write_kernelspec(tmp_path, bad, "/a/python", "A")


def test_ipykernel_is_detected(tmp_path: Path) -> None:
    assert has_ipykernel(sys.executable)
    assert not has_ipykernel(str(tmp_path / "no-python-here"))
