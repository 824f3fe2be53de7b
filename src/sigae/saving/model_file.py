"""The `.sigae` model file.

A `.sigae` file is a zip archive with exactly two members:

- `manifest.json`: format name and version; the architecture (`"builder": "design"` with
  a `ModelConfig`, or `"builder": "parts"` with a `PartsConfig`: the Keras layer
  configurations of a user's or an adopted encoder and decoder); what fitting learned
  (`sigae.training.Learned`: normalization, history, comparison with PCA, calibration,
  the small-data choice);
  the sigae / Keras / backend versions; and the name, shape and SHA-256 of the weights;
- `weights.safetensors`: every variable of the model, keyed by its Keras path
  (`sigae.architecture.build.weight_keys`).

`read` rebuilds the layers with sigae's own code, from the `ModelConfig`, or from the
parts' configurations once every class they name has passed
`sigae.architecture.allowlist`; it compares
the declared weights with those the architecture implies before allocating anything,
then sets them. Nothing in the file is executed and pickle is never used: JSON and
safetensors are data-only formats.
"""

from __future__ import annotations

import hashlib
import json
import platform
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import safetensors.numpy

from sigae.architecture.build import (
    BUILDERS,
    Architecture,
    build,
    builder_of,
    weight_keys,
    weight_shapes,
)
from sigae.architecture.views import Views
from sigae.core.faults import reading
from sigae.core.outputs import atomic_path
from sigae.core.paths import PathLike
from sigae.core.version import __version__
from sigae.data.normalization import normalization_arrays
from sigae.errors import ConfigError, ModelFileError, SigaeError
from sigae.io.found import reason
from sigae.training.records import Learned

FORMAT = "sigae-model"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
_MAX_MANIFEST_BYTES = 16 * 2**20
_MAX_HEADER_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Contents:
    """What a model file holds: the architecture, the views rebuilt from it with the stored
    weights and normalization set, what fitting learned (`None` for an untrained model),
    and the verified manifest (versions and format)."""

    architecture: Architecture
    views: Views
    learned: Learned | None
    manifest: dict[str, Any]


def save(path: PathLike, architecture: Architecture, views: Views, learned: Learned | None
         ) -> None:
    """Writes a model to `path` atomically; an existing file is replaced only on success.

    Args:
        path: Destination file, conventionally with the `.sigae` suffix.
        architecture: What `views` were built from.
        views: The views, whose autoencoder holds every variable.
        learned: What fitting learned, or `None`.
    """
    variables = views.autoencoder.weights
    tensors = {key: np.array(keras.ops.convert_to_numpy(v), order="C")
               for key, v in zip(weight_keys(architecture, variables), variables, strict=True)}
    blob = safetensors.numpy.save(tensors)
    manifest = _manifest(architecture, learned, blob, tensors)
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2), zipfile.ZIP_DEFLATED)
        # Float weights barely compress; storing them keeps saving and loading fast.
        archive.writestr(WEIGHTS, blob, zipfile.ZIP_STORED)


def estimated_size(architecture: Architecture, views: Views, epochs: int = 1000) -> int:
    """About how many bytes `save` writes after `epochs` epochs, a little generously: the
    weights, the architecture, and the manifest's numbers (a mixture of up to 5 full
    covariances, 201 error quantiles, two losses an epoch)."""
    weights = 4 * sum(int(np.prod(v.shape)) for v in views.autoencoder.weights)
    numbers = 5 * architecture.latent_dim ** 2 + 201 + 2 * epochs
    return int(1.25 * (weights + len(json.dumps(architecture.to_dict())) + 24 * numbers)) \
        + 2**14


