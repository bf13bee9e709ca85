"""The package layout holds: each top-level package imports only what its layer may, every package
ships in the wheel, and no Python file of the project is over 400 lines."""

from __future__ import annotations

import ast
import subprocess
import tomllib

import pytest
from setuptools import find_namespace_packages

from tests.conftest import ROOT

PROJECT = {"domain", "sources", "synthetic", "store", "projections", "cli", "web", "bench", "tests"}
# What each package may import from the project, besides itself (the data flows one way).
ALLOWED = {
    "domain": set(),
    "sources": {"domain"},
    "synthetic": {"domain"},
}


def project_imports(package: str) -> dict[str, set[str]]:
    """The project packages each module of package imports (also inside functions), by file."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & PROJECT) - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_project_packages_its_layer_allows(package):
    imports = project_imports(package)
    assert imports, f"{package}/ has no modules"
    assert {path: names - ALLOWED[package] for path, names in imports.items() if names - ALLOWED[package]} == {}


def test_every_top_level_package_with_code_ships_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_namespace_packages(str(ROOT), include=config["include"], exclude=config["exclude"]))
    for package in ("domain", "sources", "synthetic", "store", "projections", "cli", "web"):
        assert package in shipped
    assert not {name for name in shipped if name.split(".")[0] in {"tests", "bench"}}


def test_no_python_file_of_the_project_is_over_400_lines():
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    lengths = {path: len((ROOT / path).read_text().splitlines()) for path in tracked.stdout.split()
               if (ROOT / path).exists()}
    assert {path: n for path, n in lengths.items() if n > 400} == {}
