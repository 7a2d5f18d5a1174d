"""How the worker ends, and the protocol pipes a UDF could break.

The engine starts each worker as the leader of a session of its own, so everything a UDF starts
(subprocesses, forks, their children, even those that moved to another process group) shares the
worker's session id. When the worker ends it takes them with it. It ends at once, without waiting
for runs in progress or for threads a UDF left behind: the engine asked it to, or is gone.
"""

from __future__ import annotations

import os
import signal
import stat
import sys
from pathlib import Path
from typing import Final, NoReturn

# Rounds of killing: a process being killed may have forked once more meanwhile.
_KILL_ROUNDS: Final = 20


class ProtocolPipes:
    """The request and answer descriptors as they were when the worker started.

    A UDF can close them (`os.close(3)`, `os.closerange`) or put another file in their place
    (`os.dup2`). Either breaks the worker for every later run, so each run checks them before
    it answers.
    """

    def __init__(self, request_fd: int, answer_fd: int) -> None:
        self._fds = {request_fd: "request pipe", answer_fd: "answer pipe"}
        self._identity = {fd: _identity(fd) for fd in self._fds}
        for fd in self._fds:
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


def end_session_members() -> int:
    """Kill the other processes of the session this worker leads; how many. Does nothing when
    the worker leads no session of its own (started by hand or by a test), or off Linux, where
    the engine ends the process group."""
    me = os.getpid()
    if os.getsid(0) != me or not Path("/proc/self/stat").exists():
        return 0
    killed: set[int] = set()
    for _ in range(_KILL_ROUNDS):
        members = [pid for pid in session_members(me) if pid != me]
        if not members:
            break
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
    return len(killed)


def session_members(session: int) -> list[int]:
    """Live processes (not zombies) whose session id is `session` (Linux)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # ended meanwhile
        # After the command name (it may hold spaces and parentheses): state, ppid, pgrp, session.
        fields = text[text.rindex(")") + 2 :].split()
        if len(fields) > 3 and fields[0] != "Z" and fields[3] == str(session):
            members.append(int(entry.name))
    return members


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
