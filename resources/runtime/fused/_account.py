"""This machine as the SDK's "environment": the engine's URL and the local account.

The engine's URL is the running engine's (its `engine.json`), else the one `udf-studio serve`
would listen on (the settings' port, else 8765): `fused.options.base_url` is it plus
`/server/v1`, as the official client's is when pointed at UDF Studio. The account is the one
`GET /server/v1/user/self` answers when an engine runs, else the one the engine would answer
from the settings (`email`, else `<handle>@localhost`, the handle being the settings' or the
system user's name), so UDF code gets the same answer with or without an engine.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ._shared_disk import studio_home

DEFAULT_PORT: Final = 8765
API_PATH: Final = "/server/v1"
_HANDLE_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def engine_url() -> str:
    """The engine's base URL without a trailing slash (`http://127.0.0.1:8765`)."""
    info = _read_json(studio_home() / "engine.json")
    url = info.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url.rstrip("/")
    port = _settings().get("port")
    if not isinstance(port, int) or isinstance(port, bool):
        port = DEFAULT_PORT
    return f"http://127.0.0.1:{port}"


def user_email(answered: Mapping[str, Any] | None) -> str:
    """The local account's email: the running engine's account (`answered`, None without an
    engine; see `_engine_api.engine_account`), else the settings'."""
    email = answered.get("email") if answered else None
    if isinstance(email, str) and email:
        return email
    settings = _settings()
    configured = settings.get("email")
    if isinstance(configured, str) and configured:
        return configured
    return f"{_handle(settings)}@localhost"


def _handle(settings: dict[str, Any]) -> str:
    configured = settings.get("handle")
    if isinstance(configured, str) and configured:
        return configured
    # As the engine derives it from the system user (src-main/engine/account.ts).
    cleaned = _HANDLE_UNSAFE.sub("", _system_user()).lstrip(".-")[:64]
    return cleaned or "local"


def _system_user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or ""


def _settings() -> dict[str, Any]:
    return _read_json(studio_home() / "settings.json")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
