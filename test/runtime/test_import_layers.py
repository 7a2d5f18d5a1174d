"""The `fused` package keeps its import layers (resources/runtime/pyproject.toml, import-linter).

A module imports only from the layers below its own, lazy imports inside functions and type-only
imports (under `if TYPE_CHECKING:`) included, so the package has no import cycle, not even one of
type names; every module has its layer. The check runs on this checkout's
`fused` (PYTHONPATH), and a copy of the package with a cycle or an unplaced module fails it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import RUNTIME

ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(runtime: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the runtime's contracts, on the `fused` package under `runtime`; its
    report without the terminal colours it prints even into a pipe."""
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(RUNTIME / "pyproject.toml"),
         "--no-cache"],
        cwd=runtime, env={**os.environ, "PYTHONPATH": str(runtime)},
        capture_output=True, text=True, check=False, timeout=120,
    )
    done.stdout = ANSI_STYLE.sub("", done.stdout)
    return done


def copy_of_fused(tmp_path: Path) -> Path:
    shutil.copytree(
        RUNTIME / "fused", tmp_path / "fused", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


def test_fused_keeps_its_layers() -> None:
    done = lint_imports(RUNTIME)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 6 kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        # The errors module asking fused.run for something at run time: _run imports _errors.
        ("_errors", "._run", "fused: public namespace > runs > loading"),
        # One run backend using another.
        ("_token_run", "._remote", "fused: the run backends do not import each other"),
        # Inside a subpackage: the document encoders using the table encoders.
        ("_encoders/document", ".tabular", "fused._encoders: tables and rasters >"),
    ],
)
def test_a_lazy_import_against_the_layers_breaks_a_contract(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    runtime = copy_of_fused(tmp_path)
    package, _, name = imported.rpartition(".")
    with (runtime / "fused" / f"{module}.py").open("a") as source:
        source.write(f"\n\ndef _reach_up() -> object:\n    from {package}. import {name}\n\n"
                     f"    return {name}\n")
    done = lint_imports(runtime)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), done.stdout
    importer = "fused." + module.replace("/", ".")
    assert f"{importer} -> " in done.stdout, done.stdout


def test_a_type_only_import_against_the_layers_breaks_them(tmp_path: Path) -> None:
    # Below the model, a UDF is a `UdfLike` (fused._udf_like): naming the `Udf` class there, even
    # only for the type checker, is an import of `_udf` from below it.
    runtime = copy_of_fused(tmp_path)
    with (runtime / "fused" / "_invoke.py").open("a") as source:
        source.write("\n\nif TYPE_CHECKING:\n    from ._udf import Udf\n")
    done = lint_imports(runtime)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = [line for line in done.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith("fused: public namespace > runs > loading") for line in broken)
    assert "fused._invoke -> fused._udf" in done.stdout, done.stdout


def test_a_module_without_a_layer_breaks_the_layers(tmp_path: Path) -> None:
    runtime = copy_of_fused(tmp_path)
    (runtime / "fused" / "_unplaced.py").write_text('"""A new module nobody gave a layer."""\n')
    done = lint_imports(runtime)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fused._unplaced" in done.stdout
