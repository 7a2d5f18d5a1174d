"""The checked-in snapshot of the official SDK's surface (sdk-surface.json) is what this venv's
`fused` has: test/runtime/test_sdk_surface.py compares the runtime with it, so it must not go
stale when the pinned SDK changes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from conftest import official_only

pytestmark = official_only(
    "the snapshot is of the official SDK installed in the conformance venv "
    "(test/runtime/test_sdk_surface.py compares the runtime's fused with it)"
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sdk_surface.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sdk_surface", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_snapshot_is_the_installed_sdks_surface() -> None:
    script = load_script()
    fresh = script.render(script.build_surface())
    stored = script.SNAPSHOT.read_text(encoding="utf-8")
    if fresh != stored:
        old, new = json.loads(stored), json.loads(fresh)
        changed = sorted(
            f"{part}.{name}"
            for part in ("namespaces", "classes")
            for name in {*old[part], *new[part]}
            if old[part].get(name) != new[part].get(name)
        )
        if old["options"] != new["options"]:
            changed.append("options")
        raise AssertionError(
            f"{script.SNAPSHOT.relative_to(ROOT)} is stale ({', '.join(changed)} changed): "
            "run `node bin/udf-studio.js python scripts/sdk_surface.py`, then make the "
            "runtime match (test/runtime/test_sdk_surface.py)"
        )


def test_the_snapshot_covers_every_namespace_and_class_the_runtime_is_held_to() -> None:
    surface = json.loads((ROOT / "test" / "conformance" / "sdk-surface.json").read_text())
    assert set(surface["namespaces"]) == {
        "fused", "fused.api", "fused.core", "fused.types", "fused.context", "fused._optional_deps",
    }
    assert set(surface["classes"]) == {"Udf", "JobPool"}
    assert "base_url" in surface["options"]["fields"]
    assert surface["classes"]["JobPool"]["members"]["results"]["signature"] == [
        {"name": "return_exceptions", "kind": "positional_or_keyword", "default": False}
    ]
