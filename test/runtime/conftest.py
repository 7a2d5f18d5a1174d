"""Shared helpers for the runtime tests: UDF folders on disk and a real worker subprocess."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

RUNTIME = Path(__file__).resolve().parents[2] / "resources" / "runtime"
if str(RUNTIME) not in sys.path:
    sys.path.insert(0, str(RUNTIME))

LENGTHS = struct.Struct(">II")
READ_TIMEOUT_S = 60.0

# Puts the pipe ends on fds 3, 4 and 5, as the engine does, then becomes the real worker command.
_LAUNCHER = r"""
import fcntl, os, sys
given = [int(fd) for fd in sys.argv[1:4]]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in given]
for target, fd in zip((3, 4, 5), high):
    os.dup2(fd, target)
for fd in {*given, *high} - {3, 4, 5}:
    os.close(fd)
os.execv(sys.executable, [sys.executable, "-u", "-m", "udf_studio_worker"])
"""


def write_udf_folder(
    parent: Path,
    name: str,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    metadata: dict[str, Any] | None = None,
    extra_meta: dict[str, Any] | None = None,
    inline: bool = False,
) -> Path:
    """A UDF folder in the catalogue's shape (section 1 of fused-compat.md)."""
    folder = parent / name
    folder.mkdir(parents=True)
    step_udf: dict[str, Any] = {
        "type": "geopandas_v2",
        "name": name,
        "entrypoint": "udf",
        "parameters": {},
        "headers": [],
        "metadata": {"fused:name": name, **(metadata or {})},
    }
    if inline:
        step_udf["code"] = code
    else:
        step_udf["source"] = f"{name}.py"
        (folder / f"{name}.py").write_text(code)
    for module_name, module_code in (headers or {}).items():
        (folder / f"{module_name}.py").write_text(module_code)
        step_udf["headers"].append({"module_name": module_name, "source_file": f"{module_name}.py"})
    meta = {
        "version": "0.0.3",
        "job_config": {
            "version": "0.0.3",
            "name": None,
            "metadata": None,
            "steps": [{"type": "udf", "udf": step_udf}],
        },
        **(extra_meta or {}),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))
    return folder


def udf_request(
    code: str,
    *,
    name: str = "test_udf",
    path: str | None = None,
    headers: list[dict[str, Any]] | None = None,
    entrypoint: str | None = None,
) -> dict[str, Any]:
    """The `udf` object of a run or describe request, keyed as the engine keys it."""
    headers = headers or []
    digest = hashlib.sha256(code.encode())
    for header in headers:
        digest.update(header["module_name"].encode() + header["code"].encode())
    digest.update((entrypoint or "").encode())
    return {
        "key": digest.hexdigest(),
        "name": name,
        "path": path,
        "dir": str(Path(path).parent) if path else None,
        "code": code,
        "entrypoint": entrypoint,
        "headers": headers,
        "metadata": {},
    }


