"""Presigned notebook URLs: tokens that log in for a while and bound a session, without state.

A notebook server has one secret, made when it starts and known only to the platform and the
server itself. CreatePresignedNotebookInstanceUrl hands out `<login-until>.<session-until>.<mac>`
tokens signed with it: the server (`notebooks_identity`) accepts one until its login deadline
(five minutes, as SageMaker's URLs) and keeps the browser's session until the session end
(SessionExpirationDurationInSeconds). Nothing is stored, so a URL can be minted by any thread
and checked by the server alone; a new start means a new secret, which retires old URLs.

This module imports only the standard library: the Jupyter server process loads it too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    login_until: int  # epoch seconds: the token logs in before this
    session_until: int  # epoch seconds: the browser session it starts ends here


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def issue(secret: str, login_until: float, session_until: float) -> str:
    payload = f"{int(login_until)}.{int(session_until)}"
    return f"{payload}.{_mac(secret, payload)}"


def verify(secret: str, token: str, now: float) -> Session | None:
    """The session a token grants at `now`, or None (forged, malformed or past its login)."""
    parts = token.split(".")
    if not secret or len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(secret, payload), parts[2]):
        return None
    session = Session(int(parts[0]), int(parts[1]))
    if now >= session.login_until or now >= session.session_until:
        return None
    return session
