"""Flow 8: batch instance types with the client's defaults.

`fused.run(udf, instance_type=...)`, `udf(engine="medium")` and `fused.submit(...,
instance_type=..., collect=False)` start a job (`POST /server/v1/run`), wait for its status, and
read its results as files and its logs. The server runs the job through its own job manager, so
it shows among the engine's jobs. (`fused.run(udf, engine="medium")` is refused by the client
itself: its `engine` takes only "local" and "remote".)
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from types import ModuleType
from typing import Any

import pytest

from conftest import FUSED_API_CLASS, Server, official_only


@pytest.fixture(scope="module")
def udfs(fused: ModuleType) -> dict[str, Any]:
    @fused.udf
    def square(n: int = 0, tag: str = ""):
        print(f"squaring {n}")
        return {"n": n, "square": n * n, "tag": tag}

    @fused.udf
    def fails(message: str = "boom"):
        print("about to fail")
        raise ValueError(message)

    return {"square": square, "fails": fails}


def engine_jobs(server: Server) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {server.private_token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        jobs: list[dict[str, Any]] = json.loads(response.read())["jobs"]
    return jobs


def started_job_id(output: str) -> str:
    match = re.search(r"Batch job started with ID: (\S+)", output)
    assert match, output
    return match.group(1)


def test_an_instance_type_runs_the_udf_as_a_job(
    fused: ModuleType, server: Server, udfs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    tag = uuid.uuid4().hex
    result = fused.run(udfs["square"], n=7, tag=tag, instance_type="medium")
    assert result == {"n": 7, "square": 49, "tag": tag}
    job_id = started_job_id(capsys.readouterr().out)
    job = next(job for job in engine_jobs(server) if job["id"] == job_id)
    assert job["udf"] == "square" and job["status"] == "succeeded"


@official_only(FUSED_API_CLASS)
def test_the_job_reads_back_through_fused_api(
    fused: ModuleType, udfs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    tag = uuid.uuid4().hex
    result = fused.run(udfs["square"], n=7, tag=tag, instance_type="medium")
    job_id = started_job_id(capsys.readouterr().out)

    from fused.api import FusedAPI

    api = FusedAPI()
    status = api.get_status(job_id)
    assert status.job_status == "Done" and status.terminal_status
    assert status.instance_type == "medium"
    assert (status.total_tasks, status.finished_tasks) == (1, 1)
    messages = [line["message"] for line in api.get_logs(job_id)]
    assert "squaring 7" in messages
    assert api.get_job_results(job_id)[0].data == result


def test_a_batch_engine_name_on_the_udf_call(udfs: dict[str, Any]) -> None:
    tag = uuid.uuid4().hex
    assert udfs["square"](n=3, tag=tag, engine="large") == {"n": 3, "square": 9, "tag": tag}


def test_a_failing_batch_job_raises_with_its_log(
    fused: ModuleType, udfs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from fused.types import UdfRuntimeError

    message = f"no luck {uuid.uuid4().hex}"
    with pytest.raises(UdfRuntimeError, match="Batch job failed"):
        fused.run(udfs["fails"], message=message, instance_type="small")
    out = capsys.readouterr().out
    assert "about to fail" in out
    assert f"ValueError: {message} (line 4)" in out


def test_submit_on_a_batch_instance_type(fused: ModuleType, udfs: dict[str, Any]) -> None:
    tag = uuid.uuid4().hex
    pool = fused.submit(udfs["square"], [1, 2, 3], tag=tag, instance_type="medium", collect=False)
    pool.tail()
    assert pool.all_succeeded()
    assert [result["square"] for result in pool.results()] == [1, 4, 9]
