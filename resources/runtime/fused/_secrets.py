"""`fused.secrets` and `fused.user_secrets`: the home's secrets, by name.

`fused.secrets["NAME"]`, `fused.secrets.NAME` and `fused.secrets.get("NAME", default)` read
`$UDF_STUDIO_HOME/secrets.json` (see `_secret_store`), which `udf-studio secret set NAME` and the
window's Secrets view write. `dir()`, `len()`, `in` and iteration give the names, never the values.
Assigning (`fused.secrets["NAME"] = value`) and `del` change the file, as the official client
changes its kernel's secrets.

In Fused, `fused.secrets` belongs to the execution environment and `fused.user_secrets` to the
user; on this machine both are the one user's secrets of this home, so they read the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar, overload

from ._secret_store import (
    check_name,
    read_secrets,
    remove_secret,
    secrets_path,
    set_hint,
    set_secret,
)

_Default = TypeVar("_Default")


class SecretNotFoundError(KeyError, AttributeError):
    """No secret has this name. A `KeyError` for `secrets[NAME]`, an `AttributeError` for
    `secrets.NAME` (so `getattr(secrets, NAME, default)` and `hasattr` work)."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        super().__init__(reason or f"no secret named {name!r}; set it with: {set_hint(name)}")
        self.secret_name = name

    def __str__(self) -> str:
        # KeyError's own str() would quote the sentence.
        return str(self.args[0])


class _HomeSecrets:
    """Reading the home's secrets by item, attribute or `get`; listing their names."""

    def __getitem__(self, key: str) -> str:
        return _lookup(key)

    def __getattr__(self, key: str) -> str:
        # Only reached for names the class lacks. Python's protocols probe dunders
        # (copy, pickle, IPython's display hooks): those are no secrets.
        if key.startswith("__") and key.endswith("__"):
            raise AttributeError(key)
        return _lookup(key)

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: _Default) -> str | _Default: ...
    def get(self, key: str, default: object = None) -> object:
        """The secret's value, or `default` when there is none by that name."""
        try:
            return _lookup(key)
        except SecretNotFoundError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in read_secrets()

    def __dir__(self) -> list[str]:
        return sorted(read_secrets())

    def __iter__(self) -> Iterator[str]:
        yield from self.__dir__()

    def __len__(self) -> int:
        return len(read_secrets())

    def __repr__(self) -> str:
        names = ", ".join(self.__dir__()) or "none"
        return f"<{type(self).__name__} of {secrets_path()}: {names}>"


class SecretsManager(_HomeSecrets):
    """UDF Studio's `fused.secrets`: the home's secrets, also settable and removable.

    `client_id` names a Fused kernel in the official client; this machine has one set of secrets
    per home, so it is kept but does not change which secrets are read.
    """

    _client_id: str | None = None

    def __init__(self, client_id: str | None = None) -> None:
        self._client_id = client_id

    def __setitem__(self, key: str, value: str) -> None:
        set_secret(key, value)

    def __delitem__(self, key: str) -> None:
        check_name(key)
        if not remove_secret(key):
            raise SecretNotFoundError(key)


class UserSecretsManager(_HomeSecrets):
    """UDF Studio's `fused.user_secrets`: the same secrets as `fused.secrets`, read-only."""


def _lookup(key: str) -> str:
    try:
        check_name(key)
    except ValueError as exc:
        raise SecretNotFoundError(key, str(exc)) from None
    value = read_secrets().get(key)
    if value is None:
        raise SecretNotFoundError(key)
    return value


secrets = SecretsManager()
"""The home's secrets: `fused.secrets["NAME"]`, `fused.secrets.NAME`, `fused.secrets.get(...)`."""

user_secrets = UserSecretsManager()
"""The same secrets, as the official client's per-user secrets (read-only)."""
