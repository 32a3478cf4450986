"""Presigned notebook tokens: what logs in, until when, and what a forger cannot make."""

from __future__ import annotations

from tsukuru.hosting.notebooks_tokens import Session, issue, new_secret, verify

NOW = 1_800_000_000.0


def test_a_token_logs_in_before_its_deadline_for_its_session() -> None:
    secret = new_secret()
    token = issue(secret, NOW + 300, NOW + 3600)
    assert verify(secret, token, NOW) == Session(int(NOW + 300), int(NOW + 3600))
    assert verify(secret, token, NOW + 299) is not None


def test_a_token_past_its_login_deadline_or_session_is_refused() -> None:
    secret = new_secret()
    assert verify(secret, issue(secret, NOW + 300, NOW + 3600), NOW + 300) is None
    assert verify(secret, issue(secret, NOW + 300, NOW + 100), NOW + 150) is None


def test_another_secret_or_an_edited_token_is_refused() -> None:
    secret = new_secret()
    token = issue(secret, NOW + 300, NOW + 3600)
    assert verify(new_secret(), token, NOW) is None
    login, session, mac = token.split(".")
    assert verify(secret, f"{login}.{int(session) + 86400}.{mac}", NOW) is None
    assert verify(secret, f"{int(login) + 1}.{session}.{mac}", NOW) is None


def test_malformed_tokens_and_an_empty_secret_are_refused() -> None:
    secret = new_secret()
    for token in ("", "abc", "1.2", "a.b.c", "1.2.3.4", secret):
        assert verify(secret, token, NOW) is None
    assert verify("", issue("", NOW + 300, NOW + 3600), NOW) is None
