"""The fast path (sigae.architecture.fastpath) computes what the plain Keras path computes.

Equivalence, not speed (speed is measured in benchmarks/bench_speed.py): the same weights
give the same outputs and gradients on either path, a model trained on the fast path runs
on another backend, and a failing fast path falls back to the plain one with a warning.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import jax
import keras
import numpy as np
import pytest

import sigae
from sigae.architecture import fastpath
from sigae.architecture.designs import build_views
from sigae.core import runtime


@pytest.fixture(autouse=True)
def _fast_path_on(monkeypatch):
    """Each test starts on the fast path, whatever the environment running the suite."""
    monkeypatch.setenv("SIGAE_FAST", "1")


def _outputs_and_gradients(views, x):
    """The autoencoder's output and the gradient of its MSE, traced now (so under the
    current SIGAE_FAST), with the jaxpr of the gradient."""
    model = views.autoencoder
    trainable = [v.value for v in model.trainable_variables]
    frozen = [v.value for v in model.non_trainable_variables]

    def loss(weights):
        output = model.stateless_call(weights, frozen, x)[0]
        return keras.ops.mean(keras.ops.square(output - x)), output

    gradient = jax.grad(loss, has_aux=True)
    grads, output = jax.jit(gradient)(trainable)
    return np.asarray(output), [np.asarray(g) for g in grads], str(jax.make_jaxpr(gradient)(
        trainable))


def _assert_close(fast, plain, relative):
    scale = max(float(np.max(np.abs(plain))), 1e-12)
    assert float(np.max(np.abs(fast - plain))) <= relative * scale


@pytest.mark.parametrize("length", [501, 127, 1460])
@pytest.mark.parametrize("channels", [1, 3])
def test_the_fast_path_gives_the_plain_paths_outputs_and_gradients(length, channels,
                                                                   monkeypatch):
    config = sigae.ModelConfig(length=length, channels=channels, latent_dim=4)
    views = build_views(config, seed=0)
    # Let the convolutional path contribute, as after training (it starts at zero).
    for variable in views.autoencoder.trainable_variables:
        if np.all(keras.ops.convert_to_numpy(variable) == 0):
            variable.assign(np.random.default_rng(1).normal(0, 0.1, variable.shape))
    x = np.random.default_rng(0).normal(size=(6, length, channels)).astype("float32")

    fast_output, fast_grads, fast_program = _outputs_and_gradients(views, x)
    monkeypatch.setenv("SIGAE_FAST", "0")
    plain_output, plain_grads, plain_program = _outputs_and_gradients(views, x)

    # Each path is what it claims: the plain one is XLA's convolution and select-and-
    # scatter, the fast one takes the first convolution and the poolings' gradient over.
    assert plain_program.count("conv_general_dilated") > fast_program.count(
        "conv_general_dilated")
    assert "select_and_scatter" in plain_program
    assert "select_and_scatter" not in fast_program
    _assert_close(fast_output, plain_output, 1e-5)
    for fast, plain in zip(fast_grads, plain_grads, strict=True):
        _assert_close(fast, plain, 1e-4)


def test_the_question_preset_valid_padding_takes_the_fast_path_too(monkeypatch):
    views = build_views(sigae.architecture.config.preset("question", length=127), seed=0)
    x = np.random.default_rng(0).normal(size=(4, 127, 1)).astype("float32")
    fast_output, fast_grads, _ = _outputs_and_gradients(views, x)
    monkeypatch.setenv("SIGAE_FAST", "0")
    plain_output, plain_grads, _ = _outputs_and_gradients(views, x)
    _assert_close(fast_output, plain_output, 1e-5)
    for fast, plain in zip(fast_grads, plain_grads, strict=True):
        _assert_close(fast, plain, 1e-4)


@pytest.mark.parametrize("repeat", [2, 3])
def test_a_dense_layer_over_an_upsampled_sequence_multiplies_each_sample_once(repeat,
                                                                              monkeypatch):
    steps, channels, units = 9, 5, 7
    sequence = keras.Input((steps, channels))
    flat = keras.layers.Flatten()(keras.layers.UpSampling1D(repeat)(sequence))
    dense = fastpath.Dense(units, repeat=repeat, channels=channels,
                           kernel_initializer="glorot_uniform")
    model = keras.Model(sequence, dense(flat))
    h = np.random.default_rng(0).normal(size=(4, steps, channels)).astype("float32")
    kernel = dense.kernel.value

    def traced():
        def loss(kernel, h):
            output = model.stateless_call([kernel, dense.bias.value], [], h)[0]
            return keras.ops.sum(keras.ops.square(output))
        grad = jax.grad(loss, argnums=(0, 1))
        return [np.asarray(g) for g in jax.jit(grad)(kernel, h)], str(jax.make_jaxpr(grad)(
            kernel, h))

    (fast_kernel, fast_input), fast_program = traced()
    fast_output = np.asarray(model(h))
    monkeypatch.setenv("SIGAE_FAST", "0")
    (plain_kernel, plain_input), plain_program = traced()
    plain_output = np.asarray(model(h))
    _assert_close(fast_output, plain_output, 1e-5)
    _assert_close(fast_kernel, plain_kernel, 1e-5)
    _assert_close(fast_input, plain_input, 1e-5)
    # The fast product contracts steps * channels features, the plain one repeat times as many.
    assert f"{steps * channels},{units}" in fast_program.replace(" ", "")
    assert f"{steps * channels},{units}" not in plain_program.replace(" ", "")
    assert type(fastpath.plain_layer(dense)) is keras.layers.Dense


@pytest.mark.parametrize("pool", [2, 3])
@pytest.mark.parametrize("length", [7, 10, 12])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_pooling_equals_keras_pooling_and_its_gradient(pool, length, padding):
    fast = fastpath.MaxPooling1D(pool, padding=padding)
    plain = keras.layers.MaxPooling1D(pool, padding=padding)
    x = np.random.default_rng(length).normal(size=(3, length, 2)).astype("float32")
    upstream = np.random.default_rng(1).normal(
        size=plain.compute_output_shape(x.shape)).astype("float32")

    def gradient(layer):
        return np.asarray(jax.grad(lambda v: (layer(v) * upstream).sum())(x))

    np.testing.assert_array_equal(fast(x), plain(x))  # the forward pass is XLA's own
    np.testing.assert_allclose(gradient(fast), gradient(plain), rtol=0, atol=1e-6)


def test_a_tie_in_a_pooling_window_shares_the_gradient():
    x = np.array([[[1.0], [1.0], [0.0], [2.0]]], "float32")
    grad = jax.grad(lambda v: fastpath.MaxPooling1D(2)(v).sum())(x)
    np.testing.assert_array_equal(np.asarray(grad)[0, :, 0], [0.5, 0.5, 0.0, 1.0])


def test_ties_in_wider_windows_share_the_gradient_equally():
    # windows of 3: a three-way tie, a two-way tie, one maximum; "same" pads the last
    x = np.array([[[1.0], [1.0], [1.0], [2.0], [0.0], [2.0], [5.0], [4.0]]], "float32")
    upstream = np.array([[[0.3], [0.7], [1.1]]], "float32")
    grad = jax.grad(lambda v: (fastpath.MaxPooling1D(3, padding="same")(v) * upstream).sum())(x)
    third, half = np.float32(0.3) / np.float32(3), np.float32(0.7) / np.float32(2)
    np.testing.assert_array_equal(np.asarray(grad)[0, :, 0], np.array(
        [third, third, third, half, 0.0, half, 1.1, 0.0], "float32"))


def test_a_failing_fast_path_falls_back_with_a_warning(monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(fastpath, "_window_product", broken)
    monkeypatch.setattr(runtime, "_warned", set())
    conv = fastpath.Conv1D(4, 3, padding="same", activation="tanh")
    x = np.random.default_rng(0).normal(size=(2, 9, 1)).astype("float32")
    with caplog.at_level(logging.WARNING, logger="sigae"):
        fell_back = np.asarray(conv(x))
        conv(x)
    warnings = [r for r in caplog.records if "fast path" in r.getMessage()]
    assert len(warnings) == 1  # once, not at every call
    assert "simulated failure" in warnings[0].getMessage()
    plain = keras.layers.Conv1D(4, 3, padding="same", activation="tanh")
    plain.build(x.shape)
    plain.set_weights(conv.get_weights())
    np.testing.assert_array_equal(fell_back, np.asarray(plain(x)))


def test_a_failing_pooling_falls_back_to_keras(monkeypatch):
    def broken():
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(fastpath, "_max_pool", broken)
    x = np.random.default_rng(0).normal(size=(2, 9, 3)).astype("float32")
    np.testing.assert_array_equal(fastpath.MaxPooling1D(2)(x), keras.layers.MaxPooling1D(2)(x))


def test_a_model_trained_on_the_fast_path_runs_on_another_backend(tmp_path):
    train = sigae.datasets.oscillations(n_signals=80, length=127, seed=0)[0]
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=127, latent_dim=4))
    model.fit(train, epochs=2, seed=0, verbose=0)
    model.save(tmp_path / "model.sigae")
    np.save(tmp_path / "x.npy", train[:10])
    np.save(tmp_path / "expected.npy", model.reconstruct(train[:10]))
    script = """
