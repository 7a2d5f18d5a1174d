"""Runs every Python UDF of some folders of UDFs through a real engine and says which fail and why.

    udf-studio python scripts/udf_corpus.py FOLDER... [--jobs N] [--timeout SECONDS] [--seed DIR]
        [--github-clone ORG/REPO=PATH]...

Each FOLDER is served as a workspace folder (UDF folders and collection folders in it, as
`udf-studio serve --workspace` reads them) by an engine of its own: `udf-studio serve` of this
checkout, in a temporary home that uses the existing Python runtime (`--runtime`, default
`$UDF_STUDIO_RUNTIME` or `~/.udf-studio/runtime`) and is deleted afterwards; `--seed DIR` copies
DIR into that home first (a `secrets.json`, copies under `github/` that `fused.load` would fetch,
files under `mnt/cache/`), so a run can measure UDFs with what they need in place.
`--github-clone ORG/REPO=PATH` names a local git clone in that home's settings (`githubClones`),
so `fused.load` of that repository's GitHub URLs reads the clone's history, offline.

Each UDF runs once over HTTP with its default parameters, a tile UDF for one tile: the tile under
the centre of its `fused:defaultViewState` at that view's zoom, else a fixed tile over Paris. Node
templates (notes, widgets) and code that is not Python are skipped.

Prints one line per UDF, `ok` or the first error's cause and what it names (a missing package,
a missing name of the `fused` SDK, a network host out of reach, ...), then the totals. The engine
reports a UDF's error as data (`{code, message, exceptionClass, line, traceback}`, see
docs/http-api.md) whose traceback holds only frames of UDF code (its own files and what
`fused.load` brought in) and the final exception, so the cause is read from the exception's
class and message, and the host of a network error, when the message does not name it, from the
source lines in the traceback, else from the UDF's code (marked `?`: a likely guess).

A UDF that failed only because a network host was out of reach ("needs network") is not
offline-capable and is left out of the share that ran. The engine stops a run past `--timeout`
(its worker is replaced) and runs at most `--jobs` UDFs at once, so a hung UDF costs one slot
for that long and never stalls the rest. Exit status 0 once every UDF has been tried, 2 for bad
arguments, 1 when the engine cannot start.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "bin" / "udf-studio.js"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
# Listing loads every UDF's code once in a worker; a module that hangs costs one run's limit.
LIST_TIMEOUT_S = 3600.0
# The engine answers a run it stopped at its limit; past this much more, it is not answering.
ANSWER_GRACE_S = 30.0
# Used when a tile UDF has no default view: central Paris at z12, the Tile_Grid example's tile.
DEFAULT_TILE = (12, 2074, 1409)
MAX_ZOOM = 22
MAX_LATITUDE = 85.05112878
TOP_NAMES = 8
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Kind(Enum):
    """What happened to one UDF; the value is the label a report prints."""

    OK = "ok"
    SKIPPED = "skipped"
    MISSING_PACKAGE = "missing package"
    MISSING_SDK_NAME = "missing SDK name"
    NOT_LOCAL = "no local meaning"
    NEEDS_NETWORK = "needs network"
    NEEDS_SECRET = "needs secret"
    NEEDS_PARAMETER = "needs parameter"
    DOES_NOT_LOAD = "does not load"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    UDF_ERROR = "UDF error"
    ENGINE_ERROR = "engine error"


@dataclass(frozen=True)
class Cause:
    """A failure's kind, what it names (a package, an SDK name, a host; "" when nothing), and
    the error in one line."""

    kind: Kind
    which: str
    error: str


@dataclass(frozen=True)
class RunError:
    """A failed run's error as the engine's JSON error body gives it."""

    code: str
    message: str
    exception_class: str | None = None
    line: int | None = None
    traceback: str = ""

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> RunError:
        """From `{"code", "message", "exceptionClass"?, "line"?, "traceback"?}`."""
        line = body.get("line")
        exception_class = body.get("exceptionClass")
        return cls(
            code=str(body.get("code", "UDF_ERR_UNKNOWN")),
            message=str(body.get("message", "")),
            exception_class=exception_class if isinstance(exception_class, str) else None,
            line=line if isinstance(line, int) else None,
            traceback=str(body.get("traceback") or ""),
        )

    def one_line(self, limit: int = 200, *, with_class: bool = True) -> str:
        """`Class: message (line N)`, on one line and cut to `limit` characters."""
        text = " ".join(self.message.split())
        if with_class and self.exception_class and not text.startswith(self.exception_class):
            text = f"{self.exception_class}: {text}"
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return f"{text} (line {self.line})" if self.line is not None else text


@dataclass(frozen=True)
class Outcome:
    """One UDF's line: where it is, what happened, what the cause names (or why it was skipped),
    and the detail."""

    label: str
    kind: Kind
    which: str
    detail: str

    def line(self) -> str:
        """`KIND  LABEL  WHICH: DETAIL`, the kind padded so the labels line up."""
        text = ": ".join(part for part in (self.which, self.detail) if part)
        return f"{self.kind.value:<17} {self.label}  {text}".rstrip()


@dataclass(frozen=True)
class Engine:
    """A running `udf-studio serve`: its base URL and private token."""

    url: str
    token: str

    def request(
        self, method: str, path: str, body: dict[str, Any] | None, timeout: float
    ) -> tuple[int, bytes]:
        """One request with the private token; HTTP errors come back as a status, not a raise."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str, timeout: float) -> Any:
        """GET a JSON answer; a refusal is an error naming the route."""
        status, body = self.request("GET", path, None, timeout)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return json.loads(body)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    folders = [Path(folder).resolve() for folder in args.folders]
    for folder in folders:
        if not folder.is_dir():
            print(f"udf_corpus: {folder} is not a folder", file=sys.stderr)
            return 2
    runtime = Path(args.runtime).resolve()
    if not runtime.is_dir():
        print(f"udf_corpus: no Python runtime at {runtime} (--runtime)", file=sys.stderr)
        return 2
    seed = Path(args.seed).resolve() if args.seed else None
    if seed is not None and not seed.is_dir():
        print(f"udf_corpus: {seed} is not a folder (--seed)", file=sys.stderr)
        return 2
    clones: dict[str, str] = {}
    for entry in args.github_clone:
        repo, _, path = entry.partition("=")
        clone = Path(path).expanduser().resolve() if path else None
        if not _REPO.match(repo) or clone is None or not clone.is_dir():
            usage = "--github-clone takes ORG/REPO=FOLDER (an existing clone)"
            print(f"udf_corpus: {usage}, got {entry}", file=sys.stderr)
            return 2
        clones[repo] = str(clone)
    try:
        with serving(folders, runtime, args.jobs, args.timeout, seed, clones) as engine:
            outcomes = check_all(engine, folders, args.jobs, args.timeout)
    except RuntimeError as error:
        print(f"udf_corpus: {error}", file=sys.stderr)
        return 1
    for line in summary(outcomes):
        print(line)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="udf_corpus.py",
        description="Run every Python UDF of FOLDER... once and report each one's first error.",
    )
    parser.add_argument("folders", nargs="+", metavar="FOLDER", help="a folder of UDF folders")
    parser.add_argument(
        "--jobs", type=_positive_int, default=2, help="UDFs run at once, one worker each (2)"
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=120.0, help="each run's time limit (120 s)"
    )
    parser.add_argument(
        "--runtime",
        default=os.environ.get("UDF_STUDIO_RUNTIME")
        or str(Path.home() / ".udf-studio" / "runtime"),
        help="the Python runtime (a venv) the engine's workers use",
    )
    parser.add_argument("--seed", metavar="DIR", help="a folder copied into the engine's home")
    parser.add_argument(
        "--github-clone",
        action="append",
        default=[],
        metavar="ORG/REPO=PATH",
        help="a local git clone fused.load reads that repository's GitHub URLs from (repeatable)",
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"needs a whole number above 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"needs a number of seconds above 0, got {text}")
    return value


@contextmanager
def serving(
    folders: list[Path],
    runtime: Path,
    workers: int,
    timeout: float,
    seed: Path | None,
    clones: dict[str, str] | None = None,
) -> Iterator[Engine]:
    """`udf-studio serve` on a free port in a temporary home (a copy of `seed`, when given, with
    `clones` as its settings' `githubClones`), stopped and deleted afterwards."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH, so no engine can be started")
    home = Path(tempfile.mkdtemp(prefix="udf-corpus-home-"))
    if seed is not None:
        shutil.copytree(seed, home, dirs_exist_ok=True)
    if clones:
        settings_file = home / "settings.json"
        settings = json.loads(settings_file.read_text()) if settings_file.exists() else {}
        settings["githubClones"] = {**settings.get("githubClones", {}), **clones}
        settings_file.write_text(json.dumps(settings, indent=2))
    env = {**os.environ, "UDF_STUDIO_HOME": str(home), "UDF_STUDIO_RUNTIME": str(runtime)}
    for name in ("UDF_STUDIO_WORKSPACES", "UDF_STUDIO_WORKER"):
        env.pop(name, None)
    command = [node, str(CLI), "serve", "--port", "0", "--workers", str(workers),
               "--timeout", str(timeout)]
    for folder in folders:
        command += ["--workspace", str(folder)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = _listening_url(process)
        token = json.loads((home / "credentials").read_text())["access_token"]
        yield Engine(url, str(token))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(home, ignore_errors=True)


def _listening_url(process: subprocess.Popen[str]) -> str:
    """Waits for serve's `listening on URL` line; its output is drained from then on."""
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:  # a full pipe would block the engine
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            raise RuntimeError("udf-studio serve did not start:\n" + "".join(seen[-20:]))
        seen.append(line)
        if line.startswith("listening on "):
            return line.removeprefix("listening on ").strip()


def check_all(engine: Engine, folders: list[Path], jobs: int, timeout: float) -> list[Outcome]:
    """Every UDF of the folders, checked `jobs` at a time; each line printed as soon as it and
    every line before it are known, in the listing's order."""
    listed = [entry for entry in engine.json("/api/library", LIST_TIMEOUT_S)["udfs"]
              if not entry.get("example")]
    # The engine finds a UDF by its folder's name, taking the first in its listing's order.
    first_dir: dict[str, str] = {}
    for entry in listed:
        first_dir.setdefault(entry["name"], entry["dir"])
    entries = sorted(listed, key=lambda entry: _label(entry, folders))
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(
            lambda entry: check(engine, entry, _label(entry, folders), first_dir, timeout),
            entries,
        ):
            print(outcome.line(), flush=True)
            outcomes.append(outcome)
    return outcomes


def _label(entry: dict[str, Any], folders: list[Path]) -> str:
    """The UDF's folder relative to the parent of its workspace folder: `public/Coll/Name`."""
    directory = Path(entry["dir"])
    for folder in folders:
        if directory.is_relative_to(folder):
            return directory.relative_to(folder.parent).as_posix()
    return directory.as_posix()


def check(
    engine: Engine, entry: dict[str, Any], label: str, first_dir: dict[str, str], timeout: float
) -> Outcome:
    """Runs one UDF (or says why it is skipped) and sorts its first error into a cause."""
    name = str(entry["name"])
    if entry.get("state") == "node-template":
        return Outcome(label, Kind.SKIPPED, "node template", "")
    if first_dir[name] != entry["dir"]:
        return Outcome(label, Kind.SKIPPED, "shadowed", f"{first_dir[name]} has its name")
    quoted = urllib.parse.quote(name, safe="")
    try:
        detail = engine.json(f"/api/udfs/{quoted}", LIST_TIMEOUT_S)
    except RuntimeError as error:  # one UDF the engine cannot describe must not end the run
        return Outcome(label, Kind.ENGINE_ERROR, "", str(error))
    code_file = detail.get("codeFile")
    if isinstance(code_file, str) and not code_file.endswith(".py"):
        return Outcome(label, Kind.SKIPPED, "not Python", code_file)
    if detail.get("state") == "broken":
        return _failed(label, RunError.from_body(detail.get("error") or {}), str(detail["code"]))
    started = time.monotonic()
    try:
        if detail.get("tile"):
            z, x, y = tile_for(detail.get("viewState"))
            where = f"tile {z}/{x}/{y}, "
            status, body = engine.request(
                "GET", f"/api/udfs/{quoted}/tiles/{z}/{x}/{y}", None, timeout + ANSWER_GRACE_S
            )
        else:
            where = ""
            status, body = engine.request(
                "POST", f"/api/udfs/{quoted}/run", {"params": {}}, timeout + ANSWER_GRACE_S
            )
    except (TimeoutError, urllib.error.URLError) as error:
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, TimeoutError):
            return Outcome(label, Kind.TIMEOUT, "", f"no answer in {timeout + ANSWER_GRACE_S:g} s")
        return Outcome(label, Kind.ENGINE_ERROR, "", f"the engine did not answer: {reason}")
    seconds = time.monotonic() - started
    if status in (200, 204):
        return Outcome(label, Kind.OK, "", f"{where}{seconds:.1f} s")
    return _failed(label, _error_of(status, body), str(detail["code"]))


