"""The runtime's `fused` against the official SDK's surface, name by name.

test/conformance/sdk-surface.json holds the SDK's names, kinds and signatures (made by
scripts/sdk_surface.py from the official fused 2.9.5, and kept fresh by the conformance suite).
Every name must exist here; a callable must take every public parameter the SDK's takes, in the
same position when the SDK's takes it by position, with the same default (ours may take more,
with defaults). Names on `fused._not_local.NOT_LOCAL` must raise `NotLocalError` naming
themselves when used; the names of `fused.api` with no local meaning keep the SDK's signatures and
are on `fused.api._not_local.NOT_LOCAL` (test_api_surface.py checks that they raise).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import fused
from fused._errors import NotLocalError
from fused._not_local import NOT_LOCAL

ROOT = Path(__file__).resolve().parents[2]
SURFACE: dict[str, Any] = json.loads(
    (ROOT / "test" / "conformance" / "sdk-surface.json").read_text(encoding="utf-8")
)

# Defaults that differ on purpose, each with its reason: (callable, parameter) → why.
LOCAL_DEFAULTS: Mapping[tuple[str, str], str] = {
    ("fused.submit", "engine"): (
        "None: the running engine's workers, else threads here; the SDK's 'remote' is Fused's "
        "cloud, which here means a configured remote engine and fails without one"
    ),
}

# The not-local list must stay a short list of cloud-only services.
MAX_NOT_LOCAL = 12


@dataclass(frozen=True)
class Case:
    name: str
    official: Mapping[str, Any]
    resolve: Callable[[], Any]
    # For members: the class, so that a method's signature is read without `self`.
    owner: type | None = None


def _import(module_name: str) -> ModuleType:
    return importlib.import_module(module_name)


def _cases() -> Iterator[Case]:
    for namespace, entries in SURFACE["namespaces"].items():
        for name, official in entries.items():
            yield Case(
                f"{namespace}.{name}",
                official,
                lambda namespace=namespace, name=name: getattr(_import(namespace), name),
            )
    options = SURFACE["options"]
    for name, official in options["fields"].items():
        yield Case(
            f"fused.options.{name}",
            {"kind": "option", **official},
            lambda name=name: getattr(fused.options, name),
        )
        for sub, sub_official in official.get("fields", {}).items():
            yield Case(
                f"fused.options.{name}.{sub}",
                {"kind": "option", **sub_official},
                lambda name=name, sub=sub: getattr(getattr(fused.options, name), sub),
            )
    for name, official in options["members"].items():
        yield Case(
            f"fused.options.{name}",
            official,
            lambda name=name: getattr(fused.options, name),
            owner=type(fused.options),
        )
    classes: dict[str, type] = {"Udf": fused.Udf, "JobPool": fused.JobPool}
    for class_name, described in SURFACE["classes"].items():
        cls = classes[class_name]
        for name, official in described["members"].items():
            yield Case(
                f"{class_name}.{name}",
                official,
                lambda cls=cls, name=name: inspect.getattr_static(cls, name),
                owner=cls,
            )
        for name, official in described.get("fields", {}).items():
            field = {"kind": "field", **official}
            yield Case(f"{class_name}.{name}", field, lambda name=name: name)


CASES = list(_cases())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_runtime_has_the_sdk_name(case: Case, sample_udf: fused.Udf) -> None:
    if case.name in NOT_LOCAL:
        _assert_not_local(case)
        return
    kind = case.official["kind"]
    if kind == "field":
        assert hasattr(sample_udf, case.name.partition(".")[2]), f"{case.name} is missing"
        return
    try:
        ours = case.resolve()
    except AttributeError as missing:
        if _absent_external(case.official):
            return  # as in the SDK: without the package, the name is not there
        pytest.fail(f"{case.name} is missing: {missing}")
    problems = _problems(case, ours)
    assert not problems, f"{case.name}: " + "; ".join(problems)


def test_every_not_local_name_is_an_sdk_name_and_the_list_stays_short() -> None:
    names = {case.name for case in CASES}
    assert set(NOT_LOCAL) <= names, set(NOT_LOCAL) - names
    assert len(NOT_LOCAL) <= MAX_NOT_LOCAL
    assert all(reason.strip() for reason in NOT_LOCAL.values())


def test_every_local_default_difference_names_an_sdk_parameter() -> None:
    for callable_name, parameter in LOCAL_DEFAULTS:
        case = next(case for case in CASES if case.name == callable_name)
        assert parameter in {entry["name"] for entry in case.official["signature"]}


def test_a_not_local_name_says_what_it_is_and_why() -> None:
    with pytest.raises(NotLocalError, match=r"^fused\.h3 has no local meaning in UDF Studio: .*H3"):
        fused.h3.index("s3://bucket/table")
    assert isinstance(fused.h3, ModuleType) and hasattr(fused, "h3")


# --- checks ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_udf() -> fused.Udf:
    @fused.udf
    def udf(n: int = 1) -> dict[str, int]:
        return {"n": n}

    return udf


def _assert_not_local(case: Case) -> None:
    ours = case.resolve()
    with pytest.raises(NotLocalError) as raised:
        if isinstance(ours, ModuleType):
            getattr(ours, "anything")  # noqa: B009 - the attribute read is what raises
        else:
            ours(*([None] if case.owner is not None else []))
    assert str(raised.value).startswith(f"{case.name} has no local meaning in UDF Studio: ")


def _problems(case: Case, ours: Any) -> list[str]:
    official = case.official
    kind = official["kind"]
    external = official.get("external")
    if external is not None:
        return _external_problems(external, kind, ours)
    if kind == "module":
        return [] if isinstance(ours, ModuleType) else [f"is a {type(ours).__name__}, not a module"]
    if kind == "class":
        if not isinstance(ours, type):
            return [f"is a {type(ours).__name__}, not a class"]
        problems = [
            f"is not a subclass of {base}"
            for base in official.get("bases", [])
            if not issubclass(ours, _resolve_path(base))
        ]
        return problems + _signature_problems(case, official.get("signature"), ours)
    if kind in ("function", "async function"):
        return _callable_problems(case, ours, asynchronous=kind == "async function")
    if kind in ("method", "async method", "classmethod", "staticmethod"):
        return _member_problems(case, ours)
    if kind == "property":
        return _property_problems(case)
    if kind == "value":
        return _value_problems(official, ours)
    if kind == "option":
        return _option_problems(official, ours)
    return []  # an object: that it exists is the fact


def _absent_external(official: Mapping[str, Any]) -> bool:
    external = official.get("external")
    return external is not None and importlib.util.find_spec(external.split(".")[0]) is None


def _external_problems(path: str, kind: str, ours: Any) -> list[str]:
    root = path.split(".")[0]
    if importlib.util.find_spec(root) is None:
        # The SDK leaves the name out (a module) or sets None (a class) without the package.
        return [] if ours is None or kind == "module" else [f"{root} is not installed: not None"]
    expected = importlib.import_module(path) if kind == "module" else _resolve_path(path)
    return [] if ours is expected else [f"is not {path}"]


def _resolve_path(path: str) -> Any:
    if "." not in path:
        return getattr(importlib.import_module("builtins"), path)
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(path)


def _callable_problems(case: Case, ours: Any, *, asynchronous: bool) -> list[str]:
    if not callable(ours):
        return [f"is a {type(ours).__name__}, not callable"]
    if inspect.iscoroutinefunction(ours) != asynchronous:
        return ["must be an async function" if asynchronous else "must not be an async function"]
    return _signature_problems(case, case.official.get("signature"), ours)


def _member_problems(case: Case, static: Any) -> list[str]:
    kind = case.official["kind"]
    if kind == "classmethod":
        if not isinstance(static, classmethod):
            return [f"is a {type(static).__name__}, not a classmethod"]
        function = static.__func__
    elif kind == "staticmethod":
        if not isinstance(static, staticmethod):
            return [f"is a {type(static).__name__}, not a staticmethod"]
        function = static.__func__
    else:
        function = static
    if not inspect.isfunction(function):
        return [f"is a {type(function).__name__}, not a method"]
    if inspect.iscoroutinefunction(function) != (kind == "async method"):
        return ["async-ness differs from the SDK's"]
    return _signature_problems(case, case.official.get("signature"), function, bound=True)


def _property_problems(case: Case) -> list[str]:
    attribute = case.name.rpartition(".")[2]
    owner = case.owner
    if owner is None or not isinstance(inspect.getattr_static(owner, attribute, None), property):
        return ["is not a property"]
    return []


def _value_problems(official: Mapping[str, Any], ours: Any) -> list[str]:
    if type(ours).__name__ != official["type"] and official["type"] != "NoneType":
        return [f"is a {type(ours).__name__}, not a {official['type']}"]
    if "value" in official and ours != official["value"]:
        return [f"is {ours!r}, not {official['value']!r}"]
    return []


def _option_problems(official: Mapping[str, Any], ours: Any) -> list[str]:
    if official.get("default_type") == "path":
        return [] if isinstance(ours, Path) else [f"is a {type(ours).__name__}, not a path"]
    if "default" not in official or official["default"] is None or ours is None:
        return []
    expected = type(official["default"])
    if expected is float and type(ours) is int:
        return []
    if type(ours) is expected:
        return []
    return [f"is a {type(ours).__name__}, not {expected.__name__}"]


# --- signatures --------------------------------------------------------------------------------

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}
_POSITIONAL = ("positional_only", "positional_or_keyword")


def _signature_problems(
    case: Case, official: list[Mapping[str, Any]] | None, ours: Any, *, bound: bool = False
) -> list[str]:
    if official is None:
        return []
    try:
        parameters = list(inspect.signature(ours).parameters.values())
    except (TypeError, ValueError):
        return ["has no signature to compare"]
    if bound:
        parameters = parameters[1:]
    by_name = {parameter.name: parameter for parameter in parameters}
    positional = [p for p in parameters if _KINDS[p.kind] in _POSITIONAL]
    kinds = {_KINDS[p.kind] for p in parameters}
    problems: list[str] = []
    official_positional = [entry for entry in official if entry["kind"] in _POSITIONAL]
    for entry in official:
        name, kind = entry["name"], entry["kind"]
        if kind in ("var_positional", "var_keyword"):
            if kind not in kinds:
                problems.append(f"takes no {'*args' if kind == 'var_positional' else '**kwargs'}")
            continue
        if name.startswith("_"):
            continue  # the SDK's internals: not for UDF code
        if kind == "positional_only":
            index = official_positional.index(entry)
            if index >= len(positional):
                problems.append(f"takes no positional argument {index} ({name})")
                continue
            mine = positional[index]
        else:
            found = by_name.get(name)
            if found is None:
                problems.append(f"has no parameter {name!r}")
                continue
            mine = found
            if kind == "positional_or_keyword":
                index = official_positional.index(entry)
                if index >= len(positional) or positional[index] is not mine:
                    problems.append(f"{name!r} must be positional argument {index}")
                    continue
            elif _KINDS[mine.kind] not in ("keyword_only", "positional_or_keyword"):
                problems.append(f"{name!r} must be accepted by keyword")
                continue
        problems.extend(_default_problem(case, entry, mine))
    official_names = {entry["name"] for entry in official}
    # Ours at the position of an SDK positional parameter is that parameter, whatever its name.
    matched = {p.name for p in positional[: len(official_positional)]}
    for parameter in parameters:
        extra = parameter.name not in official_names | matched and _KINDS[parameter.kind] not in (
            "var_positional",
            "var_keyword",
        )
        if extra and parameter.default is inspect.Parameter.empty:
            problems.append(f"requires {parameter.name!r}, which the SDK does not take")
    return problems


def _default_problem(
    case: Case, entry: Mapping[str, Any], mine: inspect.Parameter
) -> list[str]:
    if "default" not in entry and "default_repr" not in entry:
        return []
    if (case.name, entry["name"]) in LOCAL_DEFAULTS:
        return []
    if mine.default is inspect.Parameter.empty:
        return [f"{entry['name']!r} needs the default {_shown(entry)}"]
    ours = _describe(mine.default)
    same = (
        ours.get("default_repr") == entry.get("default_repr")
        if "default_repr" in entry
        else "default" in ours
        and isinstance(ours["default"], bool) == isinstance(entry["default"], bool)
        and ours["default"] == entry["default"]
    )
    return [] if same else [f"{entry['name']!r} defaults to {_shown(ours)}, not {_shown(entry)}"]


def _shown(entry: Mapping[str, Any]) -> str:
    return repr(entry["default"]) if "default" in entry else str(entry["default_repr"])


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "sdk_surface.py"
    spec = importlib.util.spec_from_file_location("sdk_surface", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The snapshot's own way of writing a default, so both sides are described alike.
_describe: Callable[[object], dict[str, Any]] = _load_script().describe_default
