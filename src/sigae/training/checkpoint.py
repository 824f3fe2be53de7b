"""Checkpoints: a training run that survives a kill.

After every epoch `fit(checkpoint=PATH)` writes, atomically, everything the run needs to go
on exactly as if it had never stopped: the weights, the optimizer's state, the best weights
so far and the early-stopping state, the history, the normalization, and the epoch. The
batches' order of epoch `e` is a function of the seed and `e` alone
(`sigae.data.streaming.Batches`), so a run killed at any moment and resumed ends with the same
weights, bit for bit, as the run left alone (on CPU, one device, with a seed).

A checkpoint records what it belongs to (the architecture, the training settings and a
fingerprint of the data); one that belongs to another run is refused, saying which differs.
The file is a zip of a JSON manifest and safetensors, like a model file: data only.
`CheckpointCallback` writes one after every epoch the guard has judged.

Its life, in one place: `beside(model_file)` names a command's checkpoint;
`refuse_unasked(path, resume)` keeps a run that was not asked to resume from silently
taking over an earlier run's file; `release(path, history, keep)` removes it once what was
trained is safe, unless asked to keep it or the run was stopped early (then it resumes).
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import safetensors.numpy

from sigae.architecture.views import Views
from sigae.core.faults import reading
from sigae.core.outputs import atomic_path
from sigae.core.paths import PathLike
from sigae.errors import ConfigError, ModelFileError, StorageError
from sigae.io.arrays import SignalArray
from sigae.training.devices import is_primary
from sigae.training.guard import GuardCallback
from sigae.training.variables import assign, values

logger = logging.getLogger(__name__)

FORMAT = "sigae-checkpoint"
FORMAT_VERSION = 1
# Rows of the data whose values enter its fingerprint, evenly spaced.
FINGERPRINT_ROWS = 256


def beside(model_file: Path) -> Path:
    """The checkpoint of the training that writes `model_file`: `MODEL.sigae.checkpoint`."""
    return model_file.with_name(model_file.name + ".checkpoint")


def refuse_unasked(path: Path, resume: bool) -> bool:
    """Whether the run continues `path`: it does when it exists and `resume` is asked.

    Raises:
        ConfigError: If `path` exists and `resume` was not asked (an earlier run of this
            training left it: the user chooses between going on and starting over).
    """
    if path.exists() and not resume:
        raise ConfigError(f"{path}: an earlier run of this training left a checkpoint; add "
                          "--resume to continue it, or delete it to start over.")
    return path.exists()


def release(path: PathLike | None, history: Any, keep: bool) -> None:
    """Removes a run's checkpoint once what it trained is safe (returned by `fit`, or saved),
    unless `keep` is asked or the run was stopped early (`history.interrupted`): that one
    is what `--resume` continues."""
    if path is not None and not keep and history.interrupted is None:
        Path(path).unlink(missing_ok=True)


def fingerprint(architecture: Any, settings: Any, x: SignalArray,
                validation: SignalArray | None) -> dict[str, Any]:
    """What a checkpoint belongs to: the architecture, the settings and the data."""
    return {"architecture": architecture.to_dict(), "settings": settings.to_dict(),
            "data": _data_fingerprint(x, validation)}


def _data_fingerprint(x: SignalArray, validation: SignalArray | None) -> dict[str, Any]:
    digest = hashlib.sha256()
    parts = [x] if validation is None else [x, validation]
    for part in parts:
        step = max(1, len(part) // FINGERPRINT_ROWS)
        for start in range(0, len(part), step):
            digest.update(np.ascontiguousarray(part[start : start + 1], dtype="<f4").tobytes())
    return {"shapes": [list(part.shape) for part in parts], "sha256": digest.hexdigest()}


@dataclass(eq=False)
class TrainingState:
    """Where a run stands after `epoch` complete epochs."""

    epoch: int
    mean: np.ndarray
    std: np.ndarray
    guard: dict[str, Any]  # the early-stopping state, see GuardCallback.state()
    weights: list[np.ndarray]  # every variable of the model: weights and seed states
    best_weights: list[np.ndarray] | None
    optimizer: list[np.ndarray]


def write(path: PathLike, belongs_to: dict[str, Any], state: TrainingState
          ) -> None:
    """Writes a checkpoint atomically: a kill mid-write leaves the previous one whole."""
    tensors = {f"weights/{i:04d}": w for i, w in enumerate(state.weights)}
    tensors |= {f"optimizer/{i:04d}": v for i, v in enumerate(state.optimizer)}
    if state.best_weights is not None:
        tensors |= {f"best/{i:04d}": w for i, w in enumerate(state.best_weights)}
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "belongs_to": belongs_to,
        "epoch": state.epoch, "mean": np.atleast_1d(state.mean).tolist(),
        "std": np.atleast_1d(state.std).tolist(), "guard": state.guard,
        "counts": {"weights": len(state.weights), "optimizer": len(state.optimizer),
                   "best": None if state.best_weights is None else len(state.best_weights)},
    }
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest), zipfile.ZIP_DEFLATED)
        archive.writestr("state.safetensors", safetensors.numpy.save(tensors),
                         zipfile.ZIP_STORED)


def read(path: PathLike, belongs_to: dict[str, Any]) -> TrainingState:
    """Reads a checkpoint, refusing one that belongs to another run.

    Raises:
        ConfigError: If the checkpoint was made for other data, another model or other
            settings; the message says which.
        ModelFileError: If the file is damaged or not a sigae checkpoint.
    """
    path = Path(path)
    try:
        with reading(path), zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            tensors = safetensors.numpy.load(archive.read("state.safetensors"))
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(f"{path}: not a sigae checkpoint of format {FORMAT_VERSION}.")
        _check_belongs(path, manifest["belongs_to"], belongs_to)
        counts = manifest["counts"]

        def arrays(prefix: str, count: int) -> list[np.ndarray]:
            return [tensors[f"{prefix}/{i:04d}"] for i in range(count)]

        return TrainingState(
            epoch=int(manifest["epoch"]), mean=np.asarray(manifest["mean"], "float32"),
            std=np.asarray(manifest["std"], "float32"), guard=manifest["guard"],
            weights=arrays("weights", counts["weights"]),
            best_weights=None if counts["best"] is None else arrays("best", counts["best"]),
            optimizer=arrays("optimizer", counts["optimizer"]))
    except (ConfigError, ModelFileError):
        raise
    except Exception as error:  # a damaged file makes zipfile, json or safetensors raise
        raise ModelFileError(f"{path}: the checkpoint is damaged ({error}); delete it to "
                             "start over.") from None


def restore_optimizer(model: keras.Model, state: TrainingState) -> None:
    """Sets a compiled model's optimizer to a checkpoint's state (moments, step count)."""
    model.optimizer.build(model.trainable_variables)
    assign(model.optimizer.variables, state.optimizer)


def _check_belongs(path: Path, saved: dict[str, Any], current: dict[str, Any]) -> None:
    if saved["data"] != current["data"]:
        raise ConfigError(
            f"{path}: the checkpoint belongs to other data (signals of shapes "
            f"{saved['data']['shapes']}, now {current['data']['shapes']}, or other values); "
            "train on the same data to resume, or delete the checkpoint to start over.")
    if saved["architecture"] != current["architecture"]:
        changed = sorted(k for k in set(saved["architecture"]) | set(current["architecture"])
                         if saved["architecture"].get(k) != current["architecture"].get(k))
        raise ConfigError(
            f"{path}: the checkpoint belongs to another model ({', '.join(changed)} differ); "
            "use the same model to resume, or delete the checkpoint to start over.")
    if saved["settings"] != current["settings"]:
        changed = [f"{k} {saved['settings'].get(k)} then, {current['settings'].get(k)} now"
                   for k in sorted(set(saved["settings"]) | set(current["settings"]))
                   if saved["settings"].get(k) != current["settings"].get(k)]
        raise ConfigError(
            f"{path}: the checkpoint was made with other settings ({'; '.join(changed)}); "
            "use the same settings to resume, or delete the checkpoint to start over.")


class CheckpointCallback(keras.callbacks.Callback):
    """Writes a checkpoint after every complete epoch (`sigae.training.checkpoint`), after the
    guard has judged it. An epoch cut short by a stop request is not written: resuming
    then replays it whole, as the uninterrupted run would have. A checkpoint that cannot be
    written (a full disk) does not stop training, whose model matters more: the fault is
    logged once and kept in `error`."""

    def __init__(self, path: PathLike, belongs: dict[str, Any],
                 guard: GuardCallback, views: Views) -> None:
        super().__init__()
        self.path, self.belongs, self.guard, self.views = path, belongs, guard, views
        self.error: StorageError | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (self.guard.interrupted is not None or self.guard.diverged_at is not None
                or not is_primary()):
            return
        mean, std = self.views.normalization
        optimizer = self.model.optimizer
        try:
            write(self.path, self.belongs, TrainingState(
                epoch=epoch + 1, mean=mean, std=std, guard=self.guard.state(),
                weights=values(self.model.variables), best_weights=self.guard.best_weights,
                optimizer=values(optimizer.variables)))
        except StorageError as error:
            if self.error is None:
                logger.warning("training goes on without checkpoints: %s", error)
            self.error = error
