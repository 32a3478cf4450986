"""Turning a template and its data into a response, in the request's language.

Pages are rendered on the server (Jinja2, autoescaped) so they work without scripts and load in
one round trip; the small script in `static/console.js` only refreshes marked regions by fetching
the same templates' fragments again. Every template sees the same few names: `t` (the
translator), `P` (the console's URL prefix), `csrf` (the form token) and `here` (this page's
path, for the language toggle).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from tsukuru.console.guard import CSRF_FIELD, csrf_token
from tsukuru.console.i18n import COOKIE, LANGUAGES, Translator, negotiate

PREFIX = "/_console"


def _query(value: str) -> str:
    """Quote a value for a query string (keys and prefixes keep nothing unescaped but `/`)."""
    return quote(value, safe="/")


def _segment(value: str) -> str:
    """Quote a value for one path segment."""
    return quote(value, safe="")


_BACKTICKS = re.compile(r"`([^`]+)`")


def _code_spans(text: str) -> Markup:
    """Catalog text with `commands` in backticks, escaped, the backticks made <code>."""
    return Markup(_BACKTICKS.sub(r"<code>\1</code>", str(escape(text))))


class Renderer:
    def __init__(self, now: Any) -> None:
        self._now = now
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("tsukuru.console", "templates"),
            autoescape=jinja2.select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self._env.filters["q"] = _query
        self._env.filters["seg"] = _segment
        self._env.filters["code"] = _code_spans
        self._env.globals.update(P=PREFIX, CSRF_FIELD=CSRF_FIELD, LANGUAGES=LANGUAGES)

    def translator(self, request: Request) -> Translator:
        return Translator(
            negotiate(request.cookies.get(COOKIE), request.headers.get("accept-language"))
        )

    def html(
        self, request: Request, template: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        t = self.translator(request)
        now: datetime = self._now()
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        context.setdefault("notice", self._notice(request, t))
        page = self._env.get_template(template).render(
            t=t,
            lang=t.lang,
            csrf=csrf_token(request),
            here=here,
            now=now,
            ago=lambda moment: t.ago(moment, now),
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        response.headers["content-language"] = t.lang
        return response

    @staticmethod
    def _notice(request: Request, t: Translator) -> str | None:
        """The message a redirect after a POST asked for (`?notice=key&name=...`): only keys of
        the catalog's `notice.` family, with the query's values filled in (escaped later)."""
        key = request.query_params.get("notice")
        if not key or not t.has(f"notice.{key}"):
            return None
        values = {k: v for k, v in request.query_params.items() if k != "notice"}
        try:
            return t(f"notice.{key}", **values)
        except (KeyError, IndexError):
            return None
