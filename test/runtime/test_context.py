"""`fused.context`: the running UDF, the request it serves and the local account, in this
process, in a real worker, and through a real engine (shared token runs, batch jobs)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import fused
from conftest import RunningEngine, WorkerProcess, udf_request, write_udf_folder

REPORT = """\
@fused.udf
def udf(tag: str = ""):
    ctx = fused.context
    return {
        "udf": ctx.this_udf().name,
        "realtime": ctx.in_realtime(),
        "batch": ctx.in_batch(),
        "headers": ctx.get_headers(),
        "probe": ctx.get_header("X-PROBE"),
        "share_token": ctx.get_share_token(),
        "recursion": ctx.get_recursion_factor(),
        "client": ctx.get_realtime_client_id(),
    }
"""


def test_outside_a_run_there_is_no_udf_and_no_request():
    with pytest.raises(ValueError, match="outside a UDF run"):
        fused.context.this_udf()
    assert not fused.context.in_realtime() and not fused.context.in_batch()
    assert fused.context.get_headers() == {} and fused.context.get_share_token() is None
    assert fused.context.get_recursion_factor() == 0
    assert fused.context.get_execution_environment_id() is None
    assert fused.context.get_global_context().this_udf is None


def test_this_udf_is_the_running_one_and_the_inner_one_inside_a_nested_call():
    inner = fused.load(
        "@fused.udf\ndef udf():\n    return fused.context.this_udf().name\n"
    )

    @fused.udf
    def outer() -> dict[str, Any]:
        before = fused.context.this_udf().name
        nested = inner(engine="local")
        return {"before": before, "nested": nested, "after": fused.context.this_udf().name}

    assert outer(engine="local") == {"before": "outer", "nested": "udf", "after": "outer"}
    report = fused.load(REPORT)(engine="local")
    assert report["udf"] == "udf" and report["recursion"] == 1
    assert not report["realtime"] and report["headers"] == {}


def test_a_worker_run_serves_a_request_with_its_headers(worker: WorkerProcess):
    headers = {"x-probe": "42", "fused-share-token": "fsh_abc"}
    worker.send(run(REPORT, context={"headers": headers}))
    answer, payload = worker.receive()
    assert answer["ok"], answer
    report = json.loads(payload)
    assert report["udf"] == "test_udf" and report["realtime"] and not report["batch"]
    assert report["headers"] == headers and report["probe"] == "42"
    assert report["share_token"] == "fsh_abc" and report["client"] == "local"
    # A run the engine sends with no request of its own (the window's) is still realtime work.
    worker.send(run(REPORT, request_id=2))
    plain = json.loads(worker.receive()[1])
    assert plain["realtime"] and plain["headers"] == {}


def test_a_batch_run_is_batch_work(worker: WorkerProcess):
    worker.send(run(REPORT, context={"headers": {}, "batch": True}))
    report = json.loads(worker.receive()[1])
    assert report["batch"] and not report["realtime"]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"headers": {"x": 1}}, "context.headers must be an object of strings"),
        ({"headers": {}, "batch": "yes"}, "context.batch must be a boolean"),
        ([], "context must be a JSON object"),
    ],
)
def test_a_malformed_context_is_a_protocol_error(
    worker: WorkerProcess, context: object, message: str
):
    worker.send(run(REPORT, context=context))
    answer, _ = worker.receive()
    assert answer["error"]["code"] == "UDF_ERR_PROTOCOL" and message in answer["error"]["message"]


RUN_ID_REPORT = """
@fused.udf
def udf():
    from fused._nesting import engine_run_id
    return {"run": engine_run_id()}
