"""Clusters that do not chain: connected components with a stricter bar for an edge that alone
joins two dense groups.

Connected components (transitive closure) merge two people as soon as one pair of their records
scores above the threshold: two namesakes with three records each, every record of each scoring
high with its own, become one cluster through a single borderline pair. The guard keeps such a
pair only if its odds are `BRIDGE_ODDS` times the threshold's: an edge is dropped when

- its match probability is below `bridge_bar(threshold)`,
- it is a bridge of its component (removing it splits the component in two), and
- both its records lie in strong groups of at least `DENSE_GROUP` records (records joined to
  each other by pairs at or above the bar), so it is the only link between two groups that
  each look like one person.

A record attached to a cluster by a weak pair, and chains of weak pairs, are left as they are:
a weak bridge to a thin side is the usual shape of a true cluster whose records disagree. Each
component is treated on its own, so the clusters of untouched components do not change
(`incremental.cluster` relies on it). The cluster of a record is still named by the smallest
record of its (guarded) component.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

BRIDGE_ODDS = 4.0  # a lone edge between two dense groups needs 4x the threshold's odds
DENSE_GROUP = 3  # records of the smallest 2-edge-connected group (a triangle)


def bridge_bar(threshold: float) -> float:
    """The match probability a bridge between two dense groups needs at `threshold`
    (medium 0.8 -> 0.941, low 0.5 -> 0.8, high 0.95 -> 0.987)."""
    odds = threshold / (1 - threshold) * BRIDGE_ODDS if threshold < 1 else np.inf
    return float(odds / (1 + odds))


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """For each of `n` nodes, the smallest node of its connected component over edges (i, j)."""
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=True, connection="weak")
    smallest = np.full(comp.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(smallest, comp, np.arange(n, dtype=np.int64))
    return smallest[comp]


def weak_bridges(n: int, i: np.ndarray, j: np.ndarray, p: np.ndarray, bar: float) -> np.ndarray:
    """Mask of the edges (i, j, probability p) the guard drops (module docstring).

    The strong groups (components over the edges at or above `bar`) are contracted: an edge
    below the bar between two of them is a bridge of the whole graph when it is a bridge of the
    contracted graph and the only record pair between its two groups (two models scoring one
    pair count once). Only the weak edges between groups are looked at, so the cost follows
    them, not the size of the clusters."""
    drop = np.zeros(len(i), dtype=bool)
    weak = p < bar
    if not weak.any():
        return drop
    group = components(n, i[~weak], j[~weak])
    size = np.bincount(group, minlength=n)
    a, b = group[i], group[j]
    cross = weak & (a != b)
    if not (cross & (size[a] >= DENSE_GROUP) & (size[b] >= DENSE_GROUP)).any():
        return drop
    n64 = np.int64(n)
    record_pair = np.minimum(i, j).astype(np.int64) * n64 + np.maximum(i, j)
    group_pair = np.minimum(a, b).astype(np.int64) * n64 + np.maximum(a, b)
    pairs = pd.DataFrame({"record": record_pair[cross], "group": group_pair[cross]})
    links = pairs.drop_duplicates("record")["group"].value_counts()
    import networkx as nx  # here, not at import: the code location loads without it (0.2 s)

    graph = nx.Graph()
    graph.add_edges_from(zip((links.index // n64).tolist(), (links.index % n64).tolist(),
                             strict=True))
    bridges = np.array([min(u, v) * n + max(u, v) for u, v in nx.bridges(graph)],
                       dtype=np.int64)
    lone = links.index[links.to_numpy() == 1].to_numpy()
    dropped = np.intersect1d(bridges, lone)
    drop[cross] = (np.isin(group_pair[cross], dropped) & (size[a[cross]] >= DENSE_GROUP)
                   & (size[b[cross]] >= DENSE_GROUP))
    return drop


def guarded_components(n: int, i: np.ndarray, j: np.ndarray, p: np.ndarray, keep: np.ndarray,
                       threshold: float | None) -> np.ndarray:
    """Connected components over the edges `keep` (those at or above `threshold`), less the
    weak bridges between dense groups (none taken out when `threshold` is None): for each node,
    the smallest node of its cluster."""
    i, j, p = i[keep], j[keep], p[keep]
    if threshold is None:
        return components(n, i, j)
    drop = weak_bridges(n, i, j, p, bridge_bar(threshold))
    return components(n, i[~drop], j[~drop])