def _manifest(architecture: Architecture, learned: Learned | None, blob: bytes,
              tensors: dict[str, np.ndarray]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": {"builder": architecture.builder, "config": architecture.to_dict()},
        "learned": learned.to_dict() if learned else None,
        "weights": {
            "file": WEIGHTS,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "bytes": len(blob),
            "tensors": {name: list(array.shape) for name, array in tensors.items()},
        },
        "versions": {
            "sigae": __version__,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }


def read(path: PathLike) -> Contents:
    """Reads a model saved with `save` (`SignalAutoencoder.save`).

    The layers are rebuilt by sigae's code from the stored architecture; only data
    (JSON and safetensors) is read from the file, and nothing larger than the file itself
    is ever allocated for it.

    Raises:
        ModelFileError: If the file is missing, not a sigae model, truncated, tampered
            with (checksum or shape mismatch), names a class outside
            `sigae.architecture.allowlist`, or was written by a newer sigae. Whatever the
            damage, nothing else escapes (the loader is fuzzed: `tests/test_model_fuzz.py`).
        StorageError: If the machine cannot read the file (an I/O error, a permission).
    """
    path = Path(path)
    try:
        with reading(path):
            return _read(path)
    except SigaeError:
        raise
    except (MemoryError, RecursionError) as error:
        raise ModelFileError(f"{path}: the file declares more than can be read "
                             f"({type(error).__name__}); it is damaged or crafted.") from None
    except Exception as error:  # a damaged file makes the libraries below raise anything
        raise ModelFileError(f"{path}: damaged model file ({reason(error)}); use an intact "
                             "copy.") from None


def _read(path: Path) -> Contents:
    manifest, blob = _read_archive(path)
    architecture, learned_data = _contents(manifest, path)
    try:
        expected = {name: list(shape) for name, shape in weight_shapes(architecture).items()}
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error}") from None
    declared = _safetensors_shapes(blob, path)
    if declared != expected:
        missing = sorted(set(expected) - set(declared))
        unexpected = sorted(set(declared) - set(expected))
        mismatched = sorted(k for k in set(expected) & set(declared) if expected[k] != declared[k])
        raise ModelFileError(
            f"{path}: the weights do not fit the stored architecture (missing {missing}, "
            f"unexpected {unexpected}, wrong shape {mismatched}). The file was altered or "
            "written by other software."
        )
    tensors = safetensors.numpy.load(blob)
    try:
        views = build(architecture)
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error}") from None
    variables = views.autoencoder.weights
    for key, variable in zip(weight_keys(architecture, variables), variables, strict=True):
        variable.assign(tensors[key])
    learned = None
    if learned_data is not None:
        stored = views.normalization
        try:
            learned = Learned.from_dict(learned_data, architecture.latent_dim,
                                        architecture.per_channel_statistics)
            views.set_normalization(*normalization_arrays(learned.mean, learned.std,
                                                          architecture))
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError, ConfigError,
                np.linalg.LinAlgError) as error:
            raise ModelFileError(f"{path}: the training record is damaged ({error}).") from None
        if not all(np.array_equal(a, b) for a, b in zip(stored, views.normalization,
                                                         strict=True)):
            raise ModelFileError(f"{path}: the normalization in the manifest differs from the "
                                 "one in the weights; the file was altered.")
    return Contents(architecture, views, learned, manifest)


def _contents(manifest: dict[str, Any], path: Path
              ) -> tuple[Architecture, dict[str, Any] | None]:
    """The architecture and the learned record of a manifest of any format version."""
    if manifest["format_version"] == 1:  # a built-in design, the record at the top level
        architecture: Any = {"builder": "design", "config": manifest.get("config")}
        normalization = manifest.get("normalization") or {}
        learned = {
            "mean": normalization.get("mean"), "std": normalization.get("std"),
            "history": manifest.get("history"), "comparison": manifest.get("comparison"),
            "calibration": manifest.get("calibration"),
        } if manifest.get("fitted", True) else None
    else:
        architecture, learned = manifest.get("architecture"), manifest.get("learned")
    if not isinstance(architecture, dict) or architecture.get("builder") not in BUILDERS:
        raise ModelFileError(f"{path}: the manifest has no valid architecture section.")
    if learned is not None and not isinstance(learned, dict):
        raise ModelFileError(f"{path}: the training record is damaged.")
    try:
        return builder_of(architecture["builder"]).config.from_dict(
            architecture.get("config")), learned
    except ConfigError as error:
        raise ModelFileError(f"{path}: invalid model configuration: {error}") from None


