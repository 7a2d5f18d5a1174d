"""Runs on a configured remote engine: `fused.run(..., engine="remote")` (or "realtime",
"batch" and the instance names).

Remote engines are configured with `udf-studio remote add NAME URL --token T`, kept in
`$UDF_STUDIO_HOME/remotes.json`; runs go to `$UDF_STUDIO_REMOTE` when set, else the first one.
"realtime" without a remote configured is the local engine. A `Udf` travels as a code run (its
code, headers and JSON parameters in `step_config`), a name (`name`, `team/name`) is looked up on
the remote and its code run the same way, a token (`fsh_...`) runs the remote's shared token: the
requests are the official client's (`_remote_api`). The answer is decoded, its stdout/stderr
echoed and its errors raised as for a run on the local engine; the remote being unreachable,
slow, refusing the token or answering nonsense raises `EngineUnavailableError` naming the remote.
`run_remote_call` is one call on a named remote, for `fused.submit(..., engine="remote")` to fan
out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from ._cache import sent_max_age
from ._engine_client import (
    MAX_BODY_BYTES,
    RESULT_FORMATS,
    Origin,
    Response,
    RunHere,
    call_step_udf,
    decode_result,
    echo_output,
    json_object,
    origin_of,
)
from ._errors import UDF_ERR_NOT_FOUND, EngineUnavailableError, UdfLoadError
from ._invoke import REMOTE_ENGINES
from ._remote_api import NO_ORIGIN, Remote, answer_error, lookup_saved, run_code, run_shared
from ._shared_disk import studio_home

if TYPE_CHECKING:
    from ._tiles import TileCoord
    from ._udf import Udf

REMOTE_ENV: Final = "UDF_STUDIO_REMOTE"


def goes_remote(engine: str | None) -> bool:
    """Whether a run with this engine name goes to a remote engine.

    "remote" always means the remote, and says so when none is configured. "realtime" (Fused's
    serverless engine) and the batch names ("batch", "small", ...) mean the configured remote
    when there is one, else this machine's engine (as Fused's docs have it for UDF Studio): a
    realtime run, or a batch job (`_batch_run`).
    """
    if engine not in REMOTE_ENGINES:
        return False
    if engine == "remote":
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
        udf_step, code = call_step_udf(udf, args, params, tile)
    except RunHere as why:
        raise _cannot_run(target, udf.name, why) from None
    step = _checked_step(target, udf.name, udf_step)
    response = run_code(target, step, tile, RESULT_FORMATS, sent_max_age(cache, cache_max_age))
    return _answer(target, response, origin_of(udf, code), params)


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
        plain = json_object(params, "parameter")
    except RunHere as why:
        raise _cannot_run(target, name_or_token, why) from None
    max_age_s = sent_max_age(cache, cache_max_age)
    if name_or_token.startswith("fsh_"):
        texts = {
            name: value if isinstance(value, str) else json.dumps(value)
            for name, value in plain.items()
        }
        response = run_shared(target, name_or_token, texts, tile, RESULT_FORMATS, max_age_s)
        return _answer(target, response, NO_ORIGIN, params)
    record = lookup_saved(target, name_or_token)
    if record is None:
        raise UdfLoadError(
            f"remote {target.name!r} has no saved UDF {name_or_token!r}", code=UDF_ERR_NOT_FOUND
        )
    step = _checked_step(target, name_or_token, _saved_udf(target, name_or_token, record, plain))
    response = run_code(target, step, tile, RESULT_FORMATS, max_age_s)
    return _answer(target, response, NO_ORIGIN, params)


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


def _cannot_run(remote: Remote, what: str, why: RunHere) -> EngineUnavailableError:
    return EngineUnavailableError(f"cannot run {what!r} on remote {remote.name!r}: {why}")


def _answer(
    remote: Remote, response: Response, origin: Origin, params: Mapping[str, object]
) -> Any:
    echo_output(response.metadata, params, failed=not 200 <= response.status < 300)
    if response.status == 204 or (response.status == 200 and not response.payload):
        return None  # an empty answer is None, as the client reads it
    if 200 <= response.status < 300:
        return decode_result(response.content_type, response.payload)
    raise answer_error(remote, response, origin)


def _saved_udf(
    remote: Remote, name: str, record: Mapping[str, Any], parameters: Mapping[str, Any]
) -> dict[str, Any]:
    """The `udf` of a saved UDF's code run: its body as the remote keeps it, with the call's
    parameters over its own (its headers stay in the remote's own form)."""
    body: Any = record.get("udf_body")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = None
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise EngineUnavailableError(
            f"remote {remote.name!r} ({remote.url}) sent the saved UDF {name!r} without its code"
        )
    own = body.get("parameters")
    return {
        "type": body.get("type") or "geopandas_v2",
        "name": body.get("name") or name.rpartition("/")[2],
        "entrypoint": body.get("entrypoint") or "udf",
        "parameters": {**(own if isinstance(own, dict) else {}), **parameters},
        "metadata": body.get("metadata") if isinstance(body.get("metadata"), dict) else {},
        "code": body["code"],
        "headers": body.get("headers") if isinstance(body.get("headers"), list) else [],
    }


def _checked_step(remote: Remote, name: str, udf: Mapping[str, Any]) -> dict[str, Any]:
    """A code run's `step_config`, within the request size an engine takes."""
    step = {"type": "udf", "name": udf["name"], "udf": dict(udf)}
    size = len(json.dumps(step))
    if size > MAX_BODY_BYTES:
        raise EngineUnavailableError(
            f"cannot run {name!r} on remote {remote.name!r}: the run's code and parameters "
            f"({size // 1024} KiB) are over the {MAX_BODY_BYTES // (1024 * 1024)} MiB request limit"
        )
    return step
