"""docs/worker-protocol.md is a contract: its kinds, formats and error codes are the runtime's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fused._errors import ERROR_CODES
from fused._results import ALIASES, FORMATS, KIND_FORMATS

PROTOCOL = (Path(__file__).resolve().parents[2] / "docs" / "worker-protocol.md").read_text()


def section(title: str) -> str:
    start = PROTOCOL.index(title)
    following = PROTOCOL.find("\n#", start + len(title))
    return PROTOCOL[start : following if following != -1 else len(PROTOCOL)]


def table_rows(text: str) -> list[list[str]]:
    rows = [
        line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("|")
    ]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # past the header and the rule


def test_each_kind_supports_the_documented_formats_in_order():
    documented = {}
    for kind, _, formats in table_rows(section("### Result kinds and formats")):
        name = kind.strip("`")
        documented[name] = () if name == "empty" else tuple(f.strip() for f in formats.split(","))
    assert documented == dict(KIND_FORMATS)


def test_documented_aliases_and_content_types_are_the_runtimes():
    text = section("### Result kinds and formats")
    for alias, target in re.findall(r"`(\w+)`→`(\w+)`", text):
        assert ALIASES[alias] == target
    sentence = text[text.index("Content types:") :]
    content_types = dict(re.findall(r"(\w+)\s+`([a-z]+/[^`]+)`", sentence))
    # "bytes: guessed from magic numbers, else `application/octet-stream`"
    content_types["bytes"] = content_types.pop("else")
    assert set(content_types) == set(FORMATS)  # every format's content type is documented
    for fmt, content_type in content_types.items():
        assert FORMATS[fmt] == content_type


@pytest.mark.parametrize(
    "code",
    [row[0].strip("`") for row in table_rows(section("## Error codes the worker produces"))],
)
def test_every_documented_worker_error_code_exists(code: str):
    assert code in ERROR_CODES
