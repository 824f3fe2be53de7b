"""Keras callbacks sigae offers for `fit(callbacks=[...])`.

`TensorBoardLogger` writes the losses of every epoch as TensorBoard scalars without
TensorFlow (Keras' own `keras.callbacks.TensorBoard` needs it), through the optional
`tensorboardX` package: `pip install 'sigae[tensorboard]'`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from sigae.core.faults import writing
from sigae.core.paths import PathLike
from sigae.errors import ConfigError


class TensorBoardLogger(keras.callbacks.Callback):
    """Writes `loss` and `val_loss` of every epoch for TensorBoard.

    As Keras' TensorBoard callback does, the training curve goes to `log_dir/train` and the
    validation curve to `log_dir/validation`, both under the tag `epoch_loss`, so
    `tensorboard --logdir log_dir` draws them on one chart.

    Args:
        log_dir: The directory of the logs (created if missing).

    Raises:
        ConfigError: If `tensorboardX` is not installed.
    """

    def __init__(self, log_dir: PathLike) -> None:
        super().__init__()
        try:
            import tensorboardX
        except ImportError:
            raise ConfigError("TensorBoard logs need the optional package tensorboardX: pip "
                              "install 'sigae[tensorboard]'") from None
        self._module = tensorboardX
        self.log_dir = Path(log_dir)
        self._writers: dict[str, Any] = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        with writing(self.log_dir):
            self._writers = {name: self._module.SummaryWriter(str(self.log_dir / name))
                             for name in ("train", "validation")}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        for name, key in (("train", "loss"), ("validation", "val_loss")):
            if key in logs:
                self._writers[name].add_scalar("epoch_loss", float(logs[key]), epoch)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        with writing(self.log_dir):
            for writer in self._writers.values():
                writer.close()
