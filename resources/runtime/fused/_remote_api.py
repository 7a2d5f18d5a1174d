"""The requests of a run on a remote engine: those the official client (fused-py) sends for the
same call, so the remote can be Fused's hosted API or another UDF Studio.

- Code (`fused.run(udf)`): the preferred realtime instance's `client_id`
  (`GET /server/v1/realtime-instance/available`) and the account (`GET /server/v1/user/self`),
  both asked once per process; then `POST /server/v1/realtime/{client_id}/api/v1/run/udf/start`
  (`/start/tiles/{z}/{x}/{y}` for a tile) under a `Fused-Run-Id`, and `GET .../run/udf/get/{id}`
  while the answer is 202. A run left before it answered (its time is up, the UDF that polls it
  was cancelled) is cancelled there with `DELETE` on that URL, which a UDF Studio remote offers.
- A saved name (`fused.run("Name")`, `"team/Name"`, `"email/Name"`, `"handle/Name"`): looked up
  as `fused.load` looks it up (`/server/v1/udf/by-user-email/{email}/by-collection/default/
  by-slug/{Name}`, `/udf/exec-env/self/...`, `/udf/by-user-handle/...`), then run as code.
- A shared token: `GET /server/v1/realtime-shared/{token}/run/file` (or `/run/tiles/{z}/{x}/{y}`)
  with the format and parameters in the query.

Runs send `X-Fused-Cache-Disable: true`, `Fused-Recursion` (the nesting level, 1 at the top) and
`fused_cache_disable_stream=true`, and `cache_max_age` in seconds when the call sets it. A run
has `RUN_TIMEOUT_S` in all, polls included. Failures to reach the remote, time-outs and answers
that are not what the API promises raise `EngineUnavailableError` naming the remote.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast
from urllib.parse import quote, urlencode, urlsplit

from ._engine_client import (
    EngineEndpoint,
    Origin,
    Response,
    _metadata,
    error_from_data,
    error_from_response,
)
from ._errors import EngineUnavailableError
from ._nesting import RECURSION_HEADER, recursion_header

if TYPE_CHECKING:
    from ._tiles import TileCoord

# The origin of an answer that is not a run of local code (a lookup, a shared token's run).
NO_ORIGIN: Final = Origin(None, 0, {})
T = TypeVar("T")

@dataclass(frozen=True, slots=True)
class Remote:
    """A configured remote engine. The token is never shown (`repr` leaves it out)."""

    name: str
    url: str
    token: str

    def __repr__(self) -> str:
        return f"Remote(name={self.name!r}, url={self.url!r})"


CONNECT_TIMEOUT_S: Final = 5.0
# The remote's own 120 s limit, plus queueing and transfer; the polls are within it.
RUN_TIMEOUT_S: Final = 150.0
# Discovery and lookups.
API_TIMEOUT_S: Final = 30.0
# The official client waits 0.1 s longer before each poll, up to this.
MAX_POLL_WAIT_S: Final = 0.8
# A request of a run gets at least this long, even when the run's time is nearly up.
MIN_REQUEST_S: Final = 1.0
# The request that cancels a run left before it answered.
CANCEL_TIMEOUT_S: Final = 5.0

INSTANCES_PATH: Final = "/server/v1/realtime-instance/available"
ACCOUNT_PATH: Final = "/server/v1/user/self"
STORAGE_PATH: Final = "/server/v1/udf"
SHARED_PATH: Final = "/server/v1/realtime-shared"
DEFAULT_COLLECTION: Final = "default"

# What each remote said about itself, by (URL, token): asked once per process, as the client does.
_known: dict[tuple[str, str], dict[str, Any]] = {}
_known_lock = threading.Lock()


def client_id(remote: Remote) -> str:
    """The `client_id` of the remote's realtime instance with the highest `preference_rank`."""
    return _kept(remote, "client_id", lambda: _preferred_instance(remote))


def account(remote: Remote) -> Mapping[str, Any]:
    """The remote's `/user/self` answer: `email` at least."""
    return _kept(remote, "account", lambda: _account(remote))


def lookup_saved(remote: Remote, name: str) -> Mapping[str, Any] | None:
    """The remote's record of the saved UDF `name` (`udf_body`, ...), or None when it has none."""
    owner, slash, slug = name.partition("/")
    if not slash:
        owner, slug = account(remote)["email"], name
        path = f"{STORAGE_PATH}/by-user-email/{_segment(owner)}"
    elif owner == "team":
        path = f"{STORAGE_PATH}/exec-env/self"
    elif "@" in owner:
        path = f"{STORAGE_PATH}/by-user-email/{_segment(owner)}"
    else:
        path = f"{STORAGE_PATH}/by-user-handle/{_segment(owner)}"
    path += f"/by-collection/{DEFAULT_COLLECTION}/by-slug/{_segment(slug)}"
    response = send(remote, "GET", path, None, _api_headers(remote), API_TIMEOUT_S)
    if response.status == 404:
        return None
    record = json_answer(remote, "GET", path, response)
    if not isinstance(record, dict):
        raise EngineUnavailableError(f"{_where(remote)} answered GET {path} with no UDF record")
    return record


