"""Runs every Python UDF of some folders of UDFs through a real engine and says which fail and why.

    udf-studio python scripts/udf_corpus.py FOLDER... [--jobs N] [--timeout SECONDS] [--seed DIR]
        [--github-clone ORG/REPO=PATH]... [--param UDF:NAME=VALUE]...

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

A UDF that "needs network" is not offline-capable and is left out of the share that ran. Its line
states the evidence: a host out of reach in its error; a run that answered, but with nothing or a
one-row table of errors, and printed or returned such an error (UDFs that catch it); a run again
with a placeholder for the secret it lacked (in the temporary home) that then reached for a host;
a `fused.api.*_connect` integration of Fused's cloud; a failure after loading, by name, a UDF of
the folders that needs network; a run that failed or timed out while a job it started (its
`udf.map`, read from the engine's job records) had runs that failed reaching a host. A UDF that
imports a module of Fused's own servers (`job2`) "needs Fused's servers" and is not
offline-capable either.

A file opener (README `<!--fused:filePreview-->`) is what Fused's file browser runs on the file a
user opens, as `path`; Fused never runs it without one. So, as Fused does, one whose `path` has no
usable default runs on a sample file of the first type its README names (scripts/corpus_samples.py
writes it in the temporary home), and its line says so ("opened on sample.csv"); without a sample
of its type it "needs parameter" `path`. `--param UDF:NAME=VALUE` gives a UDF a value in place of
its default (or of the sample).

The engine stops a run past `--timeout` (its worker is replaced) and runs at most `--jobs` UDFs
at once, so a hung UDF costs one slot for that long and never stalls the rest. A run that timed
out while jobs of other UDFs ran (their runs start at once, as nested runs, and can take every
core) runs once more after those jobs have ended, and its line says so. Exit status 0 once
every UDF has been tried, 2 for bad arguments, 1 when the engine cannot start.
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
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from corpus_samples import FILE_PREVIEW_MARK, Samples, sample_for

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
_GIVEN = re.compile(r"([^:=\s]+):([A-Za-z_]\w*)=(.*)", re.DOTALL)
# A UDF waits this many run limits for the outcome of one it loads before going on without it.
DEPENDENCY_WAITS = 3
# The value a missing secret gets when its UDF runs again, and how many secrets in a row.
PLACEHOLDER_SECRET = "udf-corpus-placeholder"
MAX_SECRET_ROUNDS = 3
_SECRETS_LOCK = threading.Lock()
# How long one question to the engine waits for a job to change (its longest long-poll).
JOB_POLL_MS = 30_000
# A job counts as started by a run when the engine made it between the run's start and end, give
# or take this much (the script's clock and the engine's are the same machine's).
JOB_TIME_SLACK_S = 1.0
KIND_HEADER = "x-udf-studio-kind"
CACHE_HEADER = "x-udf-studio-cache"
METADATA_HEADER = "x-fused-metadata"
# `fused.load("name")` / `fused.run("name")` of a UDF by its bare name (not a path or URL).
_LOADS_BY_NAME = re.compile(r"""fused\.(?:load|run)\(\s*["']([A-Za-z0-9_-]+)["']""")
# The integrations of Fused's cloud (`fused.api.airtable_connect`, ...): the service they reach.
_CLOUD_CONNECT = re.compile(r"fused\.api\.(\w+)_connect")


class Kind(Enum):
    """What happened to one UDF; the value is the label a report prints."""

    OK = "ok"
    SKIPPED = "skipped"
    MISSING_PACKAGE = "missing package"
    MISSING_SDK_NAME = "missing SDK name"
    NOT_LOCAL = "no local meaning"
    NEEDS_NETWORK = "needs network"
    NEEDS_FUSED = "needs Fused's servers"
    NEEDS_SECRET = "needs secret"
    NEEDS_PARAMETER = "needs parameter"
    DOES_NOT_LOAD = "does not load"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    UDF_ERROR = "UDF error"
    ENGINE_ERROR = "engine error"


# The longest kind's label: lines pad their kind to it, so the labels line up.
KIND_WIDTH = max(len(kind.value) for kind in Kind)


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
        return f"{self.kind.value:<{KIND_WIDTH}} {self.label}  {text}".rstrip()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status, body and headers (names in lower case)."""

    status: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Engine:
    """A running `udf-studio serve`: its base URL, private token and (temporary) home."""

    url: str
    token: str
    home: Path

    def request(
        self, method: str, path: str, body: dict[str, Any] | None, timeout: float
    ) -> Answer:
        """One request with the private token; HTTP errors come back as a status, not a raise."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                headers = {name.lower(): value for name, value in response.headers.items()}
                return Answer(int(response.status), bytes(response.read()), headers)
        except urllib.error.HTTPError as error:
            headers = {name.lower(): value for name, value in error.headers.items()}
            return Answer(error.code, error.read(), headers)

    def json(self, path: str, timeout: float) -> Any:
        """GET a JSON answer; a refusal is an error naming the route."""
        answer = self.request("GET", path, None, timeout)
        if answer.status != 200:
            raise RuntimeError(f"GET {path} answered {answer.status}: {answer.body[:300]!r}")
        return json.loads(answer.body)

    def add_placeholder_secrets(self, names: set[str]) -> None:
        """Gives each secret name a placeholder value in the engine's home, which is this
        script's own temporary one (workers read the file afresh when it changes)."""
        with _SECRETS_LOCK:
            path = self.home / "secrets.json"
            stored = json.loads(path.read_text()) if path.exists() else {}
            secrets = stored.setdefault("secrets", {})
            for name in names:
                secrets.setdefault(name, PLACEHOLDER_SECRET)
            scratch = path.with_suffix(".tmp")
            scratch.write_text(json.dumps(stored))
            scratch.chmod(0o600)
            scratch.replace(path)


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
    given: dict[str, dict[str, str]] = {}
    for entry in args.param:
        match = _GIVEN.fullmatch(entry)
        if match is None:
            print(f"udf_corpus: --param takes UDF:NAME=VALUE, got {entry}", file=sys.stderr)
            return 2
        given.setdefault(match.group(1), {})[match.group(2)] = match.group(3)
    try:
        with serving(folders, runtime, args.jobs, args.timeout, seed, clones) as engine:
            outcomes = check_all(engine, folders, args.jobs, args.timeout, given)
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
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="UDF:NAME=VALUE",
        help="a parameter value for the UDF named UDF, instead of its default (repeatable)",
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
        yield Engine(url, str(token), home)
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


def check_all(
    engine: Engine,
    folders: list[Path],
    jobs: int,
    timeout: float,
    given: dict[str, dict[str, str]] | None = None,
) -> list[Outcome]:
    """Every UDF of the folders, checked `jobs` at a time (with the parameters `given` by UDF
    name); each line printed as soon as it and every line before it are known, in the listing's
    order."""
    listed = [entry for entry in engine.json("/api/library", LIST_TIMEOUT_S)["udfs"]
              if not entry.get("example")]
    given = given or {}
    for name in sorted(set(given) - {str(entry["name"]) for entry in listed}):
        print(f"udf_corpus: --param names {name}, which no folder has", file=sys.stderr)
    checker = Checker(engine, listed, folders, timeout, given, Samples(engine.home / "samples"))
    entries = sorted(listed, key=lambda entry: _label(entry, folders))
    outcomes: list[Outcome] = []
    # Writing a sample redirects sys.stdout for a moment, in another thread: the lines go here.
    report = sys.stdout
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for outcome in pool.map(checker.check, entries):
            print(outcome.line(), file=report, flush=True)
            outcomes.append(outcome)
    return outcomes


def _label(entry: dict[str, Any], folders: list[Path]) -> str:
    """The UDF's folder relative to the parent of its workspace folder: `public/Coll/Name`."""
    directory = Path(entry["dir"])
    for folder in folders:
        if directory.is_relative_to(folder):
            return directory.relative_to(folder.parent).as_posix()
    return directory.as_posix()


@dataclass(frozen=True)
class Attempt:
    """What a run of one UDF is made of: its line's label, the name the engine finds it by, its
    page, the values `--param` gives it and the sample a file opener is opened on."""

    label: str
    name: str
    detail: dict[str, Any]
    given: dict[str, str]
    opened: Path | None


class Checker:
    """Checks each UDF once, from any thread. A UDF that fails after loading another UDF of the
    folders by name asks for that one's outcome, which is then checked in its thread or awaited:
    when the other needs network, so does the UDF that loads it. File openers without a file get
    a sample from `samples` (None: they get none)."""

    def __init__(
        self,
        engine: Engine,
        listed: list[dict[str, Any]],
        folders: list[Path],
        timeout: float,
        given: dict[str, dict[str, str]] | None = None,
        samples: Samples | None = None,
    ) -> None:
        self.engine = engine
        self.folders = folders
        self.timeout = timeout
        self.given = given or {}
        self.samples = samples
        self._details: dict[str, dict[str, Any]] = {}
        # The engine finds a UDF by its folder's name, taking the first in its listing's order.
        self.first: dict[str, dict[str, Any]] = {}
        for entry in listed:
            self.first.setdefault(str(entry["name"]), entry)
        self._lock = threading.Lock()
        self._outcomes: dict[str, Future[Outcome]] = {}
        self._checking = threading.local()

    def check(self, entry: dict[str, Any]) -> Outcome:
        """The UDF's outcome, checked now unless another thread has it under way."""
        outcome = self._outcome(entry, None)
        assert outcome is not None  # no time limit: None only comes back for a wait that ends
        return outcome

    def outcome_of(self, name: str) -> Outcome | None:
        """The outcome of the UDF the engine finds by `name`; None when there is none, or it is
        being checked in this thread (UDFs that load each other) or not known in time."""
        entry = self.first.get(name)
        if entry is None or entry["dir"] in getattr(self._checking, "dirs", set()):
            return None
        return self._outcome(entry, DEPENDENCY_WAITS * (self.timeout + ANSWER_GRACE_S))

    def _outcome(self, entry: dict[str, Any], wait: float | None) -> Outcome | None:
        key = str(entry["dir"])
        with self._lock:
            future = self._outcomes.get(key)
            mine = future is None
            if future is None:
                future = self._outcomes[key] = Future()
        if not mine:
            try:
                return future.result(timeout=wait)
            except FuturesTimeout:
                return None
        checking: set[str] = getattr(self._checking, "dirs", set())
        self._checking.dirs = checking | {key}
        try:
            outcome = self._check(entry)
        except BaseException as error:
            future.set_exception(error)
            raise
        finally:
            self._checking.dirs = checking
        future.set_result(outcome)
        return outcome

    def _check(self, entry: dict[str, Any]) -> Outcome:
        """Runs one UDF (or says why it is skipped) and sorts its first error into a cause."""
        label = _label(entry, self.folders)
        name = str(entry["name"])
        if entry.get("state") == "node-template":
            return Outcome(label, Kind.SKIPPED, "node template", "")
        if self.first[name]["dir"] != entry["dir"]:
            shadow = self.first[name]["dir"]
            return Outcome(label, Kind.SKIPPED, "shadowed", f"{shadow} has its name")
        try:
            detail = self._detail(name)
        except RuntimeError as error:  # one UDF the engine cannot describe must not end the run
            return Outcome(label, Kind.ENGINE_ERROR, "", str(error))
        code_file = detail.get("codeFile")
        if isinstance(code_file, str) and not code_file.endswith(".py"):
            return Outcome(label, Kind.SKIPPED, "not Python", code_file)
        code = str(detail.get("code") or "")
        if detail.get("state") == "broken":
            return _failed(label, RunError.from_body(detail.get("error") or {}), code)
        given = dict(self.given.get(name, {}))
        opened = self._sample_path(detail) if "path" not in given else None
        attempt = Attempt(label, name, detail, given, opened)
        started = time.time()
        outcome = self._run(attempt)
        if outcome.kind is Kind.NEEDS_SECRET:
            outcome = self._with_placeholder_secrets(attempt, outcome)
        outcome = self._explained(attempt, outcome, started)
        if outcome.kind is Kind.TIMEOUT:
            outcome = self._again_after_jobs(attempt, outcome, started)
        if outcome.kind is Kind.OK:  # an ok line starts with what it was given already
            return outcome
        if opened is not None:
            outcome = Outcome(label, outcome.kind, outcome.which,
                              f"(opened on {self._shown(opened)}) {outcome.detail}")
        if given:
            values = ", ".join(f"{key}={value}" for key, value in sorted(given.items()))
            return Outcome(label, outcome.kind, outcome.which, f"(given {values}) {outcome.detail}")
        return outcome

    def _again_after_jobs(self, attempt: Attempt, outcome: Outcome, started: float) -> Outcome:
        """A run that timed out while jobs of other UDFs ran, once more after they have ended:
        a job's runs start at once (nested runs never wait for a worker) and can take every core,
        which a user running one UDF does not have to share. Its line keeps the first outcome."""
        name = str(attempt.detail["name"])
        busy = self._jobs_beside({name, *self._loaded_names(attempt.detail)}, started, time.time())
        if not busy:
            return outcome
        for job in busy:
            self._wait_for_end(str(job["id"]))
        again_started = time.time()
        again = self._run(attempt)
        again = self._explained(attempt, again, again_started)
        jobs = ", ".join(f"{job['udf']} (started by {job.get('startedBy') or 'a client'})"
                         for job in busy)
        first = (f"run again: it timed out while {len(busy)} job(s) of other UDFs ran, {jobs}: "
                 f"{outcome.detail}")
        return Outcome(attempt.label, again.kind, again.which, f"{again.detail} ({first})")

    def _jobs_beside(
        self, starters: set[str], since: float, until: float
    ) -> list[dict[str, Any]]:
        """Jobs the engine ran between `since` and `until` that no run of `starters` started."""
        try:
            jobs = self.engine.json("/api/jobs", LIST_TIMEOUT_S)["jobs"]
        except RuntimeError:
            return []
        beside = []
        for job in jobs:
            created = _epoch(job.get("createdAt"))
            finished = _epoch(job.get("finishedAt"))
            if (job.get("startedBy") not in starters and created is not None
                    and created <= until and (finished is None or finished >= since)):
                beside.append(job)
        return beside

    def _wait_for_end(self, job_id: str) -> None:
        """Waits (long-polling the engine) until the job has ended, or for as long as a UDF
        waits for another."""
        deadline = time.monotonic() + DEPENDENCY_WAITS * (self.timeout + ANSWER_GRACE_S)
        query = ""
        while time.monotonic() < deadline:
            try:
                job = self.engine.json(f"/api/jobs/{job_id}{query}", LIST_TIMEOUT_S)
            except RuntimeError:  # a job the engine no longer keeps has ended
                return
            if job.get("finishedAt") is not None:
                return
            query = f"?since={int(job.get('version', 0))}&wait={JOB_POLL_MS}"

    def _detail(self, name: str) -> dict[str, Any]:
        """The engine's page of the UDF found by `name` (asked once)."""
        with self._lock:
            known = self._details.get(name)
        if known is None:
            known = self.engine.json(f"/api/udfs/{_quoted_name(name)}", LIST_TIMEOUT_S)
            with self._lock:
                self._details[name] = known
        return known

    def _sample_path(self, detail: dict[str, Any]) -> Path | None:
        """The sample a file opener without a usable default `path` is opened on, as Fused's file
        browser opens it on a user's file; None for other UDFs, or without a sample of its type."""
        if self.samples is None or file_opener_path(detail) is None:
            return None
        sample = sample_for(str(detail.get("readme") or ""))
        return self.samples.path(sample) if sample is not None else None

    def _shown(self, opened: Path) -> str:
        """A sample's path as a line shows it: under the samples folder."""
        folder = self.samples.folder if self.samples is not None else opened.parent
        if not opened.is_relative_to(folder):
            return str(opened)
        return opened.relative_to(folder).as_posix()

    def _run(self, attempt: Attempt) -> Outcome:
        """One run over HTTP with the default parameters, but those `--param` gives and the
        sample file a file opener is opened on (a tile UDF for one tile)."""
        label, detail, given, opened = attempt.label, attempt.detail, attempt.given, attempt.opened
        quoted = _quoted_name(attempt.name)
        code = str(detail.get("code") or "")
        params = {**given, **({"path": str(opened)} if opened is not None else {})}
        where = "".join(f"{key}={value}, " for key, value in sorted(given.items()))
        if opened is not None:
            where = f"opened on {self._shown(opened)}, {where}"
        started = time.monotonic()
        try:
            if detail.get("tile"):
                z, x, y = tile_for(detail.get("viewState"))
                where += f"tile {z}/{x}/{y}, "
                query = urllib.parse.urlencode({**params, "cache": "false"})
                answer = self.engine.request(
                    "GET", f"/api/udfs/{quoted}/tiles/{z}/{x}/{y}?{query}", None,
                    self.timeout + ANSWER_GRACE_S,
                )
            else:
                answer = self.engine.request(
                    "POST", f"/api/udfs/{quoted}/run", {"params": params},
                    self.timeout + ANSWER_GRACE_S,
                )
        except (TimeoutError, urllib.error.URLError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            if isinstance(reason, TimeoutError):
                waited = self.timeout + ANSWER_GRACE_S
                return Outcome(label, Kind.TIMEOUT, "", f"no answer in {waited:g} s")
            return Outcome(label, Kind.ENGINE_ERROR, "", f"the engine did not answer: {reason}")
        seconds = time.monotonic() - started
        if answer.status not in (200, 204):
            return _failed(label, _error_of(answer.status, answer.body), code)
        quiet = quiet_failure(answer)
        if quiet is not None:
            cause = classify(quiet, code)
            if cause.kind in (Kind.NEEDS_NETWORK, Kind.NEEDS_SECRET):
                what = "nothing" if not answer.body else "a table of errors"
                return Outcome(label, cause.kind, cause.which,
                               f"it returned {what}, saying {cause.error}")
        cached = " (from the result cache)" if answer.headers.get(CACHE_HEADER) == "hit" else ""
        return Outcome(label, Kind.OK, "", f"{where}{seconds:.1f} s{cached}")

    def _with_placeholder_secrets(self, attempt: Attempt, outcome: Outcome) -> Outcome:
        """Runs a UDF that stopped at a missing secret again with a placeholder for it (and for
        the next ones it asks for): when it then fails reaching a host, it needs network."""
        names = {outcome.which}
        for _ in range(MAX_SECRET_ROUNDS):
            self.engine.add_placeholder_secrets(names)
            again = self._run(attempt)
            if again.kind is Kind.NEEDS_SECRET and again.which not in names:
                names.add(again.which)
                continue
            if again.kind is Kind.NEEDS_NETWORK:
                listed = ", ".join(sorted(names))
                return Outcome(attempt.label, Kind.NEEDS_NETWORK, again.which,
                               f"{again.detail} (run again with a placeholder for the secret "
                               f"{listed}: {outcome.detail})")
            break
        return outcome

    def _explained(self, attempt: Attempt, outcome: Outcome, started: float) -> Outcome:
        """What a failure means beyond its own error: a connection to a cloud service, a file
        opener run without a file, a UDF that fails because one it loads needs network, or
        whose job (its `udf.map`) had runs that could not reach a host."""
        label, detail = attempt.label, attempt.detail
        if outcome.kind in _MAY_HIDE_NETWORK:
            found = self._job_network_failure(detail, started, time.time())
            if found is not None:
                host, evidence = found
                return Outcome(label, Kind.NEEDS_NETWORK, host,
                               f"{evidence}; its own run: {outcome.kind.value}: "
                               f"{_error_text(outcome)}")
        service = _CLOUD_CONNECT.fullmatch(outcome.which)
        if outcome.kind is Kind.NOT_LOCAL and service:
            return Outcome(label, Kind.NEEDS_NETWORK, service.group(1),
                           f"{outcome.which} reaches the {service.group(1)} service through a "
                           f"Fused account: {outcome.detail}")
        nested = _NESTED_NAME.search(outcome.detail)
        if outcome.kind is Kind.NEEDS_NETWORK and outcome.which == UNKNOWN_HOST and nested:
            inner = self.outcome_of(nested.group(1))
            if inner is not None and inner.kind is Kind.NEEDS_NETWORK:
                return Outcome(label, Kind.NEEDS_NETWORK, inner.which,
                               f"through {nested.group(1)}: {outcome.detail}")
        if outcome.kind not in (Kind.UDF_ERROR, Kind.NEEDS_PARAMETER):
            return outcome
        given = self.given.get(str(detail["name"]), {})
        path = None if "path" in given or attempt.opened is not None else file_opener_path(detail)
        if path is not None:
            return Outcome(label, Kind.NEEDS_PARAMETER, "path",
                           f"a file opener (README: fused:filePreview) that Fused runs on the file "
                           f"a user opens, of a type no sample is written for; {path}: "
                           f"{_error_text(outcome)}")
        if outcome.kind is not Kind.UDF_ERROR:
            return outcome
        for loaded in _LOADS_BY_NAME.findall(str(detail.get("code") or "")):
            inner = self.outcome_of(loaded)
            if inner is not None and inner.kind in (Kind.NEEDS_NETWORK, Kind.NEEDS_SECRET):
                return Outcome(label, inner.kind, inner.which,
                               f"it loads {loaded}, whose outcome is {inner.kind.value} "
                               f"({inner.which}); its own error: {_error_text(outcome)}")
        return outcome


    def _job_network_failure(
        self, detail: dict[str, Any], since: float, until: float
    ) -> tuple[str, str] | None:
        """The host runs of a job this UDF started failed to reach, and the evidence: jobs the
        engine made while the UDF ran, started (`startedBy`) by a run of this UDF or of one its
        code loads by name (or one those load)."""
        starters = {str(detail["name"]), *self._loaded_names(detail)}
        try:
            jobs = self.engine.json("/api/jobs", LIST_TIMEOUT_S)["jobs"]
        except RuntimeError:
            return None
        for job in jobs:
            created = _epoch(job.get("createdAt"))
            if (job.get("startedBy") not in starters or created is None
                    or not since - JOB_TIME_SLACK_S <= created <= until + JOB_TIME_SLACK_S):
                continue
            try:
                runs = self.engine.json(f"/api/jobs/{job['id']}", LIST_TIMEOUT_S)["runs"]
            except RuntimeError:
                continue
            reached = [classify(RunError.from_body(run["error"])) for run in runs
                       if isinstance(run.get("error"), dict)]
            network = [cause for cause in reached
                       if cause.kind is Kind.NEEDS_NETWORK and cause.which != UNKNOWN_HOST]
            if not network:
                continue
            host, count = Counter(cause.which for cause in network).most_common(1)[0]
            example = next(cause for cause in network if cause.which == host)
            return host, (f"{count} of {len(runs)} runs of the job of {job['udf']} that "
                          f"{job['startedBy']} started failed reaching {host}: {example.error}")
        return None

    def _loaded_names(self, detail: dict[str, Any]) -> set[str]:
        """UDFs of the folders this UDF's code loads by name, and those their code loads."""
        found: set[str] = set()
        pending = _LOADS_BY_NAME.findall(str(detail.get("code") or ""))
        while pending:
            name = pending.pop()
            if name in found or name not in self.first:
                continue
            found.add(name)
            try:
                pending += _LOADS_BY_NAME.findall(str(self._detail(name).get("code") or ""))
            except RuntimeError:
                continue
        return found


# Failures that can be a network failure the UDF's own error does not show: a job of its runs
# that kept failing to reach a host until the UDF's time was up.
_MAY_HIDE_NETWORK = {Kind.TIMEOUT, Kind.CRASHED, Kind.UDF_ERROR, Kind.ENGINE_ERROR}


def _epoch(stamp: object) -> float | None:
    """Seconds since the epoch of the engine's ISO time (`2026-12-06T15:43:56.703Z`), or None."""
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _error_text(outcome: Outcome) -> str:
    """A failure's error with its exception's class (a UDF error's line gives it apart)."""
    if outcome.kind is Kind.UDF_ERROR and outcome.which:
        return f"{outcome.which}: {outcome.detail}"
    return outcome.detail


def _quoted_name(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def file_opener_path(detail: dict[str, Any]) -> str | None:
    """What a file opener's `path` lacks (no default, or an empty one), or None when the UDF is
    not a file opener without a file: Fused's file browser marks its openers with
    `<!--fused:filePreview-->` in their README and passes the file opened as `path`."""
    if FILE_PREVIEW_MARK not in str(detail.get("readme") or ""):
        return None
    description = detail.get("description") or {}
    for parameter in description.get("parameters") or []:
        if parameter.get("name") != "path":
            continue
        if parameter.get("required"):
            return "`path` has no default"
        if not parameter.get("default"):
            return f"its default path {parameter.get('default')!r} names no file"
    return None


def quiet_failure(answer: Answer) -> RunError | None:
    """What a run that answered without an error said of a failure, when it returned nothing or
    a table of errors (UDFs that catch their exception and go on): the table's error, else what
    it printed. None when it returned data."""
    if answer.body:
        try:
            rows = json.loads(answer.body)
        except ValueError:
            return None
        if (answer.headers.get(KIND_HEADER) != "table" or not isinstance(rows, list)
                or len(rows) != 1 or not isinstance(rows[0], dict) or "error" not in rows[0]):
            return None
        return RunError("UDF_ERR_RUNTIME", str(rows[0]["error"]))
    try:
        metadata = json.loads(answer.headers.get(METADATA_HEADER) or "{}")
    except ValueError:
        return None
    if not isinstance(metadata, dict):
        return None
    printed = " ".join(str(metadata.get(stream) or "") for stream in ("stdout", "stderr"))
    return RunError("UDF_ERR_RUNTIME", printed.strip()) if printed.strip() else None


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


# How a file opener's line starts when it ran on a sample (ok, or failed with what it was given).
_OPENED = re.compile(r"\(?opened on ")


def _share(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def summary(outcomes: list[Outcome]) -> list[str]:
    """The totals: Python UDFs, skipped ones, those needing network, the offline-capable share
    that ran, then each failure cause with its count and the names it gave most often."""
    kinds = Counter(outcome.kind for outcome in outcomes)
    skipped = Counter(outcome.which for outcome in outcomes if outcome.kind is Kind.SKIPPED)
    ran = len(outcomes) - kinds[Kind.SKIPPED]
    offline = ran - kinds[Kind.NEEDS_NETWORK] - kinds[Kind.NEEDS_FUSED]
    # Some UDFs take a parameter with no default (a file's path): they never run as they are.
    with_defaults = offline - kinds[Kind.NEEDS_PARAMETER]
    skipped_text = ", ".join(f"{why}: {count}" for why, count in sorted(skipped.items()))
    opened = [outcome for outcome in outcomes if _OPENED.match(outcome.detail)]
    lines = [
        "",
        f"total: {ran} Python UDFs run, {kinds[Kind.SKIPPED]} skipped"
        + (f" ({skipped_text})" if skipped_text else ""),
        f"needs network: {kinds[Kind.NEEDS_NETWORK]}",
        f"needs Fused's servers: {kinds[Kind.NEEDS_FUSED]}",
        f"offline-capable: {offline}, ok: {kinds[Kind.OK]} ({_share(kinds[Kind.OK], offline)})",
        f"offline-capable with a default for every parameter: {with_defaults}, ok: "
        f"{kinds[Kind.OK]} ({_share(kinds[Kind.OK], with_defaults)})",
        f"file openers opened on a sample file: {len(opened)}, ok: "
        f"{sum(outcome.kind is Kind.OK for outcome in opened)}",
    ]
    for kind in Kind:
        if kind in (Kind.OK, Kind.SKIPPED) or not kinds[kind]:
            continue
        names = Counter(o.which for o in outcomes if o.kind is kind and o.which)
        top = ", ".join(f"{which} {count}" for which, count in names.most_common(TOP_NAMES))
        lines.append(f"  {kind.value:<{KIND_WIDTH}} {kinds[kind]:>4}" + (f"  {top}" if top else ""))
    return lines


# Codes the engine gives for a run it stopped or lost, whatever the UDF's code says.
_TIMEOUT_CODES = {"UDF_ERR_TIMEOUT"}
_CRASH_CODES = {"UDF_ERR_WORKER_CRASHED", "UDF_ERR_MEMORY", "UDF_ERR_MEMORY_LIMIT"}
_PARAMETER_CODES = {"UDF_ERR_MISSING_PARAM", "UDF_ERR_PARAM"}
_LOAD_CODES = {"UDF_ERR_SYNTAX", "UDF_ERR_IMPORT", "UDF_ERR_NO_ENTRYPOINT", "UDF_ERR_BAD_FOLDER"}

_NO_MODULE = re.compile(r"No module named '([\w.]+)'")
# The runtime's words for a module only Fused's servers have (fused/_missing_module.py).
_FUSED_SERVER_MODULE = re.compile(r"No module named '[\w.]+': ([\w.]+) is a module of Fused's own")
# How an enclosing run's error names the nested UDF that raised (fused/_errors.py).
_NESTED = re.compile(r" \(in the UDF '[^']*'\)$")
_NESTED_NAME = re.compile(r"\(in the UDF '([^']+)'\)")
UNKNOWN_HOST = "unknown host"
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
    r"|Failed to establish a new connection|ClientConnectorError|ConnectTimeout"
    # The runtime's own sentence (fused/_network_hint.py) for clients whose error names no cause.
    r"|could not be reached: is this machine offline",
    re.IGNORECASE,
)
_HOST_PATTERNS = (
    re.compile(r"the host ([\w.-]+) could not be reached"),
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
    server_module = _FUSED_SERVER_MODULE.search(message)
    if server_module:
        return Kind.NEEDS_FUSED, server_module.group(1)
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
    return f"{guess}?" if guess else UNKNOWN_HOST


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
