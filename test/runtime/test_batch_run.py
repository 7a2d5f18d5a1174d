"""Batch instance types with no remote engine: a batch job of the running engine (a real
`udf-studio serve`), as the official client runs them on Fused."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError, UdfRuntimeError
from test_context import private_token


@fused.udf
def batch_square(n: int = 0):
    print(f"squaring {n}")
    return {"n": n, "square": n * n, "batch": fused.context.in_batch()}


@fused.udf
def batch_fails(message: str = "boom"):
    print("about to fail")
    raise ValueError(message)


def started_job(output: str) -> str:
    match = re.search(r"^Batch job started with ID: (\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def engine_job(engine: RunningEngine, job_id: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{engine.url}/api/jobs/{job_id}",
        headers={"Authorization": f"Bearer {private_token(engine)}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        job: dict[str, Any] = json.loads(answer.read())
    return job


def test_an_instance_type_is_a_batch_job_of_the_engine(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    result = fused.run(batch_square, n=7, instance_type="medium")
    assert result == {"n": 7, "square": 49, "batch": True}
    job = engine_job(engine, started_job(capsys.readouterr().out))
    assert (job["udf"], job["status"]) == ("batch_square", "succeeded")


def test_a_batch_engine_name_is_a_batch_job_without_a_remote(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    assert batch_square(n=3, engine="large") == {"n": 3, "square": 9, "batch": True}
    assert fused.run(batch_square, n=4, engine="batch")["square"] == 16
    assert len(re.findall("Batch job started with ID", capsys.readouterr().out)) == 2


def test_a_failed_job_prints_its_log_and_raises_at_the_udfs_line(
    engine: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(UdfRuntimeError, match="Batch job failed") as raised:
        fused.run(batch_fails, message="no luck", instance_type="small")
    assert raised.value.exception_class == "ValueError"
    lines = Path(__file__).read_text().splitlines()
    assert raised.value.file == __file__
    assert lines[raised.value.line - 1].strip() == "raise ValueError(message)"
    out = capsys.readouterr().out
    assert "about to fail" in out
    assert "ValueError: no luck (line 4)" in out  # the job's log, in the code the engine ran
    assert engine_job(engine, started_job(out))["status"] == "failed"


def test_what_a_batch_job_cannot_be_is_refused(engine: RunningEngine):
    with pytest.raises(ValueError, match="engine='local' runs in this process"):
        fused.run(batch_square, instance_type="medium", engine="local")
    with pytest.raises(ValueError, match="not for a tile"):
        fused.run(batch_square, x=1, y=1, z=1, instance_type="medium")
    with pytest.raises(ValueError, match="only with the 'realtime' instance type"):
        fused.run("fsh_" + "Q" * 32, instance_type="medium")
    # "realtime" is no batch machine: an ordinary run.
    assert fused.run(batch_square, n=2, instance_type="realtime")["batch"] is False


def test_without_an_engine_a_batch_job_says_what_it_needs(tmp_path: Path):
    with pytest.raises(EngineUnavailableError, match="as a batch job of the UDF Studio engine"):
        fused.run(batch_square, instance_type="medium")
