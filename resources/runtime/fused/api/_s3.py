"""`fused.api` on `s3://` paths: files through s3fs, URLs presigned with boto3.

Neither package is needed to import `fused`; a call that needs one that is missing raises
`ModuleNotFoundError` naming it. With no AWS credentials configured, buckets are read anonymously
and `sign_url` gives the object's public https URL (which needs no signature). A custom endpoint
(`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, e.g. MinIO) is used by both packages and by public
URLs.
"""

from __future__ import annotations

import os
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from ._listing import ListDetails
from ._paths import S3_PREFIX, S3Place

# As long as a signed URL of the engine lasts by default.
PRESIGN_SECONDS: Final = 3600
_CREDENTIAL_VARIABLES: Final = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")


def listing(place: S3Place, details: bool, what: str) -> list[str] | list[ListDetails]:
    """The objects and folders right under a prefix (or the one object it names)."""
    entries = sorted(_filesystem(what).ls(place.url, detail=True), key=lambda entry: entry["name"])
    names = [_entry_url(entry) for entry in entries]
    if not details:
        return names
    return [
        ListDetails(
            url=name,
            file_name=name.rstrip("/").rsplit("/", 1)[-1],
            is_directory=entry.get("type") == "directory",
            size=entry.get("size") if entry.get("type") != "directory" else None,
            last_modified=_modified(entry),
        )
        for name, entry in zip(names, entries, strict=True)
    ]


def read(place: S3Place, what: str) -> bytes:
    data: bytes = _filesystem(what).cat_file(place.url)
    return data


def download(place: S3Place, target: Path, what: str) -> None:
    _filesystem(what).get_file(place.url, str(target))


def write(place: S3Place, data: bytes, what: str) -> None:
    _filesystem(what).pipe_file(place.url, data)


def delete(place: S3Place, max_depth: int | None, what: str) -> bool:
    """Delete an object, or a prefix no deeper than `max_depth` (None: any depth)."""
    fs = _filesystem(what)
    if not fs.exists(place.url):
        return False
    if not fs.isdir(place.url):
        fs.rm_file(place.url)
        return True
    prefix = place.url[len(S3_PREFIX) :].rstrip("/") + "/"
    keys = [str(key) for key in fs.find(place.url, withdirs=True)]
    depth = max(
        (len(key[len(prefix) :].split("/")) for key in keys if key.startswith(prefix)), default=0
    )
    if max_depth is not None and depth > max_depth:
        raise ValueError(
            f"{what}: {place.url} goes {depth} levels deep, more than max_deletion_depth="
            f"{max_depth}; pass a larger depth or 'unlimited' to delete it"
        )
    fs.rm(place.url, recursive=True)
    return True


def signed_url(place: S3Place, what: str) -> str:
    """A presigned GET URL, or the public https URL when no credentials are configured."""
    try:
        boto3 = import_module("boto3")
    except ImportError:
        if _credentials_configured():
            raise _missing("boto3", what) from None
        return _public_url(place)
    session = boto3.session.Session()
    if session.get_credentials() is None:
        return _public_url(place)
    bucket_name, key = place.bucket_and_key
    url: str = session.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket_name, "Key": key}, ExpiresIn=PRESIGN_SECONDS
    )
    return url


def signed_urls(place: S3Place, what: str) -> dict[str, str]:
    """`{s3://bucket/key: url}` for every object under a prefix."""
    urls = [f"{S3_PREFIX}{key}" for key in sorted(_filesystem(what).find(place.url))]
    return {url: signed_url(S3Place(url), what) for url in urls}


def _filesystem(what: str) -> Any:
    """The kept filesystem for the AWS settings in force (a new one costs about half a second),
    with its listings forgotten, so a file written or deleted elsewhere shows at once."""
    from .._tables.storage import s3_filesystem

    try:
        filesystem = s3_filesystem()
    except ModuleNotFoundError:
        raise _missing("s3fs", what) from None
    filesystem.invalidate_cache()
    return filesystem


def _credentials_configured() -> bool:
    """Whether AWS credentials are set up, as far as can be seen without boto3."""
    if any(os.environ.get(name) for name in _CREDENTIAL_VARIABLES):
        return True
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return Path(shared).expanduser().is_file()


def _public_url(place: S3Place) -> str:
    bucket_name, key = place.bucket_and_key
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket_name}/{quote(key)}"
    return f"https://{bucket_name}.s3.amazonaws.com/{quote(key)}"


def _entry_url(entry: dict[str, Any]) -> str:
    url = f"{S3_PREFIX}{str(entry['name']).rstrip('/')}"
    return f"{url}/" if entry.get("type") == "directory" else url


def _modified(entry: dict[str, Any]) -> datetime | None:
    value = entry.get("LastModified")
    return value if isinstance(value, datetime) else None


def _missing(package: str, what: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(
        f"{what} on s3:// paths needs the {package} package, which is not installed in this "
        "Python runtime",
        name=package,
    )
