"""Derives which packages the public Fused UDF catalogue imports, and which the runtime lacks.

Reads a git checkout or bare mirror of the catalogue (github fusedio/udfs) without a work tree:
every UDF folder (a folder with meta.json) under `public/` and `files/`, the imports of its code and
header modules, and what it pulls in through `fused.load`:

- a helper loaded from a GitHub URL (`fused.load(".../tree/<commit>/public/common/")`) is read at
  that commit; only the helper functions the UDF uses count (with the helper functions they call and
  the helper's module-level imports), so a UDF that calls `common.bounds_to_res` is not charged
  with the imports of the other hundred functions in `common`;
- a UDF loaded by name (`fused.load("ndvi_monthly_mean")`) counts whole, found by its folder name.

Imports map to packages through resources/runtime/module-packages.txt (else `x_y` -> `x-y`);
standard-library modules, `fused` and the UDF's own header modules are left out. The packages are
then looked up in Fused's realtime image (resources/runtime/fused-image-packages.txt) and in the
runtime's requirements (the default set and the optional extras).

    udf-studio python scripts/derive_runtime_packages.py /work/.mirror/fusedio+udfs/repo
    ... --json derived.json      # the set, with the UDFs that import each package

It prints the packages with their Fused version and how many UDFs need them, then the UDFs that
would still stop on a missing package in the default runtime, and why.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "resources" / "runtime"
if str(RUNTIME) not in sys.path:
    sys.path.insert(0, str(RUNTIME))

from fused._package_lists import (  # noqa: E402  (the runtime folder is put on the path first)
    ModuleMap,
    read_fused_image,
    read_requirement_names,
)

DEFAULT_ROOTS = ("public", "files")
# `fused.load` of a folder of this catalogue at a commit: the helper is read at that commit.
GITHUB_TREE = re.compile(r"^https://github\.com/fusedio/udfs/tree/([0-9a-fA-F]{6,40})/(.+?)/?$")
# Modules that are Fused's own, not packages: `fused` itself and its internal job modules.
FUSED_OWN = frozenset({"fused", "job2", "__future__"})


@dataclass
class Imports:
    """What a body of code imports: at module level, and per top-level function."""

    module_level: set[str] = field(default_factory=set)
    per_function: dict[str, set[str]] = field(default_factory=dict)
    calls: dict[str, set[str]] = field(default_factory=dict)

    def for_functions(self, names: Iterable[str] | None) -> set[str]:
        """Module-level imports plus those of the named functions and the functions they call."""
        if names is None:
            wanted = set(self.per_function)
        else:
            wanted, queue = set(), list(names)
            while queue:
                name = queue.pop()
                if name in wanted or name not in self.per_function:
                    continue
                wanted.add(name)
                queue.extend(self.calls.get(name, ()))
        found = set(self.module_level)
        for name in wanted:
            found |= self.per_function[name]
        return found


@dataclass
class Load:
    """One `fused.load(TARGET)` in a UDF, and the attributes used on its result (None: unknown)."""

    target: str
    attributes: set[str] | None


@dataclass
class Udf:
    name: str
    folder: str
    modules: set[str]
    headers: set[str]
    loads: list[Load]


@dataclass
class Need:
    """A package a UDF needs, and how (directly, or through which helper)."""

    package: str
    module: str
    via: str


class Catalogue:
    """The catalogue's git repository, read with `git ls-tree` and `git show` (no work tree)."""

    def __init__(self, git_dir: Path, rev: str) -> None:
        self.git_dir = git_dir
        self.rev = rev

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.git_dir), *args], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise LookupError(done.stderr.strip() or f"git {' '.join(args)} failed")
        return done.stdout

    def files(self, prefix: str, rev: str | None = None) -> list[str]:
        return self._git("ls-tree", "-r", "--name-only", rev or self.rev, "--", prefix).split()

    def read(self, path: str, rev: str | None = None) -> str:
        return self._git("show", f"{rev or self.rev}:{path}")


def _parse(code: str) -> ast.Module:
    with warnings.catch_warnings():
        # Catalogue code has invalid escapes in plain strings; Python warns, the code still runs.
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(code)


