"""A small web application that scores one bank customer through a tsukuru endpoint.

A page with a form (the customer's age, job, marital status, ... with sensible defaults); on
submit the server encodes the customer the way the training data was encoded
(`customer.py`), calls InvokeEndpoint with botocore, which signs the request, and shows the
probability that the customer subscribes. The browser never sees the AWS keys: they stay in the
server's environment, as they should in any real application.

    eval "$(tsukuru env)"
    python examples/app_client/webapp.py --endpoint bank-marketing --port 8000
    # then open http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path
from typing import Any

import boto3
import uvicorn
from botocore.exceptions import BotoCoreError, ClientError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

if __package__ in (None, ""):  # run as a file: make the repository's `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.app_client.customer import FIELDS, customer
from examples.app_client.invoke_boto3 import DEFAULT_ENDPOINT, score

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; color: #222; }
form { display: grid; grid-template-columns: 18rem 1fr; gap: .4rem 1rem; align-items: center; }
button { grid-column: 2; justify-self: start; padding: .4rem 1.2rem; }
.result { font-size: 1.4rem; margin: 1rem 0; padding: .8rem; background: #eef5ee; }
.error { margin: 1rem 0; padding: .8rem; background: #fbeaea; }
.bar { height: .6rem; background: #4a8f4a; }
"""


def page(values: dict[str, str], result: str = "") -> str:
    rows = []
    for field in FIELDS:
        value = values.get(field.name, field.default)
        name = html.escape(field.name)
        if field.choices:
            options = "".join(
                f"<option{' selected' if choice == value else ''}>{html.escape(choice)}</option>"
                for choice in field.choices
            )
            control = f'<select id="{name}" name="{name}">{options}</select>'
        else:
            control = f'<input id="{name}" name="{name}" value="{html.escape(value)}">'
        rows.append(f'<label for="{name}">{html.escape(field.label)}</label>{control}')
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Will this customer subscribe?"
        f"</title><style>{STYLE}</style></head><body><h1>Will this customer subscribe?</h1>"
        f"{result}<form method='post' action='/score'>{''.join(rows)}"
        "<button type='submit'>Score</button></form></body></html>"
    )


def result_block(probability: float) -> str:
    percent = 100 * probability
    return (
        f"<div class='result' id='result' data-probability='{probability:.6f}'>"
        f"Probability of subscribing: <strong>{percent:.1f}%</strong>"
        f"<div class='bar' style='width: {percent:.1f}%'></div></div>"
    )


def error_block(message: str) -> str:
    return f"<div class='error' id='error'>{html.escape(message)}</div>"


def create_app(endpoint: str = DEFAULT_ENDPOINT, runtime: Any = None) -> Starlette:
    """The application; `runtime` is a `sagemaker-runtime` client (one from the environment's
    settings by default)."""
    client = runtime if runtime is not None else boto3.client("sagemaker-runtime")

    async def form(_: Request) -> HTMLResponse:
        return HTMLResponse(page({}))

    async def scored(request: Request) -> HTMLResponse:
        submitted = await request.form()
        values = {f.name: str(submitted[f.name]) for f in FIELDS if f.name in submitted}
        try:
            record = customer(values)
        except ValueError as exc:
            return HTMLResponse(page(values, error_block(str(exc))), status_code=400)
        try:
            probability = await run_in_threadpool(score, client, endpoint, record)
        except (ClientError, BotoCoreError, ValueError) as exc:
            message = f"The endpoint {endpoint} could not score this customer: {exc}"
            return HTMLResponse(page(values, error_block(message)), status_code=502)
        return HTMLResponse(page(values, result_block(probability)))

    return Starlette(
        routes=[Route("/", form, methods=["GET"]), Route("/score", scored, methods=["POST"])]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help="endpoint name")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.endpoint), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