def run_code(
    remote: Remote,
    step: Mapping[str, Any],
    tile: TileCoord | None,
    formats: str,
    max_age_s: int | None,
) -> Response:
    """Start a code run of `step` (a `step_config`) and poll it until it answers."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    base = f"/server/v1/realtime/{_segment(client_id(remote))}/api/v1/run/udf"
    run_id = str(uuid.uuid4())
    headers = {**_run_headers(remote), "Content-Type": "application/json", "Fused-Run-Id": run_id}
    who = account(remote)
    headers["Fused-Share-User-Email"] = who["email"]
    if isinstance(who.get("execution_environment_id"), str) and who["execution_environment_id"]:
        headers["Fused-Share-Execution-Environment-Id"] = who["execution_environment_id"]
    query = {} if max_age_s is None else {"cache_max_age": str(max_age_s)}
    query["fused_cache_disable_stream"] = "true"
    tile_path = "" if tile is None else f"/tiles/{tile.z}/{tile.x}/{tile.y}"
    body = json.dumps(
        {"step_config": json.dumps(step, allow_nan=False), "format": formats, "profile": False},
        allow_nan=False,
    ).encode("utf-8")
    target = f"{base}/start{tile_path}?{urlencode(query)}"
    response = send(remote, "POST", target, body, headers, _left(deadline))
    run_path = f"{base}/get/{run_id}"
    polls = 0
    try:
        while response.status == 202:
            if polls > 1:
                time.sleep(min((polls - 1) * 0.1, MAX_POLL_WAIT_S))
            if time.monotonic() >= deadline:
                raise EngineUnavailableError(
                    f"{_where(remote)} did not finish the run within {RUN_TIMEOUT_S:g} s"
                )
            polls += 1
            response = send(remote, "GET", run_path, None, headers, _left(deadline))
    except BaseException:
        _cancel_run(remote, run_path, headers)
        raise
    return response


def _cancel_run(remote: Remote, run_path: str, headers: Mapping[str, str]) -> None:
    """Ask the remote to stop a run nobody here waits for any more, without waiting for the
    answer (this thread may be a cancelled run's). A remote without the route refuses, and its
    run ends by its own limits."""

    def cancel() -> None:
        with contextlib.suppress(EngineUnavailableError):
            send(remote, "DELETE", run_path, None, headers, CANCEL_TIMEOUT_S)

    threading.Thread(target=cancel, name="udf-studio-remote-cancel", daemon=True).start()


def run_shared(
    remote: Remote,
    token: str,
    params: Mapping[str, str],
    tile: TileCoord | None,
    formats: str,
    max_age_s: int | None,
) -> Response:
    """Run a shared token's UDF; `params` are the parameters as query text."""
    query = {} if max_age_s is None else {"cache_max_age": str(max_age_s)}
    query.update(format=formats, profile="False", fused_cache_disable_stream="true")
    query.update(params)
    where = "/file" if tile is None else f"/tiles/{tile.z}/{tile.x}/{tile.y}"
    target = f"{SHARED_PATH}/{_segment(token)}/run{where}?{urlencode(query)}"
    return send(remote, "GET", target, None, _run_headers(remote), RUN_TIMEOUT_S)


def json_answer(remote: Remote, method: str, path: str, response: Response) -> Any:
    """The JSON of a 2xx answer to a discovery or lookup request; anything else raises."""
    if not 200 <= response.status < 300:
        raise answer_error(remote, response, None)
    try:
        return json.loads(response.payload)
    except ValueError:
        raise EngineUnavailableError(
            f"{_where(remote)} answered {method} {path} with something that is not JSON"
        ) from None


def send(
    remote: Remote,
    method: str,
    target: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
) -> Response:
    """One request to the remote; every way it can fail raises `EngineUnavailableError`."""
    import http.client

    parts = urlsplit(remote.url)
    where = _where(remote)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EngineUnavailableError(f"{where} has no usable http(s) URL")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT_S)
    try:
        try:
            connection.connect()
        except ConnectionRefusedError:
            raise EngineUnavailableError(
                f"{where} refused the connection (is it running?)"
            ) from None
        except TimeoutError:
            raise EngineUnavailableError(
                f"{where} did not accept a connection within {CONNECT_TIMEOUT_S:g} s"
            ) from None
        except OSError as exc:
            raise EngineUnavailableError(f"{where} cannot be reached: {exc}") from None
        if connection.sock is not None:
            connection.sock.settimeout(timeout)
        try:
            connection.request(
                method, parts.path.rstrip("/") + target, body=body, headers=dict(headers)
            )
            response = connection.getresponse()
            payload = response.read()
        except TimeoutError:
            raise EngineUnavailableError(
                f"{where} did not answer {method} {target.partition('?')[0]} within {timeout:.0f} s"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise EngineUnavailableError(
                f"lost the connection to {where} during the run: {type(exc).__name__}: {exc}"
            ) from None
    finally:
        connection.close()
    return Response(
        response.status,
        response.getheader("content-type") or "",
        _metadata(response.getheader("x-fused-metadata")),
        payload,
    )


def _preferred_instance(remote: Remote) -> str:
    response = send(remote, "GET", INSTANCES_PATH, None, _api_headers(remote), API_TIMEOUT_S)
    instances = json_answer(remote, "GET", INSTANCES_PATH, response)
    best: tuple[float, str] | None = None
    for instance in instances if isinstance(instances, list) else []:
        found = instance.get("client_id") if isinstance(instance, dict) else None
        if not isinstance(found, str) or not found:
            continue
        rank = instance.get("preference_rank")
        rank = rank if isinstance(rank, int | float) and not isinstance(rank, bool) else 0
        if best is None or rank > best[0]:
            best = (rank, found)
    if best is None:
        raise EngineUnavailableError(
            f"{_where(remote)} lists no realtime instance to run code on (GET {INSTANCES_PATH})"
        )
    return best[1]


def _account(remote: Remote) -> Mapping[str, Any]:
    response = send(remote, "GET", ACCOUNT_PATH, None, _api_headers(remote), API_TIMEOUT_S)
    answer = json_answer(remote, "GET", ACCOUNT_PATH, response)
    if not isinstance(answer, dict) or not isinstance(answer.get("email"), str):
        raise EngineUnavailableError(
            f"{_where(remote)} answered GET {ACCOUNT_PATH} without the account's email"
        )
    return answer


def _kept(remote: Remote, what: str, ask: Callable[[], T]) -> T:
    key = (remote.url, remote.token)
    with _known_lock:
        known = _known.get(key, {}).get(what)
    if known is not None:
        return cast(T, known)
    value = ask()  # not under the lock: a slow remote must not hold up other remotes
    with _known_lock:
        _known.setdefault(key, {})[what] = value
    return value


def _api_headers(remote: Remote) -> dict[str, str]:
    """Every request's headers (the client sends `X-Fused-Cache-Disable` with all of them)."""
    return {
        "Authorization": f"Bearer {remote.token}",
        "Accept-Encoding": "identity",
        "X-Fused-Cache-Disable": "true",
    }


def _run_headers(remote: Remote) -> dict[str, str]:
    # From a UDF, one level deeper than its own run; the remote refuses runs nested too deep.
    return {**_api_headers(remote), RECURSION_HEADER: recursion_header()}


def _left(deadline: float) -> float:
    return max(MIN_REQUEST_S, deadline - time.monotonic())


def _segment(text: str) -> str:
    """A path segment as the client writes it: escaped, but an email's `@` kept."""
    return quote(text, safe="@")


def _where(remote: Remote) -> str:
    return f"remote {remote.name!r} ({remote.url})"


def answer_error(remote: Remote, response: Response, origin: Origin | None) -> Exception:
    """The exception for a remote's non-2xx answer: the token refused, the remote's own error
    (its error body, else the UDF's error in `x-fused-metadata`, as Fused's API reports one),
    or the remote failing."""
    origin = origin or NO_ORIGIN
    if response.status in (401, 403) and b"UDF_ERR_TOKEN_DISABLED" not in response.payload:
        return EngineUnavailableError(
            f"remote {remote.name!r} ({remote.url}) refused the token ({response.status}); "
            "add the remote again with the right --token"
        )
    endpoint = EngineEndpoint(remote.url, "", 0, 0, "")
    error = error_from_response(endpoint, response, origin)
    if not isinstance(error, EngineUnavailableError):
        return error
    message = response.metadata.get("errormsg") or response.metadata.get("exception")
    if isinstance(message, str) and message:
        metadata = response.metadata
        return error_from_data(
            {
                "message": message,
                "line": metadata.get("lineno"),
                "exceptionClass": metadata.get("exception_class"),
            },
            origin,
        )
    return EngineUnavailableError(
        str(error).replace("the UDF Studio engine at", f"remote {remote.name!r} at")
    )