def parse_imports(code: str) -> Imports:
    """The imports of some Python code; code that does not parse falls back to a line scan."""
    try:
        tree = _parse(code)
    except SyntaxError:
        found = Imports()
        for match in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", code, re.MULTILINE):
            found.module_level.add(match.group(1))
        return found
    found = Imports()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.per_function[node.name] = set(_imported_modules(node))
            found.calls[node.name] = {
                n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != node.name
            }
        else:
            found.module_level |= set(_imported_modules(node))
    return found


def _imported_modules(node: ast.AST) -> Iterator[str]:
    """Imports in `node`, except those in a `try` whose handler catches their failure: optional
    imports (`common` tries `pillow_avif` and falls back) do not stop a UDF."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        yield node.module
    elif isinstance(node, ast.Try) and any(map(_catches_import_error, node.handlers)):
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            yield from _imported_modules(child)
        return
    for child in ast.iter_child_nodes(node):
        yield from _imported_modules(child)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught else []
    if not names:
        return True  # a bare `except:`
    return any(
        isinstance(name, ast.Name)
        and name.id in {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
        for name in names
    )


def parse_loads(code: str) -> list[Load]:
    """`fused.load("...")` calls with a literal target, and the attributes used on their result."""
    try:
        tree = _parse(code)
    except SyntaxError:
        return []
    by_call: dict[int, Load] = {}
    for call in _load_calls(tree):
        first = call.args[0]
        assert isinstance(first, ast.Constant) and isinstance(first.value, str)
        by_call[id(call)] = Load(first.value, set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and id(node.value) in by_call:
            load = by_call[id(node.value)]
            for target in node.targets:
                uses = _attribute_uses(tree, target.id) if isinstance(target, ast.Name) else None
                if uses is None or load.attributes is None:
                    load.attributes = None
                else:
                    load.attributes |= uses
        elif isinstance(node, ast.Attribute) and id(node.value) in by_call:
            load = by_call[id(node.value)]
            if load.attributes is not None:
                load.attributes.add(node.attr)
    return list(by_call.values())


def _load_calls(tree: ast.AST) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_fused_load(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node


def _attribute_uses(tree: ast.AST, name: str) -> set[str] | None:
    """Attributes used on `name`; None when `name` is also used otherwise (passed on, called)."""
    attributes: set[str] = set()
    as_attribute: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == name
        ):
            attributes.add(node.attr)
            as_attribute.add(id(node.value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id == name
            and isinstance(node.ctx, ast.Load)
            and id(node) not in as_attribute
        ):
            return None
    return attributes


def _is_fused_load(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "load"
        and isinstance(func.value, ast.Name)
        and func.value.id == "fused"
    )


def _is_udf_code(path: str, folder: str) -> bool:
    """A Python file of the folder itself, not a test kept beside it (`utils_test.py`)."""
    name = Path(path).name
    return (
        path.endswith(".py")
        and path.count("/") == folder.count("/") + 1
        and not name.endswith("_test.py")
        and not name.startswith("test_")
    )


def read_udf(catalogue: Catalogue, folder: str, rev: str | None = None) -> Udf:
    """A UDF folder: the imports of all its Python files, its header module names, its loads."""
    modules: set[str] = set()
    loads: list[Load] = []
    headers: set[str] = set()
    for path in catalogue.files(folder + "/", rev):
        if not _is_udf_code(path, folder):
            continue
        code = catalogue.read(path, rev)
        headers.add(Path(path).stem)
        modules |= parse_imports(code).for_functions(None)
        loads.extend(parse_loads(code))
    return Udf(Path(folder).name, folder, modules, headers, loads)


def helper_imports(
    catalogue: Catalogue, commit: str, folder: str, attributes: set[str] | None
) -> set[str]:
    """What the used functions of a helper UDF (read at its commit) import."""
    found: set[str] = set()
    headers: set[str] = set()
    for path in catalogue.files(folder + "/", commit):
        if _is_udf_code(path, folder):
            headers.add(Path(path).stem)
            found |= parse_imports(catalogue.read(path, commit)).for_functions(attributes)
    # The helper's own header modules (`common` imports its `utils`) come with it.
    return {module for module in found if module.split(".")[0] not in headers}


def udf_needs(
    catalogue: Catalogue, udf: Udf, by_name: dict[str, str], modules: ModuleMap, depth: int = 0
) -> list[Need]:
    """The packages a UDF needs: its own imports and those it gets through `fused.load`."""
    stdlib = sys.stdlib_module_names
    local = udf.headers

    def packages(found: set[str], via: str) -> list[Need]:
        needs = []
        for module in sorted(found):
            top = module.split(".")[0]
            if top in stdlib or top in FUSED_OWN or top in local:
                continue
            needs.append(Need(modules.package_for(module), module, via))
        return needs

    needs = packages(udf.modules, "direct")
    for load in udf.loads:
        tree = GITHUB_TREE.match(load.target)
        if tree:
            commit, folder = tree.group(1), tree.group(2)
            found = helper_imports(catalogue, commit, folder, load.attributes)
            needs += packages(found, f"helper {folder}@{commit[:7]}")
        elif load.target in by_name and depth < 3:
            loaded = read_udf(catalogue, by_name[load.target])
            for need in udf_needs(catalogue, loaded, by_name, modules, depth + 1):
                needs.append(Need(need.package, need.module, f"UDF {load.target}"))
    return needs


def catalogue_udfs(catalogue: Catalogue, roots: Iterable[str]) -> list[str]:
    folders = []
    for root in roots:
        for path in catalogue.files(root + "/"):
            if path.endswith("/meta.json"):
                folders.append(str(Path(path).parent))
    return sorted(folders)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("catalogue", type=Path, help="the catalogue's git directory (bare is fine)")
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument(
        "--roots", nargs="+", default=list(DEFAULT_ROOTS), help="catalogue folders to scan"
    )
    parser.add_argument("--json", type=Path, help="write the derived set here")
    args = parser.parse_args(argv)

    catalogue = Catalogue(args.catalogue, args.rev)
    fused_image = read_fused_image(RUNTIME / "fused-image-packages.txt")
    modules = ModuleMap.read(RUNTIME / "module-packages.txt")
    default = read_requirement_names(RUNTIME / "requirements.txt")
    extras = read_requirement_names(RUNTIME / "requirements-ai.txt")
    folders = catalogue_udfs(catalogue, args.roots)
    by_name = {Path(folder).name: folder for folder in folders}

    users: dict[str, set[str]] = {}
    missing: dict[str, list[Need]] = {}
    for folder in folders:
        for need in udf_needs(catalogue, read_udf(catalogue, folder), by_name, modules):
            users.setdefault(need.package, set()).add(folder)
            if need.package not in default:
                missing.setdefault(folder, []).append(need)

    print(f"{len(folders)} UDFs under {', '.join(args.roots)}; {len(users)} packages imported\n")
    print(f"{'package':32} {'Fused':14} {'UDFs':>5}  runtime")
    for package, folder_set in sorted(users.items(), key=lambda item: (-len(item[1]), item[0])):
        version = fused_image.get(package, "-") or "(git)"
        where = "default" if package in default else "extra" if package in extras else "-"
        print(f"{package:32} {version:14} {len(folder_set):5}  {where}")
    print(f"\n{len(missing)} UDFs would stop on a missing package in the default runtime:")
    for folder, needs in sorted(missing.items()):
        reasons = sorted(
            {
                f"{n.package} ({n.module}, {n.via}; "
                + (
                    "optional extra"
                    if n.package in extras
                    else "in Fused's image" if n.package in fused_image else "not in Fused's image"
                )
                + ")"
                for n in needs
            }
        )
        print(f"  {folder}: {', '.join(reasons)}")
    if args.json:
        derived = {
            "packages": {
                package: {
                    "fused": fused_image.get(package),
                    "in_fused_image": package in fused_image,
                    "udfs": sorted(folder_set),
                }
                for package, folder_set in sorted(users.items())
            },
            "missing": {
                folder: sorted({n.package for n in needs}) for folder, needs in missing.items()
            },
        }
        args.json.write_text(json.dumps(derived, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
