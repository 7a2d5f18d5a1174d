"""Grouping rows into files and chunks (fused/_tables/partition.py)."""

from __future__ import annotations

import numpy as np

from fused._tables.partition import Splitting, assign_to_chunks, split_groups, utm_zones

MEAN = Splitting(
    max_width_ratio=2, max_height_ratio=2, method="mean", split_identical_centroids=True
)


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(0, 10, n), rng.uniform(40, 45, n)


def test_every_row_lands_in_one_group_within_the_maximum():
    x, y = _grid(1000)
    weights = np.ones(1000)
    groups = split_groups(np.arange(1000), x, y, weights, 64, MEAN)
    together = np.sort(np.concatenate(groups))
    assert together.tolist() == list(range(1000))
    assert all(len(group) <= 64 for group in groups)
    assert len(groups) >= 1000 / 64


def test_groups_are_compact_so_their_boxes_overlap_little():
    x, y = _grid(4000)
    groups = split_groups(np.arange(4000), x, y, np.ones(4000), 250, MEAN)
    area = sum((x[g].max() - x[g].min()) * (y[g].max() - y[g].min()) for g in groups)
    assert area <= 10 * 5 * 1.05  # the boxes tile the area instead of stacking up


def test_a_long_thin_spread_is_cut_across_its_long_side():
    x = np.linspace(0, 100, 400)
    y = np.linspace(0, 1, 400)
    groups = split_groups(np.arange(400), x, y, np.ones(400), 100, MEAN)
    assert len(groups) == 4
    assert all(x[g].max() - x[g].min() <= 26 for g in groups)


def test_median_splits_evenly_and_weights_count():
    x, y = _grid(1024)
    median = Splitting(2, 2, "median", True)
    groups = split_groups(np.arange(1024), x, y, np.ones(1024), 256, median)
    assert sorted(len(g) for g in groups) == [256, 256, 256, 256]
    heavy = np.where(np.arange(1024) < 512, 3.0, 1.0)
    weighted = split_groups(np.arange(1024), x, y, heavy, 256, median)
    assert all(heavy[g].sum() <= 256 for g in weighted)


def test_identical_centroids_are_cut_by_row_order_only_when_allowed():
    x, y = np.zeros(100), np.zeros(100)
    cut = split_groups(np.arange(100), x, y, np.ones(100), 30, MEAN)
    assert [len(g) for g in cut] == [30, 30, 30, 10]
    kept = split_groups(np.arange(100), x, y, np.ones(100), 30, Splitting(2, 2, "mean", False))
    assert [len(g) for g in kept] == [100]


def test_rows_of_different_utm_zones_never_share_a_group():
    x = np.array([1.0, 2.0, 7.0, 8.0, 1.5, 7.5])
    y = np.array([10.0, 10.0, 10.0, 10.0, -10.0, -10.0])
    zones = utm_zones(x, y)
    assert len(set(zones.tolist())) == 4
    groups = split_groups(np.arange(6), x, y, np.ones(6), 100, MEAN, zones)
    assert sorted(sorted(g.tolist()) for g in groups) == [[0, 1], [2, 3], [4], [5]]


def test_rows_follow_a_given_partitioning():
    boxes = np.array([[0, 0, 1, 1], [1, 0, 2, 1], [5, 5, 6, 6]], dtype=float)
    x = np.array([0.5, 1.5, 0.2, 9.0, 5.5])
    y = np.array([0.5, 0.5, 0.9, 9.0, 5.5])
    ids, files = assign_to_chunks(x, y, ["a", "a", "b"], [1, 0, 0], boxes)
    assert ids == ["a", "b"]
    # Chunks in chunk_id order; the far point (9, 9) goes to the nearest box, b's.
    assert [chunk.tolist() for chunk in files[0]] == [[1], [0, 2]]
    assert [chunk.tolist() for chunk in files[1]] == [[3, 4]]
