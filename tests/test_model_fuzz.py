"""Fuzzing the model loader: damaged and crafted `.sigae` files raise `SigaeError` and nothing
else, allocate no more than the file can hold, and write nothing.

`benchmarks/fuzz_model_loader.py` runs many more cases than CI does.
"""

from __future__ import annotations

import json
import struct
import tempfile
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sigae
from sigae.saving import model_file as saving

# Peak Python allocation allowed while loading a crafted file (the tiny model is ~10 KB).
MEMORY_BOUND = 64 * 2**20

damage = st.tuples(
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1,
             max_size=8),
    st.one_of(st.none(), st.floats(0, 1)),
)


def mutate(content: bytes, edits, keep) -> bytes:
    data = bytearray(content)
    for where, byte in edits:
        data[int(where * len(data))] = byte
    return bytes(data if keep is None else data[: int(keep * len(data))])


def load_only_sigae_errors(path: Path) -> None:
    """Loads `path`: a `SigaeError` is the only failure allowed, within the memory bound,
    and nothing is written beside it."""
    before = sorted(path.parent.iterdir())
    tracemalloc.start()
    try:
        sigae.load(path)
    except sigae.SigaeError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_BOUND, peak
    assert sorted(path.parent.iterdir()) == before


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=damage)
def test_damaged_model_files_raise_only_sigae_errors(model_file, damage):
    edits, keep = damage
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.sigae"
        path.write_bytes(mutate(model_file.read_bytes(), edits, keep))
        load_only_sigae_errors(path)


def members(model_file: Path) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(model_file) as archive:
        return archive.read(saving.MANIFEST), archive.read(saving.WEIGHTS)


def zip_of(path: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, compression in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compression)
    return path


def lying_size(path: Path, name: bytes, size: int) -> None:
    """Rewrites the uncompressed size that both headers declare for member `name`."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[start + offset : start + offset + 4] = struct.pack("<I", size)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))


def crafted(model_file: Path, directory: Path, kind: str) -> Path:
    manifest, weights = members(model_file)
    path = directory / f"{kind}.sigae"
    stored, deflated = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
    if kind == "nested archive":
        inner = zip_of(directory / "inner.zip", [(saving.WEIGHTS, weights, stored)])
        return zip_of(path, [(saving.MANIFEST, manifest, deflated),
                             (saving.WEIGHTS, inner.read_bytes(), stored)])
    if kind == "duplicate names":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
            return zip_of(path, [(saving.MANIFEST, manifest, deflated),
                                 (saving.MANIFEST, b'{"format": "other"}', deflated),
                                 (saving.WEIGHTS, weights, stored)])
    if kind == "path separators":
        return zip_of(path, [("../" + saving.MANIFEST, manifest, deflated),
                             ("/tmp/" + saving.WEIGHTS, weights, stored)])
    if kind == "manifest bomb":
        bomb = b'{"format": "sigae-model", "pad": "' + b" " * (200 * 2**20) + b'"}'
        return zip_of(path, [(saving.MANIFEST, bomb, deflated),
                             (saving.WEIGHTS, weights, stored)])
    if kind == "weights bomb":
        return zip_of(path, [(saving.MANIFEST, manifest, deflated),
                             (saving.WEIGHTS, weights + b"\0" * (200 * 2**20), deflated)])
    if kind == "lying size":
        zip_of(path, [(saving.MANIFEST, manifest + b" " * (50 * 2**20), deflated),
                      (saving.WEIGHTS, weights, stored)])
        lying_size(path, saving.MANIFEST.encode(), len(manifest))
        return path
    if kind == "huge declared weights":
        changed = json.loads(manifest)
        changed["weights"]["bytes"] = 10**15
        return zip_of(path, [(saving.MANIFEST, json.dumps(changed).encode(), deflated),
                             (saving.WEIGHTS, weights, stored)])
    if kind == "deep json":
        return zip_of(path, [(saving.MANIFEST, b"[" * 100_000 + b"]" * 100_000, deflated),
                          (saving.WEIGHTS, weights, stored)])
    if kind == "encrypted flag":
        zip_of(path, [(saving.MANIFEST, manifest, deflated), (saving.WEIGHTS, weights, stored)])
        data = bytearray(path.read_bytes())
        data[6] |= 1  # general purpose flag bit 0, encrypted: the local header's
        central = data.find(b"PK\x01\x02")
        data[central + 8] |= 1  # and the central directory's
        path.write_bytes(bytes(data))
        return path
    if kind == "unknown compression":
        zip_of(path, [(saving.MANIFEST, manifest, deflated), (saving.WEIGHTS, weights, stored)])
        data = bytearray(path.read_bytes())
        method = struct.pack("<H", 99)  # AES, which zipfile does not read
        data[8:10] = method  # the manifest's local header
        central = data.find(b"PK\x01\x02")
        data[central + 10 : central + 12] = method  # and its central directory entry
        path.write_bytes(bytes(data))
        return path
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["nested archive", "duplicate names", "path separators",
                                  "manifest bomb", "weights bomb", "lying size",
                                  "huge declared weights", "deep json", "encrypted flag",
                                  "unknown compression"])
def test_crafted_archives_are_refused_within_the_memory_bound(model_file, tmp_path, kind):
    directory = tmp_path / "files"
    directory.mkdir()
    path = crafted(model_file, directory, kind)
    (directory / "inner.zip").unlink(missing_ok=True)
    with pytest.raises(sigae.ModelFileError):
        sigae.load(path)
    load_only_sigae_errors(path)
