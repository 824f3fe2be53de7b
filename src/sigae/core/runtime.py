"""Process settings that make sigae faster on CPU: the first two are set by `import sigae`
before JAX starts, the third around the calibration.

Measured on a 2-core CPU (benchmarks/README.md, "Speed"):

- **Page faults.** XLA allocates each compiled step's buffers anew. glibc serves large
  allocations with fresh `mmap`s (above a threshold that grows only to 32 MiB), and every
  page of those is faulted in and zeroed again at every step: at batch 100 the default
  design spent about half of each step there. `keep_buffers_in_heap()` makes freed
  buffers be reused instead.
- **BLAS threads.** OpenBLAS splitting small products over both cores spent 2.3 s of the
  question model's calibration (Gaussian mixtures on 32-dimensional codes) waiting on its
  threads, 0.18 s on one: `one_blas_thread()`.
- **Compilation.** Keras compiles a model's training and prediction steps anew for every
  model object and every process. `use_compilation_cache()` keeps the compiled programs on
  disk (JAX's persistent compilation cache), so the same shapes are compiled once.

None changes a model's outputs (the calibration's mixtures may differ in float rounding).
`SIGAE_FAST=0` in the environment turns all three off, as it turns off the fast layers of
`sigae.architecture.fastpath`. This module imports neither Keras nor JAX.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from functools import cache
from pathlib import Path

logger = logging.getLogger("sigae")

ENVIRONMENT_VARIABLE = "SIGAE_FAST"
CACHE_VARIABLE = "SIGAE_CACHE_DIR"
CACHE_SIZE = 512 * 2**20
"""The compiled programs kept on disk, at most (the least recently used go first)."""
_CACHE_MIN_COMPILE_SECONDS = 0  # every program: a first `fit` compiles a dozen of 10 ms each

# glibc's mallopt parameters (malloc.h) and the values set: 1 GiB, and the largest int.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MMAP_THRESHOLD = 2**30
_TRIM_THRESHOLD = 2**31 - 1

_warned: set[str] = set()
_chosen: list[Path] = []  # the folder of JAX's cache, where sigae chose it


def enabled() -> bool:
    """Whether the fast path is on: `SIGAE_FAST` is not `0`."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "1").strip() != "0"


def fall_back(what: str, error: BaseException) -> None:
    """Logs, once per `what`, that a fast path failed and the plain one is used."""
    if what not in _warned:
        _warned.add(what)
        logger.warning("sigae: the fast path for %s failed (%s: %s); using the plain "
                       "path, which gives the same results more slowly.",
                       what, type(error).__name__, error)


@cache
def keep_buffers_in_heap() -> bool:
    """Makes glibc keep large freed buffers for reuse instead of unmapping them.

    `import sigae` calls it, once per process, only on Linux with glibc and the fast path
    on. It changes the whole process's allocator: buffers up to 1 GiB come from the heap,
    the heap's top is not handed back to the system, and all threads share one arena (set
    before JAX starts its threads; a process that ran JAX before importing sigae keeps its
    threads' own arenas). Memory freed by one step is reused by the next instead of being
    faulted in again, so the resident size stays near its peak until the process ends.

    Returns:
        Whether the allocator is now set so (by this call or an earlier one).
    """
    return enabled() and _set_allocator()


def _set_allocator() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: left alone
            return False
        done = (libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
                and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
                and libc.mallopt(_M_ARENA_MAX, 1) == 1)
    except (OSError, AttributeError) as error:
        fall_back("the allocator setting", error)
        return False
    if not done:
        fall_back("the allocator setting", RuntimeError("mallopt refused the values"))
    return done


def use_compilation_cache() -> Path | None:
    """Keeps compiled XLA programs on disk (JAX's persistent compilation cache).

    Keras compiles a model's training and prediction steps anew for every model object
    and every process; the compiled programs of the same shapes are then read back from
    disk instead (about 2.3 s of a first `fit` at the demo's size). `import sigae` calls
    it, on the JAX backend with the fast path on, through JAX's environment variables
    (`JAX_COMPILATION_CACHE_DIR`, ...) so that JAX is not imported here, or through
    `jax.config` when JAX was imported first; a cache already named either way is left as
    it is. The folder is `$SIGAE_CACHE_DIR`, else `$XDG_CACHE_HOME/sigae/xla` or
    `~/.cache/sigae/xla`, at most `CACHE_SIZE`; `SIGAE_CACHE_DIR=` (empty) turns the cache
    off, and so does a folder that cannot be created or written. The cache only saves
    time: an entry that cannot be read or written is compiled again, silently.

    Returns:
        The cache's folder, or `None` when sigae set none.
    """
    imported = sys.modules.get("jax")
    inherited = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    if inherited and enabled() and Path(inherited) == _cache_folder():
        _chosen.append(Path(inherited))  # set by the sigae process that started this one
    if (not enabled() or os.environ.get("KERAS_BACKEND") != "jax"
            or "JAX_COMPILATION_CACHE_DIR" in os.environ
            or (imported is not None and imported.config.jax_compilation_cache_dir)):
        return None
    folder = _cache_folder()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return None
    settings = {"JAX_COMPILATION_CACHE_DIR": str(folder),
                "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": _CACHE_MIN_COMPILE_SECONDS,
                "JAX_COMPILATION_CACHE_MAX_SIZE": CACHE_SIZE}
    for name, value in settings.items():
        if imported is not None:
            imported.config.update(name.lower(), value)
        os.environ.setdefault(name, str(value))  # and processes started from this one
    warnings.filterwarnings("ignore", message="Error (reading|writing) persistent compilation")
    _chosen.append(folder)
    return folder


def compilation_cache_folder() -> Path | None:
    """The folder of JAX's cache if sigae chose it (`use_compilation_cache`, in this process
    or the one that started it), else `None`."""
    return _chosen[-1] if _chosen else None


def _cache_folder() -> Path | None:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return Path(base) / "sigae" / "xla"


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Runs NumPy's and SciPy's BLAS on one thread inside the block (`threadpoolctl`), for
    many small products, where waiting on other threads costs more than it saves; with
    `SIGAE_FAST=0`, the BLAS threads are left as they are."""
    if not enabled():
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
