"""Outgrowing one machine: runs that survive a kill, several devices, a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import sigae
from conftest import sigae_process, signals, tiny_config
from sigae.cli import main
from sigae.training.schedule import decay

TRAIN = ["--epochs", "6", "--patience", "0", "--batch-size", "16", "--seed", "0",
         "--latent-dim", "3", "--schedule", "plateau", "--quiet"]


def weights(path):
    return sigae.load(path).autoencoder.get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The data, and the model of a run that was never stopped."""
    directory = tmp_path_factory.mktemp("resume")
    np.save(directory / "x.npy", signals(120, seed=3))
    started = time.monotonic()
    process = sigae_process("train", "x.npy", "--out", "whole.sigae", *TRAIN, cwd=directory)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert not (directory / "whole.sigae.checkpoint").exists()  # removed on success
    return directory, time.monotonic() - started


@pytest.mark.parametrize("moment", [0.35, 0.6, 0.85])
def test_a_run_killed_and_resumed_ends_with_the_same_weights(uninterrupted, moment, tmp_path):
    uninterrupted, duration = uninterrupted
    directory = tmp_path
    (directory / "x.npy").symlink_to(uninterrupted / "x.npy")
    # The same run, killed without warning partway (SIGKILL), then resumed.
    process = sigae_process("train", "x.npy", "--out", "m.sigae", *TRAIN, cwd=directory)
    time.sleep(moment * duration)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    for path in directory.iterdir():  # never a partial file: each one reads whole
        assert ".tmp" not in path.name
        if path.suffix in (".sigae", ".checkpoint"):
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None
    resumed = sigae_process("train", "x.npy", "--out", "m.sigae", *TRAIN, "--resume",
                            cwd=directory)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    expected = weights(uninterrupted / "whole.sigae")
    assert all(np.array_equal(a, b) for a, b in zip(expected, weights(directory / "m.sigae"),
                                                     strict=True))
    assert sigae.load(directory / "m.sigae").history == sigae.load(
        uninterrupted / "whole.sigae").history
    assert not (directory / "m.sigae.checkpoint").exists()


@pytest.mark.parametrize(("schedule", "epochs"), [("constant", 5), ("linear", 5),
                                                ("plateau", 40)])
def test_resuming_in_python_gives_the_same_weights(tmp_path, schedule, epochs):
    import keras

    x = signals(60)
    settings = {"epochs": epochs, "batch_size": 16, "patience": None, "seed": 0,
                "verbose": 0, "schedule": schedule}
    whole = sigae.SignalAutoencoder(tiny_config(noise_std=0.05), seed=0)
    whole.fit(x, **settings)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:  # dies before this epoch is checkpointed
                raise KeyboardInterrupt

    checkpoint = tmp_path / "run.checkpoint"
    first = sigae.SignalAutoencoder(tiny_config(noise_std=0.05), seed=0)
    with pytest.raises(KeyboardInterrupt):
        first.fit(x, **settings, checkpoint=checkpoint, callbacks=[Kill()])
    assert checkpoint.exists()
    again = sigae.SignalAutoencoder(tiny_config(noise_std=0.05), seed=0)
    again.fit(x, **settings, checkpoint=checkpoint)
    assert all(np.array_equal(a, b) for a, b in zip(whole.autoencoder.get_weights(),
                                                     again.autoencoder.get_weights(),
                                                     strict=True))
    assert again.history == whole.history
    assert not checkpoint.exists()
    if schedule == "plateau":  # the resumed epochs held the rate, then decayed it
        assert decay(whole.history.val_loss, epochs)[0] > 2


@pytest.fixture
def with_checkpoint(tmp_path):
    """A checkpoint left by a run stopped after its first epochs."""
    import keras

    x = signals(60)
    np.save(tmp_path / "x.npy", x)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    model = sigae.SignalAutoencoder.from_preset("default", length=48, latent_dim=3, seed=0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, epochs=6, batch_size=16, patience=None, seed=0, verbose=0,
                  schedule="plateau", checkpoint=tmp_path / "m.sigae.checkpoint",
                  callbacks=[Kill()])
    return tmp_path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--epochs", "9"], "the checkpoint was made with other settings (epochs 6 then, 9 now)"),
        (["--latent-dim", "4"], "the checkpoint belongs to another model (--latent-dim differ)"),
        (["--learning-rate", "0.01"], "other settings (--learning-rate 0.001 then, 0.01 now)"),
    ],
)
def test_a_checkpoint_of_another_run_is_refused(capsys, with_checkpoint, change, message):
    argv = ["train", with_checkpoint / "x.npy", "--out", with_checkpoint / "m.sigae", *TRAIN,
            "--resume"]
    if change[0] in argv:
        argv[argv.index(change[0]) + 1] = change[1]
    else:
        argv += change
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_checkpoint_of_other_data_is_refused(capsys, with_checkpoint):
    np.save(with_checkpoint / "other.npy", signals(60, seed=9))
    code = main([str(a) for a in ["train", with_checkpoint / "other.npy", "--out",
                                  with_checkpoint / "m.sigae", *TRAIN, "--resume"]])
    assert code == 2
    assert "the checkpoint belongs to other data" in capsys.readouterr().err


