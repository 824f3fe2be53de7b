"""The sets of `benchmarks/representation.py`: real ones from the aeon and sktime wheels,
and seeded generators of the classic synthetic ones, each as train and test signals with
their labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import real_data

TRAIN_TEST = ("TRAIN", "TEST")
PLAID_LENGTH = 500
"""PLAID's recordings (100 to 1,344 samples) are resampled to this many samples."""


def member(wheel: str, name: str) -> Path:
    """A file of a downloaded wheel, extracted once into the wheels' cache folder."""
    path = real_data.CACHE / wheel / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(real_data.wheel(wheel).read(name))
    return path


def aeon(name: str) -> tuple:
    """An equal-length aeon set as `(x_train, y_train, x_test, y_test)`, read by sigae."""
    from sigae.io import read_collection

    parts = [read_collection(member("aeon", f"aeon/datasets/data/{name}/{name}_eq_{p}.ts"))
             for p in TRAIN_TEST]
    return tuple(v for c in parts for v in (np.stack(c.series), c.labels))


def plaid() -> tuple:
    """PLAID (sktime 1.2.0), each recording linearly resampled to `PLAID_LENGTH` samples."""
    from sigae.io import read_collection, recordings

    parts = [read_collection(member("sktime", f"sktime/datasets/data/PLAID/PLAID_{p}.ts"))
             for p in TRAIN_TEST]
    return tuple(v for c in parts
                 for v in (np.asarray(recordings(c.series, length=PLAID_LENGTH).data),
                           c.labels))


# -- the classic synthetic sets, seeded --------------------------------------------------

def cylinder_bell_funnel(rng: np.random.Generator, n: int, length: int = 128) -> tuple:
    """Saito (1994): a plateau (cylinder), a ramp up (bell) or a ramp down (funnel) of
    height 6 + N(0, 1) between a ~ U[16, 32] and b = a + U[32, 96], on N(0, 1) noise."""
    labels = rng.integers(0, 3, n)
    t = np.arange(length)
    x = rng.normal(0, 1, (n, length))
    for i, kind in enumerate(labels):
        a = rng.integers(16, 33)
        b = a + rng.integers(32, 97)
        inside = (t >= a) & (t <= b)
        shape = [np.ones(length), (t - a) / (b - a), (b - t) / (b - a)][kind]
        x[i] += (6 + rng.normal()) * inside * shape
    return x[:, :, None].astype("float32"), labels


def two_patterns(rng: np.random.Generator, n: int, length: int = 128) -> tuple:
    """Geurts (2001): two steps, each up (-5 then +5) or down (+5 then -5), of random
    lengths at random places in the first and second halves, on N(0, 1) noise; the class
    is the pair (up-up, up-down, down-up, down-down)."""
    labels = rng.integers(0, 4, n)
    x = rng.normal(0, 1, (n, length))
    half = length // 2
    for i, kind in enumerate(labels):
        for part, up in enumerate(((kind >> 1) & 1 == 0, kind & 1 == 0)):
            width = 2 * rng.integers(8, 17)
            begin = part * half + rng.integers(0, half - width + 1)
            step = np.r_[-5 * np.ones(width // 2), 5 * np.ones(width // 2)]
            x[i, begin:begin + width] = step if up else -step
    return x[:, :, None].astype("float32"), labels


def synthetic_control(rng: np.random.Generator, n: int, length: int = 60) -> tuple:
    """Alcock and Manolopoulos (1999): 30 + 2 * U[-3, 3] noise, plus nothing (normal), a
    cycle (amplitude U[10, 15], period U[10, 15]), an increasing or decreasing trend
    (slope U[0.2, 0.5]) or an upward or downward shift (U[7.5, 20] from U[length/3,
    2 length/3])."""
    labels = rng.integers(0, 6, n)
    t = np.arange(length)
    x = 30 + 2 * rng.uniform(-3, 3, (n, length))
    for i, kind in enumerate(labels):
        if kind == 1:
            x[i] += rng.uniform(10, 15) * np.sin(2 * np.pi * t / rng.uniform(10, 15))
        elif kind in (2, 3):
            x[i] += (1 if kind == 2 else -1) * rng.uniform(0.2, 0.5) * t
        elif kind in (4, 5):
            shift = rng.uniform(7.5, 20) * (t >= rng.integers(length // 3, 2 * length // 3))
            x[i] += shift if kind == 4 else -shift
    return x[:, :, None].astype("float32"), labels


# The UCR archive's split sizes, test sets capped at 1,000.
SYNTHETIC = {"CBF": (cylinder_bell_funnel, 30, 900),
             "TwoPatterns": (two_patterns, 1000, 1000),
             "SyntheticControl": (synthetic_control, 300, 300)}

PUBLISHED_TS2VEC = {"JapaneseVowels": 0.984, "PickupGestureWiimoteZ": 0.820, "PLAID": 0.561,
                    "CBF": 1.000, "TwoPatterns": 1.000, "SyntheticControl": 0.997}
"""TS2Vec's accuracy on the archive's versions (TimesURL appendix, tables 4 and 5; the
synthetic sets here are fresh draws of their generators, not the archive's files)."""


def datasets(seed: int = 0) -> dict[str, tuple]:
    """`name -> (x_train, y_train, x_test, y_test)`."""
    sets = {"JapaneseVowels": aeon("JapaneseVowels"),
            "PickupGestureWiimoteZ": aeon("PickupGestureWiimoteZ"), "PLAID": plaid()}
    for i, (name, (make, n_train, n_test)) in enumerate(SYNTHETIC.items()):
        rng = np.random.default_rng([seed, i])
        x, y = make(rng, n_train + n_test)
        sets[name] = (x[:n_train], y[:n_train], x[n_train:], y[n_train:])
    return sets
