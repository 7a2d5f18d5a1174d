"""Reading and writing the UDF folder format (meta.json, code file, header files, README).

Reading keeps the whole meta.json; writing starts from it and changes only the values that differ
from what reading it gives, so unknown keys, inline code and file names survive a round trip.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeGuard

from ._errors import UDF_ERR_BAD_FOLDER, UDF_ERR_NODE_TEMPLATE, UdfLoadError
from ._headers import Header, headers_from_arguments

if TYPE_CHECKING:
    from ._udf_like import UdfLike

META_FILE: Final = "meta.json"
META_VERSION: Final = "0.0.3"
UDF_TYPE: Final = "geopandas_v2"
README_NAMES: Final = ("README.MD", "README.md", "readme.md", "Readme.md")
NODE_TEMPLATE_KEYS: Final = ("isNodeTemplate", "fused:isNodeTemplate")


@dataclass
class UdfFolder:
    """A UDF folder as read from disk; `meta` is the whole meta.json (None without one)."""

    directory: Path
    name: str
    code: str
    code_path: Path | None
    entrypoint: str | None
    headers: list[Header]
    metadata: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] | None = None
    readme: str | None = None
    readme_name: str | None = None


def read_udf_folder(directory: Path) -> UdfFolder:
    """Read a UDF folder. Raises `UdfLoadError` naming the file (and line, for JSON errors)."""
    meta_path = directory / META_FILE
    readme_name, readme = _read_readme(directory)
    if not meta_path.is_file():
        code_path = _first_file(directory, [f"{directory.name}.py", "udf.py"])
        if code_path is None:
            raise _load_error(
                f"{directory} has no {META_FILE} and no {directory.name}.py", directory
            )
        return UdfFolder(
            directory,
            directory.name,
            _read_text(code_path),
            code_path,
            None,
            [],
            readme=readme,
            readme_name=readme_name,
        )
    meta = _read_meta(meta_path)
    step = find_udf_step(meta)
    if step is None:
        raise _load_error(f"{meta_path}: no UDF step in job_config.steps", meta_path)
    metadata = step.get("metadata") or {}
    if is_node_template(meta):
        raise UdfLoadError(
            f"{directory} is a node template (isNodeTemplate: true), not a runnable UDF",
            code=UDF_ERR_NODE_TEMPLATE,
            file=str(meta_path),
        )
    name = _loaded_name(step, directory)
    code, code_path = _read_code(step, directory, name, meta_path)
    return UdfFolder(
        directory=directory,
        name=name,
        code=code,
        code_path=code_path,
        entrypoint=step.get("entrypoint") or None,
        headers=headers_from_arguments(step.get("headers") or [], directory),
        metadata=dict(metadata),
        parameters=dict(step.get("parameters") or {}),
        meta=meta,
        readme=readme,
        readme_name=readme_name,
    )


def find_udf_step(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The `udf` object of meta.json's first UDF step (older flat layouts are accepted too)."""
    job = meta.get("job_config")
    if isinstance(job, dict):
        for step in job.get("steps") or []:
            step_udf = step.get("udf") if isinstance(step, dict) else None
            if isinstance(step_udf, dict):
                return step_udf
    flat = meta.get("udf")
    if isinstance(flat, dict):
        return flat
    if any(key in meta for key in ("code", "source", "entrypoint")):
        return meta
    return None


def is_node_template(meta: dict[str, Any]) -> bool:
    """Whether meta.json describes a node template (notes, widgets) rather than a Python UDF."""
    places: list[Any] = [meta]
    job = meta.get("job_config")
    if isinstance(job, dict):
        places.extend(step for step in job.get("steps") or [] if isinstance(step, dict))
    step_udf = find_udf_step(meta)
    if step_udf is not None:
        places.extend([step_udf, step_udf.get("metadata")])
    return any(
        isinstance(place, dict) and place.get(key) is True
        for place in places
        for key in NODE_TEMPLATE_KEYS
    )


def write_udf_folder(udf: UdfLike, where: Path | None, overwrite: bool) -> Path:
    """Write `udf` as a folder at `where` (default `./<name>`); see `Udf.to_directory`."""
    target = where if where is not None else Path.cwd() / udf.name
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{target} exists and is not a folder")
        if not overwrite and any(target.iterdir()):
            raise FileExistsError(f"{target} is not empty; pass overwrite=True to write into it")
    target.mkdir(parents=True, exist_ok=True)
    meta = copy.deepcopy(udf.meta) if udf.meta else None
    step = find_udf_step(meta) if meta is not None else None
    if meta is None or step is None:
        meta, step = _new_meta(udf)
    _update(step, "name", udf.name, _loaded_name(step, target))
    _update(step, "entrypoint", udf.entrypoint, step.get("entrypoint") or None)
    _update(step, "parameters", udf.parameters, step.get("parameters") or {})
    _update(step, "metadata", udf.metadata, step.get("metadata") or {})
    if "code" in step and "source" not in step:
        step["code"] = udf.code
    else:
        written = step.get("source")
        source = written if _is_plain_name(written) else f"{udf.name}.py"
        (target / source).write_text(udf.code, encoding="utf-8")
        step["source"] = source
        step.pop("code", None)
    step["headers"] = _write_headers(udf.headers, step.get("headers") or [], target)
    (target / META_FILE).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    readme = udf.metadata.get("fused:description") or udf.readme
    if isinstance(readme, str) and readme:
        (target / (udf.readme_name or "README.md")).write_text(readme, encoding="utf-8")
    return target


