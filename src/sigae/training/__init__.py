"""Training: the settings, the trainer in its steps, and the records it returns.

The face of the package: `TrainingConfig`, `AUTO`, `StopRequest`, `TrainingHistory`,
`Learned`, `GuardCallback`, `fit`, `train` and `measure` are importable from `sigae.training`.

| module | concern |
|---|---|
| `automatic` | the settings chosen from the data's size (`AUTOMATIC`), in one table |
| `settings` | `TrainingConfig`, and `Resolved`: its automatic settings chosen |
| `records` | `TrainingHistory`, `Learned`, and the choice's `Candidate`, `Score`, `Choice` |
| `stop` | `StopRequest`, set from a signal handler or another thread |
| `split` | the validation split |
| `start` | initial weights, normalization and PCA start, or a checkpoint's state |
| `devices` | one device or several (Keras' `DataParallel`), and several hosts |
| `optimizer` | Adam, or AdamW leaving the PCA start undecayed |
| `guard` | early stopping with the best weights restored, and the stop on NaN |
| `checkpoint` | the checkpoint file and the callback that writes it |
| `epochs` | Keras' `fit` over sigae's batches |
| `evaluate` | the comparison with PCA, the calibration, and `measure` |
| `trainer` | `train`: the steps above, in order |
| `fitting` | `fit`: checks, the small-data choice, the record, the checkpoint's life |
| `choice` | the cross-validated choice of `augment="auto"` on small data |
| `tensorboard` | the TensorBoard logger, without TensorFlow |
| `variables` | host copies of variables, and their return |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sigae.core.lazy import submodules

if TYPE_CHECKING:
    from sigae.training.automatic import AUTO
    from sigae.training.evaluate import measure
    from sigae.training.fitting import fit
    from sigae.training.guard import GuardCallback
    from sigae.training.records import Learned, TrainingHistory
    from sigae.training.settings import TrainingConfig
    from sigae.training.stop import StopRequest
    from sigae.training.trainer import train

# Loaded on first use: `sigae.training.automatic` (for `--help`) needs neither NumPy nor Keras.
_FACE = {
    "AUTO": "automatic", "TrainingConfig": "settings", "StopRequest": "stop",
    "TrainingHistory": "records", "Learned": "records", "GuardCallback": "guard",
    "measure": "evaluate", "train": "trainer", "fit": "fitting",
}

__all__ = ["AUTO", "GuardCallback", "Learned", "StopRequest", "TrainingConfig",
           "TrainingHistory", "fit", "measure", "train"]

__getattr__ = submodules(__name__, _FACE)
