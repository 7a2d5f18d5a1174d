"""`Udf.to_fused` and `Udf.delete_saved`: saving a UDF into the workspace, or removing it, through
the running engine's UDF storage routes (the official client's), so ids, collections, the
window and the watcher all follow.

"Fused" is this machine: a saved UDF is a folder of a workspace folder (of a collection folder
when one is named; "default" is the workspace itself), with its id as `fused:id`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from ._engine_api import EngineRequestError, engine_json

if TYPE_CHECKING:
    from ._udf import Udf

UDFS_PATH: Final = "/server/v1/udf"
COLLECTIONS_PATH: Final = "/server/v1/collection"
DEFAULT_COLLECTION: Final = "default"
ID_KEY: Final = "fused:id"


def save_udf(
    udf: Udf,
    *,
    overwrite: bool | None,
    collection_name: str | None,
    create_collection: bool,
) -> Udf:
    """Save `udf` as a workspace UDF of its name; it gets the saved UDF's id as `fused:id`.

    A saved UDF of that name that is this one (same id, or the folder it was loaded from) is
    replaced; a different one only with `overwrite=True` (else a `ValueError`).
    """
    from ._engine_client import RunHere, step_udf, udf_code

    purpose = f"udf.to_fused() of {udf.name!r}"
    try:
        code = udf_code(udf)
    except RunHere as why:
        raise ValueError(f"{purpose}: {why}") from None
    body = step_udf(udf, code, udf.parameters)
    body["metadata"].pop(ID_KEY, None)
    if udf.readme is not None:
        body["readme"] = udf.readme
    collection = collection_name or udf.collection_name or DEFAULT_COLLECTION
    if collection != DEFAULT_COLLECTION:
        _ensure_collection(collection, create=create_collection, purpose=purpose)
    existing = _saved_named(udf.name, purpose)
    request: dict[str, Any] = {"udf_body": json.dumps(body)}
    if existing is None:
        path = f"{UDFS_PATH}/new"
        request.update(slug=udf.name, id=udf.metadata.get(ID_KEY))
        if collection != DEFAULT_COLLECTION:
            request["collection_id"] = collection
    else:
        same = existing.get("id") == udf.metadata.get(ID_KEY) or _loaded_from_workspace(udf)
        if not (overwrite or (overwrite is None and same)):
            raise ValueError(
                f"{purpose}: a different UDF named {udf.name!r} is saved already (id "
                f"{existing.get('id')}); pass overwrite=True to replace it"
            )
        path = f"{UDFS_PATH}/by-id/{quote(str(existing['id']), safe='')}"
    record = engine_json("POST", path, request, purpose=purpose)
    udf.metadata[ID_KEY] = record["id"]
    udf.collection_name = record.get("collection_name") or collection
    udf.collection_id = record.get("collection_id") or collection
    return udf


def delete_saved_udf(udf: Udf) -> None:
    """Remove the saved UDF `udf` is (by its `fused:id`, else its name) from the workspace."""
    purpose = f"udf.delete_saved() of {udf.name!r}"
    saved_id = udf.metadata.get(ID_KEY)
    if not saved_id:
        existing = _saved_named(udf.name, purpose)
        if existing is None:
            raise ValueError(f"{purpose}: no saved UDF has this UDF's id or name")
        saved_id = existing["id"]
    engine_json("DELETE", f"{UDFS_PATH}/by-id/{quote(str(saved_id), safe='')}", purpose=purpose)


def is_saved(udf: Udf) -> bool:
    """Whether `udf` is a saved UDF: it has a `fused:id`, or was read from a workspace folder."""
    return bool(udf.metadata.get(ID_KEY)) or _loaded_from_workspace(udf)


def _saved_named(name: str, purpose: str) -> dict[str, Any] | None:
    try:
        record = engine_json(
            "GET", f"{UDFS_PATH}/exec-env/self/by-slug/{quote(name, safe='')}", purpose=purpose
        )
    except EngineRequestError as error:
        if error.status == 404:
            return None
        raise
    return record if isinstance(record, dict) else None


def _ensure_collection(name: str, *, create: bool, purpose: str) -> None:
    try:
        engine_json("GET", f"{COLLECTIONS_PATH}/by-name/{quote(name, safe='')}", purpose=purpose)
    except EngineRequestError as error:
        if error.status != 404:
            raise
        if not create:
            raise ValueError(
                f"{purpose}: there is no collection {name!r} (pass create_collection=True)"
            ) from None
        engine_json("POST", f"{COLLECTIONS_PATH}/new", {"name": name}, purpose=purpose)


def _loaded_from_workspace(udf: Udf) -> bool:
    """Whether `udf` was read from a workspace folder (or a collection's) named after it."""
    from ._load import search_folders

    if not udf.directory:
        return False
    folder = Path(udf.directory).resolve()
    if folder.name != udf.name:
        return False
    roots = {root.resolve() for root in search_folders()}
    return folder.parent in roots or folder.parent.parent in roots
