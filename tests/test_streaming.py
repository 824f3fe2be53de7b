"""Data larger than memory: one-pass statistics, batches from disk, bounded memory."""

from __future__ import annotations

import io
import sys
import tracemalloc

import numpy as np
import pytest

import sigae
import sigae.data.streaming
from conftest import LENGTH, signals, tiny_config
from sigae.data.normalization import fit_normalization
from sigae.data.streaming import Batches, stream
from sigae.io import load_signals, open_writer


@pytest.mark.parametrize("kind", ["global", "per_channel"])
def test_one_pass_statistics_equal_numpys_two_pass_ones(kind):
    x = signals(9000, length=8, channels=2)  # three blocks, the last one short
    x[:, :, 1] *= 1000.0
    mean, std = fit_normalization(x, kind)
    axis = None if kind == "global" else (0, 1)
    np.testing.assert_allclose(mean, x.astype("float64").mean(axis=axis), rtol=1e-6)
    np.testing.assert_allclose(std, x.astype("float64").std(axis=axis), rtol=1e-6)


@pytest.mark.parametrize("lazy", [False, True])
def test_batches_visit_every_signal_once_per_epoch_in_a_new_order(lazy, tmp_path):
    x = np.arange(1003, dtype="float32").reshape(-1, 1, 1)
    if lazy:
        np.save(tmp_path / "x.npy", x)
        x = load_signals(tmp_path / "x.npy").data
    batches = Batches(x, batch_size=64, seed=0)
    epochs = []
    for _ in range(2):
        seen = np.concatenate([batches[i][0][:, 0, 0] for i in range(len(batches))])
        epochs.append(seen)
        batches.on_epoch_end()
    for seen in epochs:
        np.testing.assert_array_equal(np.sort(seen), np.arange(1003))
    assert not np.array_equal(epochs[0], epochs[1])
    # The order of epoch e depends on (seed, e) alone: a run resumed at epoch 1 sees it.
    resumed = Batches(x, batch_size=64, seed=0, start_epoch=1)
    np.testing.assert_array_equal(
        np.concatenate([resumed[i][0][:, 0, 0] for i in range(len(resumed))]), epochs[1])


def test_validation_batches_read_in_order():
    x = np.arange(250, dtype="float32").reshape(-1, 1, 1)
    batches = Batches(x, batch_size=100, shuffle=False)
    assert len(batches) == 3
    np.testing.assert_array_equal(batches[2][0][:, 0, 0], np.arange(200, 250))


def test_lazy_signals_encode_and_reconstruct_bitwise_as_in_memory(trained, tmp_path):
    x = signals(5000, seed=4)  # more than one streamed block
    np.save(tmp_path / "x.npy", x)
    lazy = load_signals(tmp_path / "x.npy")
    assert lazy.lazy
    assert np.array_equal(trained.encode(lazy), trained.encode(x))
    assert np.array_equal(trained.reconstruct(lazy), trained.reconstruct(x))
    assert np.array_equal(trained.decode(trained.encode(lazy)), trained.reconstruct(lazy))


@pytest.fixture
def stream_everything(monkeypatch):
    """Streams training data of any size, as if it did not fit in memory."""
    monkeypatch.setattr(sigae.data.streaming, "IN_MEMORY_BYTES", 0)


