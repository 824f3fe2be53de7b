"""Compiled steps kept on disk, so that a new process trains without tracing them.

JAX's persistent compilation cache (`sigae.core.runtime.use_compilation_cache`) saves the
compiling of a step, but not its tracing and lowering, which it needs to find the program:
about 0.45 s of the first `fit` of a new process at the demo's size, 1.5 to 2.5 epochs. This
cache keeps the compiled step itself (JAX's `serialize_executable`), under a name made of
everything its program depends on:

- this sigae's source (a hash of every module of the package), Keras', JAX's and jaxlib's
  versions, the backend's platform and version, the device kind, the CPU's model and
  features, `XLA_FLAGS` and the JAX settings that change programs;
- what the step was traced for (`sigae.architecture.steps.Traced`: the architecture, the
  variables, the dtype policies, the optimizer, loss and metrics) and the shapes and dtypes
  of its arguments.

A step whose name differs in any of them is another file, so a stale entry (another sigae,
another architecture, another machine) is never found; one that cannot be read is traced
again, silently. A step not on disk is compiled afresh, not read from JAX's cache (an
executable read from there serializes incomplete), and written. Its files are machine
code, trusted as JAX's own compilation cache is: they are read only from a folder of the
current user's that nobody else can write to, through an unpickler that builds only the
few JAX objects of that framing. `SIGAE_CACHE_DIR=` (empty) or `SIGAE_FAST=0` turn it off
with the compilation cache. Only on the JAX backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import stat
from collections.abc import Callable, Hashable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from sigae.core import runtime

logger = logging.getLogger(__name__)

SUFFIX = ".step"
MAX_FILES = 256
"""The compiled steps kept on disk, at most (the least recently used go first)."""

_TRUSTED = frozenset({
    ("jax", "P"), ("jax._src.core", "ManualAxisType"), ("jax._src.core", "MemorySpace"),
    ("jax._src.core", "ShapedArray"), ("jax._src.interpreters.pxla", "AllArgsInfo"),
    ("jax._src.interpreters.pxla", "UnloadedMeshExecutable"), ("jax._src.layout", "Layout"),
    ("jax._src.linear_util", "DebugInfo"), ("jax._src.mesh", "AbstractMesh"),
    ("jax._src.named_sharding", "_unpickle_named_sharding"),
    ("jax._src.sharding_impls", "_unpickle_single_device_sharding"),
    ("jax._src.stages", "ArgInfo"), ("jaxlib._jax", "DeviceList"), ("numpy", "dtype")})
"""The only objects a step's file may name (JAX's framing of a one-device executable); a
file naming any other is not read."""


class Steps:
    """Calls a jitted step, compiled once per `Traced` description and argument shapes:
    read from disk when a process before this one compiled it, else lowered, compiled
    afresh and written for the next (with the cache off: compiled through JAX's
    compilation cache, as `jax.jit` would).

    Args:
        jitted: The jitted step, `jitted(state, data, traced)`, `traced` static.
    """

    def __init__(self, jitted: Callable[..., Any]) -> None:
        self._jitted = jitted
        self._compiled: dict[Hashable, Callable[..., Any]] = {}
        self.read = 0
        """How many compiled steps this process read from disk (for tests and benchmarks)."""

    def __call__(self, state: Any, data: Any, traced: Any) -> Any:
        import jax

        leaves, tree = jax.tree.flatten((state, data))
        shapes = tuple((tuple(leaf.shape), str(leaf.dtype), bool(getattr(leaf, "weak_type",
                                                                            False)))
                       for leaf in leaves)
        key = (traced, tree, shapes)
        compiled = self._compiled.get(key)
        if compiled is None:
            # The device the state lives on runs the step (one device: see `_shareable`).
            device = next((next(iter(leaf.devices())) for leaf in leaves
                           if hasattr(leaf, "devices")), jax.devices()[0])
            compiled = self._compiled[key] = self._compile(
                state, data, traced, device, repr((traced.key, str(tree), shapes, device.id)))
        return compiled(state, data)

    def _compile(self, state: Any, data: Any, traced: Any, device: Any,
                 described: str) -> Any:
        path = _file_for(described)
        if path is not None and path.exists():
            loaded = _load(path, (state, data), device)
            if loaded is not None:
                self.read += 1
                return loaded
        lowered = self._jitted.lower(state, data, traced)  # type: ignore[attr-defined]
        if path is None:
            return lowered.compile()
        with _compiled_afresh() as afresh:
            compiled = lowered.compile()
        if afresh:
            _store(path, compiled)
        return compiled


@contextlib.contextmanager
def _compiled_afresh() -> Iterator[bool]:
    """Compiles without JAX's compilation cache inside the block, and says whether it could:
    an executable read from that cache serializes without the kernels it calls (a later
    process fails to run it, "Function ... not found"), so only a program compiled here may
    be written. JAX reads its switch once per process, so the block replaces JAX's own
    check (`jax._src.compilation_cache.is_cache_used`); a JAX without it gives `False`."""
    try:
        from jax._src import compilation_cache
    except ImportError:
        yield False
        return
    check = getattr(compilation_cache, "is_cache_used", None)
    if check is None:
        yield False
        return
    compilation_cache.is_cache_used = lambda backend: False
    try:
        yield True
    finally:
        compilation_cache.is_cache_used = check


def folder() -> Path | None:
    """The folder of compiled steps, or `None` when the cache is off: beside JAX's
    compilation cache, which sigae must have set (`runtime.use_compilation_cache`), in a
    run of one process (the processes of a multi-host run compile together)."""
    import jax

    if not runtime.enabled() or jax.process_count() > 1:
        return None
    chosen = runtime.compilation_cache_folder()
    return None if chosen is None else chosen / "steps"


def _file_for(described: str) -> Path | None:
    where = folder()
    if where is None:
        return None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where):
            return None
    except OSError:
        return None
    name = hashlib.sha256(f"{_environment()}\n{described}".encode()).hexdigest()
    return where / (name + SUFFIX)


def _private(where: Path) -> bool:
    """Whether `where` is the current user's and nobody else can write to it."""
    info = where.stat()
    return (not hasattr(os, "getuid") or info.st_uid == os.getuid()) and not (
        info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


@cache
def _environment() -> str:
    """Everything besides the step itself that its compiled program depends on."""
    import jax
    import jaxlib
    import keras

    device = jax.devices()[0]
    settings = {name: str(getattr(jax.config, name, None)) for name in (
        "jax_enable_x64", "jax_default_matmul_precision", "jax_numpy_rank_promotion")}
    return repr((_source_hash(), keras.__version__, jax.__version__, jaxlib.__version__,
                 device.platform, device.device_kind, device.client.platform_version,
                 _cpu(), os.environ.get("XLA_FLAGS", ""), sorted(settings.items())))


def _source_hash() -> str:
    """A hash of every module of this sigae: another sigae is another cache."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for module in sorted(root.rglob("*.py")):
        digest.update(str(module.relative_to(root)).encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


def _cpu() -> str:
    """The CPU's model and features (a program compiled for AVX-512 must not run on an
    AVX2 machine sharing the home folder)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        import platform

        return f"{platform.machine()} {platform.processor()}"
    wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
    return repr(sorted({line for line in lines if line.split(":")[0].strip() in wanted}))


