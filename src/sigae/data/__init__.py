"""Signals on their way into a model: checks (`checks`), normalization (`normalization`),
augmentation (`augment`), samples, batches and block-wise forward passes (`streaming`), and
the embedded dataset (`datasets`). Above `io`, below the architecture."""

from sigae.core.lazy import submodules

__getattr__ = submodules(__name__)
