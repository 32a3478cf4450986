"""`python -m bench [NAME ...]`: run every benchmark module, or those named, one after another.

A benchmark is a module of this package with `main() -> bool` (True when its targets were met);
helpers start with `_` or are listed in `_NOT_BENCHMARKS`. A name selects the module of that
name or every module starting with `NAME_` (`s3` runs `s3_throughput` and `s3_small_ops`).
Benchmarks run one at a time so they do not disturb each other's figures. The exit status is 1
when any target was missed, 2 for an unknown name.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

import bench

# Modules that support benchmarks without being one (a helper module may also start with `_`).
_NOT_BENCHMARKS = {"harness", "baseline_app"}


def benchmark_names() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.iter_modules(bench.__path__)
        if not info.name.startswith("_") and info.name not in _NOT_BENCHMARKS
    )


def select(names: list[str], wanted: list[str]) -> list[str]:
    if not wanted:
        return names
    return [n for n in names if any(n == w or n.startswith(f"{w}_") for w in wanted)]


def main(argv: list[str]) -> int:
    available = benchmark_names()
    chosen = select(available, argv)
    if not chosen:
        print(f"no benchmark matches {' '.join(argv)}; available: {', '.join(available)}")
        return 2
    missed: list[str] = []
    for name in chosen:
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        cores, load = os.cpu_count(), os.getloadavg()[0]
        print(f"== {name} ({started}; {cores} cores, load average {load:.1f})", flush=True)
        module = importlib.import_module(f"bench.{name}")
        if not module.main():
            missed.append(name)
    if missed:
        print(f"targets missed in: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
