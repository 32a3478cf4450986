"""The AWS CLI (v1, from the venv) against tsukuru: `aws s3 mb/cp/ls/sync/rm` round trips.

The CLI is how many users first touch a bucket, and it leans on listing, multipart and
key encoding harder than boto3 calls do, so this drives a folder of 100 awkwardly named files
(spaces, unicode, URL-special characters, `..` inside names, deep nesting, empty and multipart
files) up and down and compares every byte. The only configuration is the environment
`RunningPlatform.client_env()` gives (AWS_ENDPOINT_URL and keys), exactly what a user sets.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningPlatform

AWS = str(Path(sys.executable).with_name("aws"))
MIB = 1024 * 1024

_AWKWARD_NAMES = [
    "with space.txt",
    "  leading and trailing spaces  .txt",
    "ünïcødé/日本語のファイル.txt",
    "emoji 🎉/party.bin",
    "a..b",
    "..x",
    "dots..in..dir/file..name",
    "...",
    "plus+sign.csv",
    "percent%20literal%2F.txt",
    "hash#tag.txt",
    "question?mark.txt",
    "amp&ersand=equals.txt",
    "tilde~and'quote'.txt",
    "brackets [1] (2) {3}.txt",
    "comma,semicolon;colon:.txt",
    "deep/ly/nested/path/to/a/file.txt",
    "trailing.dot.",
    "UPPER/lower/MiXeD.TXT",
    "empty-file",
    "multipart/large.bin",
]


def _make_tree(root: Path) -> dict[str, bytes]:
    """100 files: the awkward names above, then plain ones in a few folders."""
    contents: dict[str, bytes] = {}
    for index, name in enumerate(_AWKWARD_NAMES):
        size = 0 if name == "empty-file" else 17 * MIB if name == "multipart/large.bin" else index
        contents[name] = os.urandom(size)
    for index in range(100 - len(_AWKWARD_NAMES)):
        contents[f"plain/{index % 4}/file {index:03d}.dat"] = os.urandom(1000 + index)
    for name, data in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return contents


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("cli-tree")
    return root, _make_tree(root)


class Cli:
    """`aws ...` with the client environment a user would export."""

    def __init__(self, platform: RunningPlatform, home: Path) -> None:
        self.env = platform.client_env()
        self.env.update(
            HOME=str(home),  # no ~/.aws from the machine running the tests
            AWS_CONFIG_FILE=str(home / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
            PYTHONIOENCODING="utf-8",
        )
        self.env.pop("AWS_ENDPOINT_URL_S3", None)

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [AWS, *args],
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
        if ok:
            assert done.returncode == 0, f"aws {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture
def cli(platform: RunningPlatform, tmp_path: Path) -> Cli:
    return Cli(platform, tmp_path)


@pytest.fixture
def bucket(s3: Any) -> Iterator[str]:
    """A bucket made and cleaned up with boto3, so the CLI runs only for what is under test."""
    name = f"cli-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    yield name
    for key in stored_keys(s3, name):
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


def stored_keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def listed(cli: Cli, url: str) -> dict[str, int]:
    """Key → size from `aws s3 ls --recursive` (date, time, size, then the key with its spaces)."""
    out = cli.run("s3", "ls", "--recursive", url).stdout
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        _date, _time, size, key = line.split(maxsplit=3) if line.strip() else ("", "", "0", "")
        if key:
            sizes[key] = int(size)
    return sizes


def digests(contents: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}


@pytest.mark.slow
def test_mb_cp_ls_rm_rb_round_trip_a_folder_of_awkward_names(
    cli: Cli, tree: tuple[Path, dict[str, bytes]], tmp_path: Path, s3: Any
) -> None:
    root, contents = tree
    bucket = f"cli-{uuid.uuid4().hex[:16]}"
    made = cli.run("s3", "mb", f"s3://{bucket}")
    assert made.stdout.strip() == f"make_bucket: {bucket}"

    cli.run("s3", "cp", "--recursive", str(root), f"s3://{bucket}/tree/")
    cli.run("s3", "cp", str(root / "emoji 🎉/party.bin"), f"s3://{bucket}/single/🎉 copy.bin")

    expected = {f"tree/{name}": len(data) for name, data in contents.items()}
    expected["single/🎉 copy.bin"] = len(contents["emoji 🎉/party.bin"])
    assert listed(cli, f"s3://{bucket}/") == expected

    # The keys are exactly the relative paths, byte for byte (checked through boto3 too).
    large = s3.head_object(Bucket=bucket, Key="tree/multipart/large.bin")
    assert large["ETag"].strip('"').endswith("-3")  # the CLI split it into 8 MiB parts
    single = s3.get_object(Bucket=bucket, Key="single/🎉 copy.bin")["Body"].read()
    assert single == contents["emoji 🎉/party.bin"]

    down = tmp_path / "down"
    cli.run("s3", "cp", "--recursive", f"s3://{bucket}/tree/", str(down))
    assert digests(read_tree(down)) == digests(contents)

    cli.run("s3", "rm", "--recursive", f"s3://{bucket}/tree/")
    assert stored_keys(s3, bucket) == ["single/🎉 copy.bin"]

    removed = cli.run("s3", "rb", "--force", f"s3://{bucket}")
    assert f"remove_bucket: {bucket}" in removed.stdout
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.slow
def test_sync_up_and_down_transfers_only_what_changed(
    cli: Cli, bucket: str, tree: tuple[Path, dict[str, bytes]], tmp_path: Path, s3: Any
) -> None:
    root, contents = tree
    up = cli.run("s3", "sync", str(root), f"s3://{bucket}/synced")
    assert up.stdout.count("upload: ") == len(contents)

    again = cli.run("s3", "sync", str(root), f"s3://{bucket}/synced")
    assert "upload: " not in again.stdout  # sizes and times match: nothing to send

    down = tmp_path / "down"
    cli.run("s3", "sync", f"s3://{bucket}/synced", str(down))
    assert digests(read_tree(down)) == digests(contents)

    (down / "with space.txt").write_bytes(b"changed locally, longer than before")
    (down / "new file ü.txt").write_bytes(b"brand new")
    back_up = cli.run("s3", "sync", str(down), f"s3://{bucket}/synced")
    sent = sorted(line.split(" to ")[1] for line in _transfers(back_up.stdout, "upload"))
    assert sent == [f"s3://{bucket}/synced/new file ü.txt", f"s3://{bucket}/synced/with space.txt"]

    assert {
        key: s3.get_object(Bucket=bucket, Key=f"synced/{key}")["Body"].read()
        for key in ("with space.txt", "new file ü.txt")
    } == {
        "with space.txt": b"changed locally, longer than before",
        "new file ü.txt": b"brand new",
    }

    (down / "new file ü.txt").unlink()
    deleted = cli.run("s3", "sync", "--delete", str(down), f"s3://{bucket}/synced")
    assert _transfers(deleted.stdout, "delete") == [f"delete: s3://{bucket}/synced/new file ü.txt"]
    assert len(stored_keys(s3, bucket, "synced/")) == len(contents)


def _transfers(output: str, verb: str) -> list[str]:
    # Progress lines end in carriage returns; the transfer lines start with the verb.
    lines = output.replace("\r", "\n").splitlines()
    return [line.strip() for line in lines if line.strip().startswith(f"{verb}: ")]


def test_keys_a_and_a_slash_b_come_down_as_the_cli_handles_them(
    cli: Cli, bucket: str, s3: Any, tmp_path: Path
) -> None:
    keys = {"clash/a": b"file a", "clash/a/b": b"file a/b", "clash/x/../escape": b"dots"}
    for key, data in keys.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    assert stored_keys(s3, bucket) == sorted(keys)

    # A folder cannot hold a file `a` and a directory `a`: sync gets one, reports the other.
    down = tmp_path / "down"
    synced = cli.run("s3", "sync", f"s3://{bucket}/clash/", str(down), ok=False)
    assert synced.returncode == 1, synced.stdout + synced.stderr
    output = synced.stdout + synced.stderr
    failures = [line for line in output.splitlines() if "download failed" in line]
    assert len(failures) == 1, output
    got = read_tree(down)
    assert got.get("a") == b"file a" or got.get("a/b") == b"file a/b"
    # The CLI resolves `x/../escape` inside the destination, never above it.
    assert got["escape"] == b"dots"

    # Fetched one key at a time, both are there byte for byte.
    cli.run("s3", "cp", f"s3://{bucket}/clash/a", str(tmp_path / "just-a"))
    cli.run("s3", "cp", f"s3://{bucket}/clash/a/b", str(tmp_path / "just-a-b"))
    assert (tmp_path / "just-a").read_bytes() == b"file a"
    assert (tmp_path / "just-a-b").read_bytes() == b"file a/b"
