"""Flow: the official client signs file URLs of this machine.

`fused.api.sign_url("fd://...")` and `sign_url_prefix` send `GET /server/v1/files/sign[_prefix]`
with the client's own headers and `client_id`; the URLs they give open without a token, as a
bucket's do, and expire.
"""

from __future__ import annotations

import urllib.request
from types import ModuleType

from conftest import Server


def test_sign_url_gives_a_url_that_opens_without_a_token(fused: ModuleType, server: Server):
    folder = server.home / "fd" / "conformance"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hello.txt").write_text("signed by the official client")
    url = fused.api.sign_url("fd://conformance/hello.txt")
    assert url.startswith(f"{server.url}/files/signed/fd/conformance/hello.txt?expires=")
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"signed by the official client"


def test_sign_url_prefix_signs_each_file(fused: ModuleType, server: Server):
    folder = server.home / "fd" / "conformance-prefix"
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("a")
    (folder / "sub" / "b.txt").write_text("b")
    urls = fused.api.sign_url_prefix("fd://conformance-prefix/")
    assert sorted(urls) == ["fd://conformance-prefix/a.txt", "fd://conformance-prefix/sub/b.txt"]
    with urllib.request.urlopen(urls["fd://conformance-prefix/sub/b.txt"], timeout=30) as response:
        assert response.read() == b"b"
