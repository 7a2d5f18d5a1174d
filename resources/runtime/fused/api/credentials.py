"""`fused.api.credentials`: the private token, which stands in for a Fused account's credentials.

`access_token()` and `auth_scheme()` give what an `Authorization` header to the engine needs
(`f"{auth_scheme()} {access_token()}"`); the token is read from `$UDF_STUDIO_HOME/credentials`,
which the engine creates when it first starts. Signing in and out has no local meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, NoReturn

from .._errors import EngineUnavailableError
from .._shared_disk import studio_home
from ._not_local import NotLocalObject, not_local

AUTH_SCHEME: Final = "Bearer"


@dataclass(frozen=True, slots=True)
class LocalCredentials:
    """The private token and the scheme it is sent with."""

    access_token: str
    auth_scheme: str = AUTH_SCHEME


class LocalAuthorization:
    """What `fused.api.AUTHORIZATION` is here: the home's private token, read when asked for."""

    def is_configured(self) -> bool:
        """Whether the home has a private token (the engine has started at least once)."""
        return _read_token() is not None

    @property
    def credentials(self) -> LocalCredentials:
        token = _read_token()
        if token is None:
            raise EngineUnavailableError(
                f"there is no private token yet: {studio_home() / 'credentials'} is missing or "
                "unreadable (the engine creates it when it first starts: `udf-studio serve`)"
            )
        return LocalCredentials(token)

    def __repr__(self) -> str:
        return f"<LocalAuthorization configured={self.is_configured()}>"


AUTHORIZATION: Final = LocalAuthorization()


def access_token() -> str:
    """The private token (for an `Authorization` header to the engine)."""
    return AUTHORIZATION.credentials.access_token


def auth_scheme() -> str:
    """The scheme the private token is sent with: `Bearer`."""
    return AUTHORIZATION.credentials.auth_scheme


def logout() -> NoReturn:
    """Signing out of a Fused account (not local)."""
    raise not_local("logout")


class NotebookCredentials(NotLocalObject):
    """Signing in to a Fused account from a notebook (not local)."""

    def __init__(
        self, *, api_kwargs: dict[str, Any] | None = None, show_widget: bool = True
    ) -> None:
        raise not_local("NotebookCredentials")


def _read_token() -> str | None:
    from .._engine_client import _read_token as read  # the one reader of the credentials file

    return read(studio_home() / "credentials")
