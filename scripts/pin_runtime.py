"""Resolves the runtime's top-level packages into pinned requirements, at Fused's versions.

    udf-studio python scripts/pin_runtime.py            # requirements.in -> requirements.txt
    udf-studio python scripts/pin_runtime.py --extra ai # requirements-ai.in -> requirements-ai.txt

pip's resolver runs (`install --dry-run --report`, wheels only, for this interpreter, which should
be the runtime's Python 3.12 as in Fused's image) with every package of Fused's realtime image held
at Fused's version as a constraint, so each package the runtime installs that Fused also has
lands on Fused's version. A top-level line `name==version  # reason` departs from it; the reason
is carried beside the pin. An extra is resolved on top of the default pins, which it never moves.
When pip cannot resolve (no wheel of Fused's version for this Python, say) its message is printed
and the file is left as it was: add an override with its reason.
"""

from __future__ import annotations

import argparse
import json
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


def resolve(requirements: list[str], constraints: list[str]) -> dict[str, str]:
    """Every package pip would install for `requirements` here, with its version."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
        (folder / "constraints.txt").write_text("\n".join(constraints) + "\n")
        report = folder / "report.json"
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
             "--only-binary=:all:", "--quiet", "--disable-pip-version-check",
             "--report", str(report), "-r", str(folder / "requirements.txt"),
             "-c", str(folder / "constraints.txt")],
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit("pin_runtime: pip could not resolve the packages (see above)")
        installs = json.loads(report.read_text())["install"]
    return {normalize(item["metadata"]["name"]): item["metadata"]["version"] for item in installs}


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
    resolved = resolve(wanted, constraints)
    own = {name: version for name, version in resolved.items() if name not in base}
    header = [
        f"# Generated by scripts/pin_runtime.py{' --extra ' + args.extra if args.extra else ''} "
        f"from {source.name} with Python {sys.version_info[0]}.{sys.version_info[1]}: do not edit.",
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
