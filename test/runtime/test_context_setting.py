"""`Setting`: a context variable set for the enclosed code, and put back however it is left."""

from __future__ import annotations

import threading
from contextvars import ContextVar

import pytest

from fused._context_setting import Setting

LEVEL: ContextVar[int | None] = ContextVar("test_level", default=None)


def test_sets_the_variable_inside_and_puts_back_what_it_was() -> None:
    with Setting(LEVEL, 1):
        assert LEVEL.get() == 1
        with Setting(LEVEL, 2):
            assert LEVEL.get() == 2
        assert LEVEL.get() == 1
    assert LEVEL.get() is None


def test_puts_it_back_when_the_enclosed_code_raises() -> None:
    with pytest.raises(ValueError), Setting(LEVEL, 3):
        raise ValueError("boom")
    assert LEVEL.get() is None


def test_another_thread_does_not_see_it() -> None:
    seen: list[int | None] = []
    with Setting(LEVEL, 4):
        thread = threading.Thread(target=lambda: seen.append(LEVEL.get()))
        thread.start()
        thread.join()
    assert seen == [None]
