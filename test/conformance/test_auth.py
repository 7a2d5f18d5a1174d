"""Flow 9: every way the official client can carry the private token works; a wrong one is 401
with a sentence, on FusedAPI calls and on runs alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from conftest import Server, official_only

pytestmark = official_only(
    "the official client's own ways to carry the token (FUSED_AUTH_TOKEN*, a credentials file, "
    "fused._env); the runtime's fused reads the engine's credentials from its home"
)

WHOAMI = """
import json, sys
import fused
fused._env(sys.argv[1])
try:
    print(json.dumps({"email": fused.api.whoami()["email"]}))
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "text": str(error)}))
"""

RUN = """
import json, sys
import fused
fused._env(sys.argv[1])

@fused.udf
def udf(n: int = 1):
    return {"n": n}

try:
    print(json.dumps({"result": fused.run(udf, n=2)}))
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "text": str(error)}))
"""


def client(server: Server, script: str, env: dict[str, str]) -> dict[str, object]:
    """Runs a script in a fresh client process (a file: `@fused.udf` reads its own source)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FUSED_")}
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as file:
        file.write(script)
    try:
        done = subprocess.run(
            [sys.executable, file.name, server.url], env={**clean, **env},
            capture_output=True, text=True, timeout=120, check=False,
        )
    finally:
        Path(file.name).unlink()
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def account_email(server: Server) -> str:
    request = urllib.request.Request(
        f"{server.url}/server/v1/user/self",
        headers={"Authorization": f"Bearer {server.private_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        email: str = json.loads(response.read())["email"]
    return email


@pytest.mark.parametrize(
    "scheme", ["Fused-Env-Bearer", "Fused-Rtenv-Bearer", "Fused-Service-Token"]
)
def test_each_token_type_the_client_reads_from_the_environment(
    server: Server, scheme: str
) -> None:
    env = {"FUSED_AUTH_TOKEN_TYPE": scheme, "FUSED_AUTH_TOKEN": server.private_token}
    assert client(server, WHOAMI, env)["email"] == account_email(server)
    assert client(server, RUN, env)["result"] == {"n": 2}


def test_a_credentials_file_as_a_login_writes_it(server: Server, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text(json.dumps({
        "access_token": server.private_token, "auth_scheme": "Bearer", "refresh_token": "",
        "id_token": "", "scope": "openid", "expires_in": 86400,
        "expires_at": "2999-01-01T00:00:00+00:00",
    }))
    script = WHOAMI.replace(
        "fused._env(sys.argv[1])",
        f"fused._env(sys.argv[1])\nfused.options.auth.credentials_path = {str(credentials)!r}",
    )
    assert client(server, script, {})["email"] == account_email(server)


def test_a_wrong_token_is_refused_with_a_sentence(server: Server) -> None:
    env = {"FUSED_AUTH_TOKEN_TYPE": "Fused-Env-Bearer", "FUSED_AUTH_TOKEN": "0" * 64}
    refused = client(server, WHOAMI, env)
    assert refused["error"] == "HTTPError"
    assert "401" in str(refused["text"]) or "private token" in str(refused["text"])
    failed_run = client(server, RUN, env)
    assert failed_run["error"] == "HTTPError"
    assert "private token" in str(failed_run["text"])
