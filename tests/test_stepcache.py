"""Compiled steps kept on disk (sigae.architecture.stepcache): a new process trains with the
steps an earlier one compiled, bit for bit as if it had traced them; a stale, corrupt or
foreign file is never read."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sigae.architecture import stepcache

FIT = """
import hashlib, sys
import numpy as np
import sigae
from conftest import signals, tiny_config
from sigae.architecture.steps import _shared
model = sigae.SignalAutoencoder(tiny_config(latent_dim=3), seed=0)
model.fit(signals(60), epochs=3, batch_size=16, seed=0, verbose=0, schedule="linear")
digest = hashlib.sha256(b"".join(w.tobytes() for w in model.autoencoder.get_weights()))
print(digest.hexdigest(), _shared().read)
"""


def fit_in_a_new_process(cache: str) -> tuple[str, int]:
    here = os.path.dirname(__file__)
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("JAX_COMPILATION_CACHE")}  # set by this sigae
    done = subprocess.run([sys.executable, "-c", FIT], capture_output=True, text=True,
                          cwd=here, timeout=300,
                          env={**environment, "SIGAE_CACHE_DIR": cache, "PYTHONPATH": here})
    assert done.returncode == 0, done.stderr
    digest, read = done.stdout.split()
    return digest, int(read)


def test_a_new_process_trains_with_the_cached_steps_bit_for_bit(tmp_path):
    cache = tmp_path / "cache"
    traced, read_by_first = fit_in_a_new_process(str(cache))
    cached, read_by_second = fit_in_a_new_process(str(cache))
    shutil.rmtree(cache / "steps")  # the programs are in JAX's cache, the steps are not
    rewritten, _ = fit_in_a_new_process(str(cache))
    read_again, read_by_fourth = fit_in_a_new_process(str(cache))
    assert read_by_first == 0  # the first process traced and compiled every step
    assert read_by_second >= 2  # the training step and the validation's prediction
    assert read_by_fourth >= 2
    assert traced == cached == rewritten == read_again


class Described:
    """A static argument as `Traced` is: hashable, with a `key`."""

    def __init__(self, key):
        self.key = key

    def __eq__(self, other):
        return isinstance(other, Described) and self.key == other.key

    def __hash__(self):
        return hash(self.key)


def steps() -> stepcache.Steps:
    """A fresh step (nothing compiled in this process yet), doubling its state."""
    return stepcache.Steps(jax.jit(lambda state, data, described: (state * 2 + data, state),
                                   static_argnums=2))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    where = tmp_path / "steps"
    monkeypatch.setattr(stepcache, "folder", lambda: where)
    return where


def call(step: stepcache.Steps, key: str = "a"):
    return step(jnp.ones(4), np.arange(4, dtype="float32"), Described(key))


def test_a_step_compiled_once_is_read_back_by_the_next_process(folder):
    expected = call(steps())
    assert len(list(folder.glob("*.step"))) == 1
    again = steps()
    np.testing.assert_array_equal(call(again)[0], expected[0])
    assert again.read == 1


def test_another_step_or_another_sigae_is_another_file(folder, monkeypatch):
    call(steps())
    other_step = steps()
    call(other_step, key="b")  # another architecture
    monkeypatch.setattr(stepcache, "_environment", lambda: "another sigae")
    other_version = steps()
    call(other_version)
    assert (other_step.read, other_version.read) == (0, 0)
    assert len(list(folder.glob("*.step"))) == 3


@pytest.mark.parametrize("content", [
    b"not a compiled step",
    # a file that names an object outside JAX's framing of an executable
    len(b"").to_bytes(4, "little") + pickle.dumps(os.getcwd),
])
def test_a_corrupt_or_foreign_file_is_never_read(folder, content):
    call(steps())
    (path,) = folder.glob("*.step")
    path.write_bytes(content)
    step = steps()
    np.testing.assert_array_equal(call(step)[0], 2 + np.arange(4))
    assert step.read == 0


def test_a_folder_others_can_write_to_is_not_used(folder):
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    call(steps())
    assert not list(folder.glob("*.step"))
