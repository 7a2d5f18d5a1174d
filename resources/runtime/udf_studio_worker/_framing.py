"""The frames of the worker protocol: two big-endian u32 lengths, a JSON header, a payload."""

from __future__ import annotations

import json
import os
import struct
import threading
from typing import Any, BinaryIO, Final

LENGTHS: Final = struct.Struct(">II")
# Lengths past these mean the stream is out of step (or hostile): no frame gets this big.
MAX_HEADER_BYTES: Final = 256 * 1024 * 1024
MAX_PAYLOAD_BYTES: Final = 4 * 1024 * 1024 * 1024 - 1
# Made once: json.dumps with options builds a new encoder on every call.
_HEADER_ENCODER: Final = json.JSONEncoder(separators=(",", ":"))


class FrameError(Exception):
    """The request stream is broken (cut inside a frame, or impossible lengths): stop serving."""


class FrameReader:
    """Reads frames from a file descriptor."""

    def __init__(self, fd: int) -> None:
        self._file: BinaryIO = os.fdopen(fd, "rb", buffering=64 * 1024)

    def read(self) -> tuple[bytes, bytes] | None:
        """The next frame's header bytes and payload; None at end of file between frames."""
        lengths = self._file.read(LENGTHS.size)
        if not lengths:
            return None
        if len(lengths) < LENGTHS.size:
            raise FrameError("end of file inside a frame's lengths")
        header_length, payload_length = LENGTHS.unpack(lengths)
        if header_length > MAX_HEADER_BYTES:
            raise FrameError(f"frame header of {header_length} bytes is over the limit")
        body = self._file.read(header_length + payload_length)
        if len(body) < header_length + payload_length:
            raise FrameError("end of file inside a frame")
        return body[:header_length], body[header_length:]

    def close(self) -> None:
        """Close the descriptor."""
        self._file.close()


class FrameWriter:
    """Writes frames to a file descriptor, one flush per frame; safe to share between threads."""

    def __init__(self, fd: int) -> None:
        self._file: BinaryIO = os.fdopen(fd, "wb", buffering=64 * 1024)
        self._lock = threading.Lock()

    def write(self, header: dict[str, Any], payload: bytes = b"") -> None:
        """Write one frame; the header is encoded as ASCII-only JSON."""
        encoded = _HEADER_ENCODER.encode(header).encode("ascii")
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
        file = self._file
        with self._lock:
            file.write(LENGTHS.pack(len(encoded), len(payload)))
            file.write(encoded)
            if payload:
                file.write(payload)
            file.flush()

    def close(self) -> None:
        """Flush and close the descriptor."""
        self._file.close()
