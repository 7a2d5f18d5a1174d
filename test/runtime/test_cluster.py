"""Runs on a Dask cluster: `engine="<cluster name>"` in `fused.submit`, `Udf.map` and `fused.run`,
straight from this process (no engine running) and through a real `udf-studio serve`, and the
task a Dask worker runs (`udf_studio_cluster.task.run_task`).

The cluster is a real `distributed` scheduler with two workers on loopback, in this process
(threads), so the tasks find this checkout's runtime; the engine's tests run separate processes.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError, UdfRuntimeError
from fused._cluster import CONNECT_TIMEOUT_S, is_cluster, read_clusters, task_request
from udf_studio_cluster.task import run_task


@fused.udf
def where(n: int = 0):
    from distributed import get_worker

    print("on the cluster", n)
    if n < 0:
        raise ValueError(f"negative: {n}")
    return {"n": n, "worker": get_worker().address}


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[Any]:
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield cluster
    finally:
        cluster.close()


def _configure(home: Path, clusters: dict[str, str]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    entries = [{"name": name, "address": address} for name, address in clusters.items()]
    (home / "clusters.json").write_text(json.dumps({"clusters": entries}))


@pytest.fixture
def lab(dask_cluster: Any) -> Any:
    """This process's home names the cluster "lab" (no engine runs for it)."""
    _configure(Path(os.environ["UDF_STUDIO_HOME"]), {"lab": dask_cluster.scheduler_address})
    return dask_cluster


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_submit_without_an_engine_runs_each_item_as_a_task_on_both_workers(lab: Any):
    df = fused.submit(where, list(range(8)), engine="lab", show_progress=False)
    assert list(df["n"]) == list(range(8))
    ran_on = {row["worker"] for row in df["result"]}
    assert ran_on == set(lab.scheduler_info["workers"])


def test_run_on_a_cluster_echoes_prints_and_raises_errors_with_their_line(lab: Any, capsys):
    assert fused.run(where, n=3, engine="lab", verbose=True)["n"] == 3
    assert "on the cluster 3" in capsys.readouterr().out
    with pytest.raises(UdfRuntimeError) as raised:
        fused.run(where, n=-1, engine="lab")
    assert raised.value.exception_class == "ValueError"
    lines = Path(__file__).read_text().splitlines()
    assert lines[raised.value.line - 1].strip() == 'raise ValueError(f"negative: {n}")'
    assert raised.value.file == __file__


def test_map_on_a_cluster_gives_a_job_pool_with_errors_by_index(lab: Any):
    pool = where.map([1, -2, 3], engine="lab", max_retry=0, show_progress=False)
    pool.wait()
    assert pool.status()["succeeded"] == 2
    assert list(pool.errors()) == [1]
    assert "negative: -2" in str(pool.first_error())
    assert [value and value["n"] for value in pool.results(ignore_exceptions=True)] == [1, None, 3]


def test_unknown_engine_names_list_the_clusters(lab: Any):
    assert is_cluster("lab") and not is_cluster("local") and not is_cluster("nope")
    with pytest.raises(EngineUnavailableError, match=r"'nope' is not an engine.*clusters: lab"):
        fused.run(where, engine="nope")
    with pytest.raises(EngineUnavailableError, match=r"clusters: lab"):
        fused.submit(where, [1], engine="nope")


def test_an_unreachable_scheduler_fails_the_submit_before_it_runs():
    _configure(Path(os.environ["UDF_STUDIO_HOME"]), {"gone": f"tcp://127.0.0.1:{_closed_port()}"})
    started = time.monotonic()
    with pytest.raises(EngineUnavailableError, match=r"cluster 'gone' .* did not answer within"):
        fused.submit(where, [1, 2], engine="gone")
    assert time.monotonic() - started < CONNECT_TIMEOUT_S * 4  # bounded, not a hang


def test_a_damaged_clusters_file_means_no_clusters():
    home = Path(os.environ["UDF_STUDIO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    for content in ("{not json", '{"clusters": 3}', '{"clusters": [{"name": 3}]}'):
        (home / "clusters.json").write_text(content)
        assert read_clusters() == {}
        with pytest.raises(EngineUnavailableError, match="is not an engine"):
            fused.run(where, engine="lab")


def test_the_task_answers_as_the_worker_does():
    request = task_request(where, where.code or "", {"n": "4"}, None, "json")
    # Outside a Dask worker `get_worker` raises: that is the UDF's error, answered as data.
    header, payload = run_task(request)
    assert header["ok"] is False and header["error"]["code"] == "UDF_ERR_RUNTIME"
    assert header["error"]["exceptionClass"] == "ValueError"  # get_worker: not in a worker
    assert payload == b""
    assert f"pid {os.getpid()}" in header["worker"]
    ok = task_request(fused.udf(lambda n=1: {"n": n}), "", {}, None, "json")
    assert ok["udf"]["key"]


def test_a_malformed_task_is_a_protocol_error():
    header, payload = run_task({"op": "run", "udf": {"key": "k", "code": 5}})
    assert header["ok"] is False
    assert header["error"]["code"] == "UDF_ERR_PROTOCOL"
    assert payload == b""


def test_submit_through_the_engine_names_the_cluster_and_caches_there(
    engine: RunningEngine, dask_cluster: Any
):
    _configure(engine.home, {"lab": dask_cluster.scheduler_address})
    df = fused.submit(where, [5, 6], engine="lab", show_progress=False)
    assert list(df["n"]) == [5, 6]
    assert fused.run(where, n=7, engine="lab")["n"] == 7
    import urllib.request

    token = json.loads((engine.home / "credentials").read_text())["access_token"]
    ask = urllib.request.Request(
        f"{engine.url}/api/jobs", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(ask, timeout=10) as answer:
        jobs = json.loads(answer.read())["jobs"]
    assert [job.get("cluster") for job in jobs[:2]] == ["lab", "lab"]
    again = where.map([5, 6], engine="lab", show_progress=False)
    again.wait()
    with urllib.request.urlopen(ask, timeout=10) as answer:
        latest = json.loads(answer.read())["jobs"][0]
    detail_request = urllib.request.Request(
        f"{engine.url}/api/jobs/{latest['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(detail_request, timeout=10) as answer:
        runs = json.loads(answer.read())["runs"]
    assert [run["cache"] for run in runs] == ["hit", "hit"]


def test_the_runtime_installs_as_one_package_with_its_pinned_requirements():
    import tomllib

    runtime = Path(__file__).resolve().parents[2] / "resources" / "runtime"
    project = tomllib.loads((runtime / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"]["file"] == ["requirements.txt"]
    pins = [
        line for line in (runtime / "requirements.txt").read_text().splitlines() if "==" in line
    ]
    assert any(pin.startswith("distributed==") for pin in pins)
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = sorted(path.parent.name for path in runtime.glob("*/__init__.py"))
    assert packages == ["fused", "udf_studio_cluster", "udf_studio_worker"]
    assert all(package in include for package in packages)
