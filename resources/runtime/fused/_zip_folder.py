"""A UDF folder packed as a zip file (`Udf.to_file`, the SDK's export), unpacked to load it.

Each archive is unpacked once per content, into `$UDF_STUDIO_HOME/unpacked/<sha256>/<stem>/`,
so a UDF loaded from it has real files (tracebacks name them) that stay put while it runs. Only
plain files at safe relative paths are taken, within size limits: an archive is not trusted.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import Final

from ._errors import UDF_ERR_BAD_FOLDER, UdfLoadError
from ._shared_disk import studio_home

MAX_FILES: Final = 1000
MAX_TOTAL_BYTES: Final = 200 * 1024 * 1024
DONE_MARKER: Final = ".udf-studio-unpacked"


def unpack_udf_zip(archive: Path) -> Path:
    """The folder an archive unpacks to (unpacked now unless it was before)."""
    try:
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    except OSError as exc:
        raise _error(f"cannot read {archive}: {exc.strerror or exc}", archive) from exc
    folder = studio_home() / "unpacked" / digest / (archive.stem or "udf")
    if (folder / DONE_MARKER).is_file():
        return folder
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        _extract(archive, staging)
        (staging / DONE_MARKER).write_text(archive.name)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _extract(archive: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [member for member in opened.infolist() if not member.is_dir()]
            if len(members) > MAX_FILES:
                raise _error(f"{archive} holds more than {MAX_FILES} files", archive)
            if sum(member.file_size for member in members) > MAX_TOTAL_BYTES:
                raise _error(f"{archive} unpacks to more than {MAX_TOTAL_BYTES} bytes", archive)
            for member in members:
                relative = _safe_path(member.filename, archive)
                target = into.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with opened.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile as exc:
        raise _error(f"{archive} is not a zip file ({exc})", archive) from None


def _safe_path(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise _error(f"{archive} holds a file at an unsafe path: {name!r}", archive)
    return path


def _error(message: str, archive: Path) -> UdfLoadError:
    return UdfLoadError(message, code=UDF_ERR_BAD_FOLDER, file=str(archive))
