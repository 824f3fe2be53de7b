"""sigae as a scikit-learn transformer: signals in, codes out, inside `Pipeline`s and grid
searches.

Example:

```python
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sigae.sklearn import AutoencoderTransformer

pipeline = make_pipeline(AutoencoderTransformer(latent_dim=8, random_state=0),
                         LogisticRegression())
pipeline.fit(X_train, y_train)          # X: (n, length) or (n, length, channels)
pipeline.score(X_test, y_test)
```
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from sigae.errors import ConfigError

# Below this many signals a held-out split is a few signals and its verdict is noise: the
# transformer then trains on all of them, with early stopping on the training loss.
MIN_SIGNALS_FOR_VALIDATION = 10


class AutoencoderTransformer(TransformerMixin, BaseEstimator):
    """Encodes signals to codes with a sigae autoencoder trained in `fit`.

    Input is 2-D, `(n_signals, length * channels)` with `signal_shape=(length, channels)`
    (default `(n_features, 1)`: one channel), or 3-D, `(n_signals, length, channels)`, as is.
    `transform` gives codes `(n_signals, latent_dim)`; `inverse_transform` gives signals in
    the layout `fit` saw. The model (`model_`) is an ordinary `sigae.SignalAutoencoder`:
    `model_.save(...)`, the study functions and `sigae explore` all work on it. Pickling
    (joblib) stores sigae's own model file inside the pickle, never Keras objects.
    `random_state` seeds the initial weights and the batches, and never touches global
    random state.

    Args:
        latent_dim: Values per code.
        preset: `"default"` (sigae's design) or `"question"`.
        blocks: The encoder's stages as `(filters, kernel_size, pool)` triples, the
            decoder mirroring them; `None` keeps the preset's.
        epochs: Maximum epochs, or `"auto"` (chosen from the number of signals).
        batch_size: Signals per step, or `"auto"`.
        patience: Early-stopping patience, `"auto"`, or `None` for every epoch.
        learning_rate: Adam's learning rate, or `"auto"` (chosen from the number of
            signals with the schedule).
        schedule: `"auto"`, `"constant"`, `"linear"` or `"plateau"`
            (`SignalAutoencoder.fit`).
        validation_split: Fraction held out for early stopping (none below 10 signals).
        signal_shape: `(length, channels)` of each row of 2-D input.
        random_state: Seed for a reproducible fit.
        verbose: Keras verbosity while training.
        augment: `"auto"`, `"none"` or a list of changes such as `"shift=0.03,noise"`
            (`SignalAutoencoder.fit`); `"auto"` cross-validates its choice on 10 to 499
            signals when `epochs="auto"`.
    """

    def __init__(self, latent_dim: int = 16, *, preset: str = "default",
                 blocks: tuple[tuple[int, int, int], ...] | None = None,
                 epochs: int | str = "auto", batch_size: int | str = "auto",
                 patience: int | str | None = "auto", learning_rate: float | str = "auto",
                 schedule: str = "auto", validation_split: float = 0.2,
                 signal_shape: tuple[int, int] | None = None,
                 random_state: int | None = None, verbose: int = 0,
                 augment: str = "auto") -> None:
        self.latent_dim = latent_dim
        self.preset = preset
        self.blocks = blocks
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.validation_split = validation_split
        self.signal_shape = signal_shape
        self.random_state = random_state
        self.verbose = verbose
        self.augment = augment

    def fit(self, X: Any, y: Any = None) -> AutoencoderTransformer:  # noqa: N803 - sklearn's names
        """Trains an autoencoder on signals `X`; `y` is ignored.

        Returns:
            `self`, with `model_`, `n_features_in_`, `signal_shape_` and `input_ndim_` set.
        """
        from sigae.architecture.config import ConvBlock
        from sigae.model import SignalAutoencoder

        signals = self._signals(X, reset=True)
        _, length, channels = signals.shape
        overrides: dict[str, Any] = {"latent_dim": self.latent_dim}
        if self.blocks is not None:
            try:
                overrides["blocks"] = tuple(ConvBlock(*block) for block in self.blocks)
            except TypeError:
                raise ConfigError("blocks must be (filters, kernel_size, pool) triples. "
                                  f"Received blocks={self.blocks!r}.") from None
        model = SignalAutoencoder.from_preset(self.preset, length=length, channels=channels,
                                              seed=self.random_state, **overrides)
        split = self.validation_split if len(signals) >= MIN_SIGNALS_FOR_VALIDATION else 0.0
        model.fit(signals, epochs=self.epochs, batch_size=self.batch_size,
                  patience=self.patience, learning_rate=self.learning_rate,
                  schedule=self.schedule, validation_split=split, seed=self.random_state,
                  verbose=self.verbose, augment=self.augment)
        self.model_ = model
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        """Codes of signals `X`, float32 array of shape `(n_signals, latent_dim)`."""
        check_is_fitted(self)
        return self.model_.encode(self._signals(X, reset=False))

    def inverse_transform(self, X: Any) -> np.ndarray:  # noqa: N803
        """Signals decoded from codes `X` `(n_signals, latent_dim)`, in the layout `fit`
        saw: `(n_signals, length * channels)` or `(n_signals, length, channels)`."""
        check_is_fitted(self)
        codes = check_array(X, dtype=np.float32)
        latent_dim = self.model_.config.latent_dim
        if codes.shape[1] != latent_dim:
            raise ValueError(f"X must hold codes of shape (n, {latent_dim}); received shape "
                             f"{codes.shape}.")
        signals = self.model_.decode(codes)
        return signals.reshape(len(signals), -1) if self.input_ndim_ == 2 else signals

    def score(self, X: Any, y: Any = None) -> float:  # noqa: N803
        """The negative mean reconstruction MSE of `X` in normalized units: higher is
        better, as scikit-learn's model selection expects."""
        check_is_fitted(self)
        signals = self._signals(X, reset=False)
        std = self.model_.normalization[1]
        error = (self.model_.reconstruct(signals) - signals) / std
        return -float(np.mean(np.square(error, dtype="float64")))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """`latent0`, `latent1`, ...: the names of the codes' columns."""
        check_is_fitted(self)
        return np.asarray([f"latent{i}" for i in range(self.model_.config.latent_dim)],
                          dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        tags.transformer_tags.preserves_dtype = ["float32"]  # the model computes in float32
        return tags

    # -- input ----------------------------------------------------------------------------

    def _signals(self, X: Any, *, reset: bool) -> np.ndarray:  # noqa: N803
        """`X` as float32 signals `(n, length, channels)`, checked against `fit`'s shape."""
        x = validate_data(self, X, reset=reset, allow_nd=True, dtype=np.float32)
        ndim = x.ndim
        if x.ndim == 3:
            shape = tuple(x.shape[1:])
            if self.signal_shape is not None and tuple(self.signal_shape) != shape:
                raise ConfigError(f"signal_shape={tuple(self.signal_shape)} but X holds signals "
                                  f"of shape {shape}; give signal_shape={shape} or None.")
        elif x.ndim == 2:
            shape = self._shape_of_rows(x.shape[1])
            x = x.reshape(len(x), *shape)
        else:
            raise ValueError(f"X must be 2-D (n_signals, length * channels) or 3-D "
                             f"(n_signals, length, channels); received {x.ndim}-D.")
        if reset:
            self.signal_shape_ = shape
            self.input_ndim_ = ndim
        elif shape != self.signal_shape_:
            raise ValueError(f"X holds signals of shape {shape}, but this transformer was "
                             f"fitted on signals of shape {self.signal_shape_}.")
        return x

    def _shape_of_rows(self, n_features: int) -> tuple[int, int]:
        if self.signal_shape is None:
            return (n_features, 1)
        shape = tuple(self.signal_shape)
        if (len(shape) != 2 or not all(isinstance(v, int | np.integer) and v >= 1
                                       for v in shape)):
            raise ConfigError(f"signal_shape must be (length, channels), two positive "
                              f"integers. Received signal_shape={self.signal_shape!r}.")
        if shape[0] * shape[1] != n_features:
            raise ConfigError(
                f"signal_shape={shape} holds {shape[0] * shape[1]} values per signal, but X "
                f"has {n_features} features per row; give a signal_shape whose length * "
                f"channels is {n_features}.")
        return shape

    # -- pickling through sigae's own file -------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: the estimator keeps its model
        model = state.pop("model_", None)
        if model is not None:
            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / "model.sigae"
                model.save(path)
                state["model_file_"] = path.read_bytes()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        data = state.pop("model_file_", None)
        super().__setstate__(state)
        if data is not None:
            from sigae.model import load

            with tempfile.TemporaryDirectory() as directory:
                path = Path(directory) / "model.sigae"
                path.write_bytes(data)
                self.model_ = load(path)
