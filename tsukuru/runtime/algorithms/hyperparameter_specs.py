"""Declarative hyperparameter tables and the validation pass SageMaker's algorithms run.

A built-in algorithm receives every hyperparameter as a string and checks them in a fixed order
before touching any data, failing fast with a precise message. The order and the wording are
part of the observable behaviour (they become the job's FailureReason), so they follow the
SageMaker algorithm toolkit exactly:

0. aliases are renamed (`learning_rate` -> `eta`);
1. a missing required hyperparameter: `Missing required hyperparameter: num_round`;
2. in the user's order, an unknown name (`Extraneous hyperparameter found: silent`) or a value
   that does not parse (`Hyperparameter num_round: could not parse value (caused by ValueError)`);
3. ranges: `Hyperparameter eta: 2.0 is not in [0, 1]`,
   `Hyperparameter eval_metric: value ['foo'] not in range [...]`;
4. cross-parameter rules, dependencies first (`num_class` before `objective`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tsukuru.runtime.algorithms.errors import AlgorithmError, ClientError

Number = int | float
Kind = Literal["int", "float", "categorical", "list", "nested_list", "tuple"]
DependencyCheck = Callable[[Any, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Interval:
    """A numeric range printed as the toolkit prints it: `[0, 1]`, `(0, 1]`, `[1, +inf)`."""

    min_open: Number | None = None
    min_closed: Number | None = None
    max_open: Number | None = None
    max_closed: Number | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float):
            raise TypeError(f"{value!r} is not a number")
        return not (
            (self.min_open is not None and value <= self.min_open)
            or (self.min_closed is not None and value < self.min_closed)
            or (self.max_open is not None and value >= self.max_open)
            or (self.max_closed is not None and value > self.max_closed)
        )

    def __str__(self) -> str:
        if self.min_open is not None:
            low = f"({self.min_open}, "
        elif self.min_closed is not None:
            low = f"[{self.min_closed}, "
        else:
            low = "(-inf, "
        if self.max_open is not None:
            high = f"{self.max_open})"
        elif self.max_closed is not None:
            high = f"{self.max_closed}]"
        else:
            high = "+inf)"
        return low + high


@dataclass(frozen=True)
class Choices:
    """Allowed values, printed as a Python list; `accepts` may refine (or raise ClientError)."""

    values: tuple[Any, ...]
    accepts: Callable[[Any], bool] | None = None

    def __contains__(self, value: object) -> bool:
        if self.accepts is not None:
            return self.accepts(value)
        return value in self.values

    def __str__(self) -> str:
        return str(list(self.values))


@dataclass(frozen=True)
class Spec:
    name: str
    kind: Kind
    allowed: Interval | Choices
    required: bool = False
    depends_on: tuple[str, ...] = ()
    check_dependencies: DependencyCheck | None = None

    def parse(self, text: str) -> Any:
        if self.kind == "int":
            return int(text)
        if self.kind == "float":
            return float(text)
        if self.kind == "list":
            return text.split(",")
        if self.kind in ("nested_list", "tuple"):
            return ast.literal_eval(text)
        return text

    def check_range(self, value: Any) -> None:
        if self.kind in ("int", "float", "categorical"):
            if value not in self.allowed:
                raise ClientError(f"Hyperparameter {self.name}: {value} is not in {self.allowed}")
            return
        if self.kind == "nested_list":
            elements: Iterable[Any] = [item for inner in value for item in inner]
        else:
            elements = value
        if any(element not in self.allowed for element in elements):
            raise ClientError(
                f"Hyperparameter {self.name}: value {value} not in range {self.allowed}"
            )


@dataclass(frozen=True)
class Table:
    """One algorithm version's hyperparameters, in declaration order, with aliases."""

    specs: tuple[Spec, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {spec.name: spec for spec in self.specs})

    @property
    def by_name(self) -> Mapping[str, Spec]:
        by_name: Mapping[str, Spec] = object.__getattribute__(self, "_by_name")
        return by_name

    def names(self) -> Sequence[str]:
        return [spec.name for spec in self.specs]

    def validate(self, user: Mapping[str, str]) -> dict[str, Any]:
        """Parsed, checked hyperparameters (in the order the dependency pass settles them)."""
        renamed = {self.aliases.get(name, name): value for name, value in user.items()}
        for spec in self.specs:
            if spec.required and spec.name not in renamed:
                raise ClientError(f"Missing required hyperparameter: {spec.name}")
        parsed: dict[str, Any] = {}
        for name, text in renamed.items():
            found = self.by_name.get(name)
            if found is None:
                raise ClientError(f"Extraneous hyperparameter found: {name}")
            try:
                parsed[name] = found.parse(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
                raise ClientError(
                    f"Hyperparameter {name}: could not parse value (caused by {type(exc).__name__})"
                ) from exc
        for name, value in parsed.items():
            try:
                self.by_name[name].check_range(value)
            except ClientError:
                raise
            except Exception as exc:
                raise AlgorithmError(
                    f"Hyperparameter {name}: unexpected failure when validating {value} "
                    f"(caused by {type(exc).__name__})"
                ) from exc
        validated: dict[str, Any] = {}
        for name in self._dependency_order(list(parsed)):
            spec = self.by_name[name]
            if spec.check_dependencies is not None:
                known = {dep: validated[dep] for dep in spec.depends_on if dep in validated}
                spec.check_dependencies(parsed[name], known)
            validated[name] = parsed[name]
        return validated

    def _dependency_order(self, names: list[str]) -> list[str]:
        """Depth-first post-order over the given names: every dependency before its dependent."""
        visited = dict.fromkeys(names, False)
        order: list[str] = []

        def visit(name: str) -> None:
            visited[name] = True
            for dependency in self.by_name[name].depends_on:
                if dependency in visited and not visited[dependency]:
                    visit(dependency)
            order.append(name)

        for name in names:
            if not visited[name]:
                visit(name)
        return order
