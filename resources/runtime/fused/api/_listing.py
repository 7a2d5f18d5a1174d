"""What `fused.api.list(path, details=True)` gives for each entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ListDetails:
    """One entry of a listing: its name in the caller's form, and what is known of it.

    Folders end with `/` in `url` and have no `size`.
    """

    url: str
    file_name: str
    is_directory: bool = False
    size: int | None = None
    last_modified: datetime | None = None
