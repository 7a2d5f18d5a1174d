"""Where a path given to `fused.api` lives: this machine (`fd://`, `/mnt/cache`, local paths) or S3.

`fd://KEY` is the home's bucket (`$UDF_STUDIO_HOME/fd/KEY`) and `/mnt/cache/...` the shared disk,
as in UDF code (where such literals already arrive mapped to local paths). Names that
`fused.api.list` returns keep the form they were asked in: children of `fd://data/` are
`fd://data/NAME`, children of a local folder are paths in that folder.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from .._errors import NotLocalError
from .._shared_disk import BUCKET_PREFIX, bucket, map_path

S3_PREFIX: Final = "s3://"
# Schemes the SDK reaches through Fused's cloud; UDF Studio has no client for them.
CLOUD_SCHEMES: Final = frozenset({"gs", "gdrive", "dropbox", "onedrive"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True, slots=True)
class LocalPlace:
    """A path on this machine: `text` as the caller wrote it, `path` the real path."""

    text: str
    path: Path

    def child(self, name: str, is_dir: bool) -> str:
        """A child's name in the caller's form (folders end with `/`, as in an S3 listing)."""
        base = self.text if self.text.endswith("/") else f"{self.text}/"
        return f"{base}{name}/" if is_dir else f"{base}{name}"


@dataclass(frozen=True, slots=True)
class S3Place:
    """An `s3://bucket/key` URL."""

    url: str

    @property
    def bucket_and_key(self) -> tuple[str, str]:
        bucket_name, _, key = self.url[len(S3_PREFIX) :].partition("/")
        return bucket_name, key


Place = LocalPlace | S3Place


def place_of(path: str | os.PathLike[str], what: str) -> Place:
    """Where `path` lives. `what` names the calling function in errors.

    Raises `ValueError` for an empty path, a bucket key that climbs out with `..` or a scheme the
    SDK does not know, `NotLocalError` for the cloud drives the SDK reaches through Fused.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{what} takes a path (a str), not {type(path).__name__}")
    text = os.fspath(path)
    if not text:
        raise ValueError(f"{what} needs a path: fd://KEY, a local path or s3://BUCKET/KEY")
    scheme = _SCHEME.match(text)
    if scheme is None:
        return LocalPlace(text, Path(map_path(text)).expanduser().absolute())
    name = scheme.group(1).lower()
    if name == "s3":
        if not text[len(S3_PREFIX) :].split("/", 1)[0]:
            raise ValueError(f"{what}: {text!r} names no bucket (s3://BUCKET/KEY)")
        return S3Place(text)
    if name == "fd":
        key = text[len(BUCKET_PREFIX) :]
        if ".." in key.split("/"):
            raise ValueError(f"{what}: {text!r} climbs out of the bucket")
        return LocalPlace(text, bucket() / posixpath.normpath(f"/{key}").lstrip("/"))
    if name == "file":
        from urllib.request import url2pathname  # here: urllib.request is slow to import

        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"{what}: {text!r} is not a file URL of this machine (file:///PATH)")
        return LocalPlace(text, Path(url2pathname(parts.path)).absolute())
    if name in CLOUD_SCHEMES:
        raise NotLocalError(
            f"{what} cannot reach {name}:// paths in UDF Studio (Fused reaches them through its "
            "cloud): use fd://, local paths, or s3:// paths"
        )
    raise ValueError(
        f"{what}: {text!r} is not a path it takes: use fd://KEY (the home's bucket), "
        "a local path, /mnt/cache/... (the shared disk) or s3://BUCKET/KEY"
    )
