"""`fused.run(..., engine="remote")`: runs on a configured remote engine, here a real second
`udf-studio serve` with a home of its own, reached over loopback HTTP with its private token.

This process's home holds only `remotes.json`; no engine runs for it, so a run that came back
must have run on the remote (checked by the worker's parent process too).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import fused
from conftest import RunningEngine
from fused import EngineUnavailableError, UdfParameterError, UdfRuntimeError
from fused._remote import configured_remote, run_remote_call
from test_engine_client import parent_pid
from waiting import wait_until


@fused.udf
def where_am_i(label: str = "x"):
    import os

    print("ran", label)
    return {"label": label, "pid": os.getpid()}


@fused.udf
def failing(n: int = 1):
    if n > 0:
        raise ValueError(f"n is {n}")
    return n


def _token_of(home: Path) -> str:
    token = json.loads((home / "credentials").read_text())["access_token"]
    assert isinstance(token, str)
    return token


def _configure(home: Path, remotes: list[dict[str, str]]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "remotes.json").write_text(json.dumps({"remotes": remotes}))


@pytest.fixture
def remote_b(engine_server: RunningEngine) -> RunningEngine:
    """This process's home points at the engine as its remote "B"."""
    token = _token_of(engine_server.home)
    _configure(
        Path(os.environ["UDF_STUDIO_HOME"]),
        [{"name": "B", "url": engine_server.url, "token": token}],
    )
    return engine_server


def test_a_local_udf_runs_on_the_remote_as_code(
    remote_b: RunningEngine, capsys: pytest.CaptureFixture[str]
):
    result = fused.run(where_am_i, label="far", engine="remote", verbose=True)
    assert result["label"] == "far"
    assert parent_pid(result["pid"]) == remote_b.pid
    assert "ran far" in capsys.readouterr().out
    # The Udf's own call form and Fused's other engine names go there too.
    assert where_am_i(label="again", engine="realtime")["label"] == "again"
    assert parent_pid(fused.run(where_am_i, engine="batch")["pid"]) == remote_b.pid


def test_a_saved_name_runs_the_remotes_udf(remote_b: RunningEngine):
    table = fused.run("Hello_World", engine="remote", name="Ada", n=2)
    assert list(table["greeting"]) == ["Hello, Ada! (1 of 2)", "Hello, Ada! (2 of 2)"]


def test_a_saved_tile_udf_runs_in_tile_mode(remote_b: RunningEngine):
    tile = fused.run("Tile_Grid", engine="remote", x=2074, y=1409, z=12)
    assert len(tile) > 0 and "geometry" in tile.columns
    bounds = tile.total_bounds
    assert 2.2 < bounds[0] < bounds[2] < 2.4  # tile 12/2074/1409 is over Paris


