"""`fused.api` has every public name of the official SDK's, with compatible signatures (parameter
names, kinds and defaults), and each name with no local meaning raises `NotLocalError` naming it.

The official names come from the conformance venv (`scripts/conformance.py` builds it beside the
runtime, with the SDK from PyPI); without it the comparison is skipped.
"""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RUNTIME_DIR
from fused._errors import NotLocalError
from fused.api._not_local import NOT_LOCAL

CONFORMANCE_PYTHON = Path(RUNTIME_DIR).parent / "conformance" / "bin" / "python"
# Run in the conformance venv: each public name's kind and, for callables, its parameters.
_DESCRIBE = r"""
import inspect, json, types
import fused.api as api

def describe(value):
    if isinstance(value, types.ModuleType):
        return {"kind": "module"}
    kind = "class" if inspect.isclass(value) else "callable" if callable(value) else "object"
    if kind == "object":
        return {"kind": kind}
    parameters = inspect.signature(value).parameters.values()
    return {"kind": kind, "parameters": [
        [p.name, p.kind.name, None if p.default is p.empty else repr(p.default)] for p in parameters
    ]}

names = [n for n in dir(api) if not n.startswith("_") or n in api.__all__]
print(json.dumps({name: describe(getattr(api, name)) for name in names}))
"""


def official_surface() -> dict[str, Any]:
    if not CONFORMANCE_PYTHON.exists():
        pytest.skip(
            f"no conformance venv at {CONFORMANCE_PYTHON.parent.parent} "
            "(scripts/conformance.py makes it)"
        )
    done = subprocess.run(
        [str(CONFORMANCE_PYTHON), "-I", "-c", _DESCRIBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    surface: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return surface


def parameters_of(value: Any) -> list[list[Any]]:
    return [
        [p.name, p.kind.name, None if p.default is p.empty else repr(p.default)]
        for p in inspect.signature(value).parameters.values()
    ]


def test_every_official_name_is_here_with_its_signature():
    official = official_surface()
    assert len(official) > 50
    missing = sorted(set(official) - set(dir(fused.api)))
    assert missing == []
    for name, facts in official.items():
        ours = getattr(fused.api, name)
        kind = (
            "module"
            if inspect.ismodule(ours)
            else "class"
            if inspect.isclass(ours)
            else "callable"
            if callable(ours)
            else "object"
        )
        assert facts["kind"] == kind, name
        if facts["kind"] in ("callable", "class"):
            assert parameters_of(ours) == facts["parameters"], name


def not_local_call(name: str) -> None:
    """Call (or make) `fused.api.NAME` with placeholders for its required parameters."""
    target = getattr(fused.api, name)
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for parameter in inspect.signature(target).parameters.values():
        if parameter.default is not parameter.empty or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        if parameter.kind is parameter.KEYWORD_ONLY:
            keywords[parameter.name] = "x"
        else:
            positional.append("x")
    target(*positional, **keywords)


@pytest.mark.parametrize("name", sorted(NOT_LOCAL))
def test_names_with_no_local_meaning_say_so(name: str):
    with pytest.raises(
        NotLocalError, match=rf"^fused\.api\.{name} has no local meaning in UDF Studio: \w"
    ) as raised:
        not_local_call(name)
    assert isinstance(raised.value, NotImplementedError)


def test_the_not_local_list_is_short_and_the_rest_is_local():
    local = {
        "list",
        "get",
        "download",
        "upload",
        "delete",
        "resolve",
        "sign_url",
        "sign_url_prefix",
        "whoami",
        "get_udfs",
        "get_apps",
        "access_token",
        "auth_scheme",
        "AUTHORIZATION",
        "FdFileSystem",
        "job_cancel",
        "job_get_exec_time",
        "job_get_logs",
        "job_get_results",
        "job_get_status",
        "job_print_logs",
        "job_tail_logs",
        "job_wait_for_job",
        "job_wait_for_results",
        "api",
        "credentials",
        "docker_api",
    }
    assert set(NOT_LOCAL).isdisjoint(local)
    assert set(NOT_LOCAL) | local == set(fused.api.__all__) - {
        "ListDetails",
        "RunResponse",
        "UdfRegistry",
    }
