"""A stand-in for `python -m jupyterlab` in fast tests of the notebook host and domain.

It takes the options LocalNotebookHost passes (`--ServerApp.port=`, `--ServerApp.root_dir=`,
the rest ignored) and answers the one request the host makes, `GET /api/status`, with Jupyter's
rules for tokens: the server secret from JUPYTER_TOKEN in an `Authorization: token` header or a
`?token=` parameter, or a presigned session token (checked with the platform's own verifier);
anything else gets 403. `GET /env` reports the environment it was started with (authorized
the same way), so tests can check what a notebook process sees. TINY_JUPYTER_FAIL=<code> makes
it exit at once with that code after printing a line, like a server that cannot start.
"""

from __future__ import annotations

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tsukuru.hosting.notebooks_tokens import verify


def _option(name: str, default: str = "") -> str:
    prefix = f"--ServerApp.{name}="
    return next((a[len(prefix) :] for a in sys.argv[1:] if a.startswith(prefix)), default)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        sys.stdout.write(f"tiny-jupyter {self.command} {self.path}\n")

    def _authorized(self) -> bool:
        secret = os.environ.get("JUPYTER_TOKEN", "")
        header = self.headers.get("Authorization", "")
        token = header[len("token ") :] if header.startswith("token ") else ""
        token = token or parse_qs(urlparse(self.path).query).get("token", [""])[0]
        return bool(secret) and (token == secret or verify(secret, token, time.time()) is not None)

    def do_GET(self) -> None:
        path = urlparse(self.path).path
        if path not in ("/api/status", "/env"):
            self._reply(404, {"message": "Not Found"})
        elif not self._authorized():
            self._reply(403, {"message": "Forbidden"})
        elif path == "/env":
            self._reply(200, dict(os.environ))
        else:
            self._reply(200, {"started": "now", "kernels": 0})

    def _reply(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    failure = os.environ.get("TINY_JUPYTER_FAIL")
    if failure:
        print("tiny-jupyter: cannot start (asked to fail)", flush=True)
        sys.exit(int(failure))
    port = int(_option("port", "0"))
    print(f"tiny-jupyter serving {_option('root_dir')} on {port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
