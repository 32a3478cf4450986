"""Score one customer with boto3: the smallest application that calls a tsukuru endpoint.

boto3 finds the platform's address and keys in the environment (`eval "$(tsukuru env)"`) and
signs the request itself, exactly as it would for AWS; nothing here knows about tsukuru.

    python examples/app_client/invoke_boto3.py --age 35 --job student --marital single
    python examples/app_client/invoke_boto3.py --row '56;"housemaid";"married";"basic.4y";...'

Prints the probability that the customer subscribes to a term deposit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

if __package__ in (None, ""):  # run as a file: make the repository's `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.app_client.customer import (
    add_arguments,
    csv_line,
    features,
    from_arguments,
)

DEFAULT_ENDPOINT = "bank-marketing"


def score(runtime: Any, endpoint: str, customer: dict[str, str]) -> float:
    """The model's probability that `customer` buys, from the endpoint `endpoint`."""
    response = runtime.invoke_endpoint(
        EndpointName=endpoint,
        ContentType="text/csv",
        Accept="text/csv",
        Body=csv_line(features(customer)),
    )
    return float(response["Body"].read().decode().strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=DEFAULT_ENDPOINT, help="endpoint name")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        probability = score(boto3.client("sagemaker-runtime"), args.endpoint, from_arguments(args))
    except ValueError as exc:
        print(f"invoke_boto3: {exc}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError) as exc:
        print(f"invoke_boto3: the endpoint call failed: {exc}", file=sys.stderr)
        return 1
    print(f"probability of subscribing: {probability:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
