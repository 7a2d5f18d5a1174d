"""`fused.core.load_udf_from_*`: `fused.load` for one kind of source each.

"Fused" here is this machine: a UDF saved on Fused is a UDF of the workspace, found by name
(the owner, an email or a handle, is the local account whatever it says), in a collection when
one is named. `import_globals=None` means the default (True), as in the SDK.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._udf import Udf

PathLike = str | os.PathLike[str]


def load_udf_from_code(
    code: str, name: str | None = None, import_globals: bool | None = None
) -> Udf:
    """A UDF from its source code."""
    from .._load import load_code

    return load_code(code, name=name, import_globals=import_globals is not False)


def load_udf_from_file(path: PathLike, import_globals: bool | None = None) -> Udf:
    """A UDF from one `.py` file."""
    from .._load import load_file

    return load_file(path, import_globals=import_globals is not False)


def load_udf_from_directory(path: PathLike, import_globals: bool | None = None) -> Udf:
    """A UDF from its folder (meta.json, code, headers)."""
    from .._load import load_folder

    return load_folder(path, import_globals=import_globals is not False)


def load_udf_from_zip(path: PathLike, import_globals: bool | None = None) -> Udf:
    """A UDF from its folder packed as a zip file (`Udf.to_file`)."""
    from .._load import load_zip

    return load_zip(path, import_globals=import_globals is not False)


def load_udf_from_github(
    url: str, *, cache_key: Any = None, import_globals: bool | None = None
) -> Udf:
    """A UDF from a GitHub folder or file URL (fetched once, then offline; `cache_key` is not
    needed for that and is accepted for the SDK's callers)."""
    from .._github import is_github_url
    from .._load import load

    if not is_github_url(url):
        raise ValueError(f"not a GitHub URL: {url!r}")
    return load(url, import_globals=import_globals is not False)


def load_udf_from_shared_token(token: str, import_globals: bool | None = None) -> Udf:
    """The UDF a shared token of the local server runs."""
    from .._load import load_name
    from .._shared_tokens import udf_name_for_token

    return load_name(udf_name_for_token(token), import_globals=import_globals is not False)


def load_udf_from_fused(
    email_or_handle_or_id: str,
    id: str | None = None,
    *,
    cache_key: Any = None,
    import_globals: bool | None = None,
    collection_name: str | None = None,
) -> Udf:
    """A workspace UDF by name: `load_udf_from_fused("Name")` or `(owner, "Name")`."""
    from .._load import load_name

    name = email_or_handle_or_id if id is None else id
    return load_name(name, import_globals=import_globals is not False, collection=collection_name)


async def load_udf_from_fused_async(
    email_or_handle_or_id: str,
    id: str | None = None,
    *,
    cache_key: Any = None,
    import_globals: bool | None = None,
    collection_name: str | None = None,
) -> Udf:
    """`load_udf_from_fused`, awaitable (the lookup runs in a thread)."""
    return await asyncio.to_thread(
        load_udf_from_fused,
        email_or_handle_or_id,
        id,
        cache_key=cache_key,
        import_globals=import_globals,
        collection_name=collection_name,
    )