def _failed(label: str, error: RunError, code: str) -> Outcome:
    cause = classify(error, code)
    return Outcome(label, cause.kind, cause.which, cause.error)


def _error_of(status: int, body: bytes) -> RunError:
    """The engine's error body, or the status itself when the body is not one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        return RunError.from_body(parsed["error"])
    return RunError("UDF_ERR_UNKNOWN", f"HTTP {status}: {body[:200]!r}")


def tile_for(view_state: Any) -> tuple[int, int, int]:
    """The XYZ tile under a `fused:defaultViewState`'s centre at its (rounded) zoom, or
    DEFAULT_TILE without a usable one."""
    if not isinstance(view_state, dict):
        return DEFAULT_TILE
    try:
        latitude = float(view_state["latitude"])
        longitude = float(view_state["longitude"])
        zoom = float(view_state["zoom"])
    except (KeyError, TypeError, ValueError):
        return DEFAULT_TILE
    if not all(math.isfinite(value) for value in (latitude, longitude, zoom)):
        return DEFAULT_TILE
    z = min(max(round(zoom), 0), MAX_ZOOM)
    count = 2**z
    latitude = min(max(latitude, -MAX_LATITUDE), MAX_LATITUDE)
    longitude = (longitude + 180.0) % 360.0 - 180.0
    x = int((longitude + 180.0) / 360.0 * count)
    mercator = math.asinh(math.tan(math.radians(latitude)))
    y = int((1.0 - mercator / math.pi) / 2.0 * count)
    return z, min(max(x, 0), count - 1), min(max(y, 0), count - 1)


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def summary(outcomes: list[Outcome]) -> list[str]:
    """The totals: Python UDFs, skipped ones, those needing network, the offline-capable share
    that ran, then each failure cause with its count and the names it gave most often."""
    kinds = Counter(outcome.kind for outcome in outcomes)
    skipped = Counter(outcome.which for outcome in outcomes if outcome.kind is Kind.SKIPPED)
    ran = len(outcomes) - kinds[Kind.SKIPPED]
    offline = ran - kinds[Kind.NEEDS_NETWORK]
    # Some UDFs take a parameter with no default (a file's path): they never run as they are.
    with_defaults = offline - kinds[Kind.NEEDS_PARAMETER]
    skipped_text = ", ".join(f"{why}: {count}" for why, count in sorted(skipped.items()))
    lines = [
        "",
        f"total: {ran} Python UDFs run, {kinds[Kind.SKIPPED]} skipped"
        + (f" ({skipped_text})" if skipped_text else ""),
        f"needs network: {kinds[Kind.NEEDS_NETWORK]}",
        f"offline-capable: {offline}, ok: {kinds[Kind.OK]} ({_share(kinds[Kind.OK], offline)})",
        f"offline-capable with a default for every parameter: {with_defaults}, ok: "
        f"{kinds[Kind.OK]} ({_share(kinds[Kind.OK], with_defaults)})",
    ]
    for kind in Kind:
        if kind in (Kind.OK, Kind.SKIPPED) or not kinds[kind]:
            continue
        names = Counter(o.which for o in outcomes if o.kind is kind and o.which)
        top = ", ".join(f"{which} {count}" for which, count in names.most_common(TOP_NAMES))
        lines.append(f"  {kind.value:<17} {kinds[kind]:>4}" + (f"  {top}" if top else ""))
    return lines


# Codes the engine gives for a run it stopped or lost, whatever the UDF's code says.
_TIMEOUT_CODES = {"UDF_ERR_TIMEOUT"}
_CRASH_CODES = {"UDF_ERR_WORKER_CRASHED", "UDF_ERR_MEMORY", "UDF_ERR_MEMORY_LIMIT"}
_PARAMETER_CODES = {"UDF_ERR_MISSING_PARAM", "UDF_ERR_PARAM"}
_LOAD_CODES = {"UDF_ERR_SYNTAX", "UDF_ERR_IMPORT", "UDF_ERR_NO_ENTRYPOINT", "UDF_ERR_BAD_FOLDER"}

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
# How an enclosing run's error names the nested UDF that raised (fused/_errors.py).
_NESTED = re.compile(r" \(in the UDF '[^']*'\)$")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'")
_NO_ATTRIBUTE = re.compile(r"module '(fused(?:\.[\w.]+)?)' has no attribute '(\w+)'")
# Objects the SDK hands to UDF code, whose missing methods are SDK gaps too.
_SDK_OBJECTS = ("Udf", "JobPool", "UdfAccessToken", "RunHandle")
_SDK_OBJECT = re.compile(rf"'({'|'.join(_SDK_OBJECTS)})' object has no attribute '(\w+)'")
_NO_OPTION = re.compile(r"fused\.options has no option '(\w+)'")
# `JobPool.results() got ...` names its class; a plain function's name is looked for as `fused.`
# code in the UDF's source lines.
_UNEXPECTED_KEYWORD = re.compile(r"([\w.]+)\(\) got an unexpected keyword argument '(\w+)'")
_NOT_LOCAL = re.compile(r"(fused[\w.]*) has no local meaning")
_SECRET = re.compile(r"no secret named '([^']+)'")
# Libraries that name a missing optional dependency in words rather than by ModuleNotFoundError.
_PACKAGE_HINTS = (
    re.compile(r"Missing optional dependency '([\w.-]+)'"),
    re.compile(r"\bInstall ([\w.-]+) to\b"),
    re.compile(r"\bpip install ([\w.-]+)"),
    re.compile(r"\bneeds the ([\w.-]+) package"),
)
# Said by the resolver, urllib3, curl (GDAL), botocore, DuckDB and fused.load when a host is out of
# reach; this machine resolves no names but package registries', so these mean "needs network".
_NETWORK_SIGNS = re.compile(
    r"Name or service not known|Temporary failure in name resolution|nodename nor servname"
    r"|getaddrinfo failed|No address associated with hostname|Failed to resolve"
    r"|Could not resolve host|NameResolutionError|Could not connect to the endpoint URL"
    r"|Network is unreachable|Could not establish connection|Max retries exceeded with url"
    r"|Failed to establish a new connection|ClientConnectorError|ConnectTimeout",
    re.IGNORECASE,
)
_HOST_PATTERNS = (
    re.compile(r"host='([^']+)'"),
    re.compile(r"Failed to resolve '([^']+)'"),
    re.compile(r"Could not resolve host:? '?([\w.-]+)"),
    re.compile(r"Cannot connect to host ([\w.-]+)"),
    re.compile(r"\b(?:https?|wss?|ftp)://(?:[^@/\s'\"]*@)?([\w.-]+)"),
    re.compile(r"\b((?:s3|gs|gcs|az|abfs)://[\w.-]+)"),
)


def classify(error: RunError, code: str = "") -> Cause:
    """The cause of one failed run (or of code that does not load); `code` is the UDF's source,
    where a network error's host is looked for last."""
    text = error.one_line()
    if error.code in _TIMEOUT_CODES:
        return Cause(Kind.TIMEOUT, "", text)
    if error.code in _CRASH_CODES:
        return Cause(Kind.CRASHED, "", text)
    found = _from_message(error, code)
    if found is not None:
        kind, which = found
        return Cause(kind, which, text)
    if error.code in _PARAMETER_CODES:
        return Cause(Kind.NEEDS_PARAMETER, _quoted(error.message), text)
    if error.code in _LOAD_CODES:
        return Cause(Kind.DOES_NOT_LOAD, "", text)
    if error.code == "UDF_ERR_RUNTIME":
        # The exception's class is what it names; the text then need not repeat it.
        return Cause(Kind.UDF_ERROR, error.exception_class or "", error.one_line(with_class=False))
    return Cause(Kind.ENGINE_ERROR, error.code, text)


