"""Grouping rows into files and chunks by where they are.

Rows are split in two, again and again, until every group weighs no more than its maximum (rows,
area, length or coordinates, summed). Each split cuts the group's centroids at their mean or
median, across x and y in turn, except that a group whose centroids spread more than the allowed
ratio in one direction is cut across that one. Groups come out in the order of the cuts, so
neighbouring ids hold neighbouring rows. With `force_utm`, rows of different UTM zones never share
a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Indices = npt.NDArray[np.intp]
    Floats = npt.NDArray[np.float64]

SplitMethod = Literal["mean", "median"]
UTM_ZONE_WIDTH_DEG: Final = 6.0


@dataclass(frozen=True)
class Splitting:
    """How groups are cut: the ratios past which a group is cut across its long side, the cut
    position, and whether a group of identical centroids is cut by row order."""

    max_width_ratio: float
    max_height_ratio: float
    method: SplitMethod
    split_identical_centroids: bool


def split_groups(
    rows: Indices,
    x: Floats,
    y: Floats,
    weights: Floats,
    maximum: float,
    splitting: Splitting,
    zones: Indices | None = None,
) -> list[Indices]:
    """`rows` (indices into `x`, `y`, `weights`) in groups of at most `maximum` weight each; rows
    of different `zones` (when given) in different groups."""
    import numpy as np

    if zones is None:
        return _split(rows, x, y, weights, maximum, splitting)
    groups: list[Indices] = []
    row_zones = zones[rows]
    # Zones west to east, so ids still run in a spatial order.
    for zone in np.unique(row_zones):
        groups.extend(_split(rows[row_zones == zone], x, y, weights, maximum, splitting))
    return groups


def utm_zones(x: Floats, y: Floats) -> Indices:
    """A number per UTM zone of each point (longitude band and hemisphere), west to east."""
    import numpy as np

    band = np.clip(np.floor((x + 180.0) / UTM_ZONE_WIDTH_DEG), 0, 59).astype(np.intp)
    south: Indices = (y < 0).astype(np.intp)
    zones: Indices = band * 2 + south
    return zones


def _split(
    rows: Indices, x: Floats, y: Floats, weights: Floats, maximum: float, splitting: Splitting
) -> list[Indices]:
    done: list[Indices] = []
    # A stack of (rows, depth), the first half on top so groups come out in cut order.
    pending: list[tuple[Indices, int]] = [(rows, 0)]
    while pending:
        group, depth = pending.pop()
        if len(group) <= 1 or float(weights[group].sum()) <= maximum:
            done.append(group)
            continue
        halves = _cut(group, x, y, depth, splitting)
        if halves is None:
            halves = _identical(group, weights, maximum, splitting)
            if halves is None:
                done.append(group)
                continue
        first, second = halves
        pending.append((second, depth + 1))
        pending.append((first, depth + 1))
    return done


def _cut(
    group: Indices, x: Floats, y: Floats, depth: int, splitting: Splitting
) -> tuple[Indices, Indices] | None:
    """The group cut in two across one axis, or None when its centroids are all the same."""
    import numpy as np

    gx, gy = x[group], y[group]
    width = float(gx.max() - gx.min())
    height = float(gy.max() - gy.min())
    if width > splitting.max_width_ratio * height:
        axes = (gx, gy)
    elif height > splitting.max_height_ratio * width:
        axes = (gy, gx)
    else:
        axes = (gx, gy) if depth % 2 == 0 else (gy, gx)
    for values in axes:
        at = float(np.median(values) if splitting.method == "median" else values.mean())
        for below in (values < at, values <= at):
            count = int(below.sum())
            if 0 < count < len(group):
                return group[below], group[~below]
    return None


def _identical(
    group: Indices, weights: Floats, maximum: float, splitting: Splitting
) -> tuple[Indices, Indices] | None:
    """Rows at one point, too heavy for one group: cut in row order when allowed."""
    import numpy as np

    if not splitting.split_identical_centroids:
        return None
    running = np.cumsum(weights[group])
    # The first half takes rows while it stays within the maximum, and at least one row.
    size = max(1, int(np.searchsorted(running, maximum, side="right")))
    if size >= len(group):
        return None
    return group[:size], group[size:]


def assign_to_chunks(
    x: Floats, y: Floats, file_ids: list[str], chunk_ids: list[int], boxes: Floats
) -> tuple[list[str], list[list[Indices]]]:
    """Rows grouped as a given partitioning (one box per chunk, EPSG:4326): each row goes to the
    first chunk whose box holds its centroid, else to the nearest. Files keep their ids, in the
    order they first appear; chunks that get no rows are left out (ids are renumbered, as a
    chunk id is a row group's position)."""
    import numpy as np
    import shapely

    points = shapely.points(x, y)
    tree = shapely.STRtree(shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]))
    owner = np.full(len(points), len(boxes), dtype=np.intp)
    inside = tree.query(points, predicate="intersects")
    np.minimum.at(owner, inside[0], inside[1])
    lost = np.flatnonzero(owner == len(boxes))
    if len(lost):
        nearest = tree.query_nearest(points[lost])
        np.minimum.at(owner, lost[nearest[0]], nearest[1])
    by_owner = np.argsort(owner, kind="stable")
    ends = np.cumsum(np.bincount(owner, minlength=len(boxes)))
    starts = ends - np.bincount(owner, minlength=len(boxes))
    order: dict[str, list[int]] = {}
    for box, file_id in enumerate(file_ids):
        order.setdefault(file_id, []).append(box)
    ids: list[str] = []
    files: list[list[Indices]] = []
    for file_id, file_boxes in order.items():
        file_boxes.sort(key=lambda box: chunk_ids[box])
        chunks = [
            by_owner[starts[box] : ends[box]] for box in file_boxes if ends[box] > starts[box]
        ]
        if chunks:
            ids.append(file_id)
            files.append(chunks)
    return ids, files