def test_an_existing_checkpoint_needs_resume(capsys, with_checkpoint):
    code = main([str(a) for a in ["train", with_checkpoint / "x.npy", "--out",
                                  with_checkpoint / "m.sigae", *TRAIN]])
    assert code == 2
    assert "left a checkpoint; add --resume to continue it" in capsys.readouterr().err


def test_keep_checkpoint_keeps_it(capsys, tmp_path):
    np.save(tmp_path / "x.npy", signals(60))
    code = main([str(a) for a in ["train", tmp_path / "x.npy", "--out", tmp_path / "m.sigae",
                                  "--epochs", "2", "--quiet", "--keep-checkpoint"]])
    assert code == 0
    assert (tmp_path / "m.sigae.checkpoint").exists()
    with zipfile.ZipFile(tmp_path / "m.sigae.checkpoint") as archive:
        assert json.loads(archive.read("manifest.json"))["epoch"] == 2


# -- several devices ----------------------------------------------------------------------------

FOUR_DEVICES = """
import json, sys
sys.path.insert(0, {tests!r})
import numpy as np, sigae
from conftest import sigae_process, signals, tiny_config
x = signals(80)  # 64 training signals: whole batches of 16, split 4 ways
runs = {{}}
for devices in (None, 4, "all"):
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(x, epochs=3, batch_size=16, patience=None, seed=0, verbose=0, devices=devices)
    runs[str(devices)] = model
one, four = runs["None"], runs["4"]
difference = max(float(np.max(np.abs(a - b))) for a, b in
                 zip(one.autoencoder.get_weights(), four.autoencoder.get_weights()))
four.save({path!r})
loaded = sigae.load({path!r})
print(json.dumps({{
    "devices": len(__import__("keras").distribution.list_devices()),
    "loss_one": one.history.loss, "loss_four": four.history.loss,
    "val_one": one.history.val_loss, "val_four": four.history.val_loss,
    "weights_difference": difference,
    "all_equals_four": all(np.array_equal(a, b) for a, b in zip(
        four.autoencoder.get_weights(), runs["all"].autoencoder.get_weights())),
    "bitwise_views": bool(np.array_equal(four.decode(four.encode(x)), four.reconstruct(x))),
    "shared": four.views.shared(),
    "loaded_equal": bool(np.array_equal(loaded.reconstruct(x), four.reconstruct(x))),
}}))
"""


def test_four_simulated_devices_follow_one_device(tmp_path):
    script = FOUR_DEVICES.format(tests=str(Path(__file__).parent), path=str(tmp_path / "m.sigae"))
    env = {**os.environ, "XLA_FLAGS": os.environ.get("XLA_FLAGS", "")
           + " --xla_force_host_platform_device_count=4"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["devices"] == 4
    np.testing.assert_allclose(report["loss_four"], report["loss_one"], rtol=1e-5)
    np.testing.assert_allclose(report["val_four"], report["val_one"], rtol=1e-5)
    assert report["weights_difference"] < 1e-5
    assert report["all_equals_four"]
    assert report["bitwise_views"]
    assert report["shared"]
    assert report["loaded_equal"]


def test_a_batch_that_does_not_split_across_the_devices_is_refused(tmp_path):
    script = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\nimport sigae\nfrom conftest import signals, "
              "tiny_config\nm = sigae.SignalAutoencoder(tiny_config(), seed=0)\n"
              "try:\n    m.fit(signals(40), epochs=1, batch_size=10, verbose=0, devices=4)\n"
              "except sigae.ConfigError as error:\n    print(error)\n")
    env = {**os.environ, "XLA_FLAGS": os.environ.get("XLA_FLAGS", "")
           + " --xla_force_host_platform_device_count=4"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert "batch_size=10 does not split across 4 devices; use a multiple of 4" in result.stdout


def test_more_devices_than_the_machine_has_are_refused(capsys, tmp_path):
    np.save(tmp_path / "x.npy", signals(60))
    code = main([str(a) for a in ["train", tmp_path / "x.npy", "--out", tmp_path / "m.sigae",
                                  "--latent-dim", "4", "--devices", "64", "--quiet"]])
    assert code == 2
    assert "--devices 64, but this machine has 1 (cpu:0)" in capsys.readouterr().err


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_train_as_one_multi_host_run(tmp_path):
    np.save(tmp_path / "x.npy", signals(80))
    common = ["train", "x.npy", "--epochs", "3", "--patience", "0", "--batch-size", "16",
              "--seed", "0", "--latent-dim", "3", "--quiet"]
    # The one-process reference run, in this process.
    assert main([common[0], str(tmp_path / "x.npy"), *common[2:],
                 "--out", str(tmp_path / "one.sigae")]) == 0
    address = f"127.0.0.1:{free_port()}"
    processes = [sigae_process(*common, "--out", "two.sigae", "--devices", "all",
                               "--coordinator", address, "--num-processes", "2",
                               "--process-id", str(i), cwd=tmp_path) for i in (0, 1)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    assert "process 0 of this multi-host run writes the model" in outputs[1][0]
    one, two = sigae.load(tmp_path / "one.sigae"), sigae.load(tmp_path / "two.sigae")
    np.testing.assert_allclose(two.history.loss, one.history.loss, rtol=1e-5)
    for a, b in zip(one.autoencoder.get_weights(), two.autoencoder.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
