"""One bank customer, turned into the 64 numbers the bank-marketing model was trained on.

A model only understands its training columns. `deploy_model.py` trains on the UCI bank data
encoded by `examples/bank_data.py` (`labelled_features`: the label, then age, campaign, pdays,
previous, two derived flags, every category one-hot encoded, then the five economic indicators),
so an application must encode a customer the very same way before calling the endpoint. This
module is that one place: the form fields with sensible defaults, reading a raw row of
`bank-additional.csv`, and the CSV line to send.

    python examples/app_client/customer.py --age 35 --job student   # prints the CSV line
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository's `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples.bank_data import CATEGORIES, labelled_features


@dataclass(frozen=True)
class Field:
    name: str  # the bank-additional.csv column
    label: str  # what a person reads on the form
    default: str
    choices: tuple[str, ...] = ()  # empty for a number

    @property
    def is_number(self) -> bool:
        return not self.choices


FIELDS: tuple[Field, ...] = (
    Field("age", "Age", "40"),
    Field("job", "Job", "admin.", CATEGORIES["job"]),
    Field("marital", "Marital status", "married", CATEGORIES["marital"]),
    Field("education", "Education", "university.degree", CATEGORIES["education"]),
    Field("default", "Has credit in default?", "no", CATEGORIES["default"]),
    Field("housing", "Has a housing loan?", "yes", CATEGORIES["housing"]),
    Field("loan", "Has a personal loan?", "no", CATEGORIES["loan"]),
    Field("contact", "Contact by", "cellular", CATEGORIES["contact"]),
    Field("month", "Month of last contact", "may", CATEGORIES["month"]),
    Field("day_of_week", "Day of last contact", "thu", CATEGORIES["day_of_week"]),
    Field("campaign", "Contacts in this campaign", "1"),
    Field("pdays", "Days since last contact (999: never)", "999"),
    Field("previous", "Contacts before this campaign", "0"),
    Field("poutcome", "Outcome of the previous campaign", "nonexistent", CATEGORIES["poutcome"]),
    # The economy at the time of the call (the data's most common quarter).
    Field("emp.var.rate", "Employment variation rate", "1.1"),
    Field("cons.price.idx", "Consumer price index", "93.994"),
    Field("cons.conf.idx", "Consumer confidence index", "-36.4"),
    Field("euribor3m", "Euribor 3 month rate", "4.857"),
    Field("nr.employed", "Number employed (thousands)", "5191"),
)
FEATURE_COUNT = 64


def customer(values: Mapping[str, str] | None = None) -> dict[str, str]:
    """A complete customer record: the given values over the defaults; ValueError if a value is
    not one the model knows (a job it never saw, an age that is not a number)."""
    given = dict(values or {})
    record = {field.name: str(given.pop(field.name, field.default)).strip() for field in FIELDS}
    unknown = sorted(set(given) - {"duration", "y"})
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(unknown)}")
    for field in FIELDS:
        value = record[field.name]
        if field.choices and value not in field.choices:
            raise ValueError(
                f"{field.name} must be one of {', '.join(field.choices)}; not {value!r}"
            )
        if field.is_number:
            try:
                float(value)
            except ValueError:
                raise ValueError(f"{field.name} must be a number, not {value!r}") from None
    if not record["age"].lstrip("-").isdigit() or not record["pdays"].lstrip("-").isdigit():
        raise ValueError("age and pdays must be whole numbers")
    return record


def features(record: Mapping[str, str]) -> list[float]:
    """The model's 64 inputs for one customer (the training encoding, without the label)."""
    whole = {k: v for k, v in record.items() if k in {f.name for f in FIELDS}}
    for name in ("campaign", "previous"):  # whole numbers in the data
        whole[name] = str(int(float(whole[name])))
    return labelled_features({**whole, "y": "no"})[1:]


def csv_line(values: Sequence[float]) -> str:
    """The request body for `ContentType: text/csv`: one line, no header, no label."""
    return ",".join(f"{value:g}" for value in values)


def from_bank_row(line: str) -> dict[str, str]:
    """A customer from one line of `bank-additional.csv` (semicolon-separated, quoted text;
    `duration` and `y` are ignored: neither is known before the call)."""
    header = ["age", "job", "marital", "education", "default", "housing", "loan", "contact"]
    header += ["month", "day_of_week", "duration", "campaign", "pdays", "previous", "poutcome"]
    header += ["emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed", "y"]
    row = next(csv.reader(io.StringIO(line.strip()), delimiter=";"))
    if len(row) not in (len(header), len(header) - 1):
        raise ValueError(f"a bank-additional row has {len(header)} fields; this one {len(row)}")
    return customer({k: v for k, v in zip(header, row, strict=False) if k not in ("duration", "y")})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--age 35 --job student ...` (one option per field) and `--row '56;"housemaid";...'`."""
    for field in FIELDS:
        parser.add_argument(
            f"--{field.name.replace('.', '-').replace('_', '-')}",
            dest=field.name,
            choices=field.choices or None,
            help=f"{field.label} (default {field.default})",
        )
    parser.add_argument("--row", help="a whole line of bank-additional.csv instead")


def from_arguments(args: argparse.Namespace) -> dict[str, str]:
    if args.row:
        return from_bank_row(args.row)
    given = {f.name: getattr(args, f.name) for f in FIELDS if getattr(args, f.name) is not None}
    return customer(given)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a customer as the model's CSV input.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        print(csv_line(features(from_arguments(args))))
    except ValueError as exc:
        print(f"customer: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
