"""`fused.options`: the settings UDF code reads, as attributes.

`cache_directory` is the shared disk (`/mnt/cache` in UDF code) and `realtime_client_id` is
"local" (the client id in the engine's Fused-style URLs). Both follow the environment, so they are
right in every process; neither can be set, and unknown names raise a clear `AttributeError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, NoReturn

from ._shared_disk import shared_disk

REALTIME_CLIENT_ID: Final = "local"
_KNOWN: Final = ("cache_directory", "realtime_client_id")


class Options:
    """UDF Studio's `fused.options`."""

    __slots__ = ()

    @property
    def cache_directory(self) -> Path:
        """The shared disk's folder (`$UDF_STUDIO_HOME/mnt/cache`)."""
        return shared_disk()

    @property
    def realtime_client_id(self) -> str:
        """The client id in the engine's URLs (`/server/v1/realtime-shared/local/...`)."""
        return REALTIME_CLIENT_ID

    def __getattr__(self, name: str) -> NoReturn:
        # Only reached for names the class does not define.
        raise AttributeError(
            f"fused.options has no option {name!r} in UDF Studio (it has: {', '.join(_KNOWN)})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        if name in _KNOWN:
            raise AttributeError(f"fused.options.{name} is fixed in UDF Studio and cannot be set")
        self.__getattr__(name)

    def __dir__(self) -> list[str]:
        return [*_KNOWN]

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in _KNOWN)
        return f"fused.options({values})"


options: Final = Options()
