"""Where a table's files are: a local folder, the bucket (`fd://`), the shared disk (`/mnt/cache`),
or `s3://` through fsspec and s3fs.

Local files are handed to pyarrow as paths; S3 objects as open fsspec files. S3 credentials come
from the usual AWS places (environment, profile, instance role); with none, public buckets are
read anonymously. `AWS_ENDPOINT_URL` points at another S3-compatible server.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from .._shared_disk import map_path

S3_SCHEME: Final = "s3://"
# The environment variables that choose S3 credentials and the server.
AWS_SETTINGS: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_DEFAULT_REGION",
)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    """A table, or a file in one: `url` as the caller wrote it (for messages), `path` as the
    storage names it, and the fsspec filesystem for remote storage (None: a local path)."""

    url: str
    path: str
    filesystem: Any = None

    def child(self, name: str) -> Location:
        """A file in this folder."""
        return Location(f"{self.url}/{name}", f"{self.path}/{name}", self.filesystem)

    def exists(self) -> bool:
        if self.filesystem is None:
            return Path(self.path).exists()
        return bool(self.filesystem.exists(self.path))

    @contextlib.contextmanager
    def open(self) -> Iterator[str | IO[bytes]]:
        """Something pyarrow reads: the path, or an open remote file. `FileNotFoundError`
        naming the URL when there is nothing there."""
        if not self.exists():
            raise FileNotFoundError(f"{self.url} does not exist")
        if self.filesystem is None:
            yield self.path
            return
        with self.filesystem.open(self.path, "rb") as handle:
            yield handle


def locate(url: str | os.PathLike[str]) -> Location:
    """A table's (or file's) location from a path or URL; `ValueError` for storage that tables
    cannot be read from here, `ModuleNotFoundError` when S3 needs a package this runtime lacks."""
    if not isinstance(url, str | os.PathLike):
        raise TypeError(f"a table is named by a path or URL, not {type(url).__name__}")
    text = _without_trailing_slash(os.fspath(url))
    if text.startswith("file://"):
        return Location(text, text[len("file://") :])
    if text.lower().startswith(S3_SCHEME):
        return Location(text, text[len(S3_SCHEME) :], s3_filesystem())
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() != "fd":
        raise ValueError(
            f"cannot read {text}: tables are read from a local folder, fd://, /mnt/cache or "
            f"s3://, not {scheme.group(1)}://"
        )
    return Location(text, map_path(text))


def s3_filesystem() -> Any:
    """An s3fs filesystem: with the AWS credentials found, else anonymous (public buckets).

    One per set of AWS settings in the environment, kept: a new one costs about half a second
    (a client, and looking for credentials), and a tile reads several chunks.
    """
    return _s3_filesystem(tuple(os.environ.get(name) for name in AWS_SETTINGS))


@functools.lru_cache(maxsize=4)
def _s3_filesystem(settings: tuple[str | None, ...]) -> Any:
    """(`settings`, the AWS variables' values, only keys the cache.)"""
    # Imported by name: none of these packages has type information.
    try:
        s3fs = importlib.import_module("s3fs")
    except ImportError:
        raise ModuleNotFoundError(
            "reading s3:// needs the s3fs package, which this runtime does not have "
            "(install it with: npx udf-studio python -m pip install s3fs)",
            name="s3fs",
        ) from None
    session = importlib.import_module("botocore.session").Session()
    anonymous = session.get_credentials() is None
    return s3fs.S3FileSystem(anon=anonymous, skip_instance_cache=True)


def _without_trailing_slash(text: str) -> str:
    while text.endswith("/") and len(text) > 1 and not text.endswith("://"):
        text = text[:-1]
    return text
