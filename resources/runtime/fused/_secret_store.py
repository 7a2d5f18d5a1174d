"""The home's secrets: names and values in `$UDF_STUDIO_HOME/secrets.json` (mode 0600).

The engine (`udf-studio secret`, the window's Secrets view) and this module share the file:
`{"secrets": {"NAME": "value", ...}}`, replaced atomically on every change. Readers take it
afresh when it changed (one `stat` otherwise), so a worker sees a secret set a moment ago without
a restart. Nothing here puts a value in a message: errors name the file, a secret's name and what
is wrong, never the content.

`mask` replaces stored values in text a run sends back (its prints, its error), so a UDF that
prints or raises a secret does not carry it into the engine's answers, logs or result cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from ._shared_disk import studio_home

SECRETS_FILE: Final = "secrets.json"
NAME_PATTERN: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
NAME_RULE: Final = "a letter or _, then letters, digits, _ or - (at most 128)"
MAX_VALUE_BYTES: Final = 65_536
MASK: Final = "***"
# Shorter values are left alone: masking every "abc" in a run's output would garble it.
MIN_MASKED_LENGTH: Final = 4

_EMPTY: Final[Mapping[str, str]] = MappingProxyType({})
_memo: tuple[tuple[str, int, int, int], Mapping[str, str]] | None = None
_write_lock = threading.Lock()


class SecretsFileError(RuntimeError):
    """The secrets file exists but cannot be read as secrets (a hand edit gone wrong)."""


def secrets_path() -> Path:
    """`$UDF_STUDIO_HOME/secrets.json`."""
    return studio_home() / SECRETS_FILE


def set_hint(name: str) -> str:
    """How a user sets the secret `name`."""
    return f"udf-studio secret set {name} (or add it in the window's Secrets view)"


def check_name(name: object) -> str:
    """The name, if a secret can have it; else a `ValueError` that says what names look like."""
    if not isinstance(name, str):
        raise TypeError(f"secret names are strings, not {type(name).__name__}")
    if NAME_PATTERN.fullmatch(name) is None:
        raise ValueError(f"{name!r} is not a secret name: use {NAME_RULE}")
    return name


def read_secrets() -> Mapping[str, str]:
    """Every secret (read-only), from the file as it is now; empty when there is no file."""
    global _memo
    path = secrets_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _EMPTY
    signature = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    memo = _memo
    if memo is not None and memo[0] == signature:
        return memo[1]
    secrets = MappingProxyType(_parse(path))
    _memo = (signature, secrets)
    return secrets


def set_secret(name: str, value: object) -> None:
    """Store `value` (a string) under `name`, replacing any, checking both first."""
    check_name(name)
    if not isinstance(value, str):
        kind = type(value).__name__
        raise TypeError(f"the value of secret {name!r} must be a string, not {kind}")
    if not value:
        raise ValueError(f"the value of secret {name!r} is empty")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
        raise ValueError(f"the value of secret {name!r} is over {MAX_VALUE_BYTES} bytes")
    with _write_lock:
        _write({**read_secrets(), name: value})


def remove_secret(name: str) -> bool:
    """Forget `name`; False when there was no such secret."""
    with _write_lock:
        secrets = dict(read_secrets())
        if secrets.pop(name, None) is None:
            return False
        _write(secrets)
        return True


def mask(text: str) -> str:
    """`text` with every stored value (of `MIN_MASKED_LENGTH` characters or more) as `***`."""
    if not text:
        return text
    try:
        secrets = read_secrets()
    except SecretsFileError:
        return text
    # Longest first, so a value that contains another is masked whole.
    for value in sorted(secrets.values(), key=len, reverse=True):
        if len(value) >= MIN_MASKED_LENGTH and value in text:
            text = text.replace(value, MASK)
    return text


def _parse(path: Path) -> dict[str, str]:
    fix = "fix it, or remove it and set the secrets again"
    try:
        parsed = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        # The decoder's own message names a position, never the text around it.
        where = f"line {exc.lineno} column {exc.colno}"
        raise SecretsFileError(f"{path} is not valid JSON ({exc.msg} at {where}); {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretsFileError(f"{path} cannot be read ({type(exc).__name__}); {fix}") from None
    entries = parsed.get("secrets") if isinstance(parsed, dict) else None
    if not isinstance(entries, dict):
        raise SecretsFileError(f'{path} must hold {{"secrets": {{"NAME": "value"}}}}; {fix}')
    for name, value in entries.items():
        if not isinstance(value, str):
            raise SecretsFileError(f"{path}: the value of secret {name!r} is not a string; {fix}")
    return dict(entries)


def _write(secrets: Mapping[str, str]) -> None:
    """Replace the file atomically; the new file is readable by its owner only from the start."""
    global _memo
    _memo = None
    path = secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{SECRETS_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
    text = json.dumps({"secrets": dict(sorted(secrets.items()))}, indent=2) + "\n"
    try:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
