"""The cross-validated choice on small data, as plain records (`sigae.training.choice` makes it).

A `Candidate` is one way to fit a model with a linear path; a `Choice` says which won, with
every candidate's cross-validated error and time, and is saved with the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sigae.data.augment import Augmentation


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


CANDIDATES = (
    Candidate("PCA", trains=False),
    Candidate("PCA of augmented signals", trains=False, augmentation=Augmentation.standard()),
    Candidate("convolutional", trains=True),
    # Stronger than the standard changes: on PickupGestureWiimoteZ (50 signals) the standard
    # ones helped the convolutional path to 0.97 x PCA at best, these to 0.88
    # (benchmarks/README.md); the cross-validation judges them either way.
    Candidate("convolutional, augmented", trains=True, augmentation=Augmentation(
        shift=0.05, scale=0.2, noise=1.0, warp=0.2, mix=0.3, fraction=0.8)),
)
"""The family `augment="auto"` chooses from, simplest first."""


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
