"""Runs the conformance flows (test/conformance) with the official `fused` client from PyPI.

Builds a venv beside the runtime from test/conformance/requirements.txt (again only when that file
changes), then runs pytest there against a real `udf-studio serve`. Arguments go to pytest;
`--venv-only` builds the venv and prints its interpreter instead (the benchmarks use it);
`--runtime` runs the same flows with the runtime's own `fused` instead of the official client
(`npm run test:conformance:runtime`, part of `npm test`): the flows about the official client
itself (its set-up, `FusedAPI`, its exact requests, the SDK snapshot) are skipped there as
`official_only`, and pytest lists each with its reason.

Run it as `udf-studio python scripts/conformance.py`, so that `sys.prefix` is the runtime.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "test" / "conformance"
REQUIREMENTS = SUITE / "requirements.txt"
STAMP = "conformance-requirements.sha256"


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(venv: Path) -> Path:
    """The conformance venv, created or refilled when the requirements changed."""
    # New requirements or a new interpreter (the runtime moved to another Python) rebuild it.
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()
    stamp = venv / STAMP
    python = venv_python(venv)
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    print(f"conformance: installing the official fused client into {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", str(REQUIREMENTS)],
        check=False,
    )
    if installed.returncode != 0:
        raise SystemExit(f"conformance: pip could not install {REQUIREMENTS} (see above)")
    stamp.write_text(digest + "\n")
    return python


def main(argv: list[str]) -> int:
    runtime = Path(sys.prefix)
    env = {**os.environ, "UDF_STUDIO_RUNTIME": str(runtime)}
    if argv[:1] == ["--runtime"]:
        # The same flows with the runtime's own `fused` (`udf-studio python` put it on the path).
        python = Path(sys.executable)
        env["CONFORMANCE_CLIENT"] = "runtime"
        argv = ["-rs", *argv[1:]]  # the official-only flows, each with its reason
    else:
        python = ensure_venv(runtime.parent / "conformance")
        if argv == ["--venv-only"]:
            print(python)
            return 0
        # The venv's own packages only: the runtime's path file must not leak its `fused` in.
        env.pop("PYTHONPATH", None)
    command = [str(python), "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider",
               *argv]
    return subprocess.run(command, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