import numpy as np, keras, sigae
assert keras.backend.backend() == "numpy"
model = sigae.load("model.sigae")
got, expected = model.reconstruct(np.load("x.npy")), np.load("expected.npy")
print(float(np.max(np.abs(got - expected)) / np.max(np.abs(expected))))
"""
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-5


def test_the_allocator_and_the_compilation_cache_follow_the_environment(tmp_path):
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o500)
    script = """
import os, sys, numpy as np, sigae
from sigae.core import runtime
print(runtime.keep_buffers_in_heap(), os.environ.get("JAX_COMPILATION_CACHE_DIR"))
if len(sys.argv) > 1:  # something to compile, to see the cache fill
    model = sigae.SignalAutoencoder(sigae.ModelConfig(length=32, latent_dim=2))
    model.fit(np.random.default_rng(0).normal(size=(20, 32, 1)), epochs=1, verbose=0)
"""

    def run(*args, **env):
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("JAX_")}
        result = subprocess.run([sys.executable, "-c", script, *args],
                                env={**inherited, **env}, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.split("\n")[0]

    cache = tmp_path / "cache"
    linux_glibc = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION")
    assert run("fit", SIGAE_CACHE_DIR=str(cache)) == f"{bool(linux_glibc)} {cache}"
    assert any(cache.iterdir())  # compiled programs were kept
    assert run(SIGAE_FAST="0", SIGAE_CACHE_DIR=str(cache)) == "False None"
    assert run(SIGAE_CACHE_DIR="").endswith(" None")
    if os.geteuid() != 0:  # root writes anywhere
        assert run(SIGAE_CACHE_DIR=str(read_only / "xla")).endswith(" None")
