"""Shared fixtures: tiny seeded models and data, so the suite stays fast on 2 CPU cores."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from sigae import ConvBlock, ModelConfig

LENGTH = 48


def tiny_config(length: int = LENGTH, channels: int = 1, **changes) -> ModelConfig:
    """A convolutional model small enough to train in a second."""
    values = {
        "length": length,
        "channels": channels,
        "latent_dim": 4,
        "blocks": (ConvBlock(4, 3, 2), ConvBlock(8, 3, 2)),
        # Training mechanics are easier to observe without the PCA start; the linear path
        # has tests of its own.
        "linear_path": False,
    }
    values.update(changes)
    return ModelConfig(**values)


def signals(n: int = 60, length: int = LENGTH, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Seeded sine waves with an offset and scale far from (0, 1), shape (n, length, channels)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, length)
    frequency = rng.uniform(1.0, 4.0, (n, 1, channels))
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1, channels))
    waves = np.sin(2 * np.pi * frequency * t[None, :, None] + phase)
    return (30.0 + 5.0 * waves + rng.normal(0, 0.1, waves.shape)).astype("float32")


@pytest.fixture(scope="session")
def data() -> np.ndarray:
    return signals()


@pytest.fixture(scope="session")
def trained(data: np.ndarray) -> sigae.SignalAutoencoder:
    """A tiny model trained for a few epochs. Tests must not train it further."""
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=4, batch_size=16, seed=0, verbose=0)
    return model


@pytest.fixture(scope="session")
def model_file(trained: sigae.SignalAutoencoder, tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("model") / "tiny.sigae"
    trained.save(path)
    return path


def sigae_process(*argv, cwd=None):
    """`sigae ARGV` in a child process, as from a terminal: Ctrl-C is not ignored there (the
    test runner may have been started in the background, where a shell ignores it, and
    children inherit that). Output is unbuffered, so lines can be read as they come."""
    import os
    import subprocess
    import sys

    launcher = ("import runpy, signal, sys; signal.signal(signal.SIGINT, "
                "signal.default_int_handler); sys.argv = ['sigae', *sys.argv[1:]]; "
                "runpy.run_module('sigae', run_name='__main__')")
    return subprocess.Popen([sys.executable, "-c", launcher, *map(str, argv)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
