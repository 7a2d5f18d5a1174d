"""Resolves the runtime's top-level packages into pinned requirements, at Fused's versions.

    udf-studio python scripts/pin_runtime.py            # requirements.in -> requirements.txt
    udf-studio python scripts/pin_runtime.py --extra ai # requirements-ai.in -> requirements-ai.txt

uv's resolver (`uv pip compile`; setup installs uv into the runtime) runs for Fused's platform,
Python 3.12 on linux x86_64, whatever machine this is, with every package of Fused's realtime image
held at Fused's version as a constraint, so each package the runtime installs that Fused also has
lands on Fused's version. The default set must have wheels. A top-level line
`name==version  # reason` departs from Fused's version; the reason is carried beside the pin. An
extra is resolved on top of the default pins, which it never moves. When the packages do not
resolve (no wheel of Fused's version, say), uv's explanation is printed and the file is left as it
was: add an override with its reason.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "resources" / "runtime"
if str(RUNTIME) not in sys.path:
    sys.path.insert(0, str(RUNTIME))

from fused._package_lists import normalize, read_fused_image  # noqa: E402

# Fused's image: Python 3.12 on linux x86_64 (its SKILL.md); the pins are for it, from any machine.
FUSED_PYTHON = "3.12"
FUSED_PLATFORM = "x86_64-manylinux_2_28"
_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\[\],-]*)\s*(?:==\s*(\S+))?\s*(?:#\s*(.*))?$")


@dataclass(frozen=True)
class TopLevel:
    name: str
    extras: str
    version: str | None
    reason: str | None


def read_top_level(path: Path) -> list[TopLevel]:
    """The `.in` file: names, or `name==version  # reason` overrides."""
    found = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise SystemExit(f"{path}:{number}: expected `name` or `name==version  # reason`")
        spec, version, reason = match.group(1), match.group(2), match.group(3)
        name, _, extras = spec.partition("[")
        if version and not reason:
            raise SystemExit(f"{path}:{number}: a pinned version needs its reason after `#`")
        found.append(TopLevel(normalize(name), f"[{extras}" if extras else "", version, reason))
    return found


def read_pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a generated requirements file."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec:
            name, _, version = spec.partition("==")
            pins[normalize(name.split("[")[0])] = version
    return pins


def resolve(
    requirements: list[str], constraints: list[str], *, wheels_only: bool
) -> dict[str, str]:
    """Every package `requirements` need on Fused's platform, with its version (uv's resolver)."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "requirements.in").write_text("\n".join(requirements) + "\n")
        (folder / "constraints.txt").write_text("\n".join(constraints) + "\n")
        output = folder / "requirements.txt"
        command = [
            sys.executable, "-m", "uv", "pip", "compile", "--quiet", "--no-header",
            "--no-annotate", "--python-version", FUSED_PYTHON, "--python-platform", FUSED_PLATFORM,
            "-c", str(folder / "constraints.txt"), str(folder / "requirements.in"),
            "-o", str(output),
        ]
        if wheels_only:
            command[5:5] = ["--only-binary", ":all:"]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise SystemExit("pin_runtime: the packages do not resolve (uv says why above)")
        return read_pins(output)


def pinned_lines(
    resolved: dict[str, str], top: list[TopLevel], fused: dict[str, str | None]
) -> list[str]:
    reasons = {item.name: item.reason for item in top if item.reason}
    extras = {item.name: item.extras for item in top}
    lines = []
    for name, version in sorted(resolved.items()):
        line = f"{name}{extras.get(name, '')}=={version}"
        wanted = fused.get(name)
        if name in reasons:
            reason = reasons[name]
            line += f"  # not Fused's {wanted}: {reason}" if wanted else f"  # {reason}"
        elif name in fused and wanted != version:
            raise SystemExit(
                f"pin_runtime: {name} resolved to {version}, Fused has {wanted}; "
                "pin it in the .in file with the reason"
            )
        lines.append(line)
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", help="resolve requirements-EXTRA.in on top of the default pins")
    args = parser.parse_args(argv)
    suffix = f"-{args.extra}" if args.extra else ""
    source = RUNTIME / f"requirements{suffix}.in"
    target = RUNTIME / f"requirements{suffix}.txt"
    fused = read_fused_image()
    top = read_top_level(source)
    overridden = {item.name for item in top if item.version}
    constraints = [
        f"{name}=={version}"
        for name, version in fused.items()
        # A local label (torch's `+cpu`) names a build from PyTorch's own index, not this one.
        if version and "+" not in version and name not in overridden
    ]
    base: dict[str, str] = {}
    if args.extra:
        # The default pins hold as they are (duckdb's departure included): the extra adds only.
        base = read_pins(RUNTIME / "requirements.txt")
        constraints = [line for line in constraints if line.split("==")[0] not in base]
        constraints += [f"{name}=={version}" for name, version in base.items()]
    wanted = [
        f"{item.name}{item.extras}" + (f"=={item.version}" if item.version else "") for item in top
    ]
    if args.extra:
        wanted.append(f"-r {RUNTIME / 'requirements.txt'}")
    # The default set must have wheels for Fused's Python; an extra may build pure-Python sources
    # (antlr4-python3-runtime, which torchgeo needs through hydra-core, has no wheel).
    resolved = resolve(wanted, constraints, wheels_only=not args.extra)
    own = {name: version for name, version in resolved.items() if name not in base}
    header = [
        f"# Generated by scripts/pin_runtime.py{' --extra ' + args.extra if args.extra else ''} "
        f"from {source.name} for Python {FUSED_PYTHON} ({FUSED_PLATFORM}): do not edit.",
        "# Every package of Fused's realtime image is at Fused's version (fused-image-packages)",
        "# unless the reason stands beside it; test_requirements_drift.py checks both.",
    ]
    if args.extra:
        header.append("# Installed on top of requirements.txt: `udf-studio install --extra "
                      f"{args.extra}`.")
    target.write_text("\n".join([*header, *pinned_lines(own, top, fused)]) + "\n")
    print(f"pin_runtime: {len(own)} packages pinned in {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
