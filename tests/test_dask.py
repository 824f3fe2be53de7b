"""Encode, reconstruct and score on a Dask cluster: bit for bit the single-process results."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")
import pyarrow.parquet as pq  # noqa: E402

import sigae  # noqa: E402
from conftest import signals  # noqa: E402
from sigae import distributed  # noqa: E402
from sigae.cli import main  # noqa: E402
from sigae.study.latent import codes_and_errors  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.local_client(2) as client:
        yield client


@pytest.fixture(scope="module")
def chunked(tmp_path_factory, monkeypatch_module):
    directory = tmp_path_factory.mktemp("dask")
    x = signals(3000, seed=4)
    np.save(directory / "x.npy", x)
    # Small chunks, so that the two workers share the work.
    monkeypatch_module.setattr(distributed, "CHUNK_ROWS", 500)
    return directory, x


@pytest.fixture(scope="module")
def monkeypatch_module():
    patch = pytest.MonkeyPatch()
    yield patch
    patch.undo()


def test_encode_to_zarr_equals_the_single_process_result(client, chunked, model_file):
    directory, x = chunked
    out = distributed.encode(model_file, directory / "x.npy", out=directory / "codes.zarr",
                             client=client)
    group = zarr.open_group(str(out), mode="r")
    assert np.array_equal(group["codes"][:], sigae.load(model_file).encode(x))
    assert np.array_equal(group["source_row"][:], np.arange(3000))


def test_score_and_reconstruct_to_parquet_parts_equal_the_single_process_result(
        client, chunked, model_file):
    directory, x = chunked
    model = sigae.load(model_file)
    distributed.score(model_file, directory / "x.npy", out=directory / "scores.parquet",
                      client=client)
    table = pq.read_table(directory / "scores.parquet")
    _, mse, mae = codes_and_errors(model, x)
    assert np.array_equal(table.column("mse").to_numpy(), mse)
    assert np.array_equal(table.column("mae").to_numpy(), mae)
    threshold = model.calibration.threshold(99.0)
    assert np.array_equal(table.column("is_anomaly").to_numpy(), mse > threshold)
    distributed.reconstruct(model_file, directory / "x.npy", out=directory / "r.zarr",
                            client=client)
    assert np.array_equal(zarr.open_group(str(directory / "r.zarr"))["signals"][:],
                          model.reconstruct(x))


def test_a_dask_array_and_a_folder_of_parquet_parts_are_inputs(client, chunked, model_file,
                                                               tmp_path):
    import dask.array as da

    from sigae.io import write_array

    _directory, x = chunked
    model = sigae.load(model_file)
    distributed.encode(model_file, da.from_array(x, chunks=(700, 48, 1)),
                       out=tmp_path / "a.zarr", client=client)
    assert np.array_equal(zarr.open_group(str(tmp_path / "a.zarr"))["codes"][:], model.encode(x))
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, 3000, 1000)):
        write_array(parts / f"p{i}.parquet", x[start : start + 1000], name="signals")
    distributed.encode(model_file, parts, out=tmp_path / "b.zarr", client=client)
    assert np.array_equal(zarr.open_group(str(tmp_path / "b.zarr"))["codes"][:], model.encode(x))


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"  # not a zombie
    except FileNotFoundError:
        return False


def test_a_killed_worker_is_replaced_and_the_output_is_complete(client, chunked, model_file,
                                                                tmp_path):
    _, x = chunked
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one_midway():  # once the first parts are written, most of the work remains
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".codes.parquet.*/part-*")):
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    killer = threading.Thread(target=kill_one_midway)
    killer.start()
    big = np.concatenate([x] * 4)
    np.save(tmp_path / "big.npy", big)
    distributed.encode(model_file, tmp_path / "big.npy", out=tmp_path / "codes.parquet",
                       client=client)
    killer.join()
    assert killed, "the run ended before a worker could be killed"
    deadline = time.monotonic() + 10
    while alive(killed[0]):  # the worker really died
        assert time.monotonic() < deadline
        time.sleep(0.05)
    table = pq.read_table(tmp_path / "codes.parquet")
    codes = np.column_stack([table.column(f"z{i}").to_numpy() for i in range(4)])
    assert np.array_equal(codes, sigae.load(model_file).encode(big))
    assert np.array_equal(table.column("source_row").to_numpy(), np.arange(len(big)))


def test_a_failing_run_keeps_the_existing_output(client, chunked, model_file, tmp_path):
    directory, x = chunked
    out = tmp_path / "codes.zarr"
    distributed.encode(model_file, directory / "x.npy", out=out, client=client)
    before = zarr.open_group(str(out))["codes"][:]
    bad = x.copy()
    bad[2500, 3, 0] = np.nan  # found by the worker of the last chunk
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(sigae.DataError, match=r"NaN"):
        distributed.encode(model_file, tmp_path / "bad.npy", out=out, client=client)
    assert np.array_equal(zarr.open_group(str(out))["codes"][:], before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.npy", "codes.zarr"]


def test_the_cli_runs_on_a_local_cluster(capsys, chunked, model_file, tmp_path):
    directory, x = chunked
    code = main(["encode", str(model_file), str(directory / "x.npy"), "--out",
                 str(tmp_path / "c.parquet"), "--scheduler", "local:2"])
    assert code == 0, capsys.readouterr().err
    table = pq.read_table(tmp_path / "c.parquet")
    codes = np.column_stack([table.column(f"z{i}").to_numpy() for i in range(4)])
    assert np.array_equal(codes, sigae.load(model_file).encode(x))


def test_an_unequal_ts_file_and_a_folder_of_recordings_are_inputs(client, model_file, tmp_path):
    from pathlib import Path

    from sigae.io import load_signals

    model = sigae.load(model_file)
    folder = tmp_path / "recordings"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for i, n in enumerate((40, 48, 56, 60)):
        np.save(folder / f"r{i}.npy", rng.normal(30, 5, n).astype("float32"))
    archive = Path(__file__).parent / "data" / "archive" / "PickupGestureWiimoteZ_TRAIN.ts"
    for source in (folder, archive):
        out = distributed.encode(model_file, source, out=tmp_path / f"{source.stem}.zarr",
                                 client=client)
        resampled = load_signals(source, length=model.config.length)  # as one process reads
        codes = zarr.open_group(str(out), mode="r")["codes"][:]
        assert np.array_equal(codes, model.encode(resampled.data))


def test_a_model_trained_padded_scores_padded_recordings_with_the_padding_masked(client,
                                                                                 tmp_path):
    from conftest import tiny_config
    from sigae.io import load_signals
    from sigae.study.latent import score

    folder = tmp_path / "recordings"
    folder.mkdir()
    rng = np.random.default_rng(6)
    for i, n in enumerate(rng.integers(30, 49, 50)):
        np.save(folder / f"r{i:02d}.npy", rng.normal(30, 5, n).astype("float32"))
    padded = load_signals(folder, lengths="pad", length=48)
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(padded, epochs=1, seed=0, verbose=0, validation_split=0.4)
    model.save(tmp_path / "padded.sigae")
    out = distributed.score(tmp_path / "padded.sigae", folder, out=tmp_path / "s.zarr",
                            client=client)
    mse = zarr.open_group(str(out), mode="r")["mse"][:]
    np.testing.assert_array_equal(mse, score(model, padded).mse)
    assert not np.allclose(mse, score(model, padded.data).mse, rtol=1e-3)
