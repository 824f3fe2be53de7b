"""What training produces besides the weights, as plain records saved with the model.

- `TrainingHistory`: the losses of every epoch of every `fit`;
- `Learned`: the normalization, the history, the comparison with PCA, the calibration and
  the small-data choice, written and read by the model file as one unit;
- `Candidate`, `Score`, `Choice`: the cross-validated choice of `augment="auto"`
  (`sigae.training.choice` makes it);
- `Dial`: the weight of the contrastive term `contrast="auto"` chose
  (`sigae.training.dial` makes it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sigae.core.deprecation import renamed
from sigae.data.augment import Augmentation
from sigae.stats.calibration import Calibration
from sigae.stats.pca import Comparison


@dataclass(frozen=True)
class TrainingHistory:
    """Loss per epoch, in normalized units, over every `fit` call of a model.

    Args:
        loss: Training loss per epoch.
        val_loss: Validation loss per epoch (empty without validation).
        best_epoch: Index of the epoch whose weights the model holds; `None` when no
            epoch improved on the starting weights, which are then kept.
        initial_loss: Monitored loss (validation if any) of the weights before the first
            epoch: PCA's error for a model with a linear path.
        interrupted: Why the last run stopped before its epochs were done, when it was
            asked to (`StopRequest`), e.g. `"SIGINT in epoch 4, batch 7"`; `None` otherwise.
    """

    loss: tuple[float, ...] = field(default=())
    val_loss: tuple[float, ...] = field(default=())
    best_epoch: int | None = None
    initial_loss: float | None = None
    interrupted: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    @property
    def best_loss(self) -> float | None:
        """The monitored loss (validation if any) of the kept weights."""
        if self.best_epoch is None:
            return self.initial_loss
        losses = self.val_loss or self.loss
        return losses[self.best_epoch]

    def extended(self, run: TrainingHistory) -> TrainingHistory:
        """This history followed by a later `fit` call's `run`."""
        offset = self.epochs
        return TrainingHistory(
            loss=self.loss + run.loss,
            val_loss=self.val_loss + run.val_loss,
            best_epoch=self.best_epoch if run.best_epoch is None else offset + run.best_epoch,
            initial_loss=run.initial_loss if self.initial_loss is None else self.initial_loss,
            interrupted=run.interrupted,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"loss": list(self.loss), "val_loss": list(self.val_loss)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingHistory:
        initial = data.get("initial_loss")
        best = data.get("best_epoch")
        return cls(
            loss=tuple(float(v) for v in data.get("loss", [])),
            val_loss=tuple(float(v) for v in data.get("val_loss", [])),
            best_epoch=None if best is None else int(best),
            initial_loss=None if initial is None else float(initial),
            interrupted=None if data.get("interrupted") is None else str(data["interrupted"]),
        )


@dataclass(frozen=True)
class Candidate:
    """One way to fit a built-in design with a linear path.

    Args:
        name: How it is shown.
        trains: Whether the convolutional path trains; if not, the model is its PCA start.
        augmentation: When it trains, changes to every batch; when it does not, PCA is
            fitted on the signals and augmented copies of them.
    """

    name: str
    trains: bool
    augmentation: Augmentation | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "trains": self.trains,
                "augmentation": self.augmentation.to_dict() if self.augmentation else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        augmentation = data.get("augmentation")
        return cls(name=str(data["name"]), trains=bool(data["trains"]),
                   augmentation=Augmentation.from_dict(augmentation) if augmentation else None)


@dataclass(frozen=True)
class Score:
    """A candidate's cross-validated result.

    Args:
        candidate: The candidate.
        nmse: Its NMSE on the held-out folds (every signal held out once), in the model's
            normalized units; `None` if it did not run.
        standard_error: Standard error of its mean difference from the best candidate,
            from the paired per-signal errors (0 for the best itself).
        seconds: Time its folds took.
        note: Why it did not run, or was not chosen though better (`None` otherwise).
    """

    candidate: Candidate
    nmse: float | None
    standard_error: float
    seconds: float
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"candidate": self.candidate.to_dict(), "nmse": self.nmse,
                "standard_error": self.standard_error, "seconds": self.seconds,
                "note": self.note}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        nmse = data.get("nmse")
        return cls(candidate=Candidate.from_dict(data["candidate"]),
                   nmse=None if nmse is None else float(nmse),
                   standard_error=float(data["standard_error"]),
                   seconds=float(data["seconds"]),
                   note=None if data.get("note") is None else str(data["note"]))


@dataclass(frozen=True)
class Choice:
    """Which candidate `augment="auto"` chose by k-fold cross-validation, and why.

    Args:
        winner: The chosen candidate, refitted on all the signals.
        folds: Number of folds.
        n_signals: Signals cross-validated on.
        scores: Every candidate's result, in `CANDIDATES` order.
        seconds: Time of the whole choice, the refit excluded.
    """

    winner: Candidate
    folds: int
    n_signals: int
    scores: tuple[Score, ...]
    seconds: float

    def summary(self) -> list[str]:
        """One line per candidate, the winner marked, e.g.
        `* PCA of augmented signals   CV NMSE 0.1512 (-2.1 SE vs best)  0.3 s`."""
        lines = [f"chosen by {self.folds}-fold cross-validation on {self.n_signals} signals "
                 f"({self.seconds:.1f} s): {self.winner.name}"]
        for score in self.scores:
            mark = "*" if score.candidate.name == self.winner.name else " "
            error = "not run" if score.nmse is None else f"CV NMSE {score.nmse:.4g}"
            note = f"  ({score.note})" if score.note else ""
            lines.append(f"  {mark} {score.candidate.name:26s} {error:18s} "
                         f"{score.seconds:5.1f} s{note}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"winner": self.winner.to_dict(), "folds": self.folds,
                "n_signals": self.n_signals, "scores": [s.to_dict() for s in self.scores],
                "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        return cls(winner=Candidate.from_dict(data["winner"]), folds=int(data["folds"]),
                   n_signals=int(data["n_signals"]),
                   scores=tuple(Score.from_dict(s) for s in data["scores"]),
                   seconds=float(data["seconds"]))


