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
"""

from __future__ import annotations

import keras

from sigae.errors import ConfigError


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
