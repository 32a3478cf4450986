"""Who may use a notebook server: the platform (its secret) and holders of a presigned URL.

Loaded inside the JupyterLab server process (`--ServerApp.identity_provider_class`), never by
the platform. Jupyter's own token check stays for the server secret, which only the platform
knows (it probes `/api/status` with it). On top, a presigned token (`notebooks_tokens`) logs a
browser in until the URL's login deadline, and the login cookie it gets carries the session
end: past it the cookie no longer counts and the server answers 403 (or the login page), as a
SageMaker notebook does when its session expires. Requests with neither are refused.
"""

from __future__ import annotations

import dataclasses
import json
import time

from jupyter_server.auth.identity import IdentityProvider, User
from tornado import web

from tsukuru.hosting.notebooks_tokens import verify

SESSION_FIELD = "session_until"


@dataclasses.dataclass
class SessionUser(User):
    """A user logged in through a presigned URL: valid until `session_until` (epoch s)."""

    session_until: float = 0.0


class SessionIdentityProvider(IdentityProvider):
    async def get_user_token(self, handler: web.RequestHandler) -> User | None:
        presented = self.get_token(handler)
        session = verify(str(self.token or ""), presented or "", time.time())
        if session is None:
            user: User | None = await super().get_user_token(handler)  # the server secret
            return user
        known = self.get_user_cookie(handler)
        if known is not None and not isinstance(known, User):
            known = await known
        base = known if isinstance(known, User) else self.generate_anonymous_user(handler)
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(User)}
        return SessionUser(**fields, session_until=float(session.session_until))

    def user_to_cookie(self, user: User) -> str:
        cookie = json.loads(super().user_to_cookie(user))
        if isinstance(user, SessionUser):
            cookie[SESSION_FIELD] = user.session_until
        return json.dumps(cookie)

    def user_from_cookie(self, cookie_value: str) -> User | None:
        user: User | None = super().user_from_cookie(cookie_value)
        until = json.loads(cookie_value).get(SESSION_FIELD)
        if user is None or until is None:
            return user
        if time.time() >= float(until):
            return None  # the session has expired
        fields = {f.name: getattr(user, f.name) for f in dataclasses.fields(User)}
        return SessionUser(**fields, session_until=float(until))
