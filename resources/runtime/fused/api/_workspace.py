"""`fused.api.whoami`, `get_udfs` and `get_apps`: the local account and the workspace's UDFs.

Both come from the running engine, which knows the workspace folders the settings name (the
routes the official client calls, `docs/http-api.md` "Account" and "Saved UDFs"). A UDF's code
runs only when the registry is asked for that UDF, so listing a workspace executes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from .._errors import NotLocalError
from ._engine import call_json

if TYPE_CHECKING:
    from .._udf import Udf

_KEYS: Final = ("name", "id", "slug")
_LOCAL_OWNERS: Final = ("self", "team")


def whoami() -> dict[str, Any]:
    """The local account: `{"id", "email", "handle", "name"}` (the settings' email and handle,
    else the system user's name)."""
    account = call_json("fused.api.whoami", "GET", "/server/v1/user/self")
    if not isinstance(account, dict):
        raise ValueError(f"fused.api.whoami: the engine answered {type(account).__name__}")
    return account


class UdfRegistry(Mapping[str, "Udf"]):
    """UDFs by `collection/key`; each is loaded (its code run) the first time it is asked for."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        self._records = dict(records)
        self._loaded: dict[str, Udf] = {}

    def __getitem__(self, key: str) -> Udf:
        if key not in self._loaded:
            self._loaded[key] = _udf_of(self._records[key])
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"UdfRegistry({list(self._records)!r})"


def get_udfs(
    n: int | None = None,
    *,
    skip: int = 0,
    by: Literal["name", "id", "slug"] = "name",
    whose: Literal["self", "public", "community", "team"] = "self",
    collection_name: str | None = None,
) -> UdfRegistry:
    """The workspace's UDFs (not apps) as `{"collection/NAME": Udf}`; `by` picks the key (the
    UDF's name, its id, or its slug, which is its name here). `n` and `skip` page them."""
    return _registry("fused.api.get_udfs", "udf", n, skip, by, whose, collection_name)


def get_apps(
    n: int | None = None,
    *,
    skip: int = 0,
    by: Literal["name", "id", "slug"] = "name",
    whose: Literal["self", "public"] = "self",
) -> UdfRegistry:
    """The workspace's apps (UDFs whose metadata says `fused:udfType: app`), as `get_udfs`."""
    return _registry("fused.api.get_apps", "app", n, skip, by, whose, None)


def _registry(
    what: str,
    kind: str,
    n: int | None,
    skip: int,
    by: str,
    whose: str,
    collection_name: str | None,
) -> UdfRegistry:
    if by not in _KEYS:
        raise ValueError(f"{what}: by must be one of {', '.join(_KEYS)}, not {by!r}")
    if whose not in _LOCAL_OWNERS:
        raise NotLocalError(
            f"{what}(whose={whose!r}) has no local meaning in UDF Studio: the public catalogue "
            "is on GitHub (fused.load('https://github.com/fusedio/udfs/tree/main/public/NAME')); "
            "whose='self' (or 'team') lists the workspace"
        )
    query = {"udf_type": kind, "skip": str(_count(skip, "skip", what))}
    if n is not None:
        query["limit"] = str(_count(n, "n", what))
    records = call_json(what, "GET", "/server/v1/udf/self", query)
    chosen: dict[str, Mapping[str, Any]] = {}
    for record in records:
        collection = str(record.get("collection_name") or "default")
        if collection_name is not None and collection != collection_name:
            continue
        key = json.loads(record["udf_body"])["name"] if by == "name" else record[by]
        chosen[f"{collection}/{key}"] = record
    return UdfRegistry(chosen)


def _count(value: object, name: str, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(f"{what}: {name} must be a whole number (0 or more), not {value!r}")


def _udf_of(record: Mapping[str, Any]) -> Udf:
    """The UDF a record describes, with its id and collection, as `fused.load` gives it."""
    from .._load import udf_from_record

    return udf_from_record(dict(record))
