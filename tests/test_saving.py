"""The .sigae file: complete, verified, atomic, and never executes anything."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import safetensors.numpy

import sigae
from conftest import tiny_config
from sigae.saving import model_file as saving


def rewrite(path, target, *, manifest=None, weights=None):
    """Copies a model file, replacing the manifest and/or the weights."""
    with zipfile.ZipFile(path) as archive:
        old_manifest = json.loads(archive.read(saving.MANIFEST))
        old_weights = archive.read(saving.WEIGHTS)
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(saving.MANIFEST, json.dumps(manifest or old_manifest))
        archive.writestr(saving.WEIGHTS, old_weights if weights is None else weights)
    return old_manifest, old_weights


def test_round_trip_restores_weights_config_history_and_statistics(trained, model_file):
    loaded = sigae.load(model_file)
    assert loaded.config == trained.config
    assert loaded.history == trained.history
    assert loaded.is_fitted
    for a, b in zip(trained.autoencoder.get_weights(), loaded.autoencoder.get_weights(),
                    strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(trained.normalization, loaded.normalization, strict=True):
        assert np.array_equal(a, b)


def test_loaded_views_share_one_set_of_weights(model_file):
    loaded = sigae.load(model_file)
    assert all(a is b for a, b in zip(loaded.encoder.weights + loaded.decoder.weights,
                                      loaded.autoencoder.weights, strict=True))


def test_file_is_a_zip_of_a_json_manifest_and_safetensors(model_file):
    with zipfile.ZipFile(model_file) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "weights.safetensors"]
        manifest = json.loads(archive.read("manifest.json"))
        tensors = safetensors.numpy.load(archive.read("weights.safetensors"))
    assert manifest["format"] == "sigae-model"
    assert manifest["format_version"] == 2
    assert manifest["architecture"] == {"builder": "design", "config": tiny_config().to_dict()}
    assert set(manifest["versions"]) >= {"sigae", "keras", "backend"}
    assert len(manifest["weights"]["sha256"]) == 64
    learned = manifest["learned"]
    assert set(learned) == {"mean", "std", "history", "comparison", "calibration", "choice",
                            "lengths", "dial", "caveats"}
    assert set(learned["history"]) == {"loss", "val_loss", "best_epoch", "initial_loss",
                                       "interrupted"}
    assert len(learned["mean"]) == 1  # per channel
    assert "normalize/mean" in tensors
    assert "latent/kernel" in tensors


def test_a_file_of_format_1_still_loads(trained, model_file, tmp_path, data):
    manifest, _ = rewrite(model_file, tmp_path / "scratch.sigae")
    learned = manifest.pop("learned")
    old = {**manifest, "format_version": 1, "config": manifest.pop("architecture")["config"],
           "fitted": True, "history": learned["history"], "comparison": learned["comparison"],
           "calibration": learned["calibration"],
           "normalization": {"kind": "per_channel", "mean": learned["mean"],
                             "std": learned["std"]}}
    rewrite(model_file, tmp_path / "old.sigae", manifest=old)
    loaded = sigae.load(tmp_path / "old.sigae")
    assert loaded.history == trained.history
    assert np.array_equal(loaded.reconstruct(data), trained.reconstruct(data))


def test_saving_replaces_an_existing_file(trained, tmp_path):
    path = tmp_path / "m.sigae"
    path.write_bytes(b"old")
    trained.save(path)
    assert sigae.load(path).config == trained.config
    assert [p.name for p in tmp_path.iterdir()] == ["m.sigae"]  # no temporary left


def test_a_failure_mid_write_keeps_the_old_file_intact(trained, tmp_path, monkeypatch):
    path = tmp_path / "m.sigae"
    trained.save(path)
    before = path.read_bytes()

    original = zipfile.ZipFile.writestr

    def crash_on_weights(self, name, data, *args, **kwargs):
        if name == saving.WEIGHTS:
            original(self, name, data[: len(data) // 2], *args, **kwargs)
            raise OSError("disk full")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash_on_weights)
    with pytest.raises(sigae.StorageError, match=r"cannot write .*m.sigae: disk full"):
        trained.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.sigae"]


def test_a_pickle_renamed_to_sigae_is_refused_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.sigae"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(sigae.ModelFileError, match=r"not a sigae model file \(not a zip archive\)"):
        sigae.load(path)
    assert not marker.exists()


def test_code_in_a_crafted_manifest_is_never_run(model_file, tmp_path):
    marker = tmp_path / "pwned"
    manifest, _ = rewrite(model_file, tmp_path / "scratch.sigae")
    manifest["architecture"]["config"]["activation"] = f"__import__('pathlib').Path('{marker}').touch()"
    rewrite(model_file, tmp_path / "evil.sigae", manifest=manifest)
    with pytest.raises(sigae.ModelFileError, match=r"invalid model configuration"):
        sigae.load(tmp_path / "evil.sigae")
    assert not marker.exists()


def test_extra_members_such_as_a_keras_config_are_refused(model_file, tmp_path):
    evil = tmp_path / "evil.sigae"
    rewrite(model_file, evil)
    with zipfile.ZipFile(evil, "a") as archive:
        archive.writestr("config.json", '{"class_name": "Lambda"}')
    with pytest.raises(sigae.ModelFileError, match=r"holds \['config.json', 'manifest.json'"):
        sigae.load(evil)


def test_a_truncated_file_is_refused(model_file, tmp_path):
    path = tmp_path / "cut.sigae"
    path.write_bytes(model_file.read_bytes()[:-200])
    with pytest.raises(sigae.ModelFileError, match=r"truncated|damaged"):
        sigae.load(path)


def test_tampered_weights_are_refused_by_their_checksum(model_file, tmp_path):
    with zipfile.ZipFile(model_file) as archive:
        blob = bytearray(archive.read(saving.WEIGHTS))
    blob[-1] ^= 0xFF
    rewrite(model_file, tmp_path / "t.sigae", weights=bytes(blob))
    with pytest.raises(sigae.ModelFileError, match=r"SHA-256 does not match"):
        sigae.load(tmp_path / "t.sigae")


def test_weights_that_do_not_fit_the_config_are_refused(model_file, tmp_path):
    manifest, _ = rewrite(model_file, tmp_path / "scratch.sigae")
    manifest["architecture"]["config"]["latent_dim"] = 5
    rewrite(model_file, tmp_path / "t.sigae", manifest=manifest)
    with pytest.raises(sigae.ModelFileError, match=r"do not fit the stored architecture"):
        sigae.load(tmp_path / "t.sigae")


def test_an_enormous_declared_model_is_refused_before_allocating(model_file, tmp_path):
    manifest, _ = rewrite(model_file, tmp_path / "scratch.sigae")
    manifest["architecture"]["config"]["blocks"][0]["filters"] = 10**9  # would need terabytes
    rewrite(model_file, tmp_path / "t.sigae", manifest=manifest)
    with pytest.raises(sigae.ModelFileError, match=r"do not fit the stored architecture"):
        sigae.load(tmp_path / "t.sigae")


def test_a_newer_format_asks_for_an_upgrade(model_file, tmp_path):
    manifest, _ = rewrite(model_file, tmp_path / "scratch.sigae")
    manifest["format_version"] = 99
    rewrite(model_file, tmp_path / "new.sigae", manifest=manifest)
    with pytest.raises(sigae.ModelFileError, match=r"model format 99 by a newer sigae.*Upgrade"):
        sigae.load(tmp_path / "new.sigae")


def test_a_foreign_zip_is_refused(tmp_path):
    path = tmp_path / "other.sigae"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "something-else"}))
        archive.writestr("weights.safetensors", b"")
    with pytest.raises(sigae.ModelFileError, match=r"format 'something-else', expected"):
        sigae.load(path)


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(sigae.ModelFileError, match=r"no such model file"):
        sigae.load(tmp_path / "absent.sigae")
    with pytest.raises(sigae.ModelFileError, match=r"is a directory"):
        sigae.load(tmp_path)


def test_exported_views_open_in_plain_keras_without_sigae(trained, data, tmp_path):
    trained.export_encoder(tmp_path / "encoder.keras")
    trained.export_decoder(tmp_path / "decoder.keras")
    np.save(tmp_path / "x.npy", data)
    np.save(tmp_path / "expected.npy", trained.decode(trained.encode(data)))
    script = """
