"""`Udf.invalidate_cache`: the request the running engine receives, and z/x/y checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import fused
from fused._cache_invalidation import CacheInvalidationError

TOKEN = "private-token-for-tests"


class Engine:
    """A stand-in engine that records each request and answers with `status` and `body`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {"udf_id": "x", "deleted": 3}
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # A running engine answers /healthz; the client checks it before calling.
                body = b'{"status": "ok", "workers": 1}' if self.path == "/healthz" else b"{}"
                self.send_response(200 if self.path == "/healthz" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_DELETE(self) -> None:
                engine.requests.append(
                    {
                        "method": "DELETE",
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                    }
                )
                body = json.dumps(engine.body).encode()
                self.send_response(engine.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def register(self, pid: int | None = None, url: str | None = None) -> None:
        """Write engine.json and credentials as a running engine does."""
        home = Path(os.environ["UDF_STUDIO_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        info = {"url": url or self.url, "port": 0, "pid": pid or os.getpid(), "startedAt": "now"}
        (home / "engine.json").write_text(json.dumps(info))
        (home / "credentials").write_text(json.dumps({"access_token": TOKEN}))

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def engine() -> Iterator[Engine]:
    running = Engine()
    try:
        yield running
    finally:
        running.close()


def make_udf(**metadata: Any) -> fused.Udf:
    def udf(bounds: fused.types.Bounds = None) -> None:
        return None

    made = fused.udf(udf)
    made.name = "My_UDF"
    made.metadata.update(metadata)
    return made


PREFIX = "/server/v1/realtime-shared/local/udf-cache/by-id"


def test_whole_udf_request(engine: Engine):
    engine.register()
    assert make_udf().invalidate_cache() == {"udf_id": "x", "deleted": 3}
    assert engine.requests == [
        {"method": "DELETE", "path": f"{PREFIX}/My_UDF/delete", "authorization": f"Bearer {TOKEN}"}
    ]


def test_one_tile_request_and_the_fused_id(engine: Engine):
    engine.register(url=engine.url + "/")
    make_udf(**{"fused:id": "ab12/cd"}).invalidate_cache(z=15, x=9647, y=12320)
    assert engine.requests[0]["path"] == f"{PREFIX}/ab12%2Fcd/delete?z=15&x=9647&y=12320"
    assert engine.requests[0]["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("given", [{"z": 1}, {"x": 1, "y": 2}, {"z": 3, "y": 2}, {"z": 0, "x": 0}])
def test_z_x_y_must_come_together(engine: Engine, given: dict[str, int]):
    engine.register()
    with pytest.raises(ValueError, match=r"tile coordinates \(z, x, y\) must be given together"):
        make_udf().invalidate_cache(**given)
    assert engine.requests == []


def test_tile_values_are_checked():
    with pytest.raises(ValueError, match="whole number"):
        make_udf().invalidate_cache(z=1, x=-1, y=0)
    with pytest.raises(ValueError, match="whole number"):
        make_udf().invalidate_cache(z=1, x=0.5, y=0)  # type: ignore[arg-type]


def test_without_an_engine_it_returns_quietly_but_still_checks():
    assert make_udf().invalidate_cache() is None
    assert make_udf().invalidate_cache(z=1, x=0, y=1) is None
    with pytest.raises(ValueError, match="must be given together"):
        make_udf().invalidate_cache(z=1)


def test_an_engine_json_left_by_a_dead_engine_is_ignored(engine: Engine):
    finished = subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert finished.returncode == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(30)
    engine.register(pid=dead.pid)
    assert make_udf().invalidate_cache() is None
    assert engine.requests == []


def test_engine_refusals_raise_and_an_unknown_udf_is_nothing_to_drop(engine: Engine):
    engine.register()
    engine.status = 401
    engine.body = {"error": {"code": "UDF_ERR_AUTH_REQUIRED", "message": "bad token"}}
    with pytest.raises(CacheInvalidationError, match="HTTP 401 bad token"):
        make_udf().invalidate_cache()
    engine.status = 404
    engine.body = {"error": {"code": "UDF_ERR_NOT_FOUND", "message": "no UDF"}}
    assert make_udf().invalidate_cache() is None
