"""AWS list prices as data: what an instance-hour or a stored gigabyte would cost on AWS.

Prices live in CSV files (shipped ones plus a user's overrides), never in code, so a price
change is a data edit with its source and date. The table is partial: an instance type with no
row for its usage is estimated from a listed type of the same family and usage (scaled by the
size's normalization factor) and marked as an estimate, or reported as having no list price.
Nothing missing is ever treated as free.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PriceBasis = Literal["listed", "estimated", "missing"]

INSTANCE_COLUMNS = ("instance_type", "usage", "usd_per_hour", "source", "as_of")
STORAGE_COLUMNS = ("item", "unit", "usd", "source", "as_of")

USAGES = ("training", "realtime_inference", "batch_transform", "notebook_instance")

# EC2's size normalization factors (the units AWS uses to compare sizes within a family).
_SIZE_UNITS = {"nano": 0.25, "micro": 0.5, "small": 1.0, "medium": 2.0, "large": 4.0}
_TYPE_PATTERN = re.compile(r"^ml\.([a-z]+?)(\d+)([a-z-]*)\.([a-z0-9]+)$")


@dataclass(frozen=True)
class InstanceShape:
    """`ml.g4dn.2xlarge` → family `g`, generation 4, attributes `dn`, 16 size units."""

    family: str
    generation: int
    attributes: str
    size_units: float


def instance_shape(instance_type: str) -> InstanceShape | None:
    """The parts of an ML instance type name, or None when it does not follow the scheme."""
    match = _TYPE_PATTERN.match(instance_type)
    if match is None:
        return None
    family, generation, attributes, size = match.groups()
    if size in _SIZE_UNITS:
        units = _SIZE_UNITS[size]
    elif size == "xlarge":
        units = 8.0
    elif size.endswith("xlarge") and size[:-6].isdigit():
        units = 8.0 * int(size[:-6])
    else:
        return None
    return InstanceShape(family, int(generation), attributes, units)


@dataclass(frozen=True)
class InstanceRate:
    instance_type: str
    usage: str
    usd_per_hour: float
    source: str
    as_of: str
    origin: str  # the file the row came from


@dataclass(frozen=True)
class StorageRate:
    item: str
    unit: str
    usd: float
    source: str
    as_of: str
    origin: str


@dataclass(frozen=True)
class PriceQuote:
    """The hourly price of one instance of a type for a usage, and how sure we are of it."""

    instance_type: str
    usage: str
    usd_per_hour: float | None
    basis: PriceBasis
    based_on: str | None = None  # the listed type an estimate was scaled from
    source: str = ""
    as_of: str = ""


@dataclass
class PriceTable:
    instance_rates: dict[tuple[str, str], InstanceRate] = field(default_factory=dict)
    storage_rates: dict[str, StorageRate] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_folders(cls, folders: Iterable[Path]) -> PriceTable:
        """Every `*.csv` of each folder in turn (missing folders are skipped); later rows
        replace earlier ones with the same key, so a user's folder goes last."""
        table = cls()
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.csv")):
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    table.problems.append(f"{path}: cannot read it ({exc})")
                    continue
                table.add_csv(text, str(path))
        return table

    def add_csv(self, text: str, origin: str) -> None:
        """Add the rows of one CSV file; its header says whether it holds instance or storage
        prices. Bad rows are skipped and described in `problems`, never guessed."""
        reader = csv.DictReader(io.StringIO(text))
        columns = tuple(reader.fieldnames or ())
        if set(INSTANCE_COLUMNS) <= set(columns):
            add_row = self._add_instance_row
        elif set(STORAGE_COLUMNS) <= set(columns):
            add_row = self._add_storage_row
        else:
            self.problems.append(
                f"{origin}: unknown columns {', '.join(columns) or '(none)'}; expected "
                f"{','.join(INSTANCE_COLUMNS)} or {','.join(STORAGE_COLUMNS)}"
            )
            return
        self.files.append(origin)
        for line, row in enumerate(reader, start=2):
            try:
                add_row(row, origin)
            except ValueError as exc:
                self.problems.append(f"{origin} line {line}: {exc}")

    def _add_instance_row(self, row: dict[str, str], origin: str) -> None:
        instance_type = (row.get("instance_type") or "").strip()
        usage = (row.get("usage") or "").strip()
        if not instance_type.startswith("ml."):
            raise ValueError(f"instance_type {instance_type!r} does not start with 'ml.'")
        if usage not in USAGES:
            raise ValueError(f"usage {usage!r} is not one of {', '.join(USAGES)}")
        rate = InstanceRate(
            instance_type=instance_type,
            usage=usage,
            usd_per_hour=_price(row.get("usd_per_hour")),
            source=(row.get("source") or "").strip(),
            as_of=(row.get("as_of") or "").strip(),
            origin=origin,
        )
        self.instance_rates[(instance_type, usage)] = rate

    def _add_storage_row(self, row: dict[str, str], origin: str) -> None:
        item = (row.get("item") or "").strip()
        if not item:
            raise ValueError("the item column is empty")
        self.storage_rates[item] = StorageRate(
            item=item,
            unit=(row.get("unit") or "").strip(),
            usd=_price(row.get("usd")),
            source=(row.get("source") or "").strip(),
            as_of=(row.get("as_of") or "").strip(),
            origin=origin,
        )

    # ------------------------------------------------------------------ lookups

    def quote(self, instance_type: str, usage: str) -> PriceQuote:
        """The listed price, else an estimate from the closest listed type of the same family
        and usage, else a quote with no price (basis "missing")."""
        listed = self.instance_rates.get((instance_type, usage))
        if listed is not None:
            return PriceQuote(
                instance_type,
                usage,
                listed.usd_per_hour,
                "listed",
                None,
                listed.source,
                listed.as_of,
            )
        nearest = self._nearest_in_family(instance_type, usage)
        if nearest is None:
            return PriceQuote(instance_type, usage, None, "missing")
        rate, factor = nearest
        return PriceQuote(
            instance_type,
            usage,
            round(rate.usd_per_hour * factor, 6),
            "estimated",
            rate.instance_type,
            rate.source,
            rate.as_of,
        )

    def storage(self, item: str) -> StorageRate | None:
        return self.storage_rates.get(item)

    def _nearest_in_family(
        self, instance_type: str, usage: str
    ) -> tuple[InstanceRate, float] | None:
        wanted = instance_shape(instance_type)
        if wanted is None:
            return None
        ranked: list[tuple[tuple[int, int, int, float, str], InstanceRate, float]] = []
        for (listed_type, listed_usage), rate in self.instance_rates.items():
            shape = instance_shape(listed_type)
            if listed_usage != usage or shape is None or shape.family != wanted.family:
                continue
            same_line = (shape.generation, shape.attributes) == (
                wanted.generation,
                wanted.attributes,
            )
            ratio = wanted.size_units / shape.size_units
            rank = (
                0 if same_line else 1,
                0 if ratio == 1 else 1,
                abs(shape.generation - wanted.generation),
                abs(math.log2(ratio)),
                listed_type,
            )
            ranked.append((rank, rate, ratio))
        if not ranked:
            return None
        _, rate, ratio = min(ranked, key=lambda entry: entry[0])
        return rate, ratio


def _price(value: str | None) -> float:
    try:
        price = float((value or "").strip())
    except ValueError:
        raise ValueError(f"price {value!r} is not a number") from None
    if not math.isfinite(price) or price < 0:
        raise ValueError(f"price {value!r} must be a non-negative number")
    return price
