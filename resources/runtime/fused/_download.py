"""`fused.download`: a URL fetched once to the shared disk, whoever asks for it and how often.

The file lands at `<shared disk>/<file_path>`. Callers in other threads and processes that ask
while it downloads wait on the same lock file scheme as `@fused.cache` (the downloader keeps its
lock fresh while bytes arrive; a lock of a dead process is broken). Bytes are streamed to a
temporary file in the same folder and moved into place at the end, so a failed or interrupted
download leaves nothing behind. `http`, `https` and `file` URLs, with the standard library only.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from ._cache_lock import FileLock
from ._errors import NotSupportedYetError
from ._shared_disk import on_shared_disk

# A download that stops making progress this long loses its lock to a waiting caller.
LOCK_STALE_AFTER_S: Final = 120.0
SOCKET_TIMEOUT_S: Final = 60.0
CHUNK_BYTES: Final = 1 << 20
_REFRESH_EVERY_S: Final = 2.0
_SCHEMES: Final = ("http", "https", "file")
_USER_AGENT: Final = "udf-studio-fused"


class DownloadError(OSError):
    """A download failed (HTTP error, no connection, cut short); nothing was written."""


def download(url: str, file_path: str) -> str:
    """Download `url` to `file_path` on the shared disk once; the local path.

    `file_path` is relative to the shared disk or under `/mnt/cache`; ending it with `/` (or
    giving "") keeps the URL's file name. An existing file is returned without downloading.
    """
    if not isinstance(url, str) or not url:
        raise ValueError(f"url must be a non-empty string: {url!r}")
    scheme = urlsplit(url).scheme.lower()
    if scheme not in _SCHEMES:
        raise NotSupportedYetError(
            f"fused.download supports http, https and file URLs, not {scheme or 'this'}: {url}"
        )
    name = os.fspath(file_path)
    if not name or name.endswith(("/", os.sep)):
        name += _url_file_name(url)
    target = on_shared_disk(name)
    if target.is_file():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(
        target.with_name(f".{target.name}.download-lock"), stale_after=LOCK_STALE_AFTER_S
    )
    with lock:
        if not target.is_file():  # another caller may have finished it while we waited
            _fetch(url, target, lock)
    return str(target)


def _fetch(url: str, target: Path, lock: FileLock) -> None:
    import http.client  # imported on the first download: `import fused` stays light
    import urllib.error
    import urllib.request

    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    done = False
    try:
        request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
        with (
            urllib.request.urlopen(request, timeout=SOCKET_TIMEOUT_S) as response,
            temporary.open("wb") as out,
        ):
            expected = _content_length(response.headers.get("Content-Length"))
            received = 0
            refreshed = time.monotonic()
            while chunk := response.read(CHUNK_BYTES):
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
    finally:
        if not done:
            temporary.unlink(missing_ok=True)


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
