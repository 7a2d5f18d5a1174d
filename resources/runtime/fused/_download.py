"""`fused.download`: a URL fetched once to the shared disk, whoever asks for it and how often.

The file lands at `<shared disk>/<file_path>` (or in another `storage` folder, see
`_shared_disk.storage_folder`). Callers in other threads and processes that ask while it
downloads wait on the same lock file scheme as `@fused.cache` (the downloader keeps its lock
fresh while bytes arrive; a lock of a dead process is broken). Bytes are streamed to a temporary
file in the same folder and moved into place at the end, so a failed or interrupted download
leaves nothing behind.

`http`, `https` and `file` URLs use the standard library. `s3://` and `gs://` URLs use fsspec
with s3fs or gcsfs (a clear `ImportError` names the package when it is missing): with the
credentials the environment has (AWS's variables and files, `AWS_ENDPOINT_URL` for another S3
service), and anonymously when it has none, for public buckets.
"""

from __future__ import annotations

import os
import time
from importlib import import_module
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import unquote, urlsplit

from ._cache_lock import FileLock
from ._errors import NotSupportedYetError
from ._shared_disk import on_shared_disk

# A download that stops making progress this long loses its lock to a waiting caller.
LOCK_STALE_AFTER_S: Final = 120.0
SOCKET_TIMEOUT_S: Final = 60.0
CHUNK_BYTES: Final = 1 << 20
_REFRESH_EVERY_S: Final = 2.0
_WEB_SCHEMES: Final = ("http", "https", "file")
# Object stores by URL scheme, and the fsspec implementation each needs.
OBJECT_STORES: Final = {"s3": "s3fs", "gs": "gcsfs"}
_USER_AGENT: Final = "udf-studio-fused"


class DownloadError(OSError):
    """A download failed (HTTP error, no connection, cut short); nothing was written."""


def download(url: str, file_path: str, storage: str = "auto") -> str:
    """Download `url` to `file_path` on the shared disk once; the local path.

    `file_path` is relative to the shared disk or under `/mnt/cache`; ending it with `/` (or
    giving "") keeps the URL's file name. An existing file is returned without downloading.
    `storage` picks another folder as `fused.file_path`'s does ("local", "object").
    """
    if not isinstance(url, str) or not url:
        raise ValueError(f"url must be a non-empty string: {url!r}")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _WEB_SCHEMES and scheme not in OBJECT_STORES:
        known = ", ".join([*_WEB_SCHEMES, *OBJECT_STORES])
        raise NotSupportedYetError(
            f"fused.download supports {known} URLs, not {scheme or 'this'}: {url}"
        )
    name = os.fspath(file_path)
    if not name or name.endswith(("/", os.sep)):
        name += _url_file_name(url)
    target = on_shared_disk(name, storage)
    if target.is_file():
        return str(target)
    opener = _object_opener(scheme) if scheme in OBJECT_STORES else None
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(
        target.with_name(f".{target.name}.download-lock"), stale_after=LOCK_STALE_AFTER_S
    )
    with lock:
        if not target.is_file():  # another caller may have finished it while we waited
            if opener is None:
                _fetch_web(url, target, lock)
            else:
                _fetch_object(url, opener, target, lock)
    return str(target)


def _fetch_web(url: str, target: Path, lock: FileLock) -> None:
    import http.client  # imported on the first download: `import fused` stays light
    import urllib.error
    import urllib.request

    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with urllib.request.urlopen(request, timeout=SOCKET_TIMEOUT_S) as response:
            expected = _content_length(response.headers.get("Content-Length"))
            _store(response, target, lock, url, expected)
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"download of {url} failed: {exc.reason}") from None
    except http.client.IncompleteRead:
        raise DownloadError(
            f"download of {url} was interrupted: the connection closed in the middle of the body"
        ) from None
    except (http.client.HTTPException, OSError) as exc:
        detail = str(exc) or type(exc).__name__
        raise DownloadError(f"download of {url} failed: {detail}") from exc


def _fetch_object(url: str, filesystem: Any, target: Path, lock: FileLock) -> None:
    try:
        with filesystem.open(url, "rb") as source:
            _store(source, target, lock, url, None)
    except DownloadError:
        raise
    except FileNotFoundError:
        raise DownloadError(f"download of {url} failed: no such object") from None
    except PermissionError as exc:
        raise DownloadError(f"download of {url} failed: access denied ({exc})") from None
    except Exception as exc:  # each store's client has its own errors: all mean "failed"
        detail = str(exc) or type(exc).__name__
        raise DownloadError(f"download of {url} failed: {detail}") from exc


def _store(source: IO[bytes], target: Path, lock: FileLock, url: str, expected: int | None) -> None:
    """Stream `source` into `target` through a temporary file, keeping the lock fresh."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    done = False
    try:
        with temporary.open("wb") as out:
            received = 0
            refreshed = time.monotonic()
            while chunk := source.read(CHUNK_BYTES):
                out.write(chunk)
                received += len(chunk)
                if time.monotonic() - refreshed > _REFRESH_EVERY_S:
                    lock.refresh()
                    refreshed = time.monotonic()
        if expected is not None and received != expected:
            raise DownloadError(
                f"download of {url} was interrupted: got {received} of {expected} bytes"
            )
        temporary.replace(target)
        done = True
    finally:
        if not done:
            temporary.unlink(missing_ok=True)


def _object_opener(scheme: str) -> Any:
    """The fsspec filesystem for an object store's URLs, anonymous without credentials."""
    package = OBJECT_STORES[scheme]
    try:
        # By name: fsspec and its stores ship no types this package could check against.
        fsspec = import_module("fsspec")
        fsspec.get_filesystem_class(scheme)
    except ImportError:
        raise ImportError(
            f"fused.download of {scheme}:// URLs needs the {package} package, which this "
            "runtime does not have",
            name=package,
        ) from None
    options: dict[str, Any] = {}
    if scheme == "s3":
        options["anon"] = not _has_aws_credentials()
    return fsspec.filesystem(scheme, **options)


def _has_aws_credentials() -> bool:
    session = import_module("botocore.session").get_session()  # s3fs is built on botocore
    return session.get_credentials() is not None


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return None
    return length if length >= 0 else None


def _url_file_name(url: str) -> str:
    name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
    if not name or name in (".", ".."):
        raise ValueError(f"file_path names a folder and {url} has no file name to keep")
    return name
