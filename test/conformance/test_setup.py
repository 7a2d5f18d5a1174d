"""The README's set-up: the lines `udf-studio connect` prints (and Settings copies) are all an
existing script needs to reach UDF Studio with the official client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

from conftest import Server, official_only

pytestmark = official_only(
    "the lines `udf-studio connect` prints set up the official client (fused._env); the "
    "runtime's fused finds the engine through its home with no set-up"
)

CHECK = """
account = fused.api.whoami()
print(json.dumps({"email": account["email"], "base_url": fused.options.base_url}))
"""


def run_script(script: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUSED_")}
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + script + CHECK],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_the_lines_connect_prints_reach_the_server(server: Server) -> None:
    printed = server.cli("connect")
    assert printed.returncode == 0, printed.stderr
    answer = run_script(printed.stdout)
    assert answer["base_url"] == f"{server.url}/server/v1"
    assert answer["email"].endswith("@localhost")


def test_the_lines_settings_copies_read_the_token_from_its_file(server: Server) -> None:
    request = urllib.request.Request(
        f"{server.url}/api/settings", headers={"Authorization": f"Bearer {server.private_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        lines = json.loads(response.read())["fusedClientSetup"]
    assert server.private_token not in lines
    assert run_script(lines)["base_url"] == f"{server.url}/server/v1"