_ADOPT = ("it is a Keras model file (HDF5 or .keras): make a sigae model of it with "
          "`sigae adopt FILE --out MODEL.sigae` (in Python, sigae.adopt(FILE)).")


def _read_archive(path: Path) -> tuple[dict[str, Any], bytes]:
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file. Check the path.")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory; expected a .sigae model file.")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            keras_h5 = handle.read(8) == b"\x89HDF\r\n\x1a\n"
        raise ModelFileError(
            f"{path}: not a sigae model file (not a zip archive); "
            + (_ADOPT if keras_h5 else "it is truncated or of another format. Train or save "
               "a model with sigae to create one.")
        )
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = [member.filename for member in members]
            if sorted(names) != sorted([MANIFEST, WEIGHTS]):
                keras = {"config.json", "metadata.json"} <= set(names)
                raise ModelFileError(
                    f"{path}: not a sigae model file: "
                    + (_ADOPT if keras else f"it holds {sorted(names)}, expected {MANIFEST} "
                       f"and {WEIGHTS}.")
                )
            manifest_info, weights_info = archive.getinfo(MANIFEST), archive.getinfo(WEIGHTS)
            # Nothing is inflated beyond what the file can hold: the manifest is small, and
            # the weights are stored as they are (sigae never compresses them).
            if manifest_info.file_size > _MAX_MANIFEST_BYTES or manifest_info.compress_size > size:
                raise ModelFileError(f"{path}: the manifest is implausibly large; refused.")
            if (weights_info.compress_type != zipfile.ZIP_STORED
                    or weights_info.file_size != weights_info.compress_size
                    or weights_info.file_size > size):
                raise ModelFileError(f"{path}: the weights are not stored as sigae stores "
                                     "them; the file was altered.")
            manifest = json.loads(_read_member(archive, manifest_info))
            if not isinstance(manifest, dict):
                raise ModelFileError(f"{path}: the manifest is not a JSON object.")
            _check_format(manifest, path)
            declared_bytes = manifest["weights"].get("bytes")
            if weights_info.file_size != declared_bytes:
                raise ModelFileError(
                    f"{path}: the weights are {weights_info.file_size} bytes but the manifest "
                    f"declares {declared_bytes}; the file was altered."
                )
            blob = _read_member(archive, weights_info)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: the manifest is not valid JSON ({error}).") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        raise ModelFileError(f"{path}: damaged or truncated model file ({error}).") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != manifest["weights"].get("sha256"):
        raise ModelFileError(
            f"{path}: the weights' SHA-256 does not match the manifest; the file was altered "
            "or damaged. Use an intact copy."
        )
    return manifest, blob


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # In small reads: zipfile's read() of a whole member inflates up to 2 GB at once, and a
    # crafted header can declare a small size for a member that inflates far more.
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ModelFileError(f"the member {info.filename} is not the size its header declares")
    return data


def _check_format(manifest: dict[str, Any], path: Path) -> None:
    if manifest.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: not a sigae model file (format {manifest.get('format')!r}, expected "
            f"{FORMAT!r})."
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version} by a newer sigae; this sigae "
            f"({__version__}) reads format {FORMAT_VERSION}. Upgrade sigae."
        )
    if not isinstance(manifest.get("weights"), dict):
        raise ModelFileError(f"{path}: the manifest has no weights section.")


def _safetensors_shapes(blob: bytes, path: Path) -> dict[str, list[int]]:
    # The safetensors header is 8 bytes of little-endian length, then a JSON table.
    if len(blob) < 8:
        raise ModelFileError(f"{path}: the weights are truncated.")
    (size,) = struct.unpack("<Q", blob[:8])
    if size > min(_MAX_HEADER_BYTES, len(blob) - 8):
        raise ModelFileError(f"{path}: the weights header is damaged.")
    try:
        header = json.loads(blob[8 : 8 + size])
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{path}: the weights header is damaged.") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path}: the weights header is damaged.")
    shapes = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or entry.get("dtype") not in ("F32",):
            raise ModelFileError(f"{path}: weight {name!r} is not float32; refused.")
        shapes[name] = list(entry.get("shape", []))
    return shapes