class WorkerProcess:
    """`python -u -m udf_studio_worker` with requests on its fds 3 and 5 and responses on fd 4.

    Requests go where the engine sends them: a run or describe to an idle worker on fd 3, the
    rest (and runs while others are in progress) on fd 5.
    """

    def __init__(
        self,
        env: dict[str, str] | None = None,
        without: tuple[str, ...] = (),
        *,
        new_session: bool = False,
    ) -> None:
        """`env` adds to this process's environment, less the variables starting with `without`;
        `new_session` starts it as the engine does, leading a session of its own."""
        request_read, self._request_write = os.pipe()
        self._response_read, response_write = os.pipe()
        side_read, self._side_write = os.pipe()
        inherited = {
            k: v for k, v in os.environ.items() if not without or not k.startswith(without)
        }
        full_env = {**inherited, "PYTHONPATH": str(RUNTIME), "UDF_STUDIO_PRELOAD": ""}
        full_env.update(env or {})
        given = (request_read, response_write, side_read)
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, *map(str, given)],
            pass_fds=given,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=new_session,
        )
        for fd in given:
            os.close(fd)
        self._buffer = b""
        # Runs and describes sent and not answered yet, by id.
        self._serving: set[object] = set()

    def send(
        self, header: dict[str, Any] | bytes, payload: bytes = b"", *, behind: bool = False
    ) -> None:
        """Write one frame (a dict is JSON-encoded; bytes are sent as the header as they are,
        on fd 3) where the engine would send it: a run goes to fd 3 when none is in progress,
        or `behind` the one in progress there, as the engine queues a quick UDF's runs."""
        encoded = header if isinstance(header, bytes) else json.dumps(header).encode()
        side = False
        if isinstance(header, dict):
            serving = header.get("op") in ("run", "describe")
            side = not serving or (bool(self._serving) and not behind)
            if serving:
                self._serving.add(header.get("id"))
        frame = LENGTHS.pack(len(encoded), len(payload)) + encoded + payload
        self._write(self._side_write if side else self._request_write, frame)

    def send_raw(self, data: bytes, *, side: bool = False) -> None:
        """Write bytes as they are to the request pipe (fd 3) or the side one (fd 5)."""
        self._write(self._side_write if side else self._request_write, data)

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]

    def receive(self) -> tuple[dict[str, Any], bytes]:
        """Read one response frame."""
        header_length, payload_length = LENGTHS.unpack(self._read_exact(LENGTHS.size))
        header = json.loads(self._read_exact(header_length))
        self._serving.discard(header.get("id"))
        return header, self._read_exact(payload_length)

    def request(self, header: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        """Send a request and read its response."""
        self.send(header)
        return self.receive()

    def close_requests(self, *, main: bool = True, side: bool = True) -> None:
        """Close request pipes (end of file on the worker's fd 3, fd 5); the engine closes both."""
        for name in ("_request_write",) * main + ("_side_write",) * side:
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the worker to exit; its status."""
        return self.process.wait(timeout=timeout)

    def close(self) -> None:
        """Stop the worker (if still running) and release every descriptor."""
        self.close_requests()
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)
        os.close(self._response_read)

    def _read_exact(self, count: int) -> bytes:
        while len(self._buffer) < count:
            ready, _, _ = select.select([self._response_read], [], [], READ_TIMEOUT_S)
            if not ready:
                raise TimeoutError("the worker did not answer in time")
            chunk = os.read(self._response_read, 1 << 20)
            if not chunk:
                raise EOFError("the worker closed its response pipe")
            self._buffer += chunk
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    """A started worker whose `ready` frame has been read."""
    process = WorkerProcess()
    ready, payload = process.receive()
    assert ready["op"] == "ready" and payload == b""
    try:
        yield process
    finally:
        process.close()


@pytest.fixture(autouse=True)
def _isolated_studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Name lookups must never see the developer's own ~/.udf-studio.
    monkeypatch.setenv("UDF_STUDIO_HOME", str(tmp_path / "studio-home"))
    monkeypatch.delenv("UDF_STUDIO_WORKSPACES", raising=False)


# --- a real engine: `udf-studio serve` ------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "src-main" / "cli.js"
# Read before any test points UDF_STUDIO_HOME at a temporary folder.
RUNTIME_DIR = os.environ.get("UDF_STUDIO_RUNTIME") or str(
    Path(os.environ.get("UDF_STUDIO_HOME") or Path.home() / ".udf-studio") / "runtime"
)
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class RunningEngine:
    home: Path
    url: str
    pid: int


@pytest.fixture(scope="module")
def engine_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    """`udf-studio serve --port 0 --workers 1` with a home of its own."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH, so no engine can be started")
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is missing: build first (npm run build)")
    home = tmp_path_factory.mktemp("engine-home")
    env = {**os.environ, "UDF_STUDIO_HOME": str(home), "UDF_STUDIO_RUNTIME": RUNTIME_DIR}
    env.pop("UDF_STUDIO_WORKSPACES", None)
    env.pop("UDF_STUDIO_WORKER", None)
    process = subprocess.Popen(
        [node, str(ROOT / "bin" / "udf-studio.js"), "serve", "--port", "0", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:  # keeps the pipe from filling; the first lines say where it listens
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    url = None
    while url is None:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            process.kill()
            process.wait()
            pytest.fail("udf-studio serve did not start:\n" + "".join(seen))
        seen.append(line)
        if line.startswith("listening on "):
            url = line.split("listening on ", 1)[1].strip()
    try:
        info = json.loads((home / "engine.json").read_text())
        assert info["url"] == url and info["pid"] == process.pid
        yield RunningEngine(home, url, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _fresh_client_state(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test looks for its engine afresh and sees its own once-per-process notes.
    from fused import _engine_client

    monkeypatch.setattr(_engine_client, "_verdict", None)
    monkeypatch.setattr(_engine_client, "_noted", set())
    monkeypatch.delenv("UDF_STUDIO_WORKER", raising=False)
    monkeypatch.delitem(sys.modules, "udf_studio_worker", raising=False)


@pytest.fixture
def engine(engine_server: RunningEngine, monkeypatch: pytest.MonkeyPatch) -> RunningEngine:
    """This process pointed at the module's engine."""
    monkeypatch.setenv("UDF_STUDIO_HOME", str(engine_server.home))
    return engine_server


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 server on loopback; its endpoint URL, which AWS_ENDPOINT_URL also names.

    Skipped when moto, s3fs or boto3 is missing. No credentials are set: see `moto_s3`.
    """
    for package in ("moto", "s3fs", "boto3"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed: S3 access is untested")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def moto_s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`moto_endpoint` with moto's test credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_endpoint
