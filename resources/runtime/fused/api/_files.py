"""`fused.api.list`, `get`, `download`, `upload`, `delete` and `resolve`.

On `fd://` (the home's bucket), `/mnt/cache` (the shared disk) and local paths they work on the
files themselves; on `s3://` through s3fs (`_s3`). Listings behave as S3's do: the entries right
under a folder, folders ending with `/`, a file listing itself. Writes land whole (a temporary file
renamed into place), so a reader never sees half a file. `delete` refuses the bucket, the shared
disk and any folder that holds UDF Studio's home.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from .._shared_disk import bucket, map_path, shared_disk, studio_home
from . import _s3
from ._listing import ListDetails
from ._paths import LocalPlace, S3Place, place_of


def list_files(path: str, *, details: bool = False) -> list[str] | list[ListDetails]:
    """The names under a folder (or the file itself), in the form `path` was given in.

    With `details`, `ListDetails` (url, file_name, is_directory, size, last_modified) instead.
    Raises `FileNotFoundError` when nothing is there.
    """
    what = "fused.api.list"
    place = place_of(path, what)
    if isinstance(place, S3Place):
        return _s3.listing(place, bool(details), what)
    folder = place.path
    if folder.is_dir():
        items = [(place.child(entry.name, entry.is_dir()), entry) for entry in _sorted(folder)]
    elif folder.exists():
        items = [(place.text, folder)]
    else:
        raise FileNotFoundError(f"{what}: {_shown(place)} does not exist")
    if not details:
        return [name for name, _ in items]
    return [_details(name, entry) for name, entry in items]


def get(path: str) -> bytes:
    """The contents of a file."""
    what = "fused.api.get"
    place = place_of(path, what)
    if isinstance(place, S3Place):
        return _s3.read(place, what)
    return _existing_file(place, what).read_bytes()


def download(path: str, local_path: str | Path) -> None:
    """Copy a file to `local_path` (its folder is created)."""
    what = "fused.api.download"
    place = place_of(path, what)
    target = Path(map_path(os.fspath(local_path))).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(place, S3Place):
        _s3.download(place, target, what)
        return
    shutil.copyfile(_existing_file(place, what), target)


def upload(
    local_path: str | Path | bytes | BinaryIO | Any,
    remote_path: str,
    timeout: float | None = None,
) -> None:
    """Write a local file, bytes, a binary file object or a (Geo)DataFrame (as parquet) to a path.

    A str is a path (encode text to upload it); a `remote_path` ending with `/` receives the
    local file under its own name. `timeout` is accepted for the SDK's sake: local writes and
    s3fs have their own.
    """
    what = "fused.api.upload"
    if not isinstance(remote_path, str | os.PathLike):
        raise TypeError(
            f"{what}: remote_path must be a path (a str), not {type(remote_path).__name__}"
        )
    data, name = _upload_data(local_path, what)
    target = os.fspath(remote_path)
    if target.endswith("/"):
        if name is None:
            raise ValueError(f"{what}: {target!r} is a folder: name the file to write the data to")
        target += name
    place = place_of(target, what)
    if isinstance(place, S3Place):
        _s3.write(place, data, what)
        return
    if place.path.is_dir():
        raise IsADirectoryError(
            f"{what}: {place.text} is a folder: end it with / to upload into it, or name a file"
        )
    _write_whole(place.path, data)


def delete(path: str, max_deletion_depth: int | Literal["unlimited"] = 3) -> bool:
    """Delete a file, or a folder at most `max_deletion_depth` levels deep. False when nothing
    was there."""
    what = "fused.api.delete"
    limit = _depth_limit(max_deletion_depth, what)
    place = place_of(path, what)
    if isinstance(place, S3Place):
        return _s3.delete(place, limit, what)
    target = place.path
    _refuse_protected(place, what)
    if target.is_symlink() or target.is_file():
        target.unlink()
        return True
    if not target.exists():
        return False
    depth = _depth(target)
    if limit is not None and depth > limit:
        raise ValueError(
            f"{what}: {place.text} goes {depth} levels deep, more than max_deletion_depth={limit}; "
            "pass a larger depth or 'unlimited' to delete it"
        )
    shutil.rmtree(target)
    return True


def resolve(path: str) -> str:
    """The real location of a path: `fd://` and `/mnt/cache` paths as local paths, relative paths
    made absolute, `s3://` URLs as they are."""
    place = place_of(path, "fused.api.resolve")
    return place.url if isinstance(place, S3Place) else str(place.path)


def _sorted(folder: Path) -> list[Path]:
    return sorted(folder.iterdir(), key=lambda entry: entry.name)


def _details(name: str, entry: Path) -> ListDetails:
    try:
        info = entry.stat()
    except OSError:
        info = entry.lstat()  # a link to nothing: described as itself
    folder = stat.S_ISDIR(info.st_mode)
    return ListDetails(
        url=name,
        file_name=entry.name,
        is_directory=folder,
        size=None if folder else info.st_size,
        last_modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
    )


def _existing_file(place: LocalPlace, what: str) -> Path:
    if place.path.is_dir():
        raise IsADirectoryError(f"{what}: {place.text} is a folder (fused.api.list lists it)")
    if not place.path.exists():
        raise FileNotFoundError(f"{what}: {_shown(place)} does not exist")
    return place.path


def _shown(place: LocalPlace) -> str:
    real = str(place.path)
    return place.text if place.text == real else f"{place.text} ({real})"


def _upload_data(source: object, what: str) -> tuple[bytes, str | None]:
    """The bytes to write and, for a file, its name."""
    if isinstance(source, str | os.PathLike):
        path = Path(map_path(os.fspath(source))).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"{what}: {os.fspath(source)!r} is not a file (a str is a path: to upload the "
                "text itself, pass text.encode('utf-8'))"
            )
        return path.read_bytes(), path.name
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), None
    if hasattr(source, "to_parquet") and hasattr(source, "columns"):
        buffer = io.BytesIO()
        source.to_parquet(buffer)
        return buffer.getvalue(), None
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes | bytearray):
            raise TypeError(
                f"{what}: the file object gives {type(data).__name__}; open it in binary mode"
            )
        name = getattr(source, "name", None)
        return bytes(data), Path(name).name if isinstance(name, str) else None
    raise TypeError(
        f"{what} uploads a path, bytes, a binary file object or a (Geo)DataFrame, "
        f"not {type(source).__name__}"
    )


def _write_whole(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.urandom(6).hex()}.tmp")
    # os.open with 0o666, not mkstemp (0o600): the file gets the permissions the umask gives.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _depth_limit(value: object, what: str) -> int | None:
    if value == "unlimited":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError(
        f"{what}: max_deletion_depth must be a whole number of levels (0 or more) or "
        f"'unlimited', not {value!r}"
    )


def _depth(folder: Path) -> int:
    """How many levels of entries a folder holds (a folder of files: 1)."""
    deepest = 0
    for root, folders, files in os.walk(folder):
        if folders or files:
            deepest = max(deepest, len(Path(root).relative_to(folder).parts) + 1)
    return deepest


def _refuse_protected(place: LocalPlace, what: str) -> None:
    target = place.path.resolve()
    home = studio_home().resolve()
    if (
        target in (bucket().resolve(), shared_disk().resolve())
        or target == home
        or (target in home.parents)
    ):
        raise PermissionError(
            f"{what} does not delete {place.text}: it is the bucket, the shared disk, or holds "
            f"UDF Studio's home ({home}); delete the files inside it instead"
        )