def _from_message(error: RunError, code: str) -> tuple[Kind, str] | None:
    message = error.message
    module = _NO_MODULE.search(message)
    if module:
        name = module.group(1)
        if name == "fused" or name.startswith("fused."):
            return Kind.MISSING_SDK_NAME, name
        return Kind.MISSING_PACKAGE, name.split(".")[0]
    imported = _CANNOT_IMPORT.search(message)
    if imported and imported.group(2).split(".")[0] == "fused":
        return Kind.MISSING_SDK_NAME, f"{imported.group(2)}.{imported.group(1)}"
    attribute = _NO_ATTRIBUTE.search(message) or _SDK_OBJECT.search(message)
    if attribute:
        return Kind.MISSING_SDK_NAME, f"{attribute.group(1)}.{attribute.group(2)}"
    option = _NO_OPTION.search(message)
    if option:
        return Kind.MISSING_SDK_NAME, f"fused.options.{option.group(1)}"
    keyword = _UNEXPECTED_KEYWORD.search(message)
    if keyword:
        sdk_callable = _sdk_callable(keyword.group(1), error.traceback)
        if sdk_callable:
            return Kind.MISSING_SDK_NAME, f"{sdk_callable}({keyword.group(2)}=)"
    not_local = _NOT_LOCAL.search(message)
    if not_local:
        return Kind.NOT_LOCAL, not_local.group(1)
    secret = _SECRET.search(message)
    if secret:
        return Kind.NEEDS_SECRET, secret.group(1)
    if _NETWORK_SIGNS.search(message):
        # A nested UDF's error: the calling UDF's code does not say what the inner one reached.
        nested = error.exception_class == "UdfRuntimeError" or bool(_NESTED.search(message))
        return Kind.NEEDS_NETWORK, network_host(message, error.traceback, "" if nested else code)
    for hint in _PACKAGE_HINTS:
        package = hint.search(message)
        if package:
            return Kind.MISSING_PACKAGE, package.group(1)
    if imported:  # `from package import name` of a package that lacks the name
        return Kind.MISSING_PACKAGE, f"{imported.group(2)}.{imported.group(1)}"
    return None


def network_host(message: str, traceback: str = "", code: str = "") -> str:
    """The host a network error names: from the message, else from the UDF's source lines in the
    traceback, else the first one the UDF's code names, marked `?` (a likely guess: the URL is
    often built in a variable); "unknown host" when none names one."""
    for text in (message, traceback):
        host = _first_host(text)
        if host:
            return host
    guess = _first_host(code)
    return f"{guess}?" if guess else "unknown host"


def _first_host(text: str) -> str | None:
    for pattern in _HOST_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def _sdk_callable(name: str, traceback: str) -> str | None:
    """`name` as the SDK's (`JobPool.results`, `fused.api.list`) when it is one, else None."""
    if name.split(".")[0] in _SDK_OBJECTS:
        return name
    called = re.search(rf"\b(fused(?:\.\w+)*\.{re.escape(name)})\(", traceback)
    return called.group(1) if called else None


def _quoted(message: str) -> str:
    """The first quoted name in a message (a parameter's), else ""."""
    match = re.search(r"[\"'`](\w+)[\"'`]", message)
    return match.group(1) if match else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
