"""What each unit of the code means (`sigae.study.factors`) and how many units the signals
need (`sigae.study.size`)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sigae
from sigae.cli import main
from sigae.data.datasets import Factors
from sigae.errors import DataError
from sigae.io.write import write_table
from sigae.study.factors import (
    FOLDS,
    cross_validated_r2,
    dci,
    factors,
    importances,
    read,
    targets,
)
from sigae.study.size import size, two_nn


def test_the_datasets_give_the_factors_their_signals_were_made_from():
    plain = sigae.datasets.oscillations(40, length=64, seed=3)
    made = sigae.datasets.oscillations(40, length=64, seed=3, factors=True)
    np.testing.assert_array_equal(plain.train, made.train)
    assert made.train_factors.names == ("amplitude", "frequency", "decay", "phase")
    assert made.train_factors.circular == ("phase",)
    assert made.train_factors.values.shape == (30, 4)
    assert len(made.test_factors) == 10
    t = np.arange(64) / 64
    a, f, tau, phi = made.train_factors.values[0]
    clean = a * np.exp(-t / tau) * np.sin(2 * np.pi * f * t + phi)
    assert np.abs(made.train[0, :, 0] - clean).max() < 0.3  # the noise's 6 sigma
    chirps = sigae.datasets.chirps(40, length=64, seed=3, factors=True)
    a, f0, f1 = chirps.train_factors.values[0]
    clean = a * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t**2 / 2))
    assert np.abs(chirps.train[0, :, 0] - clean).max() < 0.3


def independent_dci(r: np.ndarray) -> tuple[float, float]:
    """Eastwood & Williams' D and C, written out with loops."""
    d, k = r.shape
    total = r.sum()
    disentanglement = 0.0
    for i in range(d):
        p = r[i] / r[i].sum()
        entropy = -sum(x * np.log(x) / np.log(k) for x in p if x > 0)
        disentanglement += (r[i].sum() / total) * (1 - entropy)
    completeness = 0.0
    for j in range(k):
        p = r[:, j] / r[:, j].sum()
        completeness += 1 - (-sum(x * np.log(x) / np.log(d) for x in p if x > 0))
    return disentanglement, completeness / k


def test_dci_is_eastwood_and_williams_formula():
    r = np.random.default_rng(0).uniform(size=(6, 3))
    np.testing.assert_allclose(dci(r), independent_dci(r), rtol=1e-12)
    assert dci(np.eye(4)) == pytest.approx((1.0, 1.0))
    assert dci(np.ones((4, 4))) == pytest.approx((0.0, 0.0), abs=1e-12)


def test_the_linear_r2_is_least_squares_on_held_out_folds():
    rng = np.random.default_rng(1)
    codes = rng.normal(size=(200, 3))
    y = np.c_[codes @ [1.0, -2.0, 0.5] + rng.normal(0, 0.5, 200), rng.normal(size=200)]
    ours = cross_validated_r2(codes, y, [[0], [1]], "linear", seed=0)
    from sklearn.model_selection import KFold

    standardized = (y - y.mean(axis=0)) / y.std(axis=0)
    predicted = np.empty_like(y)
    for train, test in KFold(FOLDS, shuffle=True, random_state=0).split(codes):
        design = np.c_[codes[train], np.ones(len(train))]
        weights = np.linalg.lstsq(design, standardized[train], rcond=None)[0]
        predicted[test] = np.c_[codes[test], np.ones(len(test))] @ weights
    residual = ((standardized - predicted) ** 2).sum(axis=0)
    total = ((standardized - standardized.mean(axis=0)) ** 2).sum(axis=0)
    np.testing.assert_allclose(ours, 1 - residual / total, rtol=1e-9)
    assert ours[0] > 0.9
    assert ours[1] < 0.05


def test_a_code_that_is_a_permutation_of_the_factors_is_disentangled_and_complete():
    rng = np.random.default_rng(2)
    table = Factors(rng.uniform(size=(600, 3)), ("a", "b", "c"))
    codes = 3 * table.values[:, [2, 0, 1]] + 1
    reading = read(codes, table)
    assert reading.disentanglement > 0.99
    assert reading.completeness > 0.99
    assert reading.informativeness > 0.95
    assert np.argmax(reading.importance, axis=0).tolist() == [1, 2, 0]
    noise = read(rng.normal(size=(600, 3)), table)
    assert noise.informativeness < 0.05
    assert noise.disentanglement < 0.1
    assert noise.completeness < 0.1
    assert noise.r2.max() < 0.1


