"""`fused.load`: a UDF from a folder, a `.py` file, raw code or a workspace name.

Executed code is kept per content (code, filenames and headers), so a UDF that loads a helper UDF
on every run executes it once; each `load` still returns its own `Udf` object.
"""

from __future__ import annotations

import json
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FunctionType
from typing import Any, Final

from ._errors import UDF_ERR_BAD_FOLDER, UDF_ERR_NOT_FOUND, NotSupportedYetError, UdfLoadError
from ._folder import read_udf_folder
from ._github import github_path, is_github_url
from ._headers import Header
from ._module import UdfModule, execute_udf_code, inline_filename
from ._saved_udfs import ID_KEY, saved_record
from ._shared_tokens import is_token, udf_name_for_token
from ._udf import Udf, find_entry
from ._workspaces import search_folders

COLLECTION_FILE: Final = "collection.json"
DEFAULT_COLLECTION: Final = "default"
MODULE_CACHE_SIZE: Final = 64

_CODE_START = re.compile(
    r"^\s*(@|def\s|async\s+def\s|import\s|from\s+\S+\s+import\s)", re.MULTILINE
)
_FIRST_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)", re.MULTILINE)
_modules: OrderedDict[str, UdfModule] = OrderedDict()


def load(
    url_or_udf: str | os.PathLike[str] | Udf,
    /,
    *,
    cache_key: Any = None,
    import_globals: bool = True,
    collection_name: str | None = None,
) -> Udf:
    """Load a UDF from a folder, a `.py` file, a `.zip` of a folder, raw code, a GitHub URL, a
    shared token or a workspace name.

    A name (`name`, `team/name`, `email/name`: the last part counts) is looked up as a folder in
    the folders of `UDF_STUDIO_WORKSPACES` (os.pathsep-joined), then in `$UDF_STUDIO_HOME/udfs`
    (default `~/.udf-studio/udfs`); `collection_name` looks only in that collection (a folder
    with a collection.json; "default" is the whole workspace). With an engine running, a name or
    an id is the engine's saved UDF instead (`udf_from_record`). A shared token
    (`fsh_...`) is the workspace UDF it runs. A GitHub folder or file URL (`/tree/` or `/blob/`)
    is fetched once and kept (see `_github`); other URLs raise `NotSupportedYetError`. With
    `import_globals` the module's top-level names are attributes of the result. `cache_key` is
    accepted for the SDK's callers: loads are kept by content here, so no key is needed to
    refresh one. Raises `UdfLoadError` naming the file (and line) for bad meta.json, a missing
    file, a syntax error, an import error or no entry point.
    """
    if isinstance(url_or_udf, Udf):
        return url_or_udf
    text = os.fspath(url_or_udf)
    if is_github_url(text):
        return _load_github(text, import_globals=import_globals)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        raise NotSupportedYetError(
            f"only GitHub URLs can be loaded, not {text} "
            "(download the UDF's folder and load it by path instead)"
        )
    if "\n" in text or _CODE_START.match(text):
        return load_code(text, import_globals=import_globals)
    path = Path(text).expanduser()
    if path.is_dir():
        return load_folder(path, import_globals=import_globals)
    if path.is_file():
        if path.name == "meta.json":
            return load_folder(path.parent, import_globals=import_globals)
        if path.suffix == ".zip":
            return load_zip(path, import_globals=import_globals)
        return load_file(path, import_globals=import_globals)
    if text.endswith((".py", ".zip")) or text.startswith((".", "/", "~")):
        raise UdfLoadError(
            f"no such file or folder: {path}", code=UDF_ERR_NOT_FOUND, file=str(path)
        )
    if is_token(text):
        return load_name(udf_name_for_token(text), import_globals=import_globals)
    return load_name(text, import_globals=import_globals, collection=collection_name)


async def load_async(
    url_or_udf: str | os.PathLike[str] | Udf,
    /,
    *,
    cache_key: Any = None,
    import_globals: bool = True,
    collection_name: str | None = None,
) -> Udf:
    """`fused.load` to `await`: reading, fetching and executing the code happen in a thread."""
    import asyncio

    return await asyncio.to_thread(
        load,
        url_or_udf,
        cache_key=cache_key,
        import_globals=import_globals,
        collection_name=collection_name,
    )


def resolve_udf(udf: Udf | str | os.PathLike[str] | Callable[..., Any]) -> Udf:
    """The `Udf` to run for the first argument of `fused.run` and `fused.submit`: a `Udf`, a
    function, a name, a path, code or a shared token."""
    if isinstance(udf, Udf):
        return udf
    if isinstance(udf, FunctionType):
        return Udf(udf)
    if not isinstance(udf, str | os.PathLike):
        raise TypeError(f"fused.run needs a UDF, a name, a path or code, not {type(udf).__name__}")
    text = os.fspath(udf)
    if is_token(text):
        return load_name(udf_name_for_token(text))
    try:
        return load(text)
    except UdfLoadError:
        # `UDF_<name>` is a UDF's public name: the workspace UDF of that name.
        if text.startswith("UDF_") and len(text) > 4:
            return load_name(text[4:])
        raise


