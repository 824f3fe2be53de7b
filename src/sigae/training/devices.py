"""Training on several devices, and on several hosts, through Keras' distribution API.

`data_parallel(devices)` gives a `keras.distribution.DataParallel` over the first `devices`
devices (GPUs, or CPU devices: `XLA_FLAGS=--xla_force_host_platform_device_count=4` before
JAX is imported simulates four). Each global batch is split across them; the gradients are
averaged, so a run on N devices follows the one-device run within float tolerance.

For a cluster, `initialize(...)` is Keras' documented multi-host start
(`keras.distribution.initialize`): the same command runs on every host, with the
coordinator's address, the number of processes and this process's id from flags or the
environment (`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES`,
`KERAS_DISTRIBUTION_PROCESS_ID`).

`place` decides where a `fit` trains: on the model's own views (one device), or on a copy
laid out over the devices whose weights come back to the model's views after every epoch
(`BringBack`), where the validation loss is then computed on any number of signals.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import keras

from sigae.architecture.build import Architecture, build
from sigae.architecture.views import Views
from sigae.core.validate import check_choice
from sigae.errors import ConfigError
from sigae.training.settings import PRECISIONS
from sigae.training.variables import assign, values


def data_parallel(devices: int | str) -> keras.distribution.DataParallel:
    """Data parallelism over `devices` devices (an integer, or `"all"`).

    Raises:
        ConfigError: For more devices than this machine has, or a bad value.
    """
    available = keras.distribution.list_devices()
    if devices == "all":
        chosen = available
    elif isinstance(devices, int) and not isinstance(devices, bool) and devices >= 1:
        if devices > len(available):
            raise ConfigError(
                f"devices={devices}, but this machine has {len(available)} "
                f"({', '.join(available)}). Use devices='all', or on CPU simulate more with "
                f"XLA_FLAGS=--xla_force_host_platform_device_count={devices} set before "
                "JAX starts.")
        chosen = available[:devices]
    else:
        raise ConfigError(f"devices must be a positive integer or 'all'. "
                          f"Received devices={devices!r}.")
    # sigae's batches shard themselves across processes (`process_shard`).
    return keras.distribution.DataParallel(devices=chosen, auto_shard_dataset=False)


def accelerator() -> str:
    """Which devices this process runs models on, in words: e.g. `gpu: 1 x NVIDIA H200
    (jax)`, or `cpu: 2 cores, 1 device(s); no GPU visible to jax` with how to get one."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        devices = jax.devices()
        kind = devices[0].platform
        if kind == "cpu":
            return (f"cpu: {os.cpu_count()} cores, {len(devices)} device(s); no GPU visible "
                    "to jax (on a machine with an NVIDIA GPU: pip install 'sigae[cuda]')")
        names = sorted({getattr(d, "device_kind", kind) for d in devices})
        return f"{kind}: {len(devices)} x {', '.join(names)} (jax)"
    devices = keras.distribution.list_devices()
    return f"{', '.join(devices)} ({backend})"


def devices_of(distribution: keras.distribution.DataParallel) -> list[str]:
    """The devices a data-parallel distribution spans."""
    return list(distribution.device_mesh.devices.flatten())


def process_shard() -> tuple[int, int]:
    """`(this process's index, the number of processes)` of a multi-host run; `(0, 1)`
    on one host. Each process feeds its share of every global batch."""
    if keras.backend.backend() != "jax":
        return 0, 1
    import jax

    return jax.process_index(), jax.process_count()


def is_primary() -> bool:
    """Whether this process writes the files of a multi-host run (process 0 does)."""
    return process_shard()[0] == 0


def initialize(coordinator: str | None = None, num_processes: int | None = None,
               process_id: int | None = None) -> None:
    """Joins a multi-host run (Keras' `keras.distribution.initialize`); arguments left out
    come from the environment."""
    keras.distribution.initialize(job_addresses=coordinator, num_processes=num_processes,
                                  process_id=process_id)


@contextlib.contextmanager
def one_device() -> Iterator[None]:
    """Outside any distribution: for the model's own views, inside a distributed fit."""
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


@dataclass
class Placement:
    """Where a `fit` trains.

    Args:
        views: The views that train: the model's own, or a copy over several devices.
        distribution: The data-parallel distribution, or `None` on one device.
        callbacks: With several devices, the callback that brings the weights back to the
            model's own views after every epoch (`BringBack`).
        home: The model's own views.
    """

    views: Views
    distribution: keras.distribution.DataParallel | None = None
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    home: Views | None = None

    @property
    def several(self) -> bool:
        return self.distribution is not None

    def scope(self) -> contextlib.AbstractContextManager[Any]:
        """The distribution's scope, or nothing on one device."""
        return contextlib.nullcontext() if self.distribution is None else self.distribution.scope()

    def bring_back(self) -> None:
        """Sets the model's own views to the trained copy's weights (several devices)."""
        if self.home is not None:
            assign(self.home.autoencoder.variables, values(self.views.autoencoder.variables))


def place(views: Views, architecture: Architecture, devices: int | str | None,
          batch_size: int, precision: str = "float32") -> Placement:
    """Where to train `views`: on themselves, or on a copy over `devices` devices, or a copy
    that computes in bfloat16.

    Args:
        views: The model's own views.
        architecture: What they were built from (the copy is built from it too).
        devices: A number of devices, `"all"`, or `None` for the model's own device.
        batch_size: The global batch, which must split evenly across the devices.
        precision: `"float32"`, or `"bfloat16"`: mixed precision, Keras'
            `"mixed_bfloat16"` policy on every layer of the copy but the normalization
            (which stays float32, as do the loss and every variable); the weights come
            back to the model's own float32 views after every epoch, where the validation
            loss, the comparison and the calibration are computed.

    Raises:
        ConfigError: For more devices than the machine has, a batch that does not split,
            or an unknown precision.
    """
    check_choice("precision", precision, PRECISIONS)
    distribution = None if devices is None else data_parallel(devices)
    if distribution is not None and len(devices_of(distribution)) == 1:
        distribution = None  # the model's own device
    if distribution is None and precision == "float32":
        return Placement(views)
    count = 1 if distribution is None else len(devices_of(distribution))
    if batch_size % count:
        raise ConfigError(f"batch_size={batch_size} does not split across {count} "
                          f"devices; use a multiple of {count}.")
    with contextlib.nullcontext() if distribution is None else distribution.scope():
        # Seeded, so that every process of a multi-host run makes the same initial values
        # (they are replaced by the model's at once).
        twin = build(architecture, seed=0)
        twin.set_normalization(*views.normalization)
        assign(twin.autoencoder.variables, values(views.autoencoder.variables))
    if precision == "bfloat16":
        kept = (twin.normalize, twin.denormalize)
        for layer in twin.autoencoder._flatten_layers(include_self=False):
            if all(layer is not k for k in kept):
                layer.dtype_policy = "mixed_bfloat16"
    return Placement(twin, distribution, [BringBack(views)], views)


class BringBack(keras.callbacks.Callback):
    """With several devices: after every epoch the weights come back to the model's own
    one-device views, where the validation loss is then computed (on any number of
    signals; no batch has to split across the devices) before anything judges the epoch."""

    def __init__(self, views: Views) -> None:
        super().__init__()
        self.views = views

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        with one_device():
            assign(self.views.autoencoder.variables, values(self.model.variables))
