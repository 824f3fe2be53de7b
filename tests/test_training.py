"""fit: reproducible, guarded, early stopping that keeps the best weights, and continuable."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import sigae
from conftest import signals, tiny_config
from sigae.training import TrainingConfig


def weights(model):
    return model.autoencoder.get_weights()


def test_same_seed_gives_the_same_model(data):
    runs = []
    for _ in range(2):
        model = sigae.SignalAutoencoder(tiny_config())  # unseeded construction
        model.fit(data, epochs=2, batch_size=16, seed=3, verbose=0)
        runs.append(weights(model))
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))


@pytest.mark.parametrize("touched", [False, True])
def test_a_model_built_with_the_fits_seed_trains_as_one_seeded_by_the_fit(
        data, monkeypatch, touched):
    from sigae.architecture.build import build
    from sigae.training import start

    reference = sigae.SignalAutoencoder(tiny_config())
    reference.fit(data, epochs=2, batch_size=16, seed=3, verbose=0)
    model = sigae.SignalAutoencoder(tiny_config(), seed=3)
    if touched:  # the user's weights, which the fit's seed replaces
        model.autoencoder.set_weights([w * 0.5 for w in model.autoencoder.get_weights()])
    twins = []
    monkeypatch.setattr(start, "build", lambda *a, **k: twins.append(a) or build(*a, **k))
    model.fit(data, epochs=2, batch_size=16, seed=3, verbose=0)
    assert len(twins) == touched  # untouched, it holds the seed's weights already
    assert all(np.array_equal(a, b) for a, b in zip(weights(model), weights(reference),
                                                    strict=True))


def test_different_seeds_give_different_models(data):
    first = sigae.SignalAutoencoder(tiny_config())
    first.fit(data, epochs=1, batch_size=16, seed=3, verbose=0)
    second = sigae.SignalAutoencoder(tiny_config())
    second.fit(data, epochs=1, batch_size=16, seed=4, verbose=0)
    assert not np.array_equal(weights(first)[2], weights(second)[2])


def test_history_records_loss_and_val_loss_per_epoch(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0)
    assert len(history.loss) == len(history.val_loss) == 3
    assert model.history == history


def test_the_users_callbacks_see_each_epochs_validation_loss(data):
    import keras

    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["val_loss"])

    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0,
                        callbacks=[Record()])
    assert seen == list(history.val_loss)


def test_kept_weights_are_those_of_the_best_epoch(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    # A large learning rate makes the validation loss jump about, so the last epoch is
    # rarely the best one; the check holds either way.
    history = model.fit(data, epochs=8, batch_size=16, learning_rate=0.05, patience=None, verbose=0)
    from sigae.training.split import split

    validation = split(data, 0.2)[1]  # fit had no seed: the split's own
    std = model.normalization[1]
    now = float(np.mean(np.square((model.reconstruct(validation) - validation) / std)))
    assert now == pytest.approx(min(history.val_loss), rel=1e-4)
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_early_stopping_stops_after_patience_epochs_without_improvement(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(data, epochs=200, batch_size=16, learning_rate=0.05, patience=2, verbose=0)
    assert history.epochs < 200
    assert history.epochs - 1 - history.best_epoch == 2


def test_patience_none_trains_every_epoch(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    assert model.fit(data, epochs=5, batch_size=16, patience=None, verbose=0).epochs == 5


def test_validation_data_replaces_the_split(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(data, validation_data=signals(n=10, seed=9), epochs=2, batch_size=16,
                        verbose=0)
    assert len(history.val_loss) == 2


def test_without_validation_the_training_loss_is_monitored(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(data, validation_split=0.0, epochs=2, batch_size=16, verbose=0)
    assert history.val_loss == ()
    assert history.best_loss == min(history.loss)


def test_a_nan_loss_stops_training_and_keeps_the_last_good_weights(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=2, batch_size=16, verbose=0)
    good = weights(model)
    # An absurd learning rate makes the weights overflow within an epoch.
    with pytest.raises(sigae.TrainingError, match=r"loss became NaN or infinite at epoch 1.*kept"):
        model.fit(data, epochs=3, batch_size=16, learning_rate=1e30, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(good, weights(model), strict=True))
    assert np.all(np.isfinite(model.reconstruct(data)))


def test_a_second_fit_continues_from_the_trained_weights(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    first = model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0)
    second = model.fit(data, epochs=3, batch_size=16, patience=None, verbose=0)
    assert model.history.epochs == 6
    assert model.history.loss == first.loss + second.loss
    # Continuing starts where the first run ended, not from fresh weights.
    assert second.loss[0] < first.loss[0]


def test_a_second_fit_never_ends_worse_than_it_began(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=5, batch_size=16, verbose=0)
    validation, std = data[-12:], model.normalization[1]

    def validation_loss():
        return float(np.mean(np.square((model.reconstruct(validation) - validation) / std)))

    before = validation_loss()
    model.fit(data, epochs=2, batch_size=16, learning_rate=0.5, verbose=0)  # harsh steps
    assert validation_loss() <= before * (1 + 1e-5)


def test_validation_split_that_leaves_nothing_is_refused():
    model = sigae.SignalAutoencoder(tiny_config())
    with pytest.raises(sigae.DataError, match=r"leaves no signals for validation out of 2"):
        model.fit(signals(n=2), validation_split=0.1, verbose=0)


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("epochs", 0, r"epochs must be a strictly positive integer or 'auto'"),
        ("batch_size", -1, r"batch_size must be a strictly positive integer or 'auto'"),
        ("validation_split", 1.0, r"validation_split must be in \[0, 1\)"),
        ("patience", 0, r"patience must be a strictly positive integer, None or 'auto'"),
        ("weight_decay", -1, r"weight_decay must be a number >= 0"),
        ("learning_rate", 0, r"learning_rate must be a strictly positive number"),
    ],
)
def test_invalid_training_settings_are_refused(data, keyword, value, message):
    model = sigae.SignalAutoencoder(tiny_config())
    with pytest.raises(sigae.ConfigError, match=message):
        model.fit(data, **{keyword: value}, verbose=0)


@pytest.mark.parametrize(
    ("n_train", "expected"),
    [
        (1200, (100, 100, 10, "plateau", 3e-3)),
        (800, (100, 100, 10, "plateau", 3e-3)),
        (500, (50, 200, 20, "constant", 1e-3)),
        (100, (12, 300, 30, "constant", 1e-3)),
        (24, (8, 300, 30, "constant", 1e-3)),
    ],
)
def test_auto_settings_follow_the_data_size(n_train, expected):
    resolved = TrainingConfig().resolved(n_train)
    assert (resolved.batch_size, resolved.epochs, resolved.patience, resolved.schedule,
            resolved.learning_rate) == expected


def test_explicit_settings_override_the_automatic_ones():
    resolved = TrainingConfig(epochs=7, batch_size=3, patience=None, learning_rate=0.01,
                              schedule="constant").resolved(1200)
    assert (resolved.epochs, resolved.batch_size, resolved.patience, resolved.learning_rate,
            resolved.schedule) == (7, 3, None, 0.01, "constant")


def test_training_uses_the_questions_plain_adam_by_default(data):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=1, batch_size=16, verbose=0)
    assert type(model.autoencoder.optimizer).__name__ == "Adam"


def test_weight_decay_spares_the_pca_initialized_linear_path(data):
    model = sigae.SignalAutoencoder(tiny_config(linear_path=True), seed=0)
    model.fit(data, epochs=1, batch_size=16, weight_decay=1e-3, verbose=0)
    optimizer = model.autoencoder.optimizer
    assert type(optimizer).__name__ == "AdamW"
    decayed = {v.path for v in model.autoencoder.trainable_weights if optimizer._use_weight_decay(v)}
    assert "latent/kernel" in decayed
    assert not any(path.startswith("linear_") for path in decayed)


class _DivergeFrom(keras.callbacks.Callback):
    """Sets a learning rate that makes training diverge from epoch `epoch` on."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.optimizer.learning_rate.assign(1.0)


