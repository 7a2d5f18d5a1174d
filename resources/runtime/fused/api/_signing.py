"""`fused.api.sign_url` and `sign_url_prefix`: URLs another process or a browser can open.

`fd://`, `/mnt/cache` and local files are served by the running engine under URLs it signs, which
expire after an hour (`docs/http-api.md`, "Signed files"); `s3://` objects get a presigned URL, or
their public https URL when no AWS credentials are configured (`_s3`).
"""

from __future__ import annotations

from . import _s3
from ._engine import call_json
from ._paths import S3Place, place_of


def sign_url(path: str) -> str:
    """A URL that opens the file at `path` without a token, for an hour.

    Local files are sent by absolute path (the engine names bucket files `fd://KEY` itself). The
    file need not exist yet, as for a bucket's URLs: opening the URL then answers 404.
    """
    what = "fused.api.sign_url"
    place = place_of(path, what)
    if isinstance(place, S3Place):
        return _s3.signed_url(place, what)
    url = call_json(what, "GET", "/server/v1/files/sign", {"path": str(place.path)})
    if not isinstance(url, str):
        raise ValueError(f"{what}: the engine answered {type(url).__name__}, not a URL")
    return url


def sign_url_prefix(path: str) -> dict[str, str]:
    """`{name: url}` for every file under a folder: `fd://...` names for the bucket, absolute
    paths for other local files, `s3://...` URLs for S3."""
    what = "fused.api.sign_url_prefix"
    place = place_of(path, what)
    if isinstance(place, S3Place):
        return _s3.signed_urls(place, what)
    urls = call_json(what, "GET", "/server/v1/files/sign_prefix", {"path": str(place.path)})
    if not isinstance(urls, dict):
        raise ValueError(f"{what}: the engine answered {type(urls).__name__}, not a mapping")
    return {str(name): str(url) for name, url in urls.items()}