def test_a_circular_quantity_scores_the_same_after_adding_two_pi():
    rng = np.random.default_rng(3)
    angle = rng.uniform(0, 2 * np.pi, 300)
    codes = np.c_[np.cos(angle), np.sin(angle), rng.normal(size=300)]
    first = read(codes, Factors(angle[:, None], ("phase",), ("phase",)))
    turned = read(codes, Factors(angle[:, None] + 2 * np.pi, ("phase",), ("phase",)))
    # sin and cos of angle + 2 pi differ from the angle's in the last bit only
    np.testing.assert_allclose(first.r2, turned.r2, atol=1e-6)
    np.testing.assert_allclose(first.r2_linear, turned.r2_linear, atol=1e-9)
    np.testing.assert_allclose(first.importance, turned.importance, atol=0.01)
    assert first.r2[0] > 0.9
    y, groups = targets(Factors(angle[:, None], ("phase",), ("phase",)))
    assert groups == [[0, 1]]
    np.testing.assert_allclose(y, np.c_[np.sin(angle), np.cos(angle)])
    assert importances(codes, y, groups)[0][2, 0] < 0.1  # the noise unit carries no phase


@pytest.fixture(scope="module")
def oscillating(tmp_path_factory):
    """A small model of oscillations, the signals and their factors on disk."""
    folder = tmp_path_factory.mktemp("factors")
    data = sigae.datasets.oscillations(160, length=48, seed=0, factors=True)
    model = sigae.SignalAutoencoder.from_preset("default", length=48, latent_dim=5, seed=0)
    model.fit(data.train, epochs=2, seed=0, verbose=0, augment="none")
    model.save(folder / "m.sigae")
    np.save(folder / "x.npy", data.train)
    write_table(folder / "f.csv", data.train_factors.columns())
    np.save(folder / "f.npy", data.train_factors.values)
    return folder, model, data


def test_factors_reads_the_models_codes_beside_pcas(oscillating):
    _, model, data = oscillating
    result = factors(model, data.train, data.train_factors)
    assert result.names == ("amplitude", "frequency", "decay", "phase")
    assert result.circular == ("phase",)
    assert result.codes.importance.shape == result.pca.importance.shape == (5, 4)
    np.testing.assert_allclose(result.codes.importance.sum(axis=0), 1.0)
    assert sorted(u for units in result.units() for u in units) == [
        u for u, carried in enumerate(result.carried()) if carried is not None]
    assert result.codes.r2[1] > 0.5  # the frequency is in any code of these signals
    assert all(-1 <= v <= 1 for v in result.codes.r2)


