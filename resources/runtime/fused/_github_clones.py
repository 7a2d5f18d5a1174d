"""GitHub loads answered from local git clones: the `githubClones` setting.

The home's settings.json may hold `"githubClones": {"ORG/REPO": "/abs/path"}`, a bare repository
or a work tree of that GitHub repository. A `fused.load` of `github.com/ORG/REPO/tree/REF/PATH`
then reads REF (a commit, branch or tag) from the clone's history, never from its checkout, and
extracts PATH at that commit into `$UDF_STUDIO_HOME/github/ORG/REPO/<full commit>/PATH` once. A
clone that lacks REF answers None, so the caller can try the network. The settings file is read
on every load, so a change applies without restarting workers; the engine checks the same shape
(src-main/engine/settings.ts).

git is asked as little as a load allows (each call costs ~10 ms on a large clone, and UDFs load
their helpers on every run): a commit-pinned REF is resolved once per process, a branch again
only when the clone's refs changed (their files' modification times), and a path already
extracted is not looked up again.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from ._errors import UDF_ERR_FETCH, UDF_ERR_SETTINGS, UdfLoadError
from ._shared_disk import studio_home

SETTING: Final = "githubClones"
GIT_TIMEOUT_S: Final = 60.0
DONE_MARKER: Final = ".udf-studio-fetched.json"
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_FULL_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_PINNED = re.compile(r"^[0-9a-f]{7,40}$")
# Per process: the git folder of each clone folder, and what refs resolved to (a branch's entry
# with the state of the ref files it was resolved at).
_git_dirs: dict[Path, Path] = {}
_resolved: dict[tuple[Path, str], tuple[tuple[int | None, ...], str | None]] = {}


@dataclass(frozen=True)
class Clone:
    """A configured clone: the repository it stands for (`org/repo`) and where it is."""

    repo: str
    path: Path
    git_dir: Path

    def resolve(self, ref: str) -> str | None:
        """The full commit `ref` names in this clone (a commit, branch, tag or `origin/` branch),
        or None when the clone lacks it."""
        state = () if _PINNED.match(ref) else self._refs_state(ref)
        known = _resolved.get((self.path, ref))
        if known is not None and known[0] == state and (known[1] is not None or state):
            return known[1]  # a pinned commit the clone lacked is asked again: it may be fetched
        commit = self._rev_parse(ref)
        _resolved[(self.path, ref)] = (state, commit)
        return commit

    def _refs_state(self, ref: str) -> tuple[int | None, ...]:
        """Modification times of the files a branch or tag is read from (None: no such file)."""
        names = ("packed-refs", f"refs/heads/{ref}", f"refs/tags/{ref}")
        times: list[int | None] = []
        for name in (*names, f"refs/remotes/origin/{ref}"):
            try:
                times.append((self.git_dir / name).stat().st_mtime_ns)
            except OSError:
                times.append(None)
        return tuple(times)

    def _rev_parse(self, ref: str) -> str | None:
        for candidate in (ref, f"origin/{ref}"):
            if candidate.startswith("-"):
                return None
            status, out, _ = _git(
                self, "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"
            )
            commit = out.strip()
            if status == 0 and _FULL_COMMIT.match(commit):
                return commit
        return None

    def fetch_hint(self, ref: str) -> str:
        """How to bring `ref` into this clone."""
        return f"git -C {self.path} fetch origin {ref}"


def configured_clone(org: str, repo: str) -> Clone | None:
    """The clone the settings name for `org/repo` (GitHub names ignore case), or None.

    Raises `UdfLoadError` (`UDF_ERR_SETTINGS`) when the setting is malformed or names a folder
    that is not a git repository.
    """
    clones = read_setting()
    wanted = f"{org}/{repo}".lower()
    path = next((path for name, path in clones.items() if name.lower() == wanted), None)
    if path is None:
        return None
    settings = _settings_file()
    if not path.is_dir():
        raise _settings_error(f'{SETTING}["{org}/{repo}"]: {path} is not a folder', settings)
    git_dir = _git_dirs.get(path)
    if git_dir is None:
        status, out, error = _git_in(path, "rev-parse", "--absolute-git-dir")
        if status != 0:
            raise _settings_error(
                f'{SETTING}["{org}/{repo}"]: {path} is not a git repository '
                f"({error.strip() or 'git refused it'})",
                settings,
            )
        git_dir = _git_dirs[path] = Path(out.strip())
    return Clone(f"{org}/{repo}", path, git_dir)


def read_setting() -> dict[str, Path]:
    """`githubClones` of the home's settings.json, checked: {} when absent."""
    settings = _settings_file()
    try:
        text = settings.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _settings_error(f"cannot read it ({exc.strerror or exc})", settings) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _settings_error(f"is not valid JSON ({exc})", settings) from None
    value = data.get(SETTING) if isinstance(data, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _settings_error(
            f'"{SETTING}" must be an object such as {{"fusedio/udfs": "/path/to/clone"}}',
            settings,
        )
    clones: dict[str, Path] = {}
    for name, path in value.items():
        if not _REPO_NAME.match(name):
            raise _settings_error(
                f'"{SETTING}" names repositories as "org/repo", got {json.dumps(name)}', settings
            )
        if not isinstance(path, str) or not path or "\0" in path or not Path(path).is_absolute():
            raise _settings_error(
                f'{SETTING}["{name}"] must be an absolute path, got {json.dumps(path)}', settings
            )
        clones[name] = Path(path)
    return clones


def copy_from_clone(clone: Clone, commit: str, parts: list[str], url: str) -> Path | None:
    """The folder `parts` names at `commit` (or, for a file, that file in its extracted folder),
    extracted from the clone once; None when the commit lacks that path."""
    org, repo = clone.repo.split("/")
    base = studio_home().joinpath("github", org, repo, commit)
    local = base.joinpath(*parts)
    if (local / DONE_MARKER).is_file() or (
        local.is_file() and (local.parent / DONE_MARKER).is_file()
    ):
        return local  # extracted before
    kind = _object_kind(clone, commit, parts)
    if kind is None:
        return None
    folder_parts = parts if kind == "tree" else parts[:-1]
    folder = base.joinpath(*folder_parts)
    if not (folder / DONE_MARKER).is_file():
        _extract(clone, commit, folder_parts, folder, url)
    return local


def _object_kind(clone: Clone, commit: str, parts: list[str]) -> str | None:
    spec = f"{commit}:{'/'.join(parts)}"
    status, out, _ = _git(clone, "cat-file", "-t", spec)
    kind = out.strip()
    return kind if status == 0 and kind in ("tree", "blob") else None


def _extract(clone: Clone, commit: str, parts: list[str], folder: Path, url: str) -> None:
    """`git archive` the folder at the commit into a temporary sibling, then swap it in whole."""
    path = "/".join(parts)
    args = ["archive", "--format=tar", commit]
    if path:
        args += ["--", path]
    done = _run_git(clone.path, *args)
    if done.returncode != 0:
        raise UdfLoadError(
            f"{url}: git archive in {clone.path} failed ({_text(done.stderr).strip()})",
            code=UDF_ERR_FETCH,
        )
    staging = folder.with_name(f".{folder.name or 'root'}.extracting-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(done.stdout), mode="r:") as archive:
            archive.extractall(staging, filter="data")
        extracted = staging.joinpath(*PurePosixPath(path).parts) if path else staging
        marker = {"url": url, "clone": str(clone.path), "commit": commit, "at": time.time()}
        (extracted / DONE_MARKER).write_text(json.dumps(marker))
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)  # a copy cut short earlier: it has no marker
        try:
            extracted.rename(folder)
        except OSError:
            if not (folder / DONE_MARKER).is_file():  # else another process extracted it first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _git(clone: Clone, *args: str) -> tuple[int, str, str]:
    """git's exit status, output and error output as text."""
    return _git_in(clone.path, *args)


def _git_in(path: Path, *args: str) -> tuple[int, str, str]:
    done = _run_git(path, *args)
    return done.returncode, _text(done.stdout), _text(done.stderr)


def _run_git(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(path), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError:
        raise UdfLoadError(
            f'git is not installed, and the "{SETTING}" setting needs it to read {path}',
            code=UDF_ERR_SETTINGS,
        ) from None
    except subprocess.TimeoutExpired:
        raise UdfLoadError(
            f"git in {path} did not answer in {GIT_TIMEOUT_S:.0f} s", code=UDF_ERR_FETCH
        ) from None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _settings_file() -> Path:
    return studio_home() / "settings.json"


def _settings_error(message: str, settings: Path) -> UdfLoadError:
    return UdfLoadError(f"{settings}: {message}", code=UDF_ERR_SETTINGS)
