"""The shape of the code is a checked fact: layers, no circles, types, one source of each."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import sigae
from sigae.training.automatic import automatic_table

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(sigae.__file__).resolve().parent


def circles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Every import counts: those inside functions and under TYPE_CHECKING too.
    return grimp.build_graph("sigae", cache_dir=None)


def test_no_two_modules_import_each_other_through_any_chain(graph):
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle(graph):
    graph.add_import(importer="sigae.core.paths", imported="sigae.model")
    assert any({"sigae.core.paths", "sigae.model"} <= circle for circle in circles(graph))


def test_only_the_entry_point_imports_the_command_line(graph):
    importers = {module for module in graph.find_modules_that_directly_import("sigae.cli")
                 if not module.startswith("sigae.cli")}
    assert importers == {"sigae.__main__"}


def lint_imports(cwd: Path, source: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(source.parent)}
    command = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    return subprocess.run([sys.executable, "-c", command, "--no-cache"],
                          cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_import_contracts_hold():
    result = lint_imports(ROOT, SOURCE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_import_contracts_break_on_an_import_upward(tmp_path):
    copy = tmp_path / "src" / "sigae"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "core" / "paths.py", "a") as module:
        module.write("\n\ndef upward():\n    from sigae.training import trainer  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tmp_path, copy)
    assert result.returncode != 0
    assert "Layers: each imports only the layers below it BROKEN" in result.stdout
    assert "sigae.core.paths -> sigae.training.trainer" in result.stdout


def test_the_type_checker_passes():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_model_configuration_is_plain_data_that_imports_nothing_heavy():
    code = ("import sys, sigae; sigae.ModelConfig(length=64, latent_dim=4)\n"
            "print([m for m in ('numpy', 'keras', 'jax') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_getting_started_shows_the_automatic_settings_as_the_code_has_them():
    guide = (ROOT / "docs" / "getting-started.md").read_text()
    assert automatic_table() in guide


def test_one_pathlike_type():
    definitions = [path for path in SOURCE.rglob("*.py")
                   if re.search(r"^PathLike\s*=", path.read_text(), re.M)]
    assert [p.relative_to(SOURCE).as_posix() for p in definitions] == ["core/paths.py"]


def test_every_path_the_documentation_names_resolves_as_attributes_after_import_sigae():
    """`sigae.x.y` in the READMEs and the docs is reached from `import sigae` alone, as a
    user types it (each package imports its submodules when first named)."""
    named = set()
    pages = [ROOT / "README.md", ROOT / "benchmarks" / "README.md",
             *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "docs").rglob("*.py"))]
    for readme in pages:
        named |= set(re.findall(r"`(sigae(?:\.[A-Za-z_]+)+)", readme.read_text()))
    code = ("import sys, sigae\n"
            "for path in sys.argv[1:]:\n"
            "    found = sigae\n"
            "    try:\n"
            "        for attribute in path.split('.')[1:]:\n"
            "            found = getattr(found, attribute)\n"
            "    except AttributeError:\n"
            "        print(path)\n")
    result = subprocess.run([sys.executable, "-c", code, *sorted(named)], capture_output=True,
                            text=True, check=True, timeout=300)
    assert len(named) > 30
    assert result.stdout.split() == []


def function_lengths(source: Path) -> dict[str, int]:
    """Lines of each function's body in `source`, its docstring left out."""
    import ast

    lengths = {}
    for path in sorted(source.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if (len(body) > 1 and isinstance(body[0], ast.Expr)
                        and isinstance(body[0].value, ast.Constant)
                        and isinstance(body[0].value.value, str)):
                    body = body[1:]
                where = f"{path.relative_to(source).as_posix()}:{node.lineno} {node.name}"
                lengths[where] = node.end_lineno - body[0].lineno + 1
    return lengths


def test_no_function_is_over_60_lines_and_the_facade_fit_under_20():
    lengths = function_lengths(SOURCE)
    assert {where: n for where, n in lengths.items() if n > 60} == {}
    (fit,) = [n for where, n in lengths.items() if where.startswith("model.py:")
              and where.endswith(" fit")]
    assert fit < 20


def test_the_length_check_counts_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (tmp_path / "long.py").write_text(f'def long():\n    """Doc."""\n{body}\n')
    assert function_lengths(tmp_path) == {"long.py:1 long": 61}


def test_the_training_package_needs_no_casts():
    assert [path.name for path in (SOURCE / "training").glob("*.py")
            if "cast(" in path.read_text()] == []


def test_command_handlers_return_their_report_as_data_and_only_the_printer_prints():
    import ast
    import importlib

    from sigae.cli import GROUPS, build_parser
    from sigae.cli.printer import Outcome

    printing = [path.relative_to(SOURCE).as_posix() for path in (SOURCE / "cli").rglob("*.py")
                if path.name not in ("printer.py", "__init__.py")
                and any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"
                        for n in ast.walk(ast.parse(path.read_text())))]
    assert printing == []
    for group in GROUPS:
        handlers = importlib.import_module(f"{group.__name__}.handlers")
        arguments = importlib.import_module(f"{group.__name__}.arguments")
        assert group.register is arguments.register
        public = [f for name, f in vars(handlers).items()
                  if callable(f) and getattr(f, "__module__", "") == handlers.__name__
                  and not name.startswith("_")]
        assert public
        assert all(f.__annotations__["return"] == "Outcome" for f in public)
    assert build_parser().parse_args(["info", "m.sigae"]).handler.__module__.endswith(
        "inspect.handlers")
    assert Outcome(["a"]).code == 0
