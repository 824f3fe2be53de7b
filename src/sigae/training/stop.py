"""`StopRequest`: how a signal handler or another thread asks a running `fit` to stop."""

from __future__ import annotations


class StopRequest:
    """Asks a running `fit` to stop at the end of its current batch.

    Set it from a signal handler or another thread. Training then ends as if its epochs
    were done: the best weights so far are restored, the comparison and calibration are
    computed, and the history says why the run stopped (`TrainingHistory.interrupted`).
    The command line sets one on the first Ctrl-C (SIGINT) or SIGTERM.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.signum: int | None = None

    def request(self, reason: str, signum: int | None = None) -> None:
        """Asks for the stop; `reason` (e.g. `"SIGINT"`) is recorded in the history, and
        `signum`, the number of the signal that asked, if one did, is kept as data (a
        command exits with 128 + it)."""
        self.reason, self.signum = reason, signum

    @property
    def requested(self) -> bool:
        return self.reason is not None
