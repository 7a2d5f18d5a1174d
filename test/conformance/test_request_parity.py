"""Issue 13: our own clients send the official client's requests, so a remote engine can be the
hosted API.

A recording reverse proxy (a ThreadingHTTPServer on loopback) stands in front of the real server.
Each operation goes through it three times: with the official client (`fused._env(proxy)`), with
the runtime's `fused` as a remote engine (`fused.run(..., engine="remote")` in `udf-studio python
SCRIPT`, whose home's remotes.json names the proxy), and with the engine's remote client
(`udf-studio run ... --remote P`, `push`, `pull`). The requests' shapes must be the same: method,
path (ids made alike), query keys, body keys, the UDF's keys in a code run's `step_config`, and the
headers that carry meaning.

Each client's per-process knowledge (the instance's `client_id`, the account) is cleared in the
official client before each operation, as our clients start fresh for each. Polls are compared in
their own operation (a run that takes longer than the server's 2 s wait), not in the others,
where a cold worker may or may not make one.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import ROOT, Server, official_only

pytestmark = official_only(
    "the official client's requests are the baseline the other clients' are compared with "
    "(the runtime's fused is one of those, as a remote engine)"
)

CLI_TIMEOUT_S = 120
# Headers whose values must be the same; `_PRESENT` ones only need to be there.
_SAME_VALUE = (
    "x-fused-cache-disable",
    "fused-recursion",
    "fused-share-user-email",
    "fused-share-execution-environment-id",
)
_PRESENT = ("authorization", "fused-run-id")
# The official client puts its own `_stream_logs` option among a token run's parameters (the
# server drops it); it is not a parameter of the call.
_CLIENT_LEAKS = frozenset({"_stream_logs"})
# Fields of our sync that the official client does not send: `id` keeps the local id on create,
# `base_hash` makes a UDF Studio remote refuse an update over changes it has since.
_OUR_EXTRAS = {"POST /server/v1/udf/new": {"id"}, "POST /server/v1/udf/by-id/{id}": {"base_hash"}}
_POLL = re.compile(r"/run/udf/get/[^/?]+$")


@dataclass(frozen=True)
class Recorded:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, order=True)
class Shape:
    """What is compared of one request."""

    method: str
    path: str
    query: tuple[str, ...]
    body: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]
    udf_parameters: tuple[str, ...]


class RecordingProxy:
    """Forwards every request to the server and keeps a copy of it."""

    def __init__(self, upstream: str) -> None:
        self.records: list[Recorded] = []
        self._lock = threading.Lock()
        parts = urlsplit(upstream)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with proxy._lock:
                    proxy.records.append(Recorded(self.command, self.path, headers, body))
                upstream = http.client.HTTPConnection(host, port, timeout=200)
                try:
                    upstream.request(
                        self.command,
                        self.path,
                        body=body or None,
                        headers={
                            k: v for k, v in headers.items() if k not in ("host", "connection")
                        },
                    )
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _forward

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def take(self) -> list[Recorded]:
        with self._lock:
            taken, self.records = self.records, []
        return taken

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Clients:
    """The three clients, each pointed at the proxy."""

    proxy: RecordingProxy
    fused: ModuleType
    home: Path
    scripts: Path

    def official(self, operation: Callable[[], Any]) -> tuple[Any, list[Recorded]]:
        """Runs `operation` with the official client, its per-process knowledge cleared."""
        from fused.core import _context

        self.fused.options.realtime_client_id = None
        for context in (_context.local_context, _context.context):
            context._whoami_payload = None
        self.proxy.take()
        try:
            result: Any = operation()
        except Exception as error:  # the UDF-error operation compares what was raised
            result = error
        return result, self.proxy.take()

    def runtime(self, script: str) -> tuple[Any, list[Recorded]]:
        """Runs `script` with the runtime's `fused`; it prints one JSON value, which is returned."""
        path = self.scripts / f"{uuid.uuid4().hex}.py"
        path.write_text("import json\n\nimport fused\n\n" + script)
        self.proxy.take()
        done = self._cli("python", str(path))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1]), self.proxy.take()

    def engine(self, *args: str) -> tuple[subprocess.CompletedProcess[str], list[Recorded]]:
        """Runs `udf-studio ARGS` (the engine's remote client) against remote "P"."""
        self.proxy.take()
        done = self._cli(*args)
        return done, self.proxy.take()

    def _cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUSED_")}
        env["UDF_STUDIO_HOME"] = str(self.home)
        return subprocess.run(
            ["node", str(ROOT / "bin" / "udf-studio.js"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )


@pytest.fixture(scope="module")
def clients(server: Server, fused: ModuleType) -> Iterator[Clients]:
    proxy = RecordingProxy(server.url)
    home = Path(tempfile.mkdtemp(prefix="udf-studio-parity-"))
    remotes = {"remotes": [{"name": "P", "url": proxy.url, "token": server.private_token}]}
    (home / "remotes.json").write_text(json.dumps(remotes))
    (home / "scripts").mkdir()
    fused._env(proxy.url)
    try:
        yield Clients(proxy, fused, home, home / "scripts")
    finally:
        fused._env(server.url)
        fused.options.realtime_client_id = None
        proxy.close()
        shutil.rmtree(home, ignore_errors=True)


def shapes(
    records: list[Recorded], *, polls: bool = False, names: tuple[str, ...] = ()
) -> list[Shape]:
    """The distinct shapes of `records` (polls left out unless asked for), sorted."""
    found = {_shape(record, names) for record in records}
    return sorted(shape for shape in found if polls or not _POLL.search(shape.path))


def _shape(record: Recorded, names: tuple[str, ...]) -> Shape:
    path, _, query = record.target.partition("?")
    path = re.sub(r"/run/udf/get/[^/]+$", "/run/udf/get/{run_id}", path)
    path = re.sub(r"/realtime-shared/fsh_[^/]+", "/realtime-shared/{token}", path)
    path = re.sub(r"/udf/by-id/[^/]+$", "/udf/by-id/{id}", path)
    for name in names:
        path = path.replace(f"/by-slug/{name}", "/by-slug/{name}")
    body = json.loads(record.body) if record.body else {}
    body_keys = set(body) - _OUR_EXTRAS.get(f"{record.method} {path}", set())
    headers = [(name, record.headers[name]) for name in _SAME_VALUE if name in record.headers]
    headers += [(name, "present") for name in _PRESENT if name in record.headers]
    if record.body:
        media = record.headers.get("content-type", "").split(";")[0].strip()
        headers.append(("content-type", media))
    parameters: tuple[str, ...] = ()
    if isinstance(body.get("step_config"), str):
        parameters = tuple(sorted(json.loads(body["step_config"])["udf"]["parameters"]))
    query_keys = {key for key, _ in parse_qsl(query, keep_blank_values=True)} - _CLIENT_LEAKS
    return Shape(
        record.method,
        path,
        tuple(sorted(query_keys)),
        tuple(sorted(body_keys)),
        tuple(sorted(headers)),
        parameters,
    )


def step_keys(records: list[Recorded]) -> tuple[set[str], set[str]]:
    """The keys of the code runs' `step_config` and of its `udf`."""
    step: set[str] = set()
    udf: set[str] = set()
    for record in records:
        if record.method == "POST" and "/run/udf/start" in record.target:
            config = json.loads(json.loads(record.body)["step_config"])
            step |= set(config)
            udf |= set(config["udf"])
    return step, udf


def assert_same(
    official: list[Recorded], *ours: list[Recorded], polls: bool = False, names: tuple = ()
) -> None:
    """Each of our clients sent requests of the official client's shapes, no more, no fewer."""
    expected = shapes(official, polls=polls, names=names)
    assert expected, "the official client sent nothing through the proxy"
    for records in ours:
        assert shapes(records, polls=polls, names=names) == expected
    official_step, official_udf = step_keys(official)
    for records in ours:
        step, udf = step_keys(records)
        assert step <= official_step and udf <= official_udf
        if official_step:
            assert {"type", "udf"} <= step
            assert {"name", "type", "code", "headers", "entrypoint", "parameters"} <= udf


def _folder(server: Server, name: str) -> str:
    return str(server.workspace / name)


def test_a_code_run_of_a_local_udf(clients: Clients, server: Server) -> None:
    path = str(server.workspace / "Greeting_Table" / "Greeting_Table.py")
    result, official = clients.official(
        lambda: clients.fused.run(clients.fused.load(path), name="Ada", n=2)
    )
    assert list(result["greeting"]) == ["Hello, Ada!"] * 2
    script = (
        f"df = fused.run(fused.load({path!r}), name='Ada', n=2, engine='remote')\n"
        "print(json.dumps(list(df['greeting'])))\n"
    )
    greetings, runtime = clients.runtime(script)
    assert greetings == ["Hello, Ada!"] * 2
    done, engine = clients.engine(
        "run", _folder(server, "Greeting_Table"), "--remote", "P",
        "--param", "name=Ada", "--param", "n=2", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [row["greeting"] for row in json.loads(done.stdout)] == ["Hello, Ada!"] * 2
    assert_same(official, runtime, engine)


def test_a_tile_code_run(clients: Clients, server: Server) -> None:
    path = str(server.workspace / "Tile_Cells" / "Tile_Cells.py")
    result, official = clients.official(
        lambda: clients.fused.run(clients.fused.load(path), x=1, y=1, z=2, label="here")
    )
    assert list(result["label"]) == ["here"]
    script = (
        f"gdf = fused.run(fused.load({path!r}), x=1, y=1, z=2, label='here', engine='remote')\n"
        "print(json.dumps(list(gdf['label'])))\n"
    )
    labels, runtime = clients.runtime(script)
    assert labels == ["here"]
    done, engine = clients.engine(
        "run", _folder(server, "Tile_Cells"), "--remote", "P",
        "--x", "1", "--y", "1", "--z", "2", "--param", "label=here",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"here"' in done.stdout
    assert_same(official, runtime, engine)


@pytest.mark.parametrize("name", ["Greeting_Table", "team/Greeting_Table"])
def test_a_saved_udf_by_name(clients: Clients, name: str) -> None:
    result, official = clients.official(lambda: clients.fused.run(name, name="Bo", n=1))
    assert list(result["greeting"]) == ["Hello, Bo!"]
    script = (
        f"df = fused.run({name!r}, name='Bo', n=1, engine='remote')\n"
        "print(json.dumps(list(df['greeting'])))\n"
    )
    greetings, runtime = clients.runtime(script)
    assert greetings == ["Hello, Bo!"]
    done, engine = clients.engine(
        "run", name, "--remote", "P", "--param", "name=Bo", "--param", "n=1", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["greeting"] == "Hello, Bo!"
    assert_same(official, runtime, engine)


def test_a_shared_token_and_a_tile_of_one(clients: Clients, server: Server) -> None:
    table, tiles = server.create_token("Greeting_Table"), server.create_token("Tile_Cells")
    result, official = clients.official(lambda: clients.fused.run(table, name="Cy", n=1))
    assert list(result["greeting"]) == ["Hello, Cy!"]
    tile, official_tile = clients.official(
        lambda: clients.fused.run(tiles, x=1, y=1, z=2, label="tok")
    )
    assert list(tile["label"]) == ["tok"]
    script = (
        f"df = fused.run({table!r}, name='Cy', n=1, engine='remote')\n"
        f"gdf = fused.run({tiles!r}, x=1, y=1, z=2, label='tok', engine='remote')\n"
        "print(json.dumps([list(df['greeting']), list(gdf['label'])]))\n"
    )
    values, runtime = clients.runtime(script)
    assert values == [["Hello, Cy!"], ["tok"]]
    done, engine = clients.engine(
        "run", table, "--remote", "P", "--param", "name=Cy", "--param", "n=1"
    )
    assert done.returncode == 0, done.stderr
    done_tile, engine_tile = clients.engine(
        "run", tiles, "--remote", "P", "--x", "1", "--y", "1", "--z", "2", "--param", "label=tok"
    )
    assert done_tile.returncode == 0, done_tile.stderr
    assert_same(official + official_tile, runtime, engine + engine_tile)


def test_a_udf_error_comes_back_with_its_line(clients: Clients) -> None:
    error, official = clients.official(
        lambda: clients.fused.run("Fails_On_Purpose", message="no luck")
    )
    assert "line 8" in str(error) and "no luck" in str(error)
    script = (
        "try:\n"
        "    fused.run('Fails_On_Purpose', message='no luck', engine='remote')\n"
        "except fused.UdfRuntimeError as error:\n"
        "    print(json.dumps([error.line, error.message]))\n"
    )
    (line, message), runtime = clients.runtime(script)
    assert line == 8 and "no luck" in message
    done, engine = clients.engine(
        "run", "Fails_On_Purpose", "--remote", "P", "--param", "message=no luck"
    )
    assert done.returncode == 1
    assert re.search(r"no luck \(line 8\)", done.stderr), done.stderr
    assert_same(official, runtime, engine)


def test_a_run_longer_than_the_servers_wait_is_polled(clients: Clients, server: Server) -> None:
    # Each client asks for a value of its own, so the result cache cannot answer at once.
    seconds = [3 + uuid.uuid4().int % 1000 / 10_000 + i for i in (0, 0.1, 0.2)]
    path = str(server.workspace / "Slow_Table" / "Slow_Table.py")
    result, official = clients.official(
        lambda: clients.fused.run(clients.fused.load(path), seconds=seconds[0])
    )
    assert float(result["slept"][0]) == pytest.approx(seconds[0])
    script = (
        f"df = fused.run(fused.load({path!r}), seconds={seconds[1]!r}, engine='remote')\n"
        "print(json.dumps(float(df['slept'][0])))\n"
    )
    slept, runtime = clients.runtime(script)
    assert slept == pytest.approx(seconds[1])
    done, engine = clients.engine(
        "run", _folder(server, "Slow_Table"), "--remote", "P",
        "--param", f"seconds={seconds[2]}", "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_same(official, runtime, engine, polls=True)
    for records in (official, runtime, engine):
        start = next(r for r in records if "/run/udf/start" in r.target)
        polls = [r for r in records if _POLL.search(r.target)]
        assert polls and all(r.target.endswith(start.headers["fused-run-id"]) for r in polls)


def test_push_sends_what_to_fused_sends(clients: Clients, tmp_path: Path) -> None:
    code = "import fused\n\n\n@fused.udf\ndef udf(a: int = 1):\n    return a\n"
    official_file = tmp_path / "Parity_Saved_Official.py"
    official_file.write_text(code)
    udf = clients.fused.load(str(official_file))
    _, official_create = clients.official(udf.to_fused)
    _, official_update = clients.official(udf.to_fused)
    workspace = tmp_path / "workspace"
    folder = workspace / "Parity_Saved_Engine"
    folder.mkdir(parents=True)
    (folder / "Parity_Saved_Engine.py").write_text(code)
    created, engine_create = clients.engine(
        "push", "Parity_Saved_Engine", "--remote", "P", "--workspace", str(workspace)
    )
    assert created.returncode == 0, created.stderr
    assert "created Parity_Saved_Engine" in created.stdout
    (folder / "Parity_Saved_Engine.py").write_text(code.replace("return a", "return a + 1"))
    updated, engine_update = clients.engine(
        "push", "Parity_Saved_Engine", "--remote", "P", "--workspace", str(workspace)
    )
    assert updated.returncode == 0, updated.stderr
    assert "updated Parity_Saved_Engine" in updated.stdout
    names = ("Parity_Saved_Official", "Parity_Saved_Engine")
    assert_same(official_create, engine_create, names=names)
    assert_same(official_update, engine_update, names=names)


def test_pull_sends_what_fused_load_sends(clients: Clients, tmp_path: Path) -> None:
    loaded, official = clients.official(lambda: clients.fused.load("Greeting_Table"))
    assert loaded.name == "Greeting_Table"
    done, engine = clients.engine(
        "pull", "Greeting_Table", "--remote", "P", "--workspace", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "Greeting_Table" / "Greeting_Table.py").exists()
    assert_same(official, engine)
