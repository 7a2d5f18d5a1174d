"""The runtime's pins stay on Fused's versions: a pin that drifts from Fused's list fails here.

Every requirements file of the runtime (the default set, the optional extras, the dev tools) pins
each package of Fused's realtime image at the version fused-image-packages.txt gives it, or says
why not beside the pin (`# not Fused's X: reason`, with X Fused's version as the list has it now).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from fused._package_lists import (
    FUSED_IMAGE_FILE,
    ModuleMap,
    PackageListError,
    normalize,
    read_fused_image,
    read_requirement_names,
)

RUNTIME = FUSED_IMAGE_FILE.parent
PINNED_FILES = [
    "requirements.txt", "requirements-ai.txt", "requirements-dev.txt", "requirements-setup.txt"
]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)\s*(?:#\s*(.*))?$")
DEPARTURE = re.compile(r"^not Fused's (\S+): \S")
# The heavy AI stack is an optional extra (requirements-ai.txt), never in the default set.
AI_STACK = {"torch", "torchvision", "transformers", "segment-geospatial", "geoai-py", "onnxruntime"}


def pins(path: Path) -> list[tuple[int, str, str, str | None]]:
    found = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}:{number}: not `name==version  # reason`: {line!r}"
        found.append((number, normalize(match.group(1)), match.group(3), match.group(4)))
    return found


def test_fused_image_list_is_the_published_one() -> None:
    image = read_fused_image()
    assert len(image) == 702  # "Realtime: 702 packages" in Fused's packages.md
    assert image["pandas"] == "2.3.3"
    assert image["mahotas"] is None  # installed from git there


@pytest.mark.parametrize("name", PINNED_FILES)
def test_every_pin_is_fused_version_or_says_why(name: str) -> None:
    image = read_fused_image()
    drifted = []
    for number, package, version, comment in pins(RUNTIME / name):
        if package not in image or image[package] == version:
            continue
        departure = DEPARTURE.match(comment or "")
        if departure is None:
            drifted.append(f"{name}:{number}: {package}=={version}, Fused has {image[package]}")
        elif departure.group(1) != image[package]:
            drifted.append(
                f"{name}:{number}: {package}'s reason is about Fused's {departure.group(1)}, "
                f"but Fused now has {image[package]}"
            )
    assert drifted == []


def test_pins_cover_every_top_level_package() -> None:
    """requirements.txt is resolved from requirements.in (regenerate: scripts/pin_runtime.py)."""
    pinned = {package: version for _, package, version, _ in pins(RUNTIME / "requirements.txt")}
    for line in (RUNTIME / "requirements.in").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        name, _, version = spec.partition("==")
        package = normalize(name.split("[")[0])
        assert package in pinned, f"{package} is in requirements.in but not requirements.txt"
        if version:
            assert pinned[package] == version.strip()


def test_default_set_leaves_out_the_ai_stack() -> None:
    default = read_requirement_names(RUNTIME / "requirements.txt")
    extra = read_requirement_names(RUNTIME / "requirements-ai.txt")
    assert default & AI_STACK == set()
    assert {"torch", "transformers", "sentence-transformers", "geoai-py"} <= extra


def test_module_map_names_packages() -> None:
    modules = ModuleMap.read()
    assert modules.package_for("sklearn.linear_model") == "scikit-learn"
    assert modules.package_for("google.cloud.storage") == "google-cloud-storage"
    assert modules.package_for("odc.stac") == "odc-stac"
    assert modules.package_for("mapbox_vector_tile") == "mapbox-vector-tile"


def test_malformed_list_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "list.txt"
    broken.write_text("pandas==2.3.3\nthis is not a pin\n")
    with pytest.raises(PackageListError, match=r"list\.txt:2: expected `name==version`"):
        read_fused_image(broken)


def supported_pythons() -> list[str]:
    """The minor versions `requires-python` of the runtime's pyproject.toml admits."""
    text = (RUNTIME / "pyproject.toml").read_text()
    match = re.search(r'requires-python = ">=3\.(\d+),<3\.(\d+)"', text)
    assert match, "pyproject.toml states the runtime's Python range as >=3.A,<3.B"
    return [f"3.{minor}" for minor in range(int(match.group(1)), int(match.group(2)))]


@pytest.mark.parametrize("python", supported_pythons())
def test_the_pins_have_wheels_for_every_supported_python(python: str, tmp_path: Path) -> None:
    # uv resolves the exact pins for that Python on Linux from the package index, wheels only:
    # a machine without Fused's 3.12 builds its runtime from the same file.
    plain = tmp_path / "requirements.txt"
    lines = [f"{name}=={version}" for _, name, version, _ in pins(RUNTIME / "requirements.txt")]
    plain.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-header", "--only-binary",
         ":all:", "--python-version", python, "--python-platform", "x86_64-manylinux_2_28",
         str(plain), "-o", str(tmp_path / "resolved.txt")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr

