"""`fused.api.FdFileSystem`: the home's bucket as an fsspec file system (protocol `fd`).

Built on first use, since it needs fsspec, which `import fused` must not pay for; building it also
registers `fd://` with fsspec, so `fsspec.open("fd://KEY")` (and libraries that open paths through
fsspec) read the bucket.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .._shared_disk import bucket


def fd_filesystem_class() -> type:
    """The `FdFileSystem` class: a folder file system rooted at `$UDF_STUDIO_HOME/fd`."""
    try:
        dirfs = import_module("fsspec.implementations.dirfs").DirFileSystem
        registry = import_module("fsspec.registry")
    except ImportError:
        raise ModuleNotFoundError(
            "fused.api.FdFileSystem needs the fsspec package, which is not installed in this "
            "Python runtime",
            name="fsspec",
        ) from None

    def __init__(
        self: Any, dirfs_options: dict[str, Any] | None = None, **storage_options: Any
    ) -> None:
        local = import_module("fsspec").filesystem("file", **storage_options)
        dirfs.__init__(self, path=str(bucket(create=True)), fs=local, **(dirfs_options or {}))

    cls = type(
        "FdFileSystem",
        (dirfs,),
        {
            "protocol": "fd",
            # fsspec reuses instances by their arguments; the bucket follows UDF_STUDIO_HOME.
            "cachable": False,
            "__init__": __init__,
            "__module__": __name__,
            "__doc__": "The home's bucket ($UDF_STUDIO_HOME/fd) as an fsspec file system.",
        },
    )
    registry.register_implementation("fd", cls, clobber=True)
    return cls