def test_every_forward_pass_is_a_whole_batch_so_a_row_does_not_depend_on_its_company(
        trained, monkeypatch):
    sizes = []
    predict = type(trained.encoder).predict

    def spy(model, x, *args, batch_size=None, **kwargs):
        sizes.append((len(x), batch_size))
        return predict(model, x, *args, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(type(trained.encoder), "predict", spy)
    x = signals(23, seed=5)
    codes = trained.encode(x, batch_size=8)
    alone = [trained.encode(x[i:i + 1], batch_size=8) for i in (0, 17, 22)]
    assert {size for size, _ in sizes} == {16, 8}  # 23 rows: 16, then 7 and a zero row
    assert {batch for _, batch in sizes} == {8}
    for i, row in zip((0, 17, 22), alone, strict=True):
        np.testing.assert_array_equal(row, codes[i:i + 1])
    np.testing.assert_array_equal(trained.decode(codes, batch_size=8),
                                  trained.reconstruct(x, batch_size=8))


def test_small_lazy_data_trains_in_memory_exactly_as_an_array(tmp_path):
    x = signals(100, seed=5)
    np.save(tmp_path / "x.npy", x)
    runs = []
    for data in (x, load_signals(tmp_path / "x.npy")):
        model = sigae.SignalAutoencoder(tiny_config(), seed=0)
        runs.append(model.fit(data, epochs=2, batch_size=16, seed=0, verbose=0).loss)
    assert runs[0] == runs[1]


@pytest.mark.usefixtures("stream_everything")
def test_fit_streams_from_disk_with_statistics_of_the_training_part(tmp_path):
    x = signals(400, seed=5)
    np.save(tmp_path / "x.npy", x)
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    history = model.fit(load_signals(tmp_path / "x.npy"), epochs=2, batch_size=32, seed=0,
                        verbose=0)
    assert history.epochs == 2
    mean, std = model.normalization
    np.testing.assert_allclose(mean, x[:320].mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(std, x[:320].std(axis=(0, 1)), rtol=1e-5)
    assert model.comparison.n_signals == 80


@pytest.mark.usefixtures("stream_everything")
def test_fit_from_disk_refuses_nan_naming_its_place(tmp_path):
    x = signals(100, seed=6)
    x[42, 7, 0] = np.nan
    np.save(tmp_path / "x.npy", x)
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    with pytest.raises(sigae.DataError, match=r"1 NaN or infinite value\(s\), the first at index "
                       r"\(42, 7, 0\)"):
        model.fit(load_signals(tmp_path / "x.npy"), epochs=1, verbose=0)


def peak_traced(function) -> int:
    """Peak bytes NumPy and Python allocated while `function` ran.

    Pages of a memory-mapped file and the backend's own buffers are not counted, so the
    tests below store float64: any code path that reads the file whole must convert it.
    """
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streamed_encode_memory_does_not_grow_with_the_file(trained, tmp_path):
    def encode(n: int) -> int:
        path = tmp_path / f"x{n}.npy"
        np.save(path, np.tile(signals(100, seed=7), (n // 100, 1, 1)).astype("float64"))
        data = load_signals(path)
        with open_writer(tmp_path / f"codes{n}.npy", (n, 4), name="codes") as writer:
            return peak_traced(lambda: stream(trained.encode, data.data, writer.write,
                                              batch_size=100))

    # float64 on disk: reading it whole would allocate 3.8 MB and 15.4 MB of float32.
    small, large = encode(20_000), encode(80_000)
    assert large - small < 1_000_000, (small, large)
    assert large < 8_000_000


@pytest.mark.usefixtures("stream_everything")
def test_training_memory_does_not_grow_with_the_file(tmp_path):
    def train(n: int) -> int:
        path = tmp_path / f"x{n}.npy"
        np.save(path, np.tile(signals(100, seed=8), (n // 100, 1, 1)).astype("float64"))
        data = load_signals(path)
        model = sigae.SignalAutoencoder(tiny_config(), seed=0)
        return peak_traced(lambda: model.fit(data, epochs=1, batch_size=500, seed=0,
                                             verbose=0))

    # float64 on disk: reading it whole would allocate 5.8 MB and 11.5 MB of float32.
    small, large = train(30_000), train(60_000)
    assert large - small < 2_000_000, (small, large)


def test_window_length_must_fit_the_model(trained, tmp_path):
    np.save(tmp_path / "long.npy", np.zeros(1000, dtype="float32"))
    with pytest.raises(sigae.DataError, match=r"holds signals of length 1000, but the model "
                       rf"takes length {LENGTH}. Cut them into windows with --window {LENGTH}"):
        trained.encode(load_signals(tmp_path / "long.npy"))
    windows = load_signals(tmp_path / "long.npy", window=LENGTH, hop=LENGTH // 2)
    assert trained.encode(windows).shape == (len(windows), 4)


def test_streaming_shows_progress_on_a_terminal_only(trained, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    x, written = signals(5000, seed=9), []
    for stderr, shown in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stderr)
        stream(trained.encode, x, written.append, batch_size=100, progress=True)
        assert ("/5000" in stderr.getvalue()) is shown
    assert np.array_equal(np.concatenate(written[: len(written) // 2]), trained.encode(x))
