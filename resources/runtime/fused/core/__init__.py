"""`fused.core`: the SDK's lower-level functions, under the names it gives them."""

from __future__ import annotations

from .._tables.read import get_chunk_from_table, get_chunks_metadata

__all__ = ["get_chunk_from_table", "get_chunks_metadata"]