def test_a_shared_token_runs_the_remotes_udf(remote_b: RunningEngine):
    import urllib.request

    request = urllib.request.Request(
        f"{remote_b.url}/server/v1/udf-access-token/new",
        data=json.dumps({"udf_slug": "Hello_World"}).encode(),
        headers={"Authorization": f"Bearer {_token_of(remote_b.home)}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        token = json.loads(answer.read())["token"]
    table = fused.run(token, engine="remote", name="Tok", n=1)
    assert list(table["greeting"]) == ["Hello, Tok! (1 of 1)"]


def test_a_udf_error_on_the_remote_is_raised_with_its_line(remote_b: RunningEngine):
    with pytest.raises(UdfRuntimeError) as raised:
        fused.run(failing, n=3, engine="remote")
    assert raised.value.code == "UDF_ERR_RUNTIME"
    assert "n is 3" in str(raised.value)
    assert raised.value.line == failing.prepared().fn.__code__.co_firstlineno + 3
    with pytest.raises(UdfParameterError):
        fused.run("Hello_World", engine="remote", n="many")


def test_an_unknown_saved_name_is_a_clear_error(remote_b: RunningEngine):
    with pytest.raises(UdfRuntimeError, match="No_Such_Udf"):
        fused.run("No_Such_Udf", engine="remote")


def test_run_remote_call_runs_one_call_on_a_named_remote(remote_b: RunningEngine):
    result = run_remote_call(where_am_i, {"label": "s"}, remote="B")
    assert parent_pid(result["pid"]) == remote_b.pid
    table = run_remote_call("Hello_World", {"name": "Bo", "n": 1}, remote="B")
    assert list(table["greeting"]) == ["Hello, Bo! (1 of 1)"]
    with pytest.raises(EngineUnavailableError, match="no remote engine named 'C'"):
        run_remote_call(where_am_i, {}, remote="C")


def test_the_token_is_never_shown(remote_b: RunningEngine):
    remote = configured_remote()
    assert remote.token not in repr(remote)


def test_a_wrong_token_is_a_clear_error(engine_server: RunningEngine):
    _configure(
        Path(os.environ["UDF_STUDIO_HOME"]),
        [{"name": "B", "url": engine_server.url, "token": "0" * 64}],
    )
    with pytest.raises(EngineUnavailableError, match=r"remote 'B' .* refused the token"):
        fused.run(where_am_i, engine="remote")


def test_a_remote_that_is_down_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _configure(
        Path(os.environ["UDF_STUDIO_HOME"]),
        [{"name": "Gone", "url": f"http://127.0.0.1:{port}", "token": "t"}],
    )
    with pytest.raises(EngineUnavailableError, match=r"remote 'Gone' .* refused the connection"):
        fused.run(where_am_i, engine="remote")
    assert where_am_i(engine="local")["label"] == "x"  # local runs carry on


class _Garbage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(502)
        self.send_header("content-type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html>upstream exploded</html>")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_malformed_remote_answer_is_a_clear_error(garbage_server: str):
    _configure(
        Path(os.environ["UDF_STUDIO_HOME"]), [{"name": "G", "url": garbage_server, "token": "t"}]
    )
    with pytest.raises(EngineUnavailableError, match=r"remote 'G' .* answered 502 without an"):
        fused.run(where_am_i, engine="remote")


def test_a_broken_remotes_file_is_a_clear_error():
    home = Path(os.environ["UDF_STUDIO_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "remotes.json").write_text("{not json")
    with pytest.raises(EngineUnavailableError, match=r"remotes\.json cannot be read"):
        fused.run(where_am_i, engine="remote")


def test_submit_fans_out_on_the_remote(remote_b: RunningEngine):
    pool = fused.submit(
        where_am_i, ["a", "b", "c"], engine="remote", collect=False, show_progress=False
    )
    assert pool.wait() is True
    results = pool.results()
    assert [result["label"] for result in results] == ["a", "b", "c"]
    assert {parent_pid(result["pid"]) for result in results} == {remote_b.pid}
    failed = fused.submit(failing, [0, 2], engine="remote", collect=False, max_retry=0)
    failed.wait(show_progress=False)
    assert failed.errors()[1].exception_class == "ValueError"


def test_submit_to_a_remote_that_is_not_configured_says_so_before_running(tmp_path: Path):
    with pytest.raises(EngineUnavailableError):
        fused.submit(where_am_i, ["a"], engine="remote")


class _Hosted(BaseHTTPRequestHandler):
    """A remote shaped like Fused's hosted API: it asks for polling, and reports a UDF's error
    only in `x-fused-metadata`. `seen` records (method, path, headers) of each request."""

    seen: list[tuple[str, str, dict[str, str]]] = []
    never_done = False

    def do_GET(self) -> None:
        self.seen.append((self.command, self.path, dict(self.headers)))
        path = self.path.partition("?")[0]
        if path == "/server/v1/realtime-instance/available":
            self._json(
                200,
                [
                    {"client_id": "low", "preference_rank": 1},
                    {"client_id": "top", "preference_rank": 9},
                ],
            )
        elif path == "/server/v1/user/self":
            self._json(200, {"email": "ada@example.org"})
        elif path.startswith("/server/v1/realtime/top/api/v1/run/udf/get/"):
            polls = sum(1 for _, seen, _ in self.seen if "/run/udf/get/" in seen)
            if polls < 3 or self.never_done:
                self._json(202, {"status": "running"})
            else:
                self._json(200, {"polled": polls})
        elif path == "/server/v1/realtime-shared/fsh_failing/run/file":
            metadata = {"errormsg": "no data here", "lineno": 4, "exception_class": "KeyError"}
            self._json(422, {"detail": "UDF failed"}, {"x-fused-metadata": json.dumps(metadata)})
        else:
            self._json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.seen.append((self.command, self.path, dict(self.headers)))
        self._json(202, {"status": "running"})

    def do_DELETE(self) -> None:
        self.seen.append((self.command, self.path, dict(self.headers)))
        self._json(405, {"detail": "Method Not Allowed"})

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hosted() -> Iterator[list[tuple[str, str, dict[str, str]]]]:
    _Hosted.seen = []
    _Hosted.never_done = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hosted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _configure(
        Path(os.environ["UDF_STUDIO_HOME"]),
        [{"name": "H", "url": f"http://127.0.0.1:{server.server_address[1]}", "token": "h-token"}],
    )
    try:
        yield _Hosted.seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_code_run_is_started_then_polled_until_it_answers(
    hosted: list[tuple[str, str, dict[str, str]]],
):
    assert fused.run(where_am_i, label="p", engine="remote", cache_max_age="2m") == {"polled": 3}
    paths = [path.partition("?")[0] for _, path, _ in hosted]
    assert paths[:2] == ["/server/v1/realtime-instance/available", "/server/v1/user/self"]
    method, start, headers = hosted[2]
    assert (method, start.partition("?")[0]) == (
        "POST",
        "/server/v1/realtime/top/api/v1/run/udf/start",
    )
    assert start.partition("?")[2] == "cache_max_age=120&fused_cache_disable_stream=true"
    assert headers["Fused-Share-User-Email"] == "ada@example.org"
    assert (headers["X-Fused-Cache-Disable"], headers["Fused-Recursion"]) == ("true", "1")
    run_id = headers["Fused-Run-Id"]
    assert paths[3:] == [f"/server/v1/realtime/top/api/v1/run/udf/get/{run_id}"] * 3
    # The instance and the account are asked once per process.
    hosted.clear()
    fused.run(where_am_i, engine="remote")
    assert not [path for _, path, _ in hosted if "instance" in path or "user/self" in path]


def test_a_udf_error_in_the_metadata_alone_is_raised_with_its_line(
    hosted: list[tuple[str, str, dict[str, str]]],
):
    with pytest.raises(UdfRuntimeError, match="no data here") as raised:
        fused.run("fsh_failing", engine="remote")
    assert (raised.value.line, raised.value.exception_class) == (4, "KeyError")
    with pytest.raises(UdfRuntimeError, match=r"has no saved UDF 'bob@example\.org/Gone'"):
        fused.run("bob@example.org/Gone", engine="remote")
    assert hosted[-1][1] == (
        "/server/v1/udf/by-user-email/bob@example.org/by-collection/default/by-slug/Gone"
    )


def test_a_run_that_never_ends_stops_polling_at_the_time_limit(
    hosted: list[tuple[str, str, dict[str, str]]], monkeypatch: pytest.MonkeyPatch
):
    from fused import _remote_api

    _Hosted.never_done = True
    monkeypatch.setattr(_remote_api, "RUN_TIMEOUT_S", 1.5)
    with pytest.raises(
        EngineUnavailableError, match=r"remote 'H' .* did not finish the run within 1.5 s"
    ):
        fused.run(where_am_i, engine="remote")


def test_16_7_a_run_left_before_it_answered_is_cancelled_on_the_remote(
    hosted: list[tuple[str, str, dict[str, str]]], monkeypatch: pytest.MonkeyPatch
):
    from fused import _remote_api

    _Hosted.never_done = True
    monkeypatch.setattr(_remote_api, "RUN_TIMEOUT_S", 1.5)
    with pytest.raises(EngineUnavailableError, match="did not finish the run"):
        fused.run(where_am_i, engine="remote")
    # Nobody polls it any more: the remote is asked to stop it (a UDF Studio remote does; this
    # one, like the hosted API, refuses, and the client goes on all the same).
    polled = next(path for method, path, _ in hosted if method == "GET" and "/get/" in path)
    wait_until(
        lambda: ("DELETE", polled) in [(method, path) for method, path, _ in hosted],
        "the remote asked to cancel the run",
        20.0,
    )
