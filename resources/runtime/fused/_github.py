"""`fused.load` of a GitHub URL: a folder (`https://github.com/ORG/REPO/tree/REF/PATH/`, or
`/blob/` instead of `/tree/`, which GitHub also uses for folders) or a file in one
(`.../blob/REF/PATH/My_UDF.py`, `.../meta.json`), with an optional query or fragment.

A folder is fetched once through GitHub's contents API and kept under
`$UDF_STUDIO_HOME/github/ORG/REPO/REF/PATH`, so it loads offline afterwards. A commit-pinned REF
(7 to 40 hex digits) never changes, so its copy is used for ever; a branch or tag is fetched again
when online (at most every `REFRESH_S` per process) and its last copy is used offline, with a
note. Offline with no copy is a `UdfLoadError` naming the URL. For a file, the folder holding it is
fetched, so its header modules and meta.json come along. `UDF_STUDIO_GITHUB_API` points at
another API host (GitHub Enterprise, or a test server); `GITHUB_TOKEN` is sent when set.

When the settings name a local clone of the repository (`_github_clones`), REF is read from the
clone's history first; a clone that lacks it falls back to the API, and offline the error says
which commit the clone lacks and how to fetch it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Final

from ._errors import UDF_ERR_FETCH, UdfLoadError
from ._github_clones import Clone, configured_clone, copy_from_clone
from ._shared_disk import studio_home

API_ENV: Final = "UDF_STUDIO_GITHUB_API"
DEFAULT_API: Final = "https://api.github.com"
TIMEOUT_S: Final = 10.0
REFRESH_S: Final = 600.0
MAX_FILE_BYTES: Final = 20 * 1024 * 1024
MAX_DEPTH: Final = 3
DONE_MARKER: Final = ".udf-studio-fetched.json"

_FOLDER_URL = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/(?:tree|blob)/([^/]+)"
    r"/?(.*?)/?$"
)
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_SAFE_PART = re.compile(r"^[A-Za-z0-9_.@+ -]+$")
_refreshed: dict[str, float] = {}


def is_github_url(text: str) -> bool:
    """Whether `text` is a github.com URL (of any form)."""
    return bool(re.match(r"^https?://(?:www\.)?github\.com/", text, re.IGNORECASE))


def github_path(url: str) -> Path:
    """The local copy of what a GitHub URL names: a UDF folder, or a file in its fetched folder.

    Fetched when it must be (see the module's note on refreshing).
    """
    match = _FOLDER_URL.match(url.split("#", 1)[0].split("?", 1)[0])
    if match is None:
        raise UdfLoadError(
            f"{url} is not a GitHub folder or file URL; fused.load takes "
            "https://github.com/ORG/REPO/tree/COMMIT_OR_BRANCH/PATH/ (or /blob/)",
            code=UDF_ERR_FETCH,
        )
    org, repo, ref, path = match.groups()
    parts = [part for part in path.split("/") if part]
    if not all(_SAFE_PART.match(part) and part not in (".", "..") for part in [ref, *parts]):
        raise UdfLoadError(f"{url} has a path this loader does not follow", code=UDF_ERR_FETCH)
    clone = configured_clone(org, repo)
    clone_note = ""
    if clone is not None:
        commit = clone.resolve(ref)
        from_clone = copy_from_clone(clone, commit, parts, url) if commit else None
        if from_clone is not None:
            return from_clone
        clone_note = _clone_note(clone, ref, commit, "/".join(parts))
    local = studio_home().joinpath("github", org, repo, ref, *parts)
    copy = _fetched_copy(local)
    recent = time.monotonic() - _refreshed.get(url, -REFRESH_S) < REFRESH_S
    if copy is not None and (_COMMIT.match(ref) or recent):
        return copy
    try:
        copy = _fetch_path(org, repo, ref, parts, local, url)
    except _Offline as why:
        if copy is None:
            raise UdfLoadError(
                f"cannot fetch {url} ({why}) and no copy was fetched before{clone_note}",
                code=UDF_ERR_FETCH,
            ) from None
        print(
            f"fused: cannot refresh {url} ({why}); using the copy fetched before", file=sys.stderr
        )
    _refreshed[url] = time.monotonic()
    return copy


def _clone_note(clone: Clone, ref: str, commit: str | None, path: str) -> str:
    """Why the configured clone could not answer, for the error when the network cannot either."""
    if commit is None:
        return (
            f"; the local clone {clone.path} of {clone.repo} lacks the commit {ref}: "
            f"fetch it with `{clone.fetch_hint(ref)}`"
        )
    return f"; in the local clone {clone.path}, {ref} (commit {commit}) has no {path or 'files'}"


def _fetched_copy(local: Path) -> Path | None:
    """`local` when it is a fetched folder, or a file of one; None when neither was fetched."""
    if (local / DONE_MARKER).is_file():
        return local
    if local.is_file() and (local.parent / DONE_MARKER).is_file():
        return local
    return None


def _fetch_path(org: str, repo: str, ref: str, parts: list[str], local: Path, url: str) -> Path:
    try:
        _fetch(org, repo, ref, "/".join(parts), local, url)
        return local
    except _IsAFile:
        if not parts:
            raise UdfLoadError(f"{url} names no folder", code=UDF_ERR_FETCH) from None
        _fetch(org, repo, ref, "/".join(parts[:-1]), local.parent, url)
        if not local.is_file():
            raise UdfLoadError(
                f"{url} names a file too large to load (over {MAX_FILE_BYTES} bytes)",
                code=UDF_ERR_FETCH,
            ) from None
        return local


def gist_files(gist_id: str) -> dict[str, str]:
    """The files of a GitHub gist by name (their text), fetched from GitHub's gists API."""
    if not re.fullmatch(r"[0-9A-Za-z]{1,64}", gist_id):
        raise UdfLoadError(f"{gist_id!r} is not a gist id", code=UDF_ERR_FETCH)
    api = os.environ.get(API_ENV, DEFAULT_API).rstrip("/")
    what = f"gist {gist_id}"
    try:
        answer = _get_json(f"{api}/gists/{gist_id}", what)
    except _Offline as why:
        raise UdfLoadError(f"cannot fetch {what} ({why})", code=UDF_ERR_FETCH) from None
    files = answer.get("files") if isinstance(answer, dict) else None
    if not isinstance(files, dict):
        raise UdfLoadError(f"GitHub's answer for {what} has no files", code=UDF_ERR_FETCH)
    texts: dict[str, str] = {}
    for name, entry in files.items():
        content = entry.get("content") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and (entry.get("truncated") or content is None):
            raw = entry.get("raw_url")
            if not isinstance(raw, str) or not raw.startswith(("http://", "https://")):
                raise UdfLoadError(
                    f"GitHub's answer for {what} has no URL for {name}", code=UDF_ERR_FETCH
                )
            try:
                content = _get(raw, what).decode("utf-8", "replace")
            except _Offline as why:
                raise UdfLoadError(f"cannot fetch {what} ({why})", code=UDF_ERR_FETCH) from None
        if isinstance(content, str):
            texts[str(name)] = content
    return texts


class _Offline(Exception):
    """The API could not be reached (or answered with a server error)."""


class _IsAFile(Exception):
    """The URL's path is a file, not a folder."""


def _fetch(org: str, repo: str, ref: str, path: str, local: Path, url: str) -> None:
    """Download the folder into a temporary sibling, then swap it in whole."""
    staging = local.with_name(f".{local.name}.fetching-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        count = _download_tree(org, repo, ref, path, staging, url, 0)
        if count == 0:
            raise UdfLoadError(f"{url} holds no files", code=UDF_ERR_FETCH)
        (staging / DONE_MARKER).write_text(json.dumps({"url": url, "fetched_at": time.time()}))
        old = local.with_name(f".{local.name}.old-{os.getpid()}")
        if local.exists():
            local.rename(old)
        staging.rename(local)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _download_tree(
    org: str, repo: str, ref: str, path: str, into: Path, url: str, depth: int
) -> int:
    api = os.environ.get(API_ENV, DEFAULT_API).rstrip("/")
    quoted = urllib.parse.quote(path)
    listing = _get_json(
        f"{api}/repos/{org}/{repo}/contents/{quoted}?ref={urllib.parse.quote(ref)}", url
    )
    if not isinstance(listing, list):
        if depth == 0 and isinstance(listing, dict) and listing.get("type") == "file":
            raise _IsAFile
        raise UdfLoadError(f"GitHub's listing of {url} is malformed", code=UDF_ERR_FETCH)
    into.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in listing:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not _SAFE_PART.match(name) or name in (".", ".."):
            raise UdfLoadError(f"GitHub's listing of {url} is malformed", code=UDF_ERR_FETCH)
        kind = entry.get("type")
        if kind == "dir" and depth < MAX_DEPTH:
            count += _download_tree(org, repo, ref, f"{path}/{name}", into / name, url, depth + 1)
        elif kind == "file":
            size = entry.get("size")
            download = entry.get("download_url")
            if isinstance(size, int) and size > MAX_FILE_BYTES:
                continue  # data files next to the code are not needed to load it
            if not isinstance(download, str) or not download.startswith(("http://", "https://")):
                raise UdfLoadError(f"GitHub's listing of {url} has no file URL", code=UDF_ERR_FETCH)
            (into / name).write_bytes(_get(download, url))
            count += 1
    return count


def _get_json(address: str, url: str) -> Any:
    try:
        return json.loads(_get(address, url))
    except ValueError:
        raise UdfLoadError(
            f"GitHub answered {url} with something that is not JSON", code=UDF_ERR_FETCH
        ) from None


def _get(address: str, url: str) -> bytes:
    headers = {"Accept": "application/vnd.github+json", "User-Agent": "udf-studio"}
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(address, headers=headers), timeout=TIMEOUT_S
        ) as response:
            data: bytes = response.read(MAX_FILE_BYTES + 1)
            return data
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise _Offline(f"GitHub answered {exc.code}") from None
        reason = (
            "not found (a private repository needs GITHUB_TOKEN)"
            if exc.code == 404
            else f"refused ({exc.code})"
        )
        raise UdfLoadError(f"{url}: {reason}", code=UDF_ERR_FETCH) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _Offline(str(getattr(exc, "reason", exc))) from None
