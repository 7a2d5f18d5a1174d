"""`fused.secrets` and `fused.user_secrets`: the home's `secrets.json`, here and in a worker."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import ROOT, WorkerProcess, udf_request
from fused._secret_store import SecretsFileError, mask
from fused._secrets import SecretNotFoundError, SecretsManager, UserSecretsManager

VALUE = "s3cr3t-Value-4217"


def secrets_file() -> Path:
    return Path(os.environ["UDF_STUDIO_HOME"]) / "secrets.json"


def store(secrets: dict[str, Any]) -> None:
    secrets_file().parent.mkdir(parents=True, exist_ok=True)
    secrets_file().write_text(json.dumps({"secrets": secrets}))


def run(worker: WorkerProcess, code: str, request_id: int) -> dict[str, Any]:
    header, payload = worker.request(
        {"op": "run", "id": request_id, "udf": udf_request(code, name=f"u{request_id}")}
    )
    if header["ok"]:
        header["result"] = json.loads(payload)
    return header


def test_item_attribute_and_get_read_the_home_file():
    store({"API_KEY": VALUE, "other": "x"})
    assert fused.secrets["API_KEY"] == VALUE
    assert fused.secrets.API_KEY == VALUE
    assert fused.secrets.get("API_KEY") == VALUE
    assert fused.secrets.get("API_KEY", "fallback") == VALUE
    assert fused.user_secrets["API_KEY"] == VALUE
    assert fused.user_secrets.API_KEY == VALUE


def test_names_are_listed_never_values():
    store({"b_key": VALUE, "A_KEY": "x"})
    assert dir(fused.secrets) == ["A_KEY", "b_key"]
    assert list(fused.secrets) == ["A_KEY", "b_key"]
    assert len(fused.secrets) == 2
    assert "b_key" in fused.secrets
    assert "nope" not in fused.secrets
    assert 1 not in fused.secrets
    assert dir(fused.user_secrets) == ["A_KEY", "b_key"]
    shown = repr(fused.secrets)
    assert "A_KEY" in shown and "b_key" in shown and VALUE not in shown


def test_a_missing_secret_is_a_key_error_naming_it_and_how_to_set_it():
    with pytest.raises(KeyError) as caught:
        fused.secrets["MISSING"]
    assert isinstance(caught.value, SecretNotFoundError)
    assert caught.value.secret_name == "MISSING"
    message = str(caught.value)
    assert message == (
        "no secret named 'MISSING'; set it with: udf-studio secret set MISSING "
        "(or add it in the window's Secrets view)"
    )
    # Attribute access raises an AttributeError too, so getattr's default and hasattr work.
    with pytest.raises(AttributeError, match="udf-studio secret set MISSING"):
        _ = fused.secrets.MISSING
    assert getattr(fused.secrets, "MISSING", "default") == "default"
    assert not hasattr(fused.user_secrets, "MISSING")
    assert fused.secrets.get("MISSING") is None
    assert fused.secrets.get("MISSING", "default") == "default"
    with pytest.raises(KeyError, match="udf-studio secret set MISSING"):
        fused.user_secrets["MISSING"]


def test_a_name_no_secret_can_have_says_what_names_look_like():
    with pytest.raises(KeyError, match=r"'my key' is not a secret name: use a letter or _"):
        fused.secrets["my key"]
    with pytest.raises(TypeError, match="secret names are strings, not int"):
        fused.secrets[1]  # type: ignore[index]
    assert fused.secrets.get("my key", "default") == "default"


def test_protocol_probes_are_no_secret_lookups():
    store({})
    import copy
    import pickle

    assert isinstance(copy.copy(fused.secrets), SecretsManager)
    assert isinstance(pickle.loads(pickle.dumps(fused.user_secrets)), UserSecretsManager)
    assert not hasattr(fused.secrets, "_repr_html_")


def test_assigning_and_deleting_change_the_file_atomically_and_privately():
    fused.secrets["NEW"] = VALUE
    assert fused.secrets["NEW"] == VALUE
    assert stat.S_IMODE(secrets_file().stat().st_mode) == 0o600
    assert json.loads(secrets_file().read_text()) == {"secrets": {"NEW": VALUE}}
    fused.secrets["NEW"] = "replaced"
    assert fused.secrets.NEW == "replaced"
    del fused.secrets["NEW"]
    assert "NEW" not in fused.secrets
    assert [path.name for path in secrets_file().parent.iterdir()] == ["secrets.json"]
    with pytest.raises(KeyError, match="no secret named 'NEW'"):
        del fused.secrets["NEW"]
    with pytest.raises(ValueError, match="is empty"):
        fused.secrets["EMPTY"] = ""
    with pytest.raises(ValueError, match="is not a secret name"):
        fused.secrets["bad name"] = VALUE
    with pytest.raises(TypeError):
        fused.user_secrets["X"] = VALUE  # type: ignore[index]


def test_a_change_by_another_process_is_seen_at_the_next_access():
    store({"K": "one"})
    assert fused.secrets["K"] == "one"
    store({"K": "a longer second value"})
    assert fused.secrets["K"] == "a longer second value"
    secrets_file().unlink()
    assert len(fused.secrets) == 0


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        ('{"secrets": {"K": "' + VALUE, "is not valid JSON (Unterminated string"),
        (f'["{VALUE}"]', 'must hold {"secrets": {"NAME": "value"}}'),
        (json.dumps({"secrets": {"K": [VALUE]}}), "the value of secret 'K' is not a string"),
    ],
)
def test_a_broken_file_is_named_without_quoting_its_content(content: str, fault: str):
    secrets_file().parent.mkdir(parents=True, exist_ok=True)
    secrets_file().write_text(content)
    with pytest.raises(SecretsFileError) as caught:
        fused.secrets["K"]
    assert fault in str(caught.value)
    assert str(secrets_file()) in str(caught.value)
    assert VALUE not in str(caught.value)
    assert mask(f"text with {VALUE}") == f"text with {VALUE}"


def test_mask_replaces_stored_values_longest_first():
    store({"SHORT": "abc", "LONG": VALUE, "INNER": VALUE[:8]})
    assert mask(f"key={VALUE}; prefix={VALUE[:8]}; abc") == "key=***; prefix=***; abc"


# --- a real worker ------------------------------------------------------------------------------

READER = textwrap.dedent(
    """\
    import hashlib

    @fused.udf
    def udf():
        value = fused.secrets["API_KEY"]
        return {
            "sha256": hashlib.sha256(value.encode()).hexdigest(),
            "attribute": fused.secrets.API_KEY == value,
            "get": fused.secrets.get("API_KEY") == value,
            "default": fused.secrets.get("NOT_SET", "fallback"),
        }
    """
)

LEAKER = textwrap.dedent(
    """\
    @fused.udf
    def udf():
        key = fused.secrets["API_KEY"]
        print("debugging with", key)
        raise ValueError(f"the service refused {key}")
    """
)


def secret_cli(*args: str, value: str | None = None) -> subprocess.CompletedProcess[str]:
    """`udf-studio secret ...` as a real process, the value piped to its stdin."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    return subprocess.run(
        [node, str(ROOT / "bin" / "udf-studio.js"), "secret", *args],
        input=value,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=60,
        check=False,
    )


