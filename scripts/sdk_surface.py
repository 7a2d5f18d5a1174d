"""The official `fused` SDK's public surface, as facts: test/conformance/sdk-surface.json.

For every public attribute of `fused`, `fused.api`, `fused.core`, `fused.types`, `fused.context`
and the private `fused._optional_deps` (the public `common` helper imports it), the fields of
`fused.options`, and the public members of `Udf` (`fused.models.udf.Udf`) and of the `JobPool`
that `fused.submit(..., collect=False)` returns (`fused._submit.JobPool`, the base of every
pool), it records the kind (module, class, function, async function, object, value, property,
field), and for callables each parameter's name, kind and default. No annotations, no code, no
documentation: test/runtime/test_sdk_surface.py compares the runtime's `fused` with these facts.

Left out, by rule: names starting with `_`; `typing` and `__future__` helpers a module imported
for its own annotations (`Any`, `Optional`, `TYPE_CHECKING`, `annotations`); pydantic's own
`BaseModel` methods on `Udf` and `Options` (`model_dump`, `json`, ...), which are not the SDK's.

Run it as `udf-studio python scripts/sdk_surface.py` (writes the file) or with `--check` (exits 1
when the file is stale). Either way it runs itself again in the conformance venv, where the
official SDK is installed (scripts/conformance.py makes that venv); the conformance suite's
test_sdk_surface.py calls `build_surface()` there directly.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[1]
SNAPSHOT: Final = ROOT / "test" / "conformance" / "sdk-surface.json"
SDK_VERSION: Final = "2.9.5"
NAMESPACES: Final = (
    "fused",
    "fused.api",
    "fused.core",
    "fused.types",
    "fused.context",
    "fused._optional_deps",
)
# The SDK's classes whose members UDF code uses: name in the snapshot → where the SDK defines it.
CLASSES: Final = {"Udf": "fused.models.udf:Udf", "JobPool": "fused._submit:JobPool"}
# Dunder methods that are part of a class's use (calling a UDF), recorded besides public names.
DUNDERS: Final = ("__call__",)
_TYPING_MODULES: Final = frozenset({"typing", "typing_extensions", "__future__"})

Json = Any


def build_surface() -> dict[str, Json]:
    """The surface of the `fused` package importable here (the official SDK, checked)."""
    fused = importlib.import_module("fused")
    version = getattr(fused, "__version__", None)
    if version != SDK_VERSION:
        raise SystemExit(
            f"sdk_surface: expected the official fused {SDK_VERSION}, found {version!r} at "
            f"{getattr(fused, '__file__', '?')} (run it with the conformance venv's Python)"
        )
    # Imported by name: pydantic is the SDK's dependency, not the runtime's (mypy runs there).
    pydantic = importlib.import_module("pydantic")
    pydantic_names = frozenset(dir(pydantic.BaseModel))
    return {
        "sdk": f"fused {SDK_VERSION}",
        "generated_by": "scripts/sdk_surface.py",
        "namespaces": {name: _namespace(importlib.import_module(name)) for name in NAMESPACES},
        "options": _options(fused.options, pydantic_names),
        "classes": {
            name: _class_members(_resolve(where), pydantic_names, where)
            for name, where in CLASSES.items()
        },
    }


def render(surface: Mapping[str, Json]) -> str:
    """The snapshot file's text: sorted keys, two-space indents, a final newline."""
    return json.dumps(surface, indent=2, sort_keys=True) + "\n"


# --- one namespace ---------------------------------------------------------------------------


def _namespace(module: ModuleType) -> dict[str, Json]:
    entries: dict[str, Json] = {}
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        if _is_typing_helper(name, value):
            continue
        entries[name] = _entry(value)
    return entries


def _is_typing_helper(name: str, value: object) -> bool:
    # `Any`, `Optional`, `TypeVar` and `annotations` say they come from typing or __future__; a
    # TypeVar the SDK defines (`fused.types.Bounds`) says it comes from the SDK's module.
    return name == "TYPE_CHECKING" or getattr(value, "__module__", None) in _TYPING_MODULES


def _entry(value: object) -> dict[str, Json]:
    if isinstance(value, ModuleType):
        entry: dict[str, Json] = {"kind": "module"}
        if not _is_sdk(value.__name__):
            entry["external"] = value.__name__
        return entry
    if isinstance(value, type):
        entry = {"kind": "class"}
        if not _is_sdk(value.__module__):
            entry["external"] = f"{value.__module__}.{value.__qualname__}"
            return entry
        entry["signature"] = _signature(value)
        bases = _standard_bases(value)
        if bases:
            entry["bases"] = bases
        return entry
    if inspect.isroutine(value):
        module = getattr(value, "__module__", None) or ""
        if not _is_sdk(module):
            return {"kind": "function", "external": f"{module}.{value.__qualname__}"}
        kind = "async function" if inspect.iscoroutinefunction(value) else "function"
        return {"kind": kind, "signature": _signature(value)}
    if value is None or isinstance(value, bool | int | float | str):
        entry = {"kind": "value", "type": type(value).__name__}
        if isinstance(value, str):
            entry["value"] = value
        return entry
    return {"kind": "object", "type": type(value).__name__}


def _is_sdk(module: str) -> bool:
    return module == "fused" or module.startswith("fused.")


def _standard_bases(cls: type) -> list[str]:
    """Ancestors from builtins and the standard library (`RuntimeError`, `json.JSONEncoder`):
    what `except` clauses and `isinstance` checks in UDF code may rely on."""
    names = []
    for base in cls.__mro__[1:]:
        module = base.__module__
        if base is object or module in ("abc", *_TYPING_MODULES) or _is_sdk(module):
            continue
        if module == "builtins" or module.split(".")[0] in sys.stdlib_module_names:
            names.append(base.__qualname__ if module == "builtins" else f"{module}.{base.__name__}")
    return names


