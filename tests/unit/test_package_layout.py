"""The package layout holds: every top-level package with code ships in the wheel, and no Python file
of the project is over 400 lines. (What each package may import is import-linter's job: the contracts
in pyproject.toml, run by tests/integration/test_session.py.)"""

from __future__ import annotations

import subprocess
import tomllib

from setuptools import find_namespace_packages

from tests.conftest import ROOT


def test_every_top_level_package_with_code_ships_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_namespace_packages(str(ROOT), include=config["include"], exclude=config["exclude"]))
    for package in ("domain", "sources", "synthetic", "store", "projections", "cli", "web"):
        assert package in shipped
    assert not {name for name in shipped if name.split(".")[0] in {"tests", "bench"}}


def test_every_top_level_package_is_under_the_import_contracts():
    linter = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    for package in ("domain", "sources", "synthetic", "store", "projections", "cli", "web"):
        assert package in linter["root_packages"]


def test_no_python_file_of_the_project_is_over_400_lines():
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    lengths = {
        path: len((ROOT / path).read_text().splitlines()) for path in tracked.stdout.split() if (ROOT / path).exists()
    }
    assert {path: n for path, n in lengths.items() if n > 400} == {}


def test_no_module_of_ours_imports_itself_back_through_others():
    """No import cycle between files, function-level imports included (grimp reads them all)."""
    import grimp

    packages = ("domain", "sources", "synthetic", "store", "projections", "web", "cli")
    graph = grimp.build_graph(*packages, include_external_packages=False)
    cycles = {
        tuple(sorted((module, imported)))
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    }
    assert cycles == set()
