"""`fit(precision="bfloat16")`: mixed precision on a copy of the views, float32 everywhere a
user looks, and results within a stated tolerance of float32."""

from __future__ import annotations

import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config
from sigae.cli import main
from sigae.errors import ConfigError
from sigae.training.devices import place

TOLERANCE = 0.02
"""bfloat16's final validation loss within 2% of float32's (measured: 0.02% to 0.12%)."""


@pytest.fixture(scope="module")
def x():
    return signals(200)


@pytest.mark.parametrize("linear_path", [False, True])
def test_bfloat16_trains_within_tolerance_of_float32_and_keeps_float32_views(x, linear_path):
    losses = {}
    for precision in ("float32", "bfloat16"):
        model = sigae.SignalAutoencoder(tiny_config(linear_path=linear_path), seed=0)
        history = model.fit(x, epochs=20, patience=None, seed=0, verbose=0,
                            precision=precision)
        losses[precision] = history.val_loss[-1]
        assert {w.dtype for w in model.autoencoder.weights} == {"float32"}
        assert {layer.dtype_policy.name for layer
                in model.autoencoder._flatten_layers(include_self=False)} == {"float32"}
        assert np.array_equal(model.decode(model.encode(x)), model.reconstruct(x))
    assert losses["bfloat16"] != losses["float32"]  # it did compute in bfloat16
    assert losses["bfloat16"] == pytest.approx(losses["float32"], rel=TOLERANCE)


def test_the_training_copy_computes_in_bfloat16_but_normalizes_in_float32(trained):
    twin = place(trained.views, trained.config, None, 100, "bfloat16").views
    assert twin.autoencoder is not trained.autoencoder
    compute = {layer.name: layer.compute_dtype
               for layer in twin.autoencoder._flatten_layers(include_self=False)}
    assert compute.pop(twin.normalize.name) == compute.pop(twin.denormalize.name) == "float32"
    assert set(compute.values()) == {"bfloat16"}
    assert {v.dtype for v in twin.autoencoder.weights} == {"float32"}
    assert place(trained.views, trained.config, None, 100).views is trained.views


def test_an_unknown_precision_is_refused_in_one_line(x, tmp_path, capsys):
    with pytest.raises(ConfigError, match="precision must be one of 'float32', 'bfloat16'"):
        sigae.SignalAutoencoder(tiny_config(), seed=0).fit(x, precision="float16")
    np.save(tmp_path / "x.npy", x)
    assert main(["train", str(tmp_path / "x.npy"), "--out", str(tmp_path / "m.sigae"),
                 "--precision", "bfloat16", "--epochs", "1", "--quiet"]) == 0
    with pytest.raises(SystemExit) as exit_:
        main(["train", str(tmp_path / "x.npy"), "--out", str(tmp_path / "n.sigae"),
              "--precision", "half"])
    assert exit_.value.code == 2
    assert "invalid choice: 'half'" in capsys.readouterr().err


def test_the_command_line_offers_the_precisions_fit_takes():
    from sigae.cli import build_parser
    from sigae.training.settings import PRECISIONS

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    (option,) = [a for a in train._actions if "--precision" in a.option_strings]
    assert tuple(option.choices) == PRECISIONS
