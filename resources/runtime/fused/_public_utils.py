"""`fused.utils`: the helper UDFs of Fused's public catalogue, by name (`fused.utils.common`).

A name is a UDF of the workspace (`fused.load(name)`), else the catalogue's folder
`public/<name>` on GitHub (fetched once, then offline). The value is the UDF's `utils` header
module when it has one, else the UDF itself, whose module names are its attributes.
"""

from __future__ import annotations

from typing import Any, Final

PUBLIC_FOLDER: Final = "https://github.com/fusedio/udfs/tree/main/public/{name}/"


class PublicUtils:
    """`fused.utils`: attribute or item access loads the public UDF of that name."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        from ._errors import UDF_ERR_NOT_FOUND, UdfLoadError
        from ._load import load

        try:
            udf = load(name)
        except UdfLoadError as error:
            if error.code != UDF_ERR_NOT_FOUND:
                raise
            udf = load(PUBLIC_FOLDER.format(name=name))
        header = udf.prepared().headers
        if header is not None and "utils" in header.modules:
            return header.modules["utils"]
        return udf

    def __repr__(self) -> str:
        return "fused.utils (public helper UDFs by name: fused.utils.common, ...)"


utils: Final = PublicUtils()
