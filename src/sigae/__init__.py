"""sigae: 1D convolutional autoencoders for signals.

Encoder, decoder and autoencoder are three views over one set of weights, before and
after saving and loading. Normalization is fitted on the training data and travels
inside the model.

Example:

```python
import sigae
train, test = sigae.datasets.oscillations()
ae = sigae.SignalAutoencoder(sigae.ModelConfig(length=501, latent_dim=16))
ae.fit(train, seed=0)
codes = ae.encode(test)          # (500, 16)
signals = ae.decode(codes)       # (500, 501, 1), in the units of `train`
ae.save("model.sigae")
theirs = sigae.adopt("their_autoencoder.h5")   # a trained Keras model, its decoder back
recording = sigae.load_signals("run.wav", window=501, hop=250)  # any format, cut in windows
codes = ae.encode(recording)     # recording.row / recording.start say where each came from
```
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# JAX is sigae's default Keras backend; an explicit KERAS_BACKEND wins.
os.environ.setdefault("KERAS_BACKEND", "jax")

from sigae.core import runtime
from sigae.core.lazy import submodules
from sigae.core.version import __version__
from sigae.errors import (
    ConfigError,
    DataError,
    ModelFileError,
    NotFittedError,
    SigaeError,
    StorageError,
    TrainingError,
)

# Before JAX starts its threads (when glibc gives each an arena) and compiles anything.
runtime.keep_buffers_in_heap()
runtime.use_compilation_cache()

if TYPE_CHECKING:
    from sigae.adoption import adopt, adopt_pair
    from sigae.architecture.config import PRESETS, ConvBlock, ModelConfig
    from sigae.architecture.parts import PartsConfig
    from sigae.data import datasets
    from sigae.data.augment import Augmentation
    from sigae.io import Signals, load_signals, windows
    from sigae.model import SignalAutoencoder, load
    from sigae.study import latent

__all__ = [
    "PRESETS",
    "Augmentation",
    "ConfigError",
    "ConvBlock",
    "DataError",
    "ModelConfig",
    "ModelFileError",
    "NotFittedError",
    "PartsConfig",
    "SigaeError",
    "SignalAutoencoder",
    "Signals",
    "StorageError",
    "TrainingError",
    "__version__",
    "adopt",
    "adopt_pair",
    "datasets",
    "explore",
    "latent",
    "load",
    "load_signals",
    "windows",
]

# NumPy, Keras and the backend load on first use, so `import sigae` and `sigae --help` stay
# instant.
_LAZY = {
    "PRESETS": ("sigae.architecture.config", "PRESETS"),
    "ConvBlock": ("sigae.architecture.config", "ConvBlock"),
    "ModelConfig": ("sigae.architecture.config", "ModelConfig"),
    "Augmentation": ("sigae.data.augment", "Augmentation"),
    "SignalAutoencoder": ("sigae.model", "SignalAutoencoder"),
    "PartsConfig": ("sigae.architecture.parts", "PartsConfig"),
    "adopt": ("sigae.adoption", "adopt"),
    "adopt_pair": ("sigae.adoption", "adopt_pair"),
    "latent": ("sigae.study.latent", None),
    "load": ("sigae.model", "load"),
    "datasets": ("sigae.data.datasets", None),
    "explore": ("sigae.explore", None),
    "Signals": ("sigae.io", "Signals"),
    "load_signals": ("sigae.io", "load_signals"),
    "windows": ("sigae.io", "windows"),
}


_submodule = submodules(__name__)


def __getattr__(name: str) -> Any:
    """The names of `_LAZY`, and every subpackage and module of sigae (`sigae.io`,
    `sigae.study`, ...), imported when first named."""
    if name not in _LAZY:
        return _submodule(name)
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    import pkgutil

    return sorted({*globals(), *__all__, *(m.name for m in pkgutil.iter_modules(__path__))})
