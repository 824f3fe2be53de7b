"""Shared fixtures: tiny seeded models and data, so the suite stays fast on 2 CPU cores."""

from __future__ import annotations

import os
import shutil
import time

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
    # A third held out: 20 validation signals, the fewest an anomaly threshold is taken from.
    model.fit(data, epochs=4, batch_size=16, seed=0, verbose=0, validation_split=1 / 3)
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


# -- a real browser: Debian's chromium through Playwright (the explorer's page, the widget) --

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: chromium is missing (./dev test "
                        "installs it with apt-get)")
        pytest.skip("no chromium on this machine (./dev test installs it with apt-get as root)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def wait_until(tab, expression, timeout=60.0):
    """Polls `expression` in the page (the page's CSP forbids `wait_for_function`)."""
    deadline = time.monotonic() + timeout
    while not tab.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.02)