"""


def test_a_worker_run_knows_the_engine_run_id_its_calls_name(worker: WorkerProcess):
    run_id = "0b6f8a52-3c1d-4e8f-9a7b-2d5e6f708192"
    worker.send(run(RUN_ID_REPORT, runId=run_id))
    answer, payload = worker.receive()
    assert answer["ok"], answer
    assert json.loads(payload) == {"run": run_id}
    # Without one (a cluster task, an old engine), calls name no run.
    worker.send(run(RUN_ID_REPORT, request_id=2))
    assert json.loads(worker.receive()[1]) == {"run": None}
    worker.send(run(RUN_ID_REPORT, request_id=3, runId=7))
    answer, _ = worker.receive()
    assert answer["error"]["code"] == "UDF_ERR_PROTOCOL"
    assert "runId must be a JSON string" in answer["error"]["message"]


def test_the_user_email_comes_from_the_settings_without_an_engine(monkeypatch: pytest.MonkeyPatch):
    home = Path(__import__("os").environ["UDF_STUDIO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"handle": "ada"}))
    assert fused.context.get_user_email() == "ada@localhost"
    (home / "settings.json").write_text(json.dumps({"email": "ada@example.com"}))
    assert fused.context.get_user_email() == "ada@example.com"
    assert fused.context.get_global_context().user_email == "ada@example.com"


# --- through a real engine -------------------------------------------------------------------


def test_the_user_email_is_the_engines_account(engine: RunningEngine):
    (engine.home / "settings.json").write_text(json.dumps({"email": "grace@example.com"}))
    try:
        assert account(engine)["email"] == "grace@example.com"
        assert fused.context.get_user_email() == "grace@example.com"
    finally:
        (engine.home / "settings.json").unlink()


def test_a_shared_token_run_sees_its_request_without_credentials(engine: RunningEngine):
    write_udf_folder(engine.home / "udfs", "Context_Report", REPORT)
    token = create_token(engine, "Context_Report")
    request = urllib.request.Request(
        f"{engine.url}/{token}/run/file?format=json&tag=one",
        headers={"X-Probe": "hello", "Cookie": "secret=1", "Authorization": "Bearer nope"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        report = json.loads(answer.read())
    assert report["udf"] == "Context_Report" and report["realtime"] and not report["batch"]
    assert report["probe"] == "hello" and report["share_token"] == token
    assert "cookie" not in report["headers"] and "authorization" not in report["headers"]


def test_a_batch_job_run_is_batch_work(engine: RunningEngine, tmp_path: Path):
    code = (
        "@fused.udf\n"
        "def udf(n: int = 0):\n"
        "    import json\n"
        "    with open(f'/mnt/cache/batch-{n}.json', 'w') as out:\n"
        "        json.dump({'batch': fused.context.in_batch(),\n"
        "                   'realtime': fused.context.in_realtime()}, out)\n"
        "    return {'n': n}\n"
    )
    step = {"type": "udf", "udf": {"name": "Batch_Report", "code": code, "entrypoint": "udf"}}
    body = {"config": {"name": "context", "steps": [{**step, "input": [{"n": 7}]}]}}
    post(engine, "/server/v1/run?instance_type=small", body)
    written = engine.home / "mnt" / "cache" / "batch-7.json"
    deadline = time.monotonic() + 60
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert json.loads(written.read_text()) == {"batch": True, "realtime": False}


# --- helpers ------------------------------------------------------------------------------------


def run(code: str, request_id: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "op": "run",
        "id": request_id,
        "udf": udf_request(code),
        "params": {},
        "tile": None,
        "formats": ["json"],
        "defaults": {},
        **fields,
    }


def private_token(engine: RunningEngine) -> str:
    token: str = json.loads((engine.home / "credentials").read_text())["access_token"]
    return token


def post(engine: RunningEngine, path: str, body: object) -> Any:
    request = urllib.request.Request(
        engine.url + path,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {private_token(engine)}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def account(engine: RunningEngine) -> dict[str, Any]:
    request = urllib.request.Request(
        engine.url + "/server/v1/user/self",
        headers={"Authorization": f"Bearer {private_token(engine)}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        found: dict[str, Any] = json.loads(answer.read())
    return found


def create_token(engine: RunningEngine, name: str) -> str:
    """A shared token for a workspace UDF, once the engine's watcher has seen its folder."""
    deadline = time.monotonic() + 20
    while True:
        try:
            created: str = post(engine, "/server/v1/udf-access-token/new", {"udf_slug": name})[
                "token"
            ]
            return created
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
