"""Shared tokens of this machine: telling one from a name, and the workspace UDF it names.

A token is looked up in the engine's SQLite database (read-only; only its SHA-256 is stored), so
`fused.load` and `fused.run` of a token work without the engine running.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3

from ._errors import UDF_ERR_NOT_FOUND, UdfLoadError
from ._shared_disk import studio_home

DATABASE = "udf-studio.sqlite"
_HEX_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def is_token(text: str) -> bool:
    """Whether a string is a shared token (`fsh_...` or 64 hex characters)."""
    return text.startswith("fsh_") or bool(_HEX_TOKEN.match(text))


def udf_name_for_token(token: str) -> str:
    """The workspace UDF a token runs, read from the engine's database."""
    path = studio_home() / DATABASE
    digest = hashlib.sha256(token.encode()).hexdigest()
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = connection.execute(
                "SELECT udf_slug, enabled FROM shared_tokens WHERE token_hash = ?", (digest,)
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        row = None
    if row is None:
        raise UdfLoadError(
            f"no shared token {token[:12]}... in {path} (tokens are made with "
            "'udf-studio token create NAME')",
            code=UDF_ERR_NOT_FOUND,
        )
    if not row[1]:
        raise UdfLoadError(f"the shared token {token[:12]}... is disabled", code=UDF_ERR_NOT_FOUND)
    return str(row[0])