@dataclass(frozen=True)
class Dial:
    """The weight of the contrastive term that `contrast="auto"` chose, and why.

    Args:
        tolerance: The largest held-out reconstruction error allowed, as a multiple of
            PCA's of the same size (fitted on the training signals).
        weights: The weights tried, smallest first (0, reconstruction alone, included).
        ratios: Each one's held-out NMSE over PCA's; `None` for one not run (a smaller
            weight was already beyond the tolerance, or the time budget was spent).
        chosen: The largest weight within the tolerance (0 if none is).
        seconds: Time the candidates took.
    """

    tolerance: float
    weights: tuple[float, ...]
    ratios: tuple[float | None, ...]
    chosen: float
    seconds: float

    @property
    def ratio(self) -> float | None:
        """The chosen weight's held-out NMSE over PCA's."""
        return self.ratios[self.weights.index(self.chosen)]

    def summary(self) -> list[str]:
        """One line for the choice, one per weight, e.g. `* 0.1  1.031 x PCA`."""
        lines = [f"contrast chosen by the dial: {self.chosen:g} (the largest weight whose "
                 f"held-out reconstruction is within {self.tolerance:g} x PCA's; "
                 f"{self.seconds:.1f} s)"]
        for weight, ratio in zip(self.weights, self.ratios, strict=True):
            mark = "*" if weight == self.chosen else " "
            shown = "not run" if ratio is None else f"{ratio:.3f} x PCA"
            lines.append(f"  {mark} {weight:<6g} {shown}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"tolerance": self.tolerance, "weights": list(self.weights),
                "ratios": list(self.ratios), "chosen": self.chosen, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dial:
        return cls(tolerance=float(data["tolerance"]),
                   weights=tuple(float(w) for w in data["weights"]),
                   ratios=tuple(None if r is None else float(r) for r in data["ratios"]),
                   chosen=float(data["chosen"]), seconds=float(data["seconds"]))


@dataclass(frozen=True, eq=False)
class Learned:
    """What fitting learned besides the weights; saved and loaded as one unit.

    Args:
        mean: The normalization's mean: a scalar, or one value per channel.
        std: Its standard deviation, same shape.
        history: The losses of every epoch.
        comparison: The model against PCA on the validation signals.
        calibration: The training codes' densities and the validation error quantiles.
        choice: What `augment="auto"` chose by cross-validation on small data, if it did.
        length_policy: How the model was fitted on recordings of different lengths
            (`sigae.io.recordings`): `"resample"` (resampled to its length) or `"pad"`
            (padded to it, the padding masked); `None` otherwise. (Its old name,
            `lengths`, is deprecated.)
        dial: What `contrast="auto"` chose, if the model has it (`sigae.training.dial`).
        caveats: What makes the last fit's result mean little, in words (too few signals:
            `sigae.training.minimum`); shown wherever the model is.
    """

    mean: np.ndarray
    std: np.ndarray
    history: TrainingHistory = field(default_factory=TrainingHistory)
    comparison: Comparison | None = None
    calibration: Calibration | None = None
    choice: Choice | None = None
    length_policy: str | None = None
    dial: Dial | None = None
    caveats: tuple[str, ...] = ()

    lengths = renamed("Learned.lengths", "Learned.length_policy")

    def after(self, earlier: Learned | None) -> Learned:
        """This record with its history appended to an `earlier` fit's."""
        if earlier is None:
            return self
        return dataclasses.replace(self, history=earlier.history.extended(self.history),
                                   choice=self.choice or earlier.choice,
                                   length_policy=self.length_policy or earlier.length_policy,
                                   dial=self.dial or earlier.dial)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready plain data."""
        return {
            "mean": np.atleast_1d(self.mean).tolist(),
            "std": np.atleast_1d(self.std).tolist(),
            "history": self.history.to_dict(),
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "calibration": self.calibration.to_dict() if self.calibration else None,
            "choice": self.choice.to_dict() if self.choice else None,
            "lengths": self.length_policy,  # the model file's key since 0.1.0
            "dial": self.dial.to_dict() if self.dial else None,
            "caveats": list(self.caveats),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], latent_dim: int, per_channel: bool) -> Learned:
        """Rebuilds a stored record; raises `ValueError`, `TypeError` or `KeyError` if it is
        malformed."""
        mean, std = (np.asarray(data[key], dtype="float32") for key in ("mean", "std"))
        if not per_channel:
            mean, std = mean.reshape(()), std.reshape(())
        comparison, calibration = data.get("comparison"), data.get("calibration")
        choice = data.get("choice")
        return cls(
            mean=mean,
            std=std,
            history=TrainingHistory.from_dict(data.get("history") or {}),
            comparison=Comparison.from_dict(comparison) if comparison else None,
            calibration=Calibration.from_dict(calibration, latent_dim) if calibration else None,
            choice=Choice.from_dict(choice) if choice else None,
            length_policy=None if data.get("lengths") is None else str(data["lengths"]),
            dial=Dial.from_dict(data["dial"]) if data.get("dial") else None,
            caveats=tuple(str(caveat) for caveat in data.get("caveats") or ()),
        )
