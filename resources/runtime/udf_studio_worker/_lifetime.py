"""How the worker ends, and the protocol pipes a UDF could break.

The engine starts each worker as the leader of a session of its own, so everything a UDF starts
(subprocesses, forks, their children, even those that moved to another process group) shares the
worker's session id. A process that starts a session of its own (`setsid`) leaves it, so such a
worker is also a child subreaper (Linux): descendants whose parent dies (a double fork) become its
children instead of init's, and its tree of descendants holds every process its runs started.
When the worker ends it takes its session and its tree with it. It ends at once, without waiting
for runs in progress or for threads a UDF left behind: the engine asked it to, or is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import stat
import sys
from pathlib import Path
from typing import Final, NoReturn

# Rounds of killing: a process being killed may have forked once more meanwhile.
_KILL_ROUNDS: Final = 20
# prctl(2): orphaned descendants are reparented to this process rather than to init.
_PR_SET_CHILD_SUBREAPER: Final = 36


class ProtocolPipes:
    """The request and answer descriptors as they were when the worker started.

    A UDF can close them (`os.close(3)`, `os.closerange`) or put another file in their place
    (`os.dup2`). Either breaks the worker for every later run, so each run checks them before
    it answers.
    """

    def __init__(self, request_fd: int, answer_fd: int, side_request_fd: int) -> None:
        """Raises `ValueError` naming a descriptor that is not open."""
        self._fds = {
            request_fd: "request pipe",
            answer_fd: "answer pipe",
            side_request_fd: "side request pipe",
        }
        self._identity = {fd: _identity(fd) for fd in self._fds}
        for fd, name in self._fds.items():
            if self._identity[fd] is None:
                raise ValueError(f"the {name} (fd {fd}) is not open: the engine starts workers")
            # Programs a UDF starts must not hold (or read) the engine's channel.
            os.set_inheritable(fd, False)

    def damage(self) -> str | None:
        """What is wrong with the pipes ("the request pipe (fd 3) was closed"), or None."""
        for fd, name in self._fds.items():
            now = _identity(fd)
            if now is None:
                return f"the {name} (fd {fd}) was closed"
            if now != self._identity[fd]:
                return f"the {name} (fd {fd}) was replaced by another file"
        return None


def end_worker(status: int, reason: str | None = None) -> NoReturn:
    """Log why (when it is not the engine's asking), end the processes the worker's runs
    started, and exit with `status` at once."""
    if reason is not None:
        log(reason)
    end_session_members()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def leads_session() -> bool:
    """Whether this worker leads a session of its own, as the engine starts it (Linux): then what
    its runs start is its to end. Started by hand or by a test, it shares its starter's session."""
    return os.getsid(0) == os.getpid() and Path("/proc/self/stat").exists()


def become_subreaper() -> bool:
    """Keep orphaned descendants in this worker's tree (Linux; whether it took). Only for a
    session-leading worker: one started by hand leaves its children's fate to its starter."""
    if not leads_session():
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def reap_adopted() -> int:
    """Collect the exit status of children that have ended; how many. A subreaper adopts the
    orphans of its runs' processes, and nobody else waits for them. Called only while no run is
    in progress, so no `subprocess.Popen` of a run loses its child's status to it."""
    reaped = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped += 1


def end_session_members() -> int:
    """Kill the other processes of the session this worker leads and its descendants, those
    that left the session included; how many. Does nothing when the worker leads no session of
    its own (started by hand or by a test), or off Linux, where the engine ends the process
    group."""
    me = os.getpid()
    if not leads_session():
        return 0
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        # A killed parent's children come to this subreaper: the next round finds them.
        processes = _live_processes()
        members = sorted({*session_members(me, processes), *descendants(me, processes)} - {me})
        if not members:
            break
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
    return len(killed)


def session_members(session: int, processes: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """Live processes (not zombies) whose session id is `session` (Linux)."""
    known = _live_processes() if processes is None else processes
    return [pid for pid, (_, sid) in known.items() if sid == session]


def descendants(root: int, processes: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """Live processes (not zombies) descended from `root`, by their parent links (Linux)."""
    children: dict[int, list[int]] = {}
    known = _live_processes() if processes is None else processes
    for pid, (ppid, _) in known.items():
        children.setdefault(ppid, []).append(pid)
    found: list[int] = []
    level = [root]
    while level:
        level = [child for parent in level for child in children.get(parent, [])]
        found.extend(level)
    return found


def _live_processes() -> dict[int, tuple[int, int]]:
    """Each live process's parent and session (Linux)."""
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # ended meanwhile
        # After the command name (it may hold spaces and parentheses): state, ppid, pgrp, session.
        fields = text[text.rindex(")") + 2 :].split()
        if len(fields) > 3 and fields[0] != "Z":
            processes[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return processes


def log(message: str) -> None:
    """A line on the worker's own log (the real fd 2, even while a run captures stderr)."""
    stream = sys.__stderr__
    if stream is not None:
        try:
            stream.write(f"udf_studio_worker: {message}\n")
            stream.flush()
        except (OSError, ValueError):
            pass


def _identity(fd: int) -> tuple[int, int, int] | None:
    try:
        info = os.fstat(fd)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, stat.S_IFMT(info.st_mode))
