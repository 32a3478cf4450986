"""The generated access key: shape, file mode, stability, races and the settings that use it."""

from __future__ import annotations

import configparser
import stat
import threading
from pathlib import Path

import pytest

from tsukuru import credentials
from tsukuru.config import load_settings, parse_switch


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_generates_an_aws_shaped_pair_in_a_private_file(tmp_path: Path) -> None:
    home = tmp_path / "new home"
    made = credentials.load_or_create(home)
    assert made.access_key_id.startswith("AKIA")
    assert len(made.access_key_id) == 20
    assert made.access_key_id.isalnum()
    assert made.access_key_id.isupper()
    assert len(made.secret_access_key) == 40
    path = credentials.credentials_path(home)
    assert mode(path) == 0o600
    assert made.secret_access_key not in repr(made)
    assert [p.name for p in home.iterdir()] == ["credentials"]  # no temp files left behind


def test_the_file_is_an_aws_shared_credentials_file(tmp_path: Path) -> None:
    made = credentials.load_or_create(tmp_path)
    parser = configparser.ConfigParser()
    parser.read(credentials.credentials_path(tmp_path))
    assert parser["default"]["aws_access_key_id"] == made.access_key_id
    assert parser["default"]["aws_secret_access_key"] == made.secret_access_key


def test_later_uses_read_the_same_pair_and_homes_differ(tmp_path: Path) -> None:
    first = credentials.load_or_create(tmp_path / "a")
    assert credentials.load_or_create(tmp_path / "a") == first
    assert credentials.read(tmp_path / "a") == first
    assert credentials.load_or_create(tmp_path / "b") != first
    assert credentials.read(tmp_path / "c") is None


def test_deleting_the_file_rotates_the_keys(tmp_path: Path) -> None:
    first = credentials.load_or_create(tmp_path)
    credentials.credentials_path(tmp_path).unlink()
    assert credentials.load_or_create(tmp_path) != first


def test_concurrent_first_uses_agree_on_one_pair(tmp_path: Path) -> None:
    seen: list[credentials.Credentials] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        seen.append(credentials.load_or_create(tmp_path))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8
    assert len(set(seen)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials"]


def test_a_file_opened_to_others_is_made_private_again(tmp_path: Path) -> None:
    credentials.load_or_create(tmp_path)
    path = credentials.credentials_path(tmp_path)
    path.chmod(0o644)
    credentials.read(tmp_path)
    assert mode(path) == 0o600


def test_a_damaged_file_is_reported_not_replaced(tmp_path: Path) -> None:
    path = credentials.credentials_path(tmp_path)
    path.write_text("[default]\naws_access_key_id = AKIAONLY\n")
    with pytest.raises(ValueError, match="lacks aws_access_key_id or aws_secret_access_key"):
        credentials.load_or_create(tmp_path)
    assert path.read_text() == "[default]\naws_access_key_id = AKIAONLY\n"
    path.write_text("not ini at all")
    with pytest.raises(ValueError, match="not a credentials file"):
        credentials.read(tmp_path)


def test_settings_carry_the_generated_keys(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path, environ={})
    stored = credentials.read(tmp_path)
    assert stored is not None
    assert (settings.access_key_id, settings.secret_access_key) == (
        stored.access_key_id,
        stored.secret_access_key,
    )
    assert settings.secret_access_key not in repr(settings)
    assert settings.auth is True


def test_environment_keys_override_the_file(tmp_path: Path) -> None:
    env = {"TSUKURU_ACCESS_KEY_ID": "AKIAMINE", "TSUKURU_SECRET_ACCESS_KEY": "mine"}
    settings = load_settings(home=tmp_path, environ=env)
    assert (settings.access_key_id, settings.secret_access_key) == ("AKIAMINE", "mine")
    assert credentials.read(tmp_path) is None  # nothing generated when both are given
    with pytest.raises(ValueError, match="set both"):
        load_settings(home=tmp_path, environ={"TSUKURU_ACCESS_KEY_ID": "AKIAMINE"})


def test_auth_switch_from_environment_toml_and_argument(tmp_path: Path) -> None:
    assert load_settings(home=tmp_path, environ={"TSUKURU_AUTH": "off"}).auth is False
    (tmp_path / "config.toml").write_text("auth = false\n")
    assert load_settings(home=tmp_path, environ={}).auth is False
    assert load_settings(home=tmp_path, environ={}, auth=True).auth is True
    with pytest.raises(ValueError, match="auth must be on or off"):
        load_settings(home=tmp_path, environ={"TSUKURU_AUTH": "maybe"})
    assert [parse_switch("x", v) for v in ("ON", "1", "yes", "Off", "0", "no")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.5", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_which_addresses_count_as_loopback(tmp_path: Path, host: str, loopback: bool) -> None:
    assert load_settings(home=tmp_path, host=host, environ={}).binds_loopback is loopback
