"""Faults of the machine: full disks, read-only places, I/O errors and Ctrl-C never cost a
trained model, never leave a partial file, and never show a traceback.

Faults are injected where every output passes (the temporary file is created with
`tempfile.mkstemp` and flushed with `os.fsync`) and where inputs are read, through the
real command line; where this machine lets root mount a small tmpfs, real full and
read-only file systems are used too.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

import sigae
from conftest import sigae_process, signals
from sigae.cli import main
from sigae.training.split import split

FAULTS = {
    errno.ENOSPC: "no space left on device (errno 28); free space or choose another --out",
    errno.EROFS: "read-only file system (errno 30); the file system is read-only",
    errno.EACCES: "permission denied (errno 13); choose a place you may write to",
    errno.EIO: "input/output error (errno 5); the device failed",
    errno.EFBIG: "file too large (errno 27); the file is larger than this file system allows",
    errno.EMFILE: "too many open files (errno 24); raise the limit (ulimit -n)",
}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code, err, *patterns):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for pattern in patterns:
        assert pattern in lines[0], lines[0]


def raiser(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.fixture(scope="module")
def files(tmp_path_factory, model_file, data):
    directory = tmp_path_factory.mktemp("faults")
    np.save(directory / "x.npy", data)
    np.save(directory / "codes.npy", sigae.load(model_file).encode(data))
    return directory


def commands(files, model_file, out_dir):
    """Every command that writes, with the output it writes."""
    return {
        "encode": (["encode", model_file, files / "x.npy", "--out", out_dir / "codes.csv"],
                   out_dir / "codes.csv"),
        "decode": (["decode", model_file, files / "codes.npy", "--out", out_dir / "s.npy"],
                   out_dir / "s.npy"),
        "reconstruct": (["reconstruct", model_file, files / "x.npy", "--out",
                         out_dir / "r.parquet"], out_dir / "r.parquet"),
        "score": (["score", model_file, files / "x.npy", "--out", out_dir / "scores.csv"],
                  out_dir / "scores.csv"),
        "report": (["report", model_file, files / "x.npy", "--out", out_dir / "report.html"],
                   out_dir / "report.html"),
        "generate": (["generate", model_file, "-n", 4, "--out", out_dir / "g.h5"],
                     out_dir / "g.h5"),
        "export": (["export", model_file, "--part", "decoder", "--out", out_dir / "d.keras"],
                   out_dir / "d.keras"),
        "train": (["train", files / "x.npy", "--out", out_dir / "m.sigae", "--epochs", 1,
                   "--quiet"], out_dir / "m.sigae"),
        "latent stats": (["latent", "stats", model_file, files / "x.npy", "--out",
                          out_dir / "stats"], out_dir / "stats" / "stats.csv"),
    }


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if ".tmp" in p.name or "probe" in p.name)


@pytest.mark.parametrize("fault", list(FAULTS), ids=[errno.errorcode[f] for f in FAULTS])
@pytest.mark.parametrize("name", ["encode", "decode", "reconstruct", "score", "report",
                                  "generate", "export", "train", "latent stats"])
def test_a_fault_on_creating_the_output_is_one_line_before_any_work(
        capsys, monkeypatch, files, model_file, tmp_path, name, fault):
    argv, out = commands(files, model_file, tmp_path)[name]
    out.parent.mkdir(exist_ok=True)
    out.write_bytes(b"old output")
    trained = []
    monkeypatch.setattr(sigae.SignalAutoencoder, "fit", lambda *a, **k: trained.append(1))
    monkeypatch.setattr(tempfile, "mkstemp", raiser(fault))
    code, _, err = run(capsys, *argv)
    assert_one_line(code, err, f"cannot write {out.parent if name == 'latent stats' else out}",
                    FAULTS[fault])
    assert out.read_bytes() == b"old output"
    assert not trained  # refused in its first second, not after training
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fault", list(FAULTS), ids=[errno.errorcode[f] for f in FAULTS])
def test_a_fault_while_streaming_keeps_the_old_output(capsys, monkeypatch, files, model_file,
                                                       tmp_path, fault):
    out = tmp_path / "codes.npy"
    out.write_bytes(b"old output")
    monkeypatch.setattr(os, "fsync", raiser(fault))
    code, _, err = run(capsys, "encode", model_file, files / "x.npy", "--out", out)
    assert_one_line(code, err, f"cannot write {out}: {FAULTS[fault]}")
    assert out.read_bytes() == b"old output"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["decode", "reconstruct", "score", "report", "generate",
                                  "export", "latent stats"])
def test_a_full_disk_at_the_end_of_each_command_is_one_line(capsys, monkeypatch, files,
                                                             model_file, tmp_path, name):
    argv, out = commands(files, model_file, tmp_path)[name]
    monkeypatch.setattr(os, "fsync", raiser(errno.ENOSPC))
    code, _, err = run(capsys, *argv)
    assert_one_line(code, err, "cannot write", FAULTS[errno.ENOSPC])
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_an_io_error_reading_the_data_is_one_line(capsys, monkeypatch, files, model_file,
                                                  tmp_path):
    monkeypatch.setattr(os, "pread", raiser(errno.EIO))
    code, _, err = run(capsys, "encode", model_file, files / "x.npy", "--out",
                       tmp_path / "c.npy")
    assert_one_line(code, err, f"cannot read {files / 'x.npy'}: input/output error (errno 5); "
                    "the device failed; check the disk")
    assert not (tmp_path / "c.npy").exists()
    assert leftovers(tmp_path) == []


def test_too_many_open_files_reading_the_model_is_one_line(capsys, monkeypatch, files,
                                                           model_file, tmp_path):
    import zipfile

    monkeypatch.setattr(zipfile, "is_zipfile", raiser(errno.EMFILE))
    code, _, err = run(capsys, "info", model_file)
    assert_one_line(code, err, f"cannot read {model_file}: too many open files (errno 24)")


def test_a_trained_model_that_cannot_be_saved_is_rescued(capsys, monkeypatch, files, tmp_path):
    out = tmp_path / "m.sigae"
    real_replace = os.replace

    def replace(source, target):
        if Path(target) == out:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    code, _, err = run(capsys, "train", files / "x.npy", "--out", out, "--epochs", 2,
                       "--seed", 0, "--quiet")
    assert_one_line(code, err, f"cannot write {out}: {FAULTS[errno.ENOSPC]}; the trained model "
                    "was saved to ")
    rescued = Path(err.split("was saved to ")[1].split(" instead")[0])
    try:
        assert rescued.parent == Path(tempfile.gettempdir())
        assert sigae.load(rescued).history.epochs == 2
    finally:
        rescued.unlink()
    assert not out.exists()


def test_debug_shows_the_traceback(capsys, monkeypatch, files, model_file, tmp_path):
    monkeypatch.setattr(os, "fsync", raiser(errno.EIO))
    code, _, err = run(capsys, "--debug", "encode", model_file, files / "x.npy", "--out",
                       tmp_path / "c.npy")
    assert code == 2
    assert "Traceback" in err
    assert err.strip().splitlines()[-1].startswith("sigae: error: cannot write")


# -- real file systems -------------------------------------------------------------------------


@pytest.fixture
def mount(tmp_path):
    """Mounts a small tmpfs (root only); yields a function `mount(size, read_only)`."""
    mounted = []

    def make(size: str, read_only: bool = False) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                                capture_output=True, check=False)
        if result.returncode != 0:
            pytest.skip("this machine does not let the tests mount a tmpfs")
        mounted.append(point)
        return point

    yield make
    for point in mounted:
        subprocess.run(["umount", str(point)], check=False)


def test_a_read_only_file_system_fails_before_any_epoch(capsys, monkeypatch, mount, files):
    read_only = mount("1m", read_only=True)
    trained = []
    monkeypatch.setattr(sigae.SignalAutoencoder, "fit", lambda *a, **k: trained.append(1))
    code, _, err = run(capsys, "train", files / "x.npy", "--out", read_only / "m.sigae")
    assert_one_line(code, err, f"cannot write {read_only / 'm.sigae'}: read-only file system "
                    "(errno 30)")
    assert not trained


def test_a_full_file_system_is_refused_before_the_work(capsys, mount, files, model_file):
    small = mount("64k")
    code, _, err = run(capsys, "decode", model_file, files / "codes.npy", "--out",
                       small / "s.csv")
    assert_one_line(code, err, f"cannot write {small / 's.csv'}: it needs about ",
                    f"but {small} has ", "free; free space or choose another --out")


def test_on_a_really_full_disk_the_trained_model_is_rescued(capsys, monkeypatch, mount, files):
    import sigae.cli.train.handlers

    small = mount("16k")
    (small / "filler").write_bytes(b"\0" * 8192)
    # Past the pre-flight (which would refuse at once), the save meets the real full disk.
    monkeypatch.setattr(sigae.core.outputs, "check_writable", lambda *a, **k: None)
    monkeypatch.setattr(sigae.cli.train.handlers, "check_output_file", lambda path, *a, **k: path,
                        raising=False)
    out = small / "m.sigae"
    code, _, err = run(capsys, "train", files / "x.npy", "--out", out, "--epochs", 1,
                       "--quiet")
    assert_one_line(code, err, f"cannot write {out}: no space left on device (errno 28)",
                    "the trained model was saved to ")
    rescued = Path(err.split("was saved to ")[1].split(" instead")[0])
    try:
        assert sigae.load(rescued).history.epochs == 1
    finally:
        rescued.unlink()
    assert sorted(p.name for p in small.iterdir()) == ["filler"]


# -- Ctrl-C and SIGTERM ------------------------------------------------------------------------


def start(argv, cwd):
    return sigae_process(*argv, cwd=cwd)


def wait_for_epochs(process, count):
    """Reads the training's per-epoch lines until `count` epochs have ended."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if sum("val_loss" in s for s in seen) >= count:
            return seen
    raise AssertionError("training ended before " + "".join(seen)[-500:])


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    directory = tmp_path_factory.mktemp("signals")
    np.save(directory / "x.npy", signals(n=400, seed=1))
    return directory / "x.npy"


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_training_saves_the_best_weights_so_far(big, tmp_path, signum, code):
    out = tmp_path / "m.sigae"
    process = start(["train", big, "--out", out, "--epochs", 500, "--patience", 0,
                     "--batch-size", 8, "--seed", 0], tmp_path)
    wait_for_epochs(process, 3)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    name = signal.Signals(signum).name
    assert f"sigae: {name}: stopping after this batch" in stderr
    assert "Traceback" not in stderr
    assert "the best weights so far were saved" in stdout
    model = sigae.load(out)
    history = model.history
    assert history.interrupted.startswith(f"{name} in epoch ")
    assert 3 <= history.epochs < 500
    # It holds the best epoch's weights: their validation loss is the best one recorded.
    x = np.load(big)
    validation = split(x, 0.2, seed=0)[1]  # the run's own split
    mse = float(np.mean(np.square((model.reconstruct(validation) - validation)
                                  / model.normalization[1])))
    if history.best_epoch is not None:
        assert mse == pytest.approx(history.best_loss, rel=1e-4)
    else:  # the PCA start kept, which then ends as PCA of all the signals, these included
        assert mse <= history.best_loss
    check = subprocess.run([sys.executable, "-m", "sigae", "check", str(out)],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout


def test_two_interrupts_abort_at_once_and_write_nothing(big, tmp_path):
    out = tmp_path / "m.sigae"
    process = start(["train", big, "--out", out, "--epochs", 500, "--patience", 0,
                     "--batch-size", 8], tmp_path)
    wait_for_epochs(process, 1)
    process.send_signal(signal.SIGINT)
    # The second once the first was handled: two signals that arrive while the process is
    # inside one long call are one signal to Python (a graceful stop, not an abort).
    first = process.stderr.readline()
    assert "stopping after this batch" in first
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == "sigae: interrupted (SIGINT); nothing was written."
    assert "Traceback" not in stderr
    # No model; only the checkpoint of the epochs done, for --resume.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.sigae.checkpoint"]


def test_ctrl_c_while_encoding_keeps_the_old_output(model_file, tmp_path):
    x = np.random.default_rng(0).normal(size=(400_000, 48)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "codes.h5"
    out.write_bytes(b"old output")
    process = start(["encode", model_file, tmp_path / "x.npy", "--out", out, "--batch-size", 10],
                    tmp_path)
    deadline = time.monotonic() + 60
    while not any(".tmp" in p.name for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline, "no output was started"
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "sigae: interrupted (SIGINT); nothing was written."
    assert out.read_bytes() == b"old output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["codes.h5", "x.npy"]
