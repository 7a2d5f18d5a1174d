"""Runs on a configured remote engine: `fused.run(..., engine="remote")` (or "realtime",
"batch" and the instance names).

Remote engines are configured with `udf-studio remote add NAME URL --token T`, kept in
`$UDF_STUDIO_HOME/remotes.json`; runs go to `$UDF_STUDIO_REMOTE` when set, else the first one.
"realtime" without a remote configured is the local engine. A `Udf` travels as a code run (its
code, headers and JSON parameters in `step_config`), a name (`name`, `team/name`) runs the
remote's saved UDF, a token (`fsh_...`) the remote's shared token. The answer is decoded, its
stdout/stderr echoed and its errors raised as for a run on the local engine; the remote being
unreachable, slow, refusing the token or answering nonsense raises `EngineUnavailableError`
naming the remote. `run_remote_call` is one call on a named remote, for
`fused.submit(..., engine="remote")` to fan out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode, urlsplit

from ._call import REMOTE_ENGINES
from ._engine_client import (
    EngineEndpoint,
    Origin,
    Response,
    RunHere,
    _code_run_body,
    _metadata,
    _target,
    decode_result,
    echo_output,
    error_from_response,
    run_query,
)
from ._errors import EngineUnavailableError
from ._nesting import RECURSION_HEADER, in_run, recursion_header
from ._shared_disk import studio_home

if TYPE_CHECKING:
    from ._tiles import TileCoord
    from ._udf import Udf

REMOTE_ENV: Final = "UDF_STUDIO_REMOTE"
CONNECT_TIMEOUT_S: Final = 5.0
# The remote's own 120 s limit, plus queueing and transfer.
RUN_TIMEOUT_S: Final = 150.0
_SAVED_PATH: Final = "/server/v1/realtime/default/api/v1/run/udf/saved"


@dataclass(frozen=True, slots=True)
class Remote:
    """A configured remote engine. The token is never shown (`repr` leaves it out)."""

    name: str
    url: str
    token: str

    def __repr__(self) -> str:
        return f"Remote(name={self.name!r}, url={self.url!r})"


def goes_remote(engine: str | None) -> bool:
    """Whether a run with this engine name goes to a remote engine.

    "realtime" is Fused's serverless engine: the configured remote when there is one, else the
    local engine (as Fused's docs have it for UDF Studio). Every other remote name always means
    the remote, and says so when none is configured.
    """
    if engine not in REMOTE_ENGINES:
        return False
    if engine != "realtime":
        return True
    try:
        return bool(os.environ.get(REMOTE_ENV)) or bool(_read_remotes())
    except EngineUnavailableError:
        return True  # a damaged remotes.json: let the run report it


def configured_remote(name: str | None = None) -> Remote:
    """The remote called `name`, else `$UDF_STUDIO_REMOTE`'s, else the first one configured."""
    remotes = _read_remotes()
    wanted = name or os.environ.get(REMOTE_ENV) or None
    if wanted is None:
        if not remotes:
            raise EngineUnavailableError(
                "no remote engine is configured; add one with: "
                "udf-studio remote add NAME URL --token TOKEN"
            )
        return remotes[0]
    for remote in remotes:
        if remote.name == wanted:
            return remote
    known = ", ".join(remote.name for remote in remotes) or "none"
    raise EngineUnavailableError(f"no remote engine named {wanted!r} (configured: {known})")


def _read_remotes() -> list[Remote]:
    path = studio_home() / "remotes.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise EngineUnavailableError(f"{path} cannot be read: {exc}") from None
    entries = data.get("remotes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise EngineUnavailableError(f'{path} must hold {{"remotes": [...]}}')
    return [
        Remote(entry["name"], entry["url"].rstrip("/"), entry["token"])
        for entry in entries
        if isinstance(entry, dict)
        and all(isinstance(entry.get(key), str) for key in ("name", "url", "token"))
    ]


def run_on_remote(
    udf: Udf,
    args: Sequence[object],
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    cache: bool = True,
    cache_max_age: int | str | None = None,
    remote: str | None = None,
) -> Any:
    """Run a checked call of a `Udf` on the remote as a code run; return its data."""
    target = configured_remote(remote)
    try:
        body, origin = _code_run_body(udf, args, params, tile, cache)
    except RunHere as why:
        raise EngineUnavailableError(
            f"cannot run {udf.name!r} on remote {target.name!r}: {why}"
        ) from None
    path = _target(tile, cache, cache_max_age)
    return _answer(target, _send(target, "POST", path, body), origin)


def run_saved_on_remote(
    name_or_token: str,
    params: Mapping[str, object],
    tile: TileCoord | None,
    *,
    cache: bool = True,
    cache_max_age: int | str | None = None,
    remote: str | None = None,
) -> Any:
    """Run the remote's saved UDF (`name`, `team/name`) or shared token (`fsh_...`)."""
    target = configured_remote(remote)
    try:
        query = run_query(params, cache, cache_max_age)
    except RunHere as why:
        raise EngineUnavailableError(
            f"cannot run {name_or_token!r} on remote {target.name!r}: {why}"
        ) from None
    tile_path = "" if tile is None else f"/tiles/{tile.z}/{tile.x}/{tile.y}"
    if name_or_token.startswith("fsh_"):
        base = f"/server/v1/realtime-shared/{quote(name_or_token, safe='')}/run"
        path = base + (tile_path or "/file")
    else:
        owner, _, name = name_or_token.rpartition("/")
        path = f"{_SAVED_PATH}/{quote(owner or 'me', safe='')}/{quote(name, safe='')}{tile_path}"
    response = _send(target, "GET", f"{path}?{urlencode(query)}", None)
    return _answer(target, response, Origin(None, 0, {}))


def run_remote_call(
    udf: Udf | str,
    params: Mapping[str, object] | None = None,
    *,
    remote: str | None = None,
    tile: TileCoord | None = None,
    cache: bool = True,
    cache_max_age: int | str | None = None,
) -> Any:
    """One call on a named remote (the default one when None): for `fused.submit` per item.

    `udf` is a `Udf` (sent as code) or a saved name or token on the remote. Raises as
    `fused.run(..., engine="remote")` does.
    """
    if isinstance(udf, str):
        return run_saved_on_remote(
            udf, params or {}, tile, cache=cache, cache_max_age=cache_max_age, remote=remote
        )
    return run_on_remote(
        udf, (), params or {}, tile, cache=cache, cache_max_age=cache_max_age, remote=remote
    )


def _answer(remote: Remote, response: Response, origin: Origin) -> Any:
    echo_output(response.metadata)
    if response.status == 204:
        return None
    if 200 <= response.status < 300:
        return decode_result(response.content_type, response.payload)
    if response.status in (401, 403) and b"UDF_ERR_TOKEN_DISABLED" not in response.payload:
        raise EngineUnavailableError(
            f"remote {remote.name!r} ({remote.url}) refused the token ({response.status}); "
            "add the remote again with the right --token"
        )
    endpoint = EngineEndpoint(remote.url, "", 0, 0, "")
    error = error_from_response(endpoint, response, origin)
    if isinstance(error, EngineUnavailableError):
        raise EngineUnavailableError(
            str(error).replace("the UDF Studio engine at", f"remote {remote.name!r} at")
        )
    raise error


def _send(remote: Remote, method: str, target: str, body: bytes | None) -> Response:
    import http.client

    parts = urlsplit(remote.url)
    where = f"remote {remote.name!r} ({remote.url})"
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
            connection.sock.settimeout(RUN_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {remote.token}", "Accept-Encoding": "identity"}
        if in_run():  # a UDF calling a UDF: the remote counts the nesting too
            headers[RECURSION_HEADER] = recursion_header()
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, parts.path.rstrip("/") + target, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except TimeoutError:
            raise EngineUnavailableError(
                f"{where} did not answer within {RUN_TIMEOUT_S:g} s"
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
