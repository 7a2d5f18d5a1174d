"""A real `udf-studio serve` for the conformance flows, and a `fused` client pointed at it.

The flows run with the official client from PyPI, in the conformance venv that
`scripts/conformance.py` builds. The client is set up the way the README tells a user to: the
private token in the environment, then `fused._env(URL)`. With `--runtime` the same flows run
with the runtime's own `fused`; a flow about the official client itself is `official_only`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
UDFS = Path(__file__).resolve().parent / "udfs"
START_TIMEOUT_S = 60.0
# `scripts/conformance.py --runtime`: the flows run with the runtime's own `fused`.
RUNTIME_CLIENT = os.environ.get("CONFORMANCE_CLIENT") == "runtime"
# Why a flow that uses `fused.api.FusedAPI` is the official client's only.
FUSED_API_CLASS = (
    "fused.api.FusedAPI is the official client's class for Fused's HTTP API; the runtime's "
    "raises NotLocalError for it (its fused.api functions and Udf methods do the same things)"
)


def official_only(reason: str) -> pytest.MarkDecorator:
    """Marks a flow about the official client itself (its set-up, its classes, its exact
    requests): skipped, with `reason`, when the flows run with the runtime's own `fused`."""
    return pytest.mark.skipif(RUNTIME_CLIENT, reason=f"official client only: {reason}")


@dataclass
class Server:
    url: str
    home: Path
    workspace: Path
    private_token: str
    process: subprocess.Popen[str]

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Runs `udf-studio ARGS` against this server's home."""
        return subprocess.run(
            ["node", str(ROOT / "bin" / "udf-studio.js"), *args],
            env=_server_env(self.home),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def create_token(self, udf_name: str) -> str:
        """A shared token, made over plain HTTP so that token flows are tested on their own."""
        request = urllib.request.Request(
            f"{self.url}/server/v1/udf-access-token/new",
            data=json.dumps({"udf_slug": udf_name}).encode(),
            headers={"Authorization": f"Bearer {self.private_token}",
                     "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            token: str = json.loads(response.read())["token"]
        return token


def _server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSED_")}
    env["UDF_STUDIO_HOME"] = str(home)
    return env


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    runtime = os.environ.get("UDF_STUDIO_RUNTIME")
    assert runtime, "run the conformance suite with scripts/conformance.py (it names the runtime)"
    home = Path(tempfile.mkdtemp(prefix="udf-studio-conformance-"))
    workspace = home / "workspace"
    shutil.copytree(UDFS, workspace)
    # Settings, not a flag, so that the CLI sees the same workspace as the server.
    (home / "settings.json").write_text(json.dumps({"workspaces": [str(workspace)]}))
    process = subprocess.Popen(
        ["node", str(ROOT / "bin" / "udf-studio.js"), "serve", "--port", "0", "--workers", "2"],
        env=_server_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = _wait_for_url(process)
        token = json.loads((home / "credentials").read_text())["access_token"]
        yield Server(url=url, home=home, workspace=workspace, private_token=token, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.match(r"listening on (http://\S+)", line)
        if match:
            # Keep draining the server's output so it never blocks on a full pipe.
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return match.group(1)
    raise RuntimeError("udf-studio serve did not start:\n" + "".join(seen))


@pytest.fixture(scope="session")
def fused(server: Server) -> ModuleType:
    """The `fused` package, set up as the README's "From the official fused client" says; the
    runtime's own finds the engine through its home instead."""
    if RUNTIME_CLIENT:
        os.environ["UDF_STUDIO_HOME"] = str(server.home)
        import fused as runtime_fused

        return runtime_fused
    os.environ["FUSED_AUTH_TOKEN_TYPE"] = "Fused-Env-Bearer"
    os.environ["FUSED_AUTH_TOKEN"] = server.private_token
    import fused as fused_module

    fused_module._env(server.url)
    return fused_module