def load_folder(directory: str | os.PathLike[str], *, import_globals: bool = True) -> Udf:
    """Load a UDF folder (meta.json with `source` or inline `code`, headers, README)."""
    folder = read_udf_folder(Path(directory).absolute())
    filename = str(folder.code_path) if folder.code_path else inline_filename(folder.name)
    udf = build_udf(
        folder.code,
        filename=filename,
        name=folder.name,
        headers=folder.headers,
        directory=str(folder.directory),
        entrypoint=folder.entrypoint,
        import_globals=import_globals,
    )
    udf.name = folder.name
    udf.metadata = folder.metadata
    udf.parameters = {**udf.parameters, **folder.parameters}
    udf.meta = folder.meta
    udf.readme, udf.readme_name = folder.readme, folder.readme_name
    return udf


def load_file(path: str | os.PathLike[str], *, import_globals: bool = True) -> Udf:
    """Load a UDF from a single `.py` file."""
    file = Path(path).absolute()
    try:
        code = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UdfLoadError(
            f"cannot read {file}: {exc.strerror or exc}", code=UDF_ERR_BAD_FOLDER, file=str(file)
        ) from exc
    udf = build_udf(
        code,
        filename=str(file),
        name=file.stem,
        directory=str(file.parent),
        import_globals=import_globals,
    )
    if udf.name == udf.entrypoint:  # not named by `@fused.udf(name=...)`: the file names it
        udf.name = file.stem
    return udf


def load_code(code: str, *, name: str | None = None, import_globals: bool = True) -> Udf:
    """Load a UDF from source code; it is compiled as `<udf:NAME>`. A `name` given names the
    UDF; otherwise its decorator's or function's name does."""
    if name is None:
        first = _FIRST_DEF.search(code)
        label = first.group(1) if first else "udf"
    else:
        label = name
    udf = build_udf(
        code, filename=inline_filename(label), name=label, import_globals=import_globals
    )
    if name is not None:
        udf.name = name
    return udf


def load_name(name: str, *, import_globals: bool = True, collection: str | None = None) -> Udf:
    """Load a UDF by name from the workspace folders, then `$UDF_STUDIO_HOME/udfs`; with a
    `collection` (other than "default"), only from the collection folders of that name. With an
    engine running, the name (or an id) is its saved UDF, as the official client loads it."""
    record = saved_record(name, collection=collection)
    if record is not None:
        return udf_from_record(record, import_globals=import_globals)
    wanted = name.rstrip("/").rsplit("/", 1)[-1]
    candidates = [wanted]
    if wanted.startswith("UDF_"):
        candidates.append(wanted[4:])
    within = None if collection in (None, DEFAULT_COLLECTION) else collection
    for folder in search_folders():
        for candidate in candidates:
            found = _find_in(folder, candidate, within)
            if found is not None:
                if found.is_dir():
                    return load_folder(found, import_globals=import_globals)
                return load_file(found, import_globals=import_globals)
    searched = ", ".join(str(folder) for folder in search_folders()) or "no folders"
    where = f" in the collection {within!r}" if within else ""
    raise UdfLoadError(
        f"no UDF named {wanted!r}{where} (searched: {searched})", code=UDF_ERR_NOT_FOUND
    )


def load_zip(path: str | os.PathLike[str], *, import_globals: bool = True) -> Udf:
    """Load a UDF folder written as a zip file (`Udf.to_file`): unpacked once per content
    under `$UDF_STUDIO_HOME/unpacked/<sha256>/`, then loaded as a folder."""
    from ._zip_folder import unpack_udf_zip

    return load_folder(unpack_udf_zip(Path(path)), import_globals=import_globals)


def udf_from_record(record: dict[str, Any], *, import_globals: bool = True) -> Udf:
    """The `Udf` of an engine's saved-UDF record, with its id and collection. The workspace
    folder it was read from is loaded when this process sees it with the same code (a worker
    does), so its files and error lines stay the folder's; otherwise the body's code runs."""
    body = json.loads(record["udf_body"])
    name = str(body["name"])
    collection = str(record.get("collection_name") or DEFAULT_COLLECTION)
    folder = _workspace_folder(name, collection, str(body["code"]))
    if folder is not None:
        udf = load_folder(folder, import_globals=import_globals)
    else:
        udf = build_udf(
            str(body["code"]),
            filename=inline_filename(name),
            name=name,
            headers=[
                Header(str(header["module_name"]), str(header["source_code"]))
                for header in body.get("headers") or []
            ],
            entrypoint=body.get("entrypoint"),
            import_globals=import_globals,
        )
        # As fused.load sets them for a folder: the body's name, metadata, parameters, readme.
        udf.name = name
        udf.metadata = {**udf.metadata, **(body.get("metadata") or {})}
        udf.parameters = {**udf.parameters, **(body.get("parameters") or {})}
        udf.readme = body.get("readme")
    udf.metadata[ID_KEY] = record["id"]
    udf.collection_name = collection
    udf.collection_id = str(record.get("collection_id") or collection)
    return udf


