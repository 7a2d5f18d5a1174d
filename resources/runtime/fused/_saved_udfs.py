"""Saved UDFs through the running engine's UDF storage and lookup routes (the official client's):
`Udf.to_fused` and `Udf.delete_saved` save a UDF into the workspace or remove it, so ids,
collections, the window and the watcher all follow; `saved_record` is the engine's answer to
`fused.load` of a name (`Name`, `email/Name`, `handle/Name`, `team/Name`) or an id, as it
answers the official client (`_load` makes the UDF of it).

"Fused" is this machine: a saved UDF is a folder of a workspace folder (of a collection folder
when one is named; "default" is the workspace itself), with its id as `fused:id`.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote

from ._engine_api import EngineRequestError, engine_json
from ._workspaces import search_folders

if TYPE_CHECKING:
    from ._udf_like import UdfLike

UDFS_PATH: Final = "/server/v1/udf"
COLLECTIONS_PATH: Final = "/server/v1/collection"
DEFAULT_COLLECTION: Final = "default"
ID_KEY: Final = "fused:id"

# `save_udf` gives back the UDF it was given (a `Udf` for `Udf.to_fused`).
SavedUdf = TypeVar("SavedUdf", bound="UdfLike")


def save_udf(
    udf: SavedUdf,
    *,
    overwrite: bool | None,
    collection_name: str | None,
    create_collection: bool,
) -> SavedUdf:
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
            raise ValueError(_conflict(purpose, udf.name, existing, code))
        path = f"{UDFS_PATH}/by-id/{quote(str(existing['id']), safe='')}"
    record = engine_json("POST", path, request, purpose=purpose)
    udf.metadata[ID_KEY] = record["id"]
    udf.collection_name = record.get("collection_name") or collection
    udf.collection_id = record.get("collection_id") or collection
    return udf


def saved_record(name: str, *, collection: str | None) -> dict[str, Any] | None:
    """The engine's record of the saved UDF `name` names (or its id is), which
    `_load.udf_from_record` makes a UDF of; None when no engine runs (the caller then searches
    the local folders). An unknown UDF, owner or collection is a `UdfLoadError` with the
    engine's sentence. `UDF_NAME` (a UDF's public name) is also tried as `NAME`."""
    from ._engine_client import find_engine
    from ._errors import UDF_ERR_NOT_FOUND, UdfLoadError

    path = _lookup_path(name, collection)
    if path is None or find_engine()[0] is None:
        return None
    public = name[4:] if name.startswith("UDF_") and len(name) > 4 else None
    try:
        record = engine_json("GET", path, purpose=f"fused.load({name!r})")
    except EngineRequestError as error:
        if error.status != 404:
            raise
        if public is None:
            raise UdfLoadError(str(error), code=UDF_ERR_NOT_FOUND) from None
        return saved_record(public, collection=collection)
    if not isinstance(record, dict) or not isinstance(record.get("udf_body"), str):
        raise UdfLoadError(f"fused.load({name!r}): the engine answered without the UDF's body")
    return record


def delete_saved_udf(udf: UdfLike) -> None:
    """Remove the saved UDF `udf` is (by its `fused:id`, else its name) from the workspace."""
    purpose = f"udf.delete_saved() of {udf.name!r}"
    saved_id = udf.metadata.get(ID_KEY)
    if not saved_id:
        existing = _saved_named(udf.name, purpose)
        if existing is None:
            raise ValueError(f"{purpose}: no saved UDF has this UDF's id or name")
        saved_id = existing["id"]
    engine_json("DELETE", f"{UDFS_PATH}/by-id/{quote(str(saved_id), safe='')}", purpose=purpose)


def is_saved(udf: UdfLike) -> bool:
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


def _conflict(purpose: str, name: str, existing: dict[str, Any], code: str) -> str:
    """The refusal to replace a different saved UDF, with the diff from its code to this one's
    (as the official client shows it)."""
    import difflib

    try:
        saved = str(json.loads(existing["udf_body"])["code"])
    except (KeyError, TypeError, ValueError):
        saved = ""
    diff = difflib.unified_diff(
        (saved + "\n").splitlines(keepends=True),
        (code + "\n").splitlines(keepends=True),
        fromfile="saved",
        tofile="local",
    )
    return (
        f"{purpose}: a different UDF named {name!r} already exists (id {existing.get('id')}). "
        "A diff of the code has been provided. Use overwrite=True to replace the saved UDF "
        "with this one.\n\n" + "".join(diff)
    )


def _lookup_path(name: str, collection: str | None) -> str | None:
    """The official client's route for a saved UDF's name or id; None for what is neither."""
    owner, slash, slug = name.strip("/").rpartition("/")
    if not slug or "/" in owner:
        return None
    if not slash and _is_uuid(slug):
        return f"{UDFS_PATH}/by-id/{quote(slug, safe='')}"
    if owner in ("", "team"):
        base = f"{UDFS_PATH}/exec-env/self"
    elif "@" in owner:
        base = f"{UDFS_PATH}/by-user-email/{quote(owner, safe='')}"
    else:
        base = f"{UDFS_PATH}/by-user-handle/{quote(owner, safe='')}"
    # "team/Name" is always the default collection, as in the official client.
    within = DEFAULT_COLLECTION if owner == "team" else collection or DEFAULT_COLLECTION
    return f"{base}/by-collection/{quote(within, safe='')}/by-slug/{quote(slug, safe='')}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _ensure_collection(name: str, *, create: bool, purpose: str) -> None:
    try:
        engine_json("GET", f"{COLLECTIONS_PATH}/by-name/{quote(name, safe='')}", purpose=purpose)
    except EngineRequestError as error:
        if error.status != 404:
            raise
        if not create:
            raise ValueError(
                f"{purpose}: collection {name!r} not found (pass create_collection=True to make it)"
            ) from None
        engine_json("POST", f"{COLLECTIONS_PATH}/new", {"name": name}, purpose=purpose)


def _loaded_from_workspace(udf: UdfLike) -> bool:
    """Whether `udf` was read from a workspace folder (or a collection's) named after it."""
    if not udf.directory:
        return False
    folder = Path(udf.directory).resolve()
    if folder.name != udf.name:
        return False
    roots = {root.resolve() for root in search_folders()}
    return folder.parent in roots or folder.parent.parent in roots