def test_a_worker_reads_a_secret_set_with_the_cli_without_a_restart(worker: WorkerProcess):
    missing = run(worker, READER, 1)
    assert missing["ok"] is False
    error = missing["error"]
    assert error["exceptionClass"] == "SecretNotFoundError"
    assert error["message"] == (
        "no secret named 'API_KEY'; set it with: udf-studio secret set API_KEY "
        "(or add it in the window's Secrets view)"
    )
    assert error["line"] == 5

    done = secret_cli("set", "API_KEY", value=VALUE + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "set secret API_KEY\n"
    assert VALUE not in done.stdout + done.stderr

    seen = run(worker, READER, 2)
    assert seen["ok"] is True, seen
    import hashlib

    assert seen["result"] == {
        "sha256": hashlib.sha256(VALUE.encode()).hexdigest(),
        "attribute": True,
        "get": True,
        "default": "fallback",
    }


def test_a_value_the_udf_prints_or_raises_is_masked_in_the_answer(worker: WorkerProcess):
    store({"API_KEY": VALUE})
    leaked = run(worker, LEAKER, 1)
    assert leaked["ok"] is False
    assert leaked["stdout"] == "debugging with ***\n"
    assert leaked["error"]["message"] == "the service refused ***"
    assert "the service refused ***" in leaked["error"]["traceback"]
    assert VALUE not in json.dumps(leaked)
