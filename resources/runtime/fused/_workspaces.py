"""The folders a UDF's name is looked up in: `UDF_STUDIO_WORKSPACES`, then the home's `udfs`.

`fused.load` of a name searches them; a UDF read from one of them counts as saved (`_saved_udfs`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from ._shared_disk import HOME_ENV

WORKSPACES_ENV: Final = "UDF_STUDIO_WORKSPACES"
DEFAULT_HOME: Final = "~/.udf-studio"


def search_folders() -> list[Path]:
    """The folders names are looked up in: `UDF_STUDIO_WORKSPACES`, then the home's `udfs`."""
    folders = [
        Path(entry).expanduser()
        for entry in os.environ.get(WORKSPACES_ENV, "").split(os.pathsep)
        if entry.strip()
    ]
    home = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME).expanduser()
    folders.append(home / "udfs")
    return folders