def zip_udf_folder(udf: UdfLike, target: Path | BinaryIO) -> Path | None:
    """Write the UDF folder into a zip file, files at the archive's root: at a path (returned)
    or into a binary file object (None)."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="udf-studio-") as scratch:
        folder = write_udf_folder(udf, Path(scratch) / "udf", overwrite=False)
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, arcname=file.name)
    return target if isinstance(target, Path) else None


def _new_meta(udf: UdfLike) -> tuple[dict[str, Any], dict[str, Any]]:
    step_udf: dict[str, Any] = {
        "type": UDF_TYPE,
        "name": udf.name,
        "entrypoint": udf.entrypoint,
        "parameters": copy.deepcopy(udf.parameters),
        "source": f"{udf.name}.py",
        "headers": [],
        "metadata": copy.deepcopy(udf.metadata),
    }
    meta = {
        "version": META_VERSION,
        "job_config": {
            "version": META_VERSION,
            "name": None,
            "metadata": None,
            "steps": [{"type": "udf", "udf": step_udf}],
        },
    }
    return meta, step_udf


def _update(step: dict[str, Any], key: str, value: Any, as_read: Any) -> None:
    # Leave meta.json's own spelling (null, absent) alone when it reads as the same value.
    if value != as_read or key not in step:
        step[key] = copy.deepcopy(value)


def _write_headers(headers: list[Header], entries: list[Any], target: Path) -> list[Any]:
    previous = {entry.get("module_name"): entry for entry in entries if isinstance(entry, dict)}
    written: list[Any] = []
    for header in headers:
        entry = dict(previous.get(header.module_name, {}))
        entry["module_name"] = header.module_name
        if "source_code" in entry and "source_file" not in entry:
            entry["source_code"] = header.source_code
        else:
            named = header.source_file
            source_file = named if _is_plain_name(named) else f"{header.module_name}.py"
            (target / source_file).write_text(header.source_code, encoding="utf-8")
            entry["source_file"] = source_file
            entry.pop("source_code", None)
        written.append(entry)
    return written


def _is_plain_name(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and bool(name) and "/" not in name and "\\" not in name


def _loaded_name(step: dict[str, Any], directory: Path) -> str:
    metadata = step.get("metadata") or {}
    name = step.get("name") or metadata.get("fused:name") or directory.name
    return str(name)


def _read_meta(meta_path: Path) -> dict[str, Any]:
    text = _read_text(meta_path)
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UdfLoadError(
            f"{meta_path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            code=UDF_ERR_BAD_FOLDER,
            exception_class="JSONDecodeError",
            file=str(meta_path),
            line=exc.lineno,
        ) from None
    if not isinstance(meta, dict):
        raise _load_error(f"{meta_path}: meta.json must hold a JSON object", meta_path)
    return meta


def _read_code(
    step: dict[str, Any], directory: Path, name: str, meta_path: Path
) -> tuple[str, Path | None]:
    source = step.get("source")
    if isinstance(source, str) and source:
        path = directory / source
        if not path.is_file():
            raise _load_error(f"{path}: the code file named by {meta_path.name} is missing", path)
        return _read_text(path), path
    if isinstance(step.get("code"), str):
        return step["code"], None
    older = _first_file(directory, [f"udf_{name}.py", f"{name}.py", f"udf_{directory.name}.py"])
    if older is None:
        raise _load_error(
            f"{meta_path}: no code (neither udf.source nor udf.code, and no udf_{name}.py)",
            meta_path,
        )
    return _read_text(older), older


def _read_readme(directory: Path) -> tuple[str | None, str | None]:
    path = _first_file(directory, list(README_NAMES))
    if path is None:
        return None, None
    return path.name, _read_text(path)


def _first_file(directory: Path, names: list[str]) -> Path | None:
    try:
        present = {entry.name for entry in directory.iterdir()}
    except OSError:
        return None
    return next((directory / name for name in names if name in present), None)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _load_error(f"cannot read {path}: {exc.strerror or exc}", path) from exc


def _load_error(message: str, path: Path) -> UdfLoadError:
    return UdfLoadError(message, code=UDF_ERR_BAD_FOLDER, file=str(path))