@pytest.mark.parametrize(("diverge_from", "best"), [
    (None, 5),  # the last epoch's weights kept
    (3, 2),  # an earlier epoch's
    (0, None),  # the starting weights: no epoch beat them
])
def test_the_final_comparison_is_that_of_a_fresh_pass_over_the_kept_weights(
        data, diverge_from, best):
    from sigae.training.evaluate import evaluate, fit_baselines
    from sigae.training.split import split

    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    callbacks = [] if diverge_from is None else [_DivergeFrom(diverge_from)]
    model.fit(data, epochs=6, batch_size=16, seed=0, verbose=0, patience=None,
              learning_rate=0.02, callbacks=callbacks)
    assert model.history.best_epoch == best
    x_train, x_val = split(data, 0.2, seed=0)
    mean, std = model.views.normalization
    comparison, calibration = evaluate(
        model.views, x_train, x_val, fit_baselines(x_train, mean, std, 4, 0), seed=0)
    assert model.comparison == comparison
    np.testing.assert_array_equal(model.calibration.error_quantiles,
                                  calibration.error_quantiles)


def test_a_fresh_fit_of_views_trained_before_starts_from_zero_moments_at_its_rate(data):
    # The small-data choice trains one twin for every fold: each fold is a first fit.
    from sigae.training.optimizer import compile_views

    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(data, epochs=2, batch_size=16, verbose=0, learning_rate=0.01)
    compile_views(model.views, 2e-3, 0.0, fresh=True)
    optimizer = model.autoencoder.optimizer
    assert float(optimizer.learning_rate) == pytest.approx(2e-3)  # it once became 0
    assert int(optimizer.iterations) == 0
    assert all(not np.any(np.asarray(v)) for v in optimizer.variables
               if v is not optimizer.learning_rate and v is not optimizer.iterations)
