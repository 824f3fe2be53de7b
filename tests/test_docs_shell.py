"""Every shell block of README.md and the docs runs as written, on small generated inputs,
and keeps what it promises (`shell_blocks`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from shell_blocks import NOT_RUN, Command, commands, environment, run, skipped

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL_PAGES = [page for page in PAGES if commands(page)]
VENV = Path(sys.prefix)


@pytest.fixture(scope="session")
def inputs(tmp_path_factory) -> Path:
    """Every file a page's commands read, small: made once per test run."""
    import sigae
    from conftest import tiny_config
    from sigae.io.write import write_table

    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    np.save(folder / "five.npy", rng.normal(size=(5, 32)).astype("float32"))
    t = np.arange(13_000) / 100
    np.savetxt(folder / "sensors.csv", np.c_[t, np.sin(t * 7), np.cos(t * 3)
                                             + rng.normal(0, 0.1, t.size)],
               delimiter=",", header="time,a,b", comments="", fmt="%.5f")
    shutil.copy(ROOT / "tests" / "data" / "tfkeras2" / "seed_tfkeras2.h5",
                folder / "autoencoder.h5")
    np.save(folder / "oscillations.npy", sigae.datasets.oscillations(40, length=101).train)
    train, test, _, test_factors = sigae.datasets.oscillations(240, length=48, factors=True)
    write_table(folder / "test_factors.csv", test_factors.columns())
    labels = (np.abs(np.asarray(train)).max(axis=(1, 2)) > 1.2).astype(int)
    np.save(folder / "train.npy", train)
    np.save(folder / "train_labels.npy", labels)
    np.save(folder / "test.npy", test)
    np.save(folder / "test_labels.npy",
            (np.abs(np.asarray(test)).max(axis=(1, 2)) > 1.2).astype(int))
    model = sigae.SignalAutoencoder(tiny_config(), seed=0)
    model.fit(train, epochs=2, seed=0, verbose=0)
    model.save(folder / "model.sigae")
    (folder / "sigae-demo").mkdir()
    model.save(folder / "sigae-demo" / "model.sigae")
    np.save(folder / "sigae-demo" / "test.npy", test)
    return folder


def sandbox(page: Path, inputs: Path, into: Path) -> Path:
    """A folder for `page`'s commands: the inputs they name (not those an earlier command
    writes), `./dev`, and `.venv` as `./dev` made it (this run's environment)."""
    written: set[str] = set()
    for command in commands(page):
        words = command.text.split()
        for word in words:
            name = word.rstrip("/")
            if name not in written and (inputs / name).exists() and not (into / name).exists():
                (into / name).parent.mkdir(parents=True, exist_ok=True)
                copy = shutil.copytree if (inputs / name).is_dir() else shutil.copy
                copy(inputs / name, into / name)
        written |= {words[i + 1].rstrip("/") for i, w in enumerate(words[:-1]) if w == "--out"}
    shutil.copy(ROOT / "dev", into / "dev")
    venv = into / ".venv"
    venv.mkdir()
    for entry in VENV.iterdir():
        if entry.name != ".sigae-installed":
            (venv / entry.name).symlink_to(entry)
    (venv / ".sigae-installed").touch()  # installed: ./dev installs nothing more
    return into


@pytest.mark.parametrize("page", SHELL_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shell_block_runs_as_written(page, inputs, tmp_path):
    folder = sandbox(page, inputs, tmp_path)
    env = environment(folder / ".venv")
    for command in commands(page):
        if skipped(command) is None:
            failure = run(command, folder, env)
            assert failure is None, failure


def test_the_commands_not_run_are_few_named_and_still_in_the_docs():
    """The suite runs every documented command but these, each said with why."""
    documented = {command.text.split("  #")[0].split(" # ")[0].strip()
                  for page in SHELL_PAGES for command in commands(page)}
    assert set(NOT_RUN) <= documented
    assert len(NOT_RUN) <= 3


def test_ci_runs_exactly_the_readmes_test_command():
    readme = [c.text.split("#")[0].strip() for c in commands(ROOT / "README.md")]
    assert readme == ["./dev demo", "./dev test"]
    script = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
              if line and not line.startswith(("#", "set ", "cd "))]
    assert script == ["exec ./dev test"]


def test_the_runner_fails_a_block_with_a_wrong_option_or_a_changed_promise(inputs, tmp_path):
    page = tmp_path / "page.md"
    good = ("```console\n$ sigae train five.npy --out m.sigae\nsigae: error: five.npy: 5 signals "
            "leave 4 for training and 1 for validation\n```\n")
    page.write_text(good)
    folder = sandbox(page, inputs, tmp_path / "box")
    env = environment(folder / ".venv")
    [command] = commands(page)
    assert command.fails
    assert run(command, folder, env) is None
    page.write_text(good.replace("--out", "--outt"))
    failure = run(commands(page)[0], folder, env)
    assert failure is not None
    assert "does not print" in failure
    assert "did you mean --out?" in failure
    page.write_text(good.replace("1 for validation", "2 for validation"))
    assert "does not print 'sigae: error: five.npy: 5 signals leave 4 for training and 2 " \
           "for validation'" in run(commands(page)[0], folder, env)
    page.write_text("```bash\nsigae info model.sigae --verbose\n```\n")
    failure = run(Command(page, 2, "sigae info model.sigae --verbose"), folder, env)
    assert failure is not None
    assert "exit 2, expected 0" in failure
