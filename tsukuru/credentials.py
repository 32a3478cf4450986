"""The platform's access key, generated once per home and kept in `<home>/credentials`.

Fixed, well-known development keys would let anything that can reach the port act on the
platform, so the first start (or the first `tsukuru env`) draws a random key pair and stores it
with mode 0600; the gateway verifies every request's signature against it, and `tsukuru env` /
`tsukuru exec` hand it to clients. The file uses the AWS shared-credentials format
(`[default]`, `aws_access_key_id`, `aws_secret_access_key`), so it also works as
`AWS_SHARED_CREDENTIALS_FILE`. Rotating the keys is deleting the file and restarting.

Two processes that start at the same moment agree on one pair: the file is written under a
temporary name and hard-linked into place, which fails for the second writer, who then reads
the winner's file.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

CREDENTIALS_FILE = "credentials"
SECTION = "default"
FILE_MODE = 0o600
ACCESS_KEY_PREFIX = "AKIA"
ACCESS_KEY_LENGTH = 20
SECRET_KEY_LENGTH = 40
# AWS key ids are upper-case base32; secrets are base64-like.
_KEY_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:  # never print the secret by accident
        return f"Credentials(access_key_id={self.access_key_id!r}, secret_access_key='***')"


def credentials_path(home: Path) -> Path:
    return home / CREDENTIALS_FILE


def generate() -> Credentials:
    """A fresh random key pair shaped like AWS's (20-character id, 40-character secret)."""
    suffix = "".join(
        secrets.choice(_KEY_ID_ALPHABET) for _ in range(ACCESS_KEY_LENGTH - len(ACCESS_KEY_PREFIX))
    )
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_KEY_LENGTH))
    return Credentials(access_key_id=ACCESS_KEY_PREFIX + suffix, secret_access_key=secret)


def read(home: Path) -> Credentials | None:
    """The stored key pair, or None when the home has none yet.

    A file readable by others is tightened to 0600 (it is this platform's secret); a file that
    exists but lacks the keys is an error naming it, never silently replaced.
    """
    path = credentials_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)
    return _parse(text, path)


def load_or_create(home: Path) -> Credentials:
    """The home's key pair, generating and storing one on first use."""
    existing = read(home)
    if existing is not None:
        return existing
    home.mkdir(parents=True, exist_ok=True)
    _publish(home, generate())
    created = read(home)
    if created is None:  # deleted between the write and the read: try once more
        _publish(home, generate())
        created = read(home)
    if created is None:
        raise OSError(f"could not create {credentials_path(home)}")
    return created


def render(credentials: Credentials) -> str:
    return (
        "# tsukuru's access key for this home; delete this file and restart to rotate it.\n"
        f"[{SECTION}]\n"
        f"aws_access_key_id = {credentials.access_key_id}\n"
        f"aws_secret_access_key = {credentials.secret_access_key}\n"
    )


def _publish(home: Path, credentials: Credentials) -> None:
    """Write the file atomically with mode 0600; losing a race to another writer is fine."""
    final = credentials_path(home)
    temp = home / f".{CREDENTIALS_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render(credentials))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race
            os.link(temp, final)
    finally:
        temp.unlink(missing_ok=True)


def _parse(text: str, path: Path) -> Credentials:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ValueError(f"{path} is not a credentials file: {exc}") from exc
    if not parser.has_section(SECTION):
        raise ValueError(f"{path} has no [{SECTION}] section; delete it to generate new keys")
    section = parser[SECTION]
    key_id = section.get("aws_access_key_id", "").strip()
    secret = section.get("aws_secret_access_key", "").strip()
    if not key_id or not secret:
        raise ValueError(
            f"{path} lacks aws_access_key_id or aws_secret_access_key; "
            "delete it to generate new keys"
        )
    return Credentials(access_key_id=key_id, secret_access_key=secret)
