"""A pytest plugin for the benchmarks: each pytest process (the xdist controller and every
worker) appends its own CPU seconds to the file named by ``ENVSSOT_BENCH_CPU``.

On a shared machine wall time mostly measures the other load; the largest per-process CPU time
is the critical path an idle machine would run in (the processes of ``-n 2`` run in parallel).
"""

from __future__ import annotations

import os
import resource

import pytest


def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get("ENVSSOT_BENCH_CPU")
    if path:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{usage.ru_utime + usage.ru_stime}\n")
