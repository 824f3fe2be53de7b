"""The machine a benchmark ran on: CPU model, vector ISA, cores and a float32 matmul figure,
recorded beside every result (machines differ between sessions by 3x)."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def isa() -> str:
    """The widest x86 vector extension the CPU has: `AVX-512`, `AVX2` or `other`."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    return "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "other"


def matmul_gflops(n: int = 2048, repeats: int = 7) -> float:
    """A float32 `n x n` NumPy matrix product on every core, median of `repeats`."""
    a = np.random.default_rng(0).normal(size=(n, n)).astype("float32")
    a @ a
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - began)
    return 2 * n**3 / float(np.median(times)) / 1e9


def describe() -> dict:
    return {"cpu": cpu_model(), "isa": isa(), "cpus": os.cpu_count(),
            "matmul_gflops": round(matmul_gflops(), 1), "platform": platform.platform(),
            "python": platform.python_version()}