import sys, numpy as np, keras
encoder = keras.saving.load_model("encoder.keras", safe_mode=True)
decoder = keras.saving.load_model("decoder.keras", safe_mode=True)
x, expected = np.load("x.npy"), np.load("expected.npy")
got = decoder.predict(encoder.predict(x, verbose=0), verbose=0)
assert "sigae" not in sys.modules, "sigae was imported"
print(float(np.max(np.abs(got - expected))))
"""
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.strip().splitlines()[-1]) < 1e-4


def test_export_needs_the_keras_suffix(trained, tmp_path):
    with pytest.raises(sigae.SigaeError, match=r"output must end in .keras; received .h5"):
        trained.export_decoder(tmp_path / "decoder.h5")


@pytest.mark.parametrize(
    "config",
    [
        tiny_config(),
        tiny_config(linear_path=True, channels=3, normalization="global"),
        tiny_config(blocks=(), linear_path=True),
        tiny_config(decoder="dense", latent_dim=8),
        tiny_config(decoder="dense", padding="valid", latent_dim=9, linear_path=True),
        sigae.ModelConfig(length=501),
        sigae.architecture.config.preset("question", length=501),
        tiny_config(linear_path=True, contrast=0.5),
    ],
    ids=["tiny", "linear-3ch-global", "no-blocks", "dense", "dense-valid", "default", "question",
         "contrastive"],
)
def test_declared_shapes_match_the_built_model(config):
    from sigae.architecture.designs import build_views, weight_shapes

    built = {v.path: tuple(v.shape) for v in build_views(config).autoencoder.weights}
    assert weight_shapes(config) == built
