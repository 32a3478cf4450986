"""The start-up hook, in real Python processes: a stand-in `sagemaker` package with the SDK's
constant shows what the hook changes (that one constant, for importers by name too), what it
leaves alone, and that a hidden `sitecustomize` still runs exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tsukuru import client_sitecustomize
from tsukuru.client_sitecustomize import METADATA_VARIABLE

ORIGINAL = "/opt/ml/metadata/resource-metadata.json"

PROBE = """
import inspect, json, sys
import sagemaker.session as session
from sagemaker.by_name import COPIED
report = {
    "constant": session.NOTEBOOK_METADATA_FILE,
    "copied": COPIED,
    "other": session.OTHER,
    "source_ok": "NOTEBOOK_METADATA_FILE" in inspect.getsource(session),
    "chained": [m for m in sys.argv[1:]],
}
import os
report["marks"] = os.environ.get("PROBE_MARKS", "")
print(json.dumps(report))
"""


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/site (our hook), tmp/pkgs (a stand-in SDK), tmp/other (somebody else's hook)."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copyfile(client_sitecustomize.__file__, site / "sitecustomize.py")
    package = tmp_path / "pkgs" / "sagemaker"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "session.py").write_text(
        f"NOTEBOOK_METADATA_FILE = {ORIGINAL!r}\nOTHER = '/opt/ml/untouched'\n"
    )
    (package / "by_name.py").write_text(
        "from sagemaker.session import NOTEBOOK_METADATA_FILE as COPIED\n"
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text(
        "import os\nos.environ['PROBE_MARKS'] = os.environ.get('PROBE_MARKS', '') + 'x'\n"
    )
    return tmp_path


def run_probe(layout: Path, pythonpath: list[Path], metadata: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", METADATA_VARIABLE)}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    if metadata is not None:
        env[METADATA_VARIABLE] = metadata
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=layout,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Error in sitecustomize" not in done.stderr, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_the_constant_points_at_the_configured_file(layout: Path) -> None:
    target = str(layout / "home" / "resource-metadata.json")
    report = run_probe(layout, [layout / "site", layout / "pkgs"], target)
    assert report["constant"] == target
    assert report["copied"] == target  # `from sagemaker.session import ...` sees it too
    assert report["other"] == "/opt/ml/untouched"
    assert report["source_ok"] is True  # the wrapped loader still serves the source


def test_without_the_variable_nothing_changes(layout: Path) -> None:
    report = run_probe(layout, [layout / "site", layout / "pkgs"], None)
    assert report["constant"] == ORIGINAL
    assert report["copied"] == ORIGINAL


def test_a_hidden_sitecustomize_still_runs_once(layout: Path) -> None:
    target = str(layout / "meta.json")
    report = run_probe(layout, [layout / "site", layout / "other", layout / "pkgs"], target)
    assert report["marks"] == "x"
    assert report["constant"] == target


def test_two_copies_on_the_path_do_not_run_each_other_forever(layout: Path) -> None:
    second = layout / "site2"
    shutil.copytree(layout / "site", second)
    target = str(layout / "meta.json")
    path = [layout / "site", second, layout / "other", layout / "pkgs"]
    report = run_probe(layout, path, target)
    assert report["marks"] == "x"
    assert report["constant"] == target


def test_finder_ignores_other_modules_and_install_is_idempotent() -> None:
    before = list(sys.meta_path)
    try:
        first = client_sitecustomize.install("/a.json")
        second = client_sitecustomize.install("/b.json")
        assert first is second
        assert first.path == "/b.json"
        assert sum(isinstance(f, client_sitecustomize.MetadataRedirect) for f in sys.meta_path) == 1
        assert first.find_spec("json", None) is None
    finally:
        sys.meta_path[:] = before


def test_entries_after_skips_everything_up_to_this_folder(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    path = ["/x", str(here), "/y", "/z"]
    assert client_sitecustomize._entries_after(str(here.resolve()), path) == ["/y", "/z"]
    assert client_sitecustomize._entries_after("/absent", ["/x", "/y"]) == ["/x", "/y"]