# --- signatures ------------------------------------------------------------------------------

_KINDS: Final = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def _signature(value: Callable[..., Any], *, bound: bool = False) -> list[dict[str, Json]] | None:
    try:
        signature = inspect.signature(value)
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())
    if bound and parameters and parameters[0].kind != inspect.Parameter.VAR_POSITIONAL:
        parameters = parameters[1:]  # self or cls
    return [_parameter(parameter) for parameter in parameters]


def _parameter(parameter: inspect.Parameter) -> dict[str, Json]:
    entry: dict[str, Json] = {"name": parameter.name, "kind": _KINDS[parameter.kind]}
    if parameter.default is not inspect.Parameter.empty:
        entry.update(describe_default(parameter.default))
    return entry


def describe_default(value: object) -> dict[str, Json]:
    """A default as JSON (`default`) when it is plain data, else its repr (`default_repr`).

    Shared with test/runtime/test_sdk_surface.py, which describes the runtime's defaults the
    same way before comparing them.
    """
    if isinstance(value, enum.Enum):
        value = value.value
    if _plain(value):
        return {"default": value}
    return {"default_repr": repr(value)}


def _plain(value: object) -> bool:
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list | tuple):
        return isinstance(value, list) and all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _plain(item) for key, item in value.items())
    return False


# --- classes ---------------------------------------------------------------------------------


def _resolve(where: str) -> type:
    module_name, _, name = where.partition(":")
    found = getattr(importlib.import_module(module_name), name)
    assert isinstance(found, type), where
    return found


def _class_members(cls: type, pydantic_names: frozenset[str], where: str) -> dict[str, Json]:
    members: dict[str, Json] = {}
    for name in sorted(dir(cls)):
        if (name.startswith("_") and name not in DUNDERS) or name in pydantic_names:
            continue
        owner = next((base for base in cls.__mro__ if name in base.__dict__), None)
        if owner is None or not _is_sdk(owner.__module__):
            continue
        members[name] = _member(cls, name)
    fields = getattr(cls, "model_fields", None)
    result: dict[str, Json] = {"defined_in": where, "members": members}
    if isinstance(fields, dict):
        result["fields"] = {name: _field(info) for name, info in fields.items()}
    return result


def _member(cls: type, name: str) -> dict[str, Json]:
    static = inspect.getattr_static(cls, name)
    if isinstance(static, property):
        return {"kind": "property"}
    if isinstance(static, classmethod | staticmethod):
        function = static.__func__
        kind = "classmethod" if isinstance(static, classmethod) else "staticmethod"
        return {"kind": kind, "signature": _signature(function, bound=kind == "classmethod")}
    if inspect.isfunction(static):
        kind = "async method" if inspect.iscoroutinefunction(static) else "method"
        return {"kind": kind, "signature": _signature(static, bound=True)}
    return {"kind": "attribute", "type": type(static).__name__}


def _field(info: Any) -> dict[str, Json]:
    undefined = importlib.import_module("pydantic_core").PydanticUndefined
    if info.default_factory is not None:
        made = info.default_factory()
        entry: dict[str, Json] = {"default_factory": type(made).__name__}
        nested = getattr(type(made), "model_fields", None)
        if isinstance(nested, dict):
            entry["fields"] = {name: _field(sub) for name, sub in nested.items()}
        return entry
    if info.default is undefined:
        return {"required": True}
    if isinstance(info.default, os.PathLike):
        # A path default is this machine's (the temporary folder): only its being a path counts.
        return {"default_type": "path"}
    return describe_default(info.default)


def _options(options: Any, pydantic_names: frozenset[str]) -> dict[str, Json]:
    cls = type(options)
    members = {
        name: _member(cls, name)
        for name in sorted(dir(cls))
        if not name.startswith("_")
        and name not in pydantic_names
        and name not in cls.model_fields
        and any(name in base.__dict__ for base in cls.__mro__ if _is_sdk(base.__module__))
    }
    return {
        "defined_in": f"{cls.__module__}:{cls.__qualname__}",
        "fields": {name: _field(info) for name, info in cls.model_fields.items()},
        "members": members,
    }


# --- command line ----------------------------------------------------------------------------


def _in_conformance_venv(argv: list[str]) -> int:
    """Run this script again with the conformance venv's Python (made when missing)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    ensure_venv: Callable[[Path], Path] = importlib.import_module("conformance").ensure_venv
    python = ensure_venv(Path(sys.prefix).parent / "conformance")
    env = {**os.environ, "UDF_STUDIO_SDK_SURFACE": "1"}
    env.pop("PYTHONPATH", None)  # the runtime's own `fused` must not shadow the SDK
    command = [str(python), str(Path(__file__).resolve()), *argv]
    return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print("usage: udf-studio python scripts/sdk_surface.py [--check]", file=sys.stderr)
        return 2
    if os.environ.get("UDF_STUDIO_SDK_SURFACE") != "1":
        return _in_conformance_venv(argv)
    text = render(build_surface())
    if argv == ["--check"]:
        current = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
        if current != text:
            print(f"{SNAPSHOT.relative_to(ROOT)} is stale: run scripts/sdk_surface.py")
            return 1
        print(f"{SNAPSHOT.relative_to(ROOT)} is up to date")
        return 0
    SNAPSHOT.write_text(text, encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
