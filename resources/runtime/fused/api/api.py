"""`fused.api.api`: the client of Fused's hosted API, which has no local meaning (`fused.api`'s
functions do the local thing, and the official client can talk to this engine)."""

from __future__ import annotations

from ._not_local import NotLocalObject, not_local


class FusedAPI(NotLocalObject):
    """The client of Fused's hosted API (not local)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        shared_udf_base_url: str | None = None,
        set_global_api: bool = True,
        credentials_needed: bool = True,
    ) -> None:
        raise not_local("FusedAPI")