def test_latent_factors_writes_the_json_the_issue_promises_and_a_heatmap(oscillating, capsys,
                                                                         tmp_path):
    folder, _, _ = oscillating
    assert main(["latent", "factors", str(folder / "m.sigae"), str(folder / "x.npy"),
                 "--factors", str(folder / "f.csv"), "--circular", "phase", "--out",
                 str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "DCI of the codes: disentanglement" in out
    written = json.loads((tmp_path / "factors.json").read_text())
    assert [f["name"] for f in written["factors"]] == ["amplitude", "frequency", "decay",
                                                       "phase"]
    assert set(written["factors"][0]) >= {"name", "r2_codes", "r2_pca", "r2_codes_linear",
                                          "r2_pca_linear", "units"}
    for part in ("codes", "pca"):
        assert set(written["dci"][part]) == {"disentanglement", "completeness",
                                             "informativeness"}
    assert np.asarray(written["importance"]).shape == (5, 4)
    assert (tmp_path / "factors.png").stat().st_size > 10_000
    assert main(["latent", "factors", str(folder / "m.sigae"), str(folder / "x.npy"),
                 "--factors", str(folder / "f.npy"), "--factor-names",
                 "amplitude,frequency,decay,phase", "--out", str(tmp_path / "npy")]) == 0


def refused(argv, capsys) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    return err


@pytest.mark.parametrize(("content", "said"), [
    ("a,b\n1,2\n3,4\n", "has 2 rows of quantities but the data has 120 signals"),
    ("a,b\n" + "1,x\n" * 120, "column 'b' holds 'x', not a number"),
    ("a,b\n" + "".join(f"{i},5\n" for i in range(120)), "Quantity 'b' is constant (5)"),
    ("1,2\n" * 121, "expected a header line naming the quantities"),
])
def test_bad_quantities_get_one_line(oscillating, capsys, tmp_path, content, said):
    folder, _, _ = oscillating
    (tmp_path / "bad.csv").write_text(content)
    err = refused(["latent", "factors", folder / "m.sigae", folder / "x.npy", "--factors",
                   tmp_path / "bad.csv", "--out", tmp_path / "out"], capsys)
    assert said in err


def test_a_report_with_factors_shows_which_units_carry_them(oscillating, tmp_path):
    folder, _, _ = oscillating
    assert main(["report", str(folder / "m.sigae"), str(folder / "x.npy"), "--factors",
                 str(folder / "f.csv"), "--circular", "phase", "--out",
                 str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert '<section id="units-and-quantities">' in page
    assert "DCI of the codes" in page


def bumps(n: int = 400, length: int = 40, seed: int = 0) -> np.ndarray:
    """Signals made from 3 numbers through a nonlinear map: a bump's centre, width and
    height."""
    rng = np.random.default_rng(seed)
    centre, width, height = (rng.uniform(low, high, (n, 1)) for low, high in
                             ((0.3, 0.7), (0.1, 0.2), (0.5, 1.5)))
    t = np.linspace(0, 1, length)
    return (height * np.exp(-(((t - centre) / width) ** 2)))[:, :, None]


def test_size_suggests_as_many_units_as_the_numbers_the_signals_are_made_from():
    result = size(bumps(), [1, 2, 3, 4], epochs=40, seed=0)
    assert result.suggested == 3
    assert result.nmse_sigae[2] < result.nmse_pca[2]  # a linear code of 3 does not do it
    assert set(result.to_dict()) >= {"dims", "nmse_sigae", "nmse_pca", "intrinsic_dimension",
                                     "suggested"}
    assert 2 < result.intrinsic_dimension < 3.5


def test_two_nn_finds_the_dimension_of_a_curved_manifold():
    rng = np.random.default_rng(0)
    z = rng.uniform(size=(1500, 3))
    x = np.tanh(z @ rng.normal(size=(3, 100)))
    assert two_nn(x) == pytest.approx(3, abs=0.4)


def test_latent_size_shows_its_progress_and_writes_its_json(capsys, tmp_path):
    np.save(tmp_path / "x.npy", bumps(n=120))
    assert main(["latent", "size", str(tmp_path / "x.npy"), "--dims", "1,2", "--epochs", "3",
                 "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "training the default design at 2 sizes on 120 signals" in out
    assert "  size 1: validation NMSE" in out
    written = json.loads((tmp_path / "out" / "size.json").read_text())
    assert written["dims"] == [1, 2]
    assert written["suggested"] in (1, 2)
    assert (tmp_path / "out" / "size.png").exists()
    with pytest.raises(DataError, match="below the 40 values of one signal"):
        size(bumps(n=60), [2, 40])


def test_a_curve_that_never_flattens_leaves_the_suggestion_to_the_intrinsic_dimension():
    from sigae.study.size import suggest

    falling = suggest([2, 3, 4, 5, 6, 8], [0.54, 0.24, 0.14, 0.063, 0.037, 0.022], [0.7] * 6,
                      3.97, 0.01, [1.0] * 6)
    assert not falling.flattened
    assert falling.suggested == 4
    assert "the intrinsic dimension decides: the signals are made from about 4.0 numbers" \
        in falling.why
    flat = suggest([2, 3, 4, 5], [0.5, 0.1, 0.015, 0.012], [0.7] * 4, 7.0, 0.01, [1.0] * 4)
    assert flat.flattened
    assert flat.suggested == 4
    assert flat.why == ("the smallest size whose validation NMSE (0.0150) is within 0.01 of "
                        "the best (0.0120)")


def test_the_regression_targets_of_a_ts_file_are_quantities(tmp_path):
    from pathlib import Path

    from sigae.cli.labels import read_factors
    from sigae.io import load_signals

    archive = Path(__file__).parent / "data" / "archive" / "Covid3Month_TRAIN.ts"
    signals = load_signals(archive)
    values, names = read_factors(archive, None, len(signals))
    assert names == ["target"]
    assert values.shape == (len(signals), 1)
    assert values.dtype.kind == "f"


def test_latent_size_refuses_too_few_signals_for_its_largest_size(capsys, tmp_path):
    np.save(tmp_path / "x.npy", bumps(n=30))
    err = refused(["latent", "size", tmp_path / "x.npy", "--dims", "2,8", "--out",
                   tmp_path / "out"], capsys)
    assert "30 signals are too few to compare sizes up to 8: each size would be trained on 24 " \
           "signals and validated on 6" in err
    assert not (tmp_path / "out" / "size.json").exists()
