"""One family of exceptions. The CLI turns each into one line on stderr and an exit code."""

from __future__ import annotations


class SigaeError(Exception):
    """Base class of every error sigae raises on purpose.

    Messages say what happened, what was expected, what was received and how to fix it.
    """


class ConfigError(SigaeError, ValueError):
    """A model or training configuration that cannot work."""


class DataError(SigaeError, ValueError):
    """Input data that is missing, unreadable, non-numeric, non-finite or of the wrong shape."""


class ModelFileError(SigaeError):
    """A model file that is truncated, tampered with, foreign or of a newer format."""


class TrainingError(SigaeError):
    """Training that cannot go on, such as a loss that became NaN or infinite.

    Attributes:
        learned: What the run learned before it stopped (`sigae.training.Learned`), kept
            by the model with the last good weights; `None` if it stopped before that.
    """

    def __init__(self, message: str, *, learned: object = None) -> None:
        super().__init__(message)
        self.learned = learned


class NotFittedError(SigaeError):
    """An operation that needs a trained model was called on an untrained one."""


class StorageError(SigaeError):
    """A fault of the machine while reading or writing a file: a full disk, a read-only
    place, a permission, an I/O error, too many open files.

    Attributes:
        errno: The operating system's error number, where known.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno
