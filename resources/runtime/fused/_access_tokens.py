"""A UDF's shared tokens (`Udf.create_access_token`, `get_access_tokens`, `get_access_token`,
`shared_url`), made and listed by the running engine on Fused's token routes.

A token opens one UDF for anyone who has it, on this machine (`udf-studio token create` makes
the same tokens). The UDF is named by its `fused:id` when it has one, else by its name, as a
saved UDF of the workspace (`udf.to_fused()` saves it first if it is not one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

from ._engine_api import engine_json

if TYPE_CHECKING:
    from ._udf_like import UdfLike

TOKENS_PATH: Final = "/server/v1/udf-access-token"


@dataclass(frozen=True)
class AccessToken:
    """A shared token as the engine describes it (the SDK's `UdfAccessToken` fields)."""

    token: str
    udf_id: str | None = None
    udf_slug: str | None = None
    udf_email: str | None = None
    client_id: str | None = None
    enabled: bool = True
    public_read: bool | None = None
    access_scope: str | None = None
    cache: bool | None = None
    metadata_json: dict[str, Any] | None = None
    last_updated: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AccessToken:
        known = {name for name in cls.__dataclass_fields__ if name != "record"}
        return cls(**{k: v for k, v in record.items() if k in known}, record=dict(record))

    def get_file_url(self, *, format: str | None = None) -> str:
        """The URL that runs the UDF and answers its whole result (in `format` when given)."""
        return self._url("run", format)

    def get_tile_url(
        self,
        *,
        x: int | str | None = None,
        y: int | str | None = None,
        z: int | str | None = None,
        format: str | None = None,
    ) -> str:
        """The tile URL: literal `{z}/{x}/{y}` for map clients, or one tile's when all given."""
        given = [value is not None for value in (x, y, z)]
        if any(given) and not all(given):
            raise ValueError("give x, y and z together, or none for the {z}/{x}/{y} template")
        where = f"run/tiles/{z}/{x}/{y}" if all(given) else "run/tiles/{z}/{x}/{y}"
        return self._url(where, format)

    def _url(self, where: str, format: str | None) -> str:
        from ._options import options

        query = f"?{urlencode({'format': format})}" if format else ""
        return f"{options.shared_udf_base_url}/{quote(self.token, safe='')}/{where}{query}"


def create_access_token(
    udf: UdfLike,
    *,
    client_id: str | None,
    public_read: bool | None,
    access_scope: str | None,
    cache: bool,
    metadata_json: dict[str, Any] | None,
    enabled: bool,
) -> AccessToken:
    """A new shared token for `udf`."""
    body: dict[str, Any] = {
        "udf_slug": udf.name,
        "public_read": public_read,
        "access_scope": access_scope,
        "cache": cache,
        "metadata_json": metadata_json,
        "enabled": enabled,
    }
    saved_id = udf.metadata.get("fused:id")
    if saved_id:
        body["udf_id"] = saved_id
    if client_id is not None:
        body["client_id"] = client_id
    record = engine_json(
        "POST", f"{TOKENS_PATH}/new", body, purpose=f"a shared token for {udf.name!r}"
    )
    return AccessToken.from_record(record)


def access_tokens(udf: UdfLike) -> list[AccessToken]:
    """Every shared token of `udf`, newest first."""
    records = engine_json(
        "GET", f"{TOKENS_PATH}/self", purpose=f"the shared tokens of {udf.name!r}"
    )
    saved_id = udf.metadata.get("fused:id")
    return [
        AccessToken.from_record(record)
        for record in records
        if (saved_id and record.get("udf_id") == saved_id) or record.get("udf_slug") == udf.name
    ]