def _load(path: Path, arguments: Any, device: Any) -> Any:
    """The compiled step in `path`, or `None` (logged) if it cannot be read."""
    import jax

    try:
        payload = path.read_bytes()
        size = int.from_bytes(payload[:4], "little")
        out_tree = jax.tree_util.PyTreeDef.deserialize_using_proto(
            jax.tree_util.default_registry, payload[4:4 + size])
        in_tree = jax.tree.structure((arguments, {}))
        compiled = _deserialize(payload[4 + size:], in_tree, out_tree, device)
        os.utime(path)  # recently used
        return compiled
    except Exception as error:  # a cache only saves time
        logger.debug("sigae: compiled step %s not read (%s: %s)", path.name,
                     type(error).__name__, error)
        return None


def _store(path: Path, compiled: Any) -> None:
    """Writes `compiled` to `path` atomically; a step that cannot be written is not."""
    from jax.experimental import serialize_executable

    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        payload, _, out_tree = serialize_executable.serialize(compiled)
        tree = out_tree.serialize_using_proto()
        temporary.write_bytes(len(tree).to_bytes(4, "little") + tree + payload)
        os.replace(temporary, path)
        _evict(path.parent)
    except Exception as error:
        temporary.unlink(missing_ok=True)
        logger.debug("sigae: compiled step %s not written (%s: %s)", path.name,
                     type(error).__name__, error)


def _evict(where: Path) -> None:
    files = sorted(where.glob("*" + SUFFIX), key=lambda file: file.stat().st_mtime)
    for file in files[:-MAX_FILES]:
        file.unlink(missing_ok=True)


def _deserialize(serialized: bytes, in_tree: Any, out_tree: Any, device: Any) -> Any:
    """`serialize_executable.deserialize_and_load` onto `device`, through an unpickler that
    builds only the objects of `_TRUSTED`."""
    import jax
    from jax.experimental import serialize_executable

    class Unpickler(serialize_executable._JaxPjrtUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in _TRUSTED:
                raise ValueError(f"a compiled step may not hold {module}.{name}")
            return super().find_class(module, name)

    unloaded, args_info_flat, no_kwargs = Unpickler(io.BytesIO(serialized), device.client,
                                                    [device]).load()
    return jax.stages.Compiled(unloaded.load(), [], in_tree.unflatten(args_info_flat),
                               out_tree, no_kwargs=no_kwargs)