def _workspace_folder(name: str, collection: str, code: str) -> Path | None:
    """This process's copy of a saved UDF's folder (a workspace folder's or a collection's) when
    its code is the engine's."""
    for root in search_folders():
        folder = root / name if collection == DEFAULT_COLLECTION else root / collection / name
        if not folder.is_dir():
            continue
        try:
            if read_udf_folder(folder.absolute()).code == code:
                return folder
        except UdfLoadError:  # a copy this process cannot read: the engine's body is the UDF
            continue
    return None


def build_udf(
    code: str,
    *,
    filename: str,
    name: str,
    headers: Sequence[Header] = (),
    directory: str | None = None,
    entrypoint: str | None = None,
    import_globals: bool = True,
) -> Udf:
    """Execute (or reuse) UDF code and return a new `Udf` for its entry point."""
    key = _content_key(code, filename, headers)
    module = _modules.get(key)
    if module is None:
        module = execute_udf_code(
            code, filename=filename, name=name, headers=headers, directory=directory
        )
        _modules[key] = module
        if len(_modules) > MODULE_CACHE_SIZE:
            _modules.popitem(last=False)[1].discard()
    else:
        _modules.move_to_end(key)
    return udf_for_module(
        module,
        entrypoint,
        code=code,
        filename=filename,
        headers=headers,
        directory=directory,
        import_globals=import_globals,
    )


def udf_for_module(
    module: UdfModule,
    entrypoint: str | None,
    *,
    code: str,
    filename: str,
    headers: Sequence[Header],
    directory: str | None,
    import_globals: bool,
    metadata: dict[str, Any] | None = None,
) -> Udf:
    """A new `Udf` for an executed module's entry point, recording where its code came from."""
    entry = find_entry(module, entrypoint, filename)
    udf = Udf(
        entry._fn,
        name=entry.name,
        code=code,
        headers=list(headers) or entry.headers,
        metadata=metadata or entry.metadata,
        parameters=entry.parameters,
        cache_max_age=entry.cache_max_age,
        engine=entry.engine,
    )
    udf.path = None if filename.startswith("<") else filename
    udf.directory = directory
    udf._module = module
    udf._import_globals = import_globals
    return udf


def _content_key(code: str, filename: str, headers: Sequence[Header]) -> str:
    import hashlib  # here: its OpenSSL binding costs every worker start a few milliseconds

    digest = hashlib.sha256()
    for part in _key_parts(code, filename, headers):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _key_parts(code: str, filename: str, headers: Sequence[Header]) -> Iterator[str]:
    yield code
    yield filename
    for header in headers:
        yield header.module_name
        yield header.path or ""
        yield header.source_code


def _find_in(folder: Path, name: str, collection: str | None = None) -> Path | None:
    if collection is not None:
        within = folder / collection
        if (within / COLLECTION_FILE).is_file() and (within / name).is_dir():
            return within / name
        return None
    direct = folder / name
    if direct.is_dir():
        return direct
    if (folder / f"{name}.py").is_file():
        return folder / f"{name}.py"
    try:
        collections = [entry for entry in folder.iterdir() if (entry / COLLECTION_FILE).is_file()]
    except OSError:
        return None
    return next((entry / name for entry in collections if (entry / name).is_dir()), None)


def _load_github(url: str, *, import_globals: bool) -> Udf:
    """A GitHub folder, or a file of one: its folder when the file is the folder's meta.json or
    the code meta.json names, else the file alone (with its folder for headers' sake)."""
    local = github_path(url)
    if local.is_dir():
        return load_folder(local, import_globals=import_globals)
    folder = local.parent
    if local.name == "meta.json" or _is_folder_source(folder, local.name):
        return load_folder(folder, import_globals=import_globals)
    if local.suffix == ".zip":
        return load_zip(local, import_globals=import_globals)
    return load_file(local, import_globals=import_globals)


def _is_folder_source(folder: Path, file_name: str) -> bool:
    if not (folder / "meta.json").is_file():
        return False
    try:
        return read_udf_folder(folder).code_path == folder / file_name
    except UdfLoadError:
        return False
