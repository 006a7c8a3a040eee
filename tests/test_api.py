"""Conventions of the public API (scanpy ``test_package_structure`` / skimage style).

* every name in ``blotquant.__all__`` (and in each subpackage's ``__all__``) exists;
* public functions have numpydoc ``Parameters`` and ``Returns`` sections, take the
  data positionally and every knob keyword-only, no positional booleans, no mutable
  defaults;
* ``import blotquant`` is light: no matplotlib, pandas, numpy or scipy until used;
* the command line lists every subcommand and every ``--help`` works;
* ``pyproject.toml`` declares everything the tests import.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

import blotquant
from blotquant import cli

ROOT = Path(__file__).resolve().parents[1]

#: Subpackages and modules whose ``__all__`` is public API.
PUBLIC_MODULES = (
    "blotquant.image",
    "blotquant.experiment",
    "blotquant.viability",
    "blotquant.demo",
    "blotquant.join",
    "blotquant.run",
    "blotquant.report",
    "blotquant.conditions",
    "blotquant.errors",
)


def _public(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    return [(name, getattr(module, name)) for name in module.__all__]


def _functions(module_names: tuple[str, ...]) -> list[tuple[str, object]]:
    out = []
    for m in module_names:
        for name, obj in _public(m):
            if inspect.isfunction(obj):
                out.append((f"{m}.{name}", obj))
    return out


def _positional(func: object) -> list[inspect.Parameter]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p for p in inspect.signature(func).parameters.values() if p.kind in kinds]


def _documented_parameters(doc: str) -> set[str]:
    """Names in the numpydoc Parameters section (``x, y : type`` documents two)."""
    lines = doc.split("Parameters\n----------\n", 1)[1].splitlines()
    names: set[str] = set()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            break  # the next section starts
        if line and not line[0].isspace():
            names |= {n.strip().lstrip("*") for n in line.split(" :")[0].split(",")}
    return names


def _check_docstring(qualname: str, func: object) -> None:
    doc = inspect.getdoc(func)
    assert doc, f"{qualname} has no docstring"
    sig = inspect.signature(func)
    if sig.parameters:
        assert "Parameters\n----------" in doc, f"{qualname}: no numpydoc Parameters section"
        documented = _documented_parameters(doc)
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            assert p.name in documented, f"{qualname}: parameter `{p.name}` is not documented"
    if sig.return_annotation not in (None, "None"):
        assert "Returns\n-------" in doc, f"{qualname}: no numpydoc Returns section"


def _check_defaults(qualname: str, func: object) -> None:
    for p in inspect.signature(func).parameters.values():
        assert not isinstance(p.default, list | dict | set | bytearray), (
            f"{qualname}: mutable default for `{p.name}`; use a tuple or None")
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            assert not isinstance(p.default, bool), (
                f"{qualname}: boolean `{p.name}` must be keyword-only")


TOP_LEVEL = [(f"blotquant.{n}", obj) for n, obj in _public("blotquant")
             if inspect.isfunction(obj)]
STAGES = _functions(PUBLIC_MODULES)


def test_all_names_exist_and_are_sorted():
    for module_name in ("blotquant", *PUBLIC_MODULES):
        module = importlib.import_module(module_name)
        names = module.__all__
        assert len(set(names)) == len(names), f"{module_name}.__all__ has duplicates"
        for name in names:
            assert hasattr(module, name), f"{module_name}.__all__ lists missing {name!r}"
    assert set(dir(blotquant)) >= set(blotquant.__all__)


def test_top_level_reexports_the_entry_points():
    expected = {"analyze", "read_image", "read_sample_sheet", "analyze_experiment",
                "read_plate", "read_layout", "analyze_viability", "fit_curve",
                "effective_dose", "combination_index", "run_experiment",
                "make_demo_experiment", "parse_treatment", "InvalidInputError"}
    assert expected <= set(blotquant.__all__)
    # a re-export is the very object of its subpackage, not a copy or wrapper
    from blotquant.image import analyze
    from blotquant.viability import fit_curve

    assert blotquant.analyze is analyze
    assert blotquant.fit_curve is fit_curve
    with pytest.raises(AttributeError, match="no_such_function"):
        _ = blotquant.no_such_function


@pytest.mark.parametrize(("qualname", "func"), TOP_LEVEL, ids=[q for q, _ in TOP_LEVEL])
def test_top_level_function_conventions(qualname, func):
    _check_docstring(qualname, func)
    _check_defaults(qualname, func)
    n_pos = len(_positional(func))
    assert n_pos <= 2, f"{qualname}: {n_pos} positional parameters; make knobs keyword-only"


@pytest.mark.parametrize(("qualname", "func"), STAGES, ids=[q for q, _ in STAGES])
def test_stage_function_conventions(qualname, func):
    _check_docstring(qualname, func)
    _check_defaults(qualname, func)
    # scanpy's limit: paired data (x, y, subject; dose, affected, total) may take three
    n_pos = len(_positional(func))
    assert n_pos <= 3, f"{qualname}: {n_pos} positional parameters; make knobs keyword-only"


def test_public_classes_have_docstrings():
    for module_name in ("blotquant", *PUBLIC_MODULES):
        for name, obj in _public(module_name):
            if inspect.isclass(obj):
                assert inspect.getdoc(obj), f"{module_name}.{name} has no docstring"


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=False)


def test_import_is_light():
    # scanpy test_deferred_imports: heavy modules load on first use, never on import
    code = ("import sys, blotquant\n"
            "heavy = [m for m in ('matplotlib', 'pandas', 'numpy', 'scipy', 'skimage')"
            " if m in sys.modules]\n"
            "assert not heavy, heavy")
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr


def test_compute_modules_do_not_import_pyplot():
    mods = ", ".join(m.removeprefix("blotquant.") for m in PUBLIC_MODULES)
    code = (f"import sys, blotquant\nfrom blotquant import {mods}\n"
            "for n in blotquant.__all__: getattr(blotquant, n)\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n"
            "assert 'matplotlib' not in sys.modules")
    proc = _run_python(code)
    assert proc.returncode == 0, proc.stderr


def _subcommand_modules() -> set[str]:
    return {p.stem for p in (ROOT / "blotquant" / "cli").glob("*.py") if p.stem != "__init__"}


def test_every_cli_module_is_registered():
    assert _subcommand_modules() == set(cli.COMMANDS)


def test_help_lists_every_subcommand():
    proc = subprocess.run([sys.executable, "-m", "blotquant", "--help"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines()
              if line.startswith("    ") and line.split()}
    assert set(cli.COMMANDS) <= listed, proc.stdout
    assert "usage: blotquant" in proc.stdout


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: blotquant {command}")
    assert "--out" in out  # every subcommand writes an output folder


def test_no_subcommand_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: blotquant" in capsys.readouterr().out


def test_console_script_points_at_main():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["scripts"]["blotquant"] == "blotquant.cli:main"


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "importorskip"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def _requirement_name(req: str) -> str:
    for sep in "<>=!~;[ ":
        req = req.split(sep)[0]
    return req.strip().lower().replace("_", "-")


def test_pyproject_declares_what_tests_import():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(r) for r in meta["dependencies"]}
    declared |= {_requirement_name(r) for r in meta["optional-dependencies"]["test"]}
    dists = packages_distributions()
    local = {"blotquant", "conftest"} | {p.stem for p in (ROOT / "tests").glob("*.py")}
    missing = {}
    for path in sorted((ROOT / "tests").glob("*.py")):
        for mod in _imported_top_modules(path):
            if mod in sys.stdlib_module_names or mod in local:
                continue
            names = {d.lower().replace("_", "-") for d in dists.get(mod, [mod])}
            if not names & declared:
                missing[mod] = path.name
    assert not missing, f"test imports not declared in pyproject.toml: {missing}"
