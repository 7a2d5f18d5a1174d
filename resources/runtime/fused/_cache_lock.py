"""A lock file per key, shared by threads and processes (and a killed process cannot keep it).

The lock is a file created with `O_CREAT | O_EXCL` holding `{"pid", "host", "time", "token"}`.
Whoever creates it holds it; others poll until it is gone. A lock is broken and taken over when
the process that holds it has died (same host), or when it is older than `stale_after` seconds
(by the file's modification time, which `refresh` moves forward for long work that makes
progress). Breaking renames the file away first, so two waiters cannot both break one lock and
then delete each other's new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Final

_HOST: Final = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
_FIRST_POLL_S: Final = 0.005
_MAX_POLL_S: Final = 0.1
# A lock file whose content cannot be read (its creator died between creating and writing it).
_UNREADABLE_GRACE_S: Final = 5.0


class FileLock:
    """One lock file. `with FileLock(path, stale_after=120): ...` waits, holds, releases."""

    def __init__(self, path: Path, *, stale_after: float) -> None:
        self.path = path
        self.stale_after = stale_after
        self.waited = False
        self._token: str | None = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    @property
    def held(self) -> bool:
        """True between `acquire` and `release`."""
        return self._token is not None

    def acquire(self) -> None:
        """Wait until this caller holds the lock; `waited` says whether someone else had it."""
        self.waited = False
        delay = _FIRST_POLL_S
        while True:
            if self._try_create():
                return
            observed = _read(self.path)
            if observed is None:
                continue  # released between our attempt and our look: try again at once
            if self._is_stale(observed):
                _break(self.path, observed[0])
                continue
            self.waited = True
            time.sleep(delay)
            delay = min(delay * 1.5, _MAX_POLL_S)

    def refresh(self) -> None:
        """Show progress: move the lock's age back to zero (for long work like a download)."""
        if self._token is not None:
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Remove the lock file if it is still ours (it may have been broken as stale)."""
        token, self._token = self._token, None
        if token is None:
            return
        observed = _read(self.path)
        if observed is not None and _content(observed[0]).get("token") == token:
            self.path.unlink(missing_ok=True)

    def _try_create(self) -> bool:
        token = f"{os.getpid()}-{threading.get_ident()}-{os.urandom(8).hex()}"
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            content = {"pid": os.getpid(), "host": _HOST, "time": time.time(), "token": token}
            os.write(fd, json.dumps(content).encode())
        finally:
            os.close(fd)
        self._token = token
        return True

    def _is_stale(self, observed: tuple[bytes, float]) -> bool:
        raw, mtime = observed
        age = time.time() - mtime
        if age > self.stale_after:
            return True
        content = _content(raw)
        pid = content.get("pid")
        if not isinstance(pid, int):
            return age > min(self.stale_after, _UNREADABLE_GRACE_S)
        if content.get("host", _HOST) != _HOST:
            return False  # a process on another machine: only its age can tell
        return not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running on this machine (zombies count as dead)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): the signal check is all there is
    fields = stat.rpartition(")")[2].split()
    return not fields or fields[0] not in ("Z", "X")


if sys.platform == "win32":

    def _windows_pid_alive(pid: int) -> bool:
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)


def _read(path: Path) -> tuple[bytes, float] | None:
    """The lock file's bytes and modification time; None when there is no lock file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError:
        return (b"", time.time())
    try:
        mtime = os.fstat(fd).st_mtime
        raw = os.read(fd, 4096)
    finally:
        os.close(fd)
    return raw, mtime


def _content(raw: bytes) -> dict[str, object]:
    try:
        content = json.loads(raw)
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def _break(path: Path, observed: bytes) -> None:
    """Take a stale lock away, unless it changed hands since it was judged stale."""
    grave = path.with_name(f"{path.name}.{os.getpid()}.{os.urandom(4).hex()}.broken")
    try:
        path.rename(grave)
    except FileNotFoundError:
        return  # released or broken by someone else meanwhile
    except OSError:
        return
    try:
        taken = grave.read_bytes()
    except OSError:
        taken = observed
    if taken != observed:
        # A fresh lock replaced the stale one before the rename: give it back.
        with contextlib.suppress(OSError):
            os.link(grave, path)
    grave.unlink(missing_ok=True)
