"""fused.load of GitHub URLs answered from a local git clone (the `githubClones` setting)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import fused
from conftest import WorkerProcess, udf_request
from fused import UdfLoadError, _github
from test_github_load import CODE, FakeGitHub, folder, github  # noqa: F401  (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

OFFLINE_API = "http://127.0.0.1:9"  # the discard port: nothing listens, so the API is out of reach


@dataclass(frozen=True)
class Repo:
    """A work tree with two commits on `main` (v1, then v2), and a bare clone of it."""

    work: Path
    bare: Path
    first: str
    second: str


def git(where: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


def commit_greeter(work: Path, version: str, extra: dict[str, str] | None = None) -> str:
    target = work / "public" / "Greeter"
    target.mkdir(parents=True, exist_ok=True)
    for name, text in {**folder(version), **(extra or {})}.items():
        (target / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", version)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    work = tmp_path / "udfs"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    first = commit_greeter(work, "v1")
    second = commit_greeter(work, "v2", {"lone.py": f"VERSION = 'lone'\n{CODE}"})
    bare = tmp_path / "udfs.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True
    )
    git(work, "checkout", "-q", first)  # the checkout must not matter: loads read the history
    return Repo(work, bare, first, second)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(_github.API_ENV, OFFLINE_API)
    monkeypatch.setattr(_github, "_refreshed", {})
    yield


def set_clones(value: object) -> Path:
    home = Path(os.environ["UDF_STUDIO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "settings.json"
    settings.write_text(json.dumps({"port": 9000, "githubClones": value}))
    return settings


def url(ref: str, path: str = "public/Greeter", kind: str = "tree") -> str:
    return f"https://github.com/fusedio/udfs/{kind}/{ref}/{path}"


def version_at(address: str) -> str:
    return str(fused.load(address)(engine="local")["version"])


@pytest.mark.parametrize("which", ["work", "bare"])
def test_each_commit_loads_from_the_clones_history_offline(repo: Repo, offline: None, which: str):
    set_clones({"fusedio/udfs": str(getattr(repo, which))})
    assert version_at(url(repo.first[:7])) == "v1"
    assert version_at(url(repo.second)) == "v2"
    assert version_at(url(repo.second[:7]) + "/") == "v2"
    home = Path(os.environ["UDF_STUDIO_HOME"])
    assert (home / "github" / "fusedio" / "udfs" / repo.second / "public" / "Greeter").is_dir()


def test_a_branch_is_read_from_the_clone_and_follows_new_commits(repo: Repo, offline: None):
    set_clones({"FusedIO/UDFS": str(repo.bare)})  # GitHub's names ignore case
    assert version_at(url("main")) == "v2"
    git(repo.work, "checkout", "-q", "main")
    commit_greeter(repo.work, "v3")
    git(repo.bare, "fetch", "-q", str(repo.work), "main:main")
    assert version_at(url("main")) == "v3"


def test_a_work_trees_remote_branches_answer_too(repo: Repo, tmp_path: Path, offline: None):
    cloned = tmp_path / "cloned"
    subprocess.run(["git", "clone", "-q", str(repo.bare), str(cloned)], check=True)
    git(cloned, "checkout", "-q", "--detach")
    git(cloned, "branch", "-q", "-D", "main")  # only origin/main is left
    set_clones({"fusedio/udfs": str(cloned)})
    assert version_at(url("main")) == "v2"


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("public/Greeter", "v2"),  # GitHub names folders with /blob/ too
        ("public/Greeter/Greeter.py", "v2"),
        ("public/Greeter/meta.json", "v2"),
        ("public/Greeter/lone.py", "lone"),
    ],
)
def test_blob_urls_of_folders_and_files(repo: Repo, offline: None, path: str, version: str):
    set_clones({"fusedio/udfs": str(repo.bare)})
    assert version_at(url(repo.second[:10], path, "blob")) == version


def test_a_file_of_a_clone_is_where_its_tracebacks_point(repo: Repo, offline: None):
    set_clones({"fusedio/udfs": str(repo.bare)})
    udf = fused.load(url(repo.second, "public/Greeter/lone.py", "blob"))
    assert udf.path is not None and udf.path.endswith("public/Greeter/lone.py")
    assert Path(udf.path).read_text().startswith("VERSION = 'lone'")


def test_a_commit_the_clone_lacks_offline_says_which_and_how_to_fetch(repo: Repo, offline: None):
    set_clones({"fusedio/udfs": str(repo.bare)})
    missing = "0123abc"
    with pytest.raises(UdfLoadError) as caught:
        fused.load(url(missing))
    message = str(caught.value)
    assert caught.value.code == "UDF_ERR_FETCH"
    assert f"the local clone {repo.bare} of fusedio/udfs lacks the commit {missing}" in message
    assert f"git -C {repo.bare} fetch origin {missing}" in message
    with pytest.raises(UdfLoadError, match=f"{repo.first[:7]} .*has no public/Nowhere"):
        fused.load(url(repo.first[:7], "public/Nowhere"))


def test_a_commit_fetched_into_the_clone_later_loads_in_the_same_process(repo: Repo, offline: None):
    set_clones({"fusedio/udfs": str(repo.bare)})
    git(repo.work, "checkout", "-q", "main")
    third = commit_greeter(repo.work, "v3")
    with pytest.raises(UdfLoadError, match=f"lacks the commit {third[:7]}"):
        fused.load(url(third[:7]))
    git(repo.bare, "fetch", "-q", str(repo.work), "main:main")
    assert version_at(url(third[:7])) == "v3"


def test_a_commit_the_clone_lacks_is_fetched_from_github(
    repo: Repo,
    github: FakeGitHub,  # noqa: F811  (the fixture imported above)
):
    set_clones({"fusedio/udfs": str(repo.bare)})
    github.trees[("feedbee", "public/Greeter")] = folder("from the network")
    assert version_at(url("feedbee")) == "from the network"
    assert version_at(url(repo.first)) == "v1"  # the clone still answers what it has
    assert all("ref=feedbee" in request or "/raw/" in request for request in github.requests)


def test_other_repositories_are_not_answered_by_the_clone(repo: Repo, offline: None):
    set_clones({"fusedio/udfs": str(repo.bare)})
    with pytest.raises(UdfLoadError, match=r"no copy was fetched before$"):
        fused.load(f"https://github.com/someone/else/tree/{repo.second}/public/Greeter")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["/srv/udfs"], r'"githubClones" must be an object such as'),
        ({"udfs": "/srv/udfs"}, r'names repositories as "org/repo", got "udfs"'),
        ({"fusedio/udfs": "clones/udfs"}, r'\["fusedio/udfs"\] must be an absolute path'),
        ({"fusedio/udfs": 7}, r"must be an absolute path, got 7"),
        ({"fusedio/udfs": "/nonexistent/clone"}, r"/nonexistent/clone is not a folder"),
    ],
)
def test_malformed_settings_are_settings_errors(repo: Repo, value: object, message: str):
    settings = set_clones(value)
    with pytest.raises(UdfLoadError, match=message) as caught:
        fused.load(url(repo.second))
    assert caught.value.code == "UDF_ERR_SETTINGS"
    assert str(settings) in str(caught.value)


def test_a_folder_that_is_not_a_repository_and_a_file_that_is_not_json(repo: Repo, tmp_path: Path):
    plain = tmp_path / "plain"
    plain.mkdir()
    set_clones({"fusedio/udfs": str(plain)})
    with pytest.raises(UdfLoadError, match=f"{plain} is not a git repository") as caught:
        fused.load(url(repo.second))
    assert caught.value.code == "UDF_ERR_SETTINGS"
    set_clones(None).write_text("{not json")
    with pytest.raises(UdfLoadError, match=r"settings\.json: is not valid JSON") as caught:
        fused.load(url(repo.second))
    assert caught.value.code == "UDF_ERR_SETTINGS"


def test_a_worker_loads_from_the_clone_the_homes_settings_name(repo: Repo, tmp_path: Path):
    set_clones({"fusedio/udfs": str(repo.bare)})
    code = (
        "@fused.udf\n"
        "def udf():\n"
        f"    greeter = fused.load({url(repo.first[:7])!r})\n"
        "    return greeter(name='worker', engine='local')\n"
    )
    process = WorkerProcess(env={_github.API_ENV: OFFLINE_API})
    try:
        ready, _ = process.receive()
        assert ready["op"] == "ready"
        header, payload = process.request(
            {"op": "run", "id": 1, "udf": udf_request(code), "params": {}, "formats": ["json"]}
        )
        assert header["ok"] is True, header.get("error")
        assert json.loads(payload) == {"hello": "worker", "version": "v1"}
        set_clones({"fusedio/udfs": "relative"})
        again = udf_request(code + "\n")  # another key: executed again, so it loads again
        header, _ = process.request({"op": "run", "id": 2, "udf": again, "params": {}})
        assert header["ok"] is False
        assert header["error"]["code"] == "UDF_ERR_SETTINGS"
    finally:
        process.close()
