"""The social network: family, kin and neighbour ties as CSR arrays, and the networkx view.

Ties are drawn with numpy from the ``network`` stream (fast at a million residents) and
stored per kind as compressed sparse rows, which is what the daily rules read. The
networkx graph that Mesa tools, dashboards and analysts see is built from those arrays on
demand, with caseload and peer edges as they stand that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from simulation.params import Params
from simulation.population import Population
from simulation.sums import pairwise_sum, plain_sum

if TYPE_CHECKING:  # imported by build_graph: runs and sweep workers never draw the graph
    import networkx as nx

SOCIAL_KINDS = ("family", "kin", "neighbour")
EDGE_KINDS = (*SOCIAL_KINDS, "caseload", "peer")


@dataclass(frozen=True)
class Ties:
    """Undirected ties, stored in both directions as CSR.

    Attributes:
        indptr: Row pointers, length residents + 1.
        indices: Column (neighbour) index of each stored direction.
        kind: Index into :data:`SOCIAL_KINDS` of each stored direction, for ties of
            several kinds in one structure (``None`` for a single kind).
    """

    indptr: np.ndarray
    indices: np.ndarray
    kind: np.ndarray | None = None

    @classmethod
    def from_pairs(cls, u: np.ndarray, v: np.ndarray, n: int) -> Ties:
        """Build CSR from undirected pairs (each pair stored once, ``u != v``)."""
        rows = np.concatenate([u, v])
        cols = np.concatenate([v, u]).astype(np.int32)
        order = np.argsort(rows, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(indptr=indptr, indices=cols[order])

    @property
    def degree(self) -> np.ndarray:
        """Number of ties of each resident."""
        return np.diff(self.indptr)

    def neighbour_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over each resident's ties, in float64.

        Residents with no ties keep their own value. Sums are numpy's (as
        ``np.add.reduceat`` makes them), so the result does not depend on the engine.
        """
        return _neighbour_mean(self.indptr, self.indices, values)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Each undirected tie once, as ``(u, v)`` with ``u < v``."""
        rows = np.repeat(np.arange(len(self.indptr) - 1), self.degree)
        keep = rows < self.indices
        return rows[keep], self.indices[keep]


@njit(cache=True)
def _neighbour_mean(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """:meth:`Ties.neighbour_mean` on the CSR arrays."""
    mean = np.empty(len(indptr) - 1, dtype=np.float64)
    for r in range(len(mean)):
        start, end = indptr[r], indptr[r + 1]
        if start == end:
            mean[r] = values[r]
            continue
        # np.add.reduceat starts from the first value and adds the pairwise sum of the rest.
        # Most rows are short: summing them here saves a call per row.
        n = end - start - 1
        rest = plain_sum(values, indices, start + 1, n, 0.0) if n < 8 else \
            pairwise_sum(values, indices, start + 1, n, 0.0)
        mean[r] = (np.float64(values[indices[start]]) + rest) / (end - start)
    return mean


@njit(cache=True)
def ties_around(indptr: np.ndarray, indices: np.ndarray, kind: np.ndarray,
                residents: np.ndarray, seen: np.ndarray,
                position: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ties of some residents, with the people at their other ends numbered compactly.

    Cost grows with the ties returned plus one pass over the town (no sort). ``seen`` and
    ``position`` are town-sized scratch buffers, kept between days by the caller (fresh
    town-sized arrays each day cost more in page faults than the work itself); ``seen``
    is left all False.

    Args:
        indptr: CSR row pointers.
        indices: CSR column of each stored direction.
        kind: Kind code of each stored direction.
        residents: Whose rows to read.
        seen: Town-sized bool buffer, all False.
        position: Town-sized int64 buffer.

    Returns:
        For each tie, its owner's position in ``residents`` and its kind code; the sorted
        distinct residents at the other ends ("others"); for each tie, the position of its
        other end among them.
    """
    count = 0
    for r in residents:
        count += indptr[r + 1] - indptr[r]
    owner = np.empty(count, dtype=np.int64)
    tie_kind = np.empty(count, dtype=kind.dtype)
    other = np.empty(count, dtype=np.int64)
    at = 0
    for i in range(len(residents)):
        for entry in range(indptr[residents[i]], indptr[residents[i] + 1]):
            owner[at], tie_kind[at], other[at] = i, kind[entry], indices[entry]
            seen[indices[entry]] = True
            at += 1
    # The marked residents in index order, without a branch per resident (most of a
    # large town is unmarked, but where marks are dense a branch would often be wrong).
    others = np.empty(len(seen) + 1, dtype=np.int64)
    marked = 0
    for i in range(len(seen)):
        others[marked] = i
        marked += seen[i]
    others = others[:marked].copy()
    for j in range(len(others)):
        seen[others[j]] = False
        position[others[j]] = j
    local = np.empty(count, dtype=np.int64)
    for t in range(count):
        local[t] = position[other[t]]
    return owner, tie_kind, others, local


@dataclass(frozen=True)
class Network:
    """The town's social ties by kind, and all of them together (``social``)."""

    family: Ties
    kin: Ties
    neighbour: Ties
    social: Ties

    def by_kind(self) -> dict[str, Ties]:
        """The ties keyed by edge kind."""
        return {"family": self.family, "kin": self.kin, "neighbour": self.neighbour}


def build_network(pop: Population, params: Params, rng: np.random.Generator) -> Network:
    """Draw family, kin and neighbour ties.

    * family: everyone in a household knows everyone else in it;
    * neighbour: a ring lattice over the space-filling order of homes (so ties are
      local), a share ``homophily`` of cross-group ties re-drawn to a nearby resident of
      the same group, and a share ``rewire_share`` re-drawn to anyone (small world);
    * kin: Poisson-many ties to residents of the same group in other households.

    Args:
        pop: The population.
        params: Parameters; reads ``neighbour_ties``, ``kin_ties``, ``homophily`` and
            ``rewire_share``.
        rng: The ``network`` stream.
    """
    n = pop.size
    family = _household_cliques(pop)
    kin = _kin_pairs(pop, params, rng)
    neighbour = _neighbour_pairs(pop, params, rng)
    kin_u, kin_v = _drop_pairs(*kin, exclude=family, n=n)
    nb_u, nb_v = _drop_pairs(*neighbour, exclude=(np.r_[family[0], kin_u],
                                                   np.r_[family[1], kin_v]), n=n)
    by_kind = (Ties.from_pairs(*family, n), Ties.from_pairs(kin_u, kin_v, n),
               Ties.from_pairs(nb_u, nb_v, n))
    return Network(*by_kind, social=_merge(by_kind, n))


def _merge(by_kind: tuple[Ties, ...], n: int) -> Ties:
    """One CSR holding every kind, each row's entries in :data:`SOCIAL_KINDS` order."""
    rows = np.concatenate([np.repeat(np.arange(n), t.degree) for t in by_kind])
    order = np.argsort(rows, kind="stable")  # stable: kinds stay in order within a row
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(sum(t.degree for t in by_kind), out=indptr[1:])
    kinds = np.concatenate([np.full(len(t.indices), code, dtype=np.int8)
                            for code, t in enumerate(by_kind)])
    return Ties(indptr=indptr, indices=np.concatenate([t.indices for t in by_kind])[order],
                kind=kinds[order])


def _household_cliques(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """All pairs within each household (members are at consecutive indices)."""
    first = np.flatnonzero(np.r_[True, pop.household[1:] != pop.household[:-1]])
    sizes = pop.household_size[first]
    us, vs = [], []
    for size in range(2, int(sizes.max(initial=1)) + 1):
        starts = first[sizes == size]
        for i, j in combinations(range(size), 2):
            us.append(starts + i)
            vs.append(starts + j)
    if not us:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(us).astype(np.int64), np.concatenate(vs).astype(np.int64)


def _neighbour_pairs(pop: Population, params: Params,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Local ring-lattice ties with homophily and small-world rewiring.

    Each resident is tied to the next ``neighbour_ties // 2`` along the ring. An odd
    ``neighbour_ties`` adds one more tie for every resident: rank ``r`` to rank
    ``r + reach``, ``r`` in alternate blocks of ``reach`` ranks (``n // 2`` pairs), so
    the town has ``n * neighbour_ties // 2`` pairs before any is dropped.
    """
    n = pop.size
    half, odd = divmod(params.neighbour_ties, 2)
    reach = half + odd  # the farthest along the ring a tie goes
    if reach == 0 or n < 3:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    by_rank = np.argsort(pop.spatial_rank, kind="stable")  # resident at each rank
    rank = np.empty(n, dtype=np.int64)
    rank[by_rank] = np.arange(n)
    step = np.tile(np.arange(1, half + 1), n)
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = by_rank[(rank[u] + step) % n]
    if odd:  # the blocks pair each rank with one partner, so each resident gains one tie
        start = np.flatnonzero(np.arange(n) % (2 * reach) < reach)[: n // 2]
        u = np.r_[u, by_rank[start]]
        v = np.r_[v, by_rank[(start + reach) % n]]

    # Homophily: re-draw a share of cross-group ties to a near resident of u's group.
    cross = pop.minority[u] != pop.minority[v]
    redraw = cross & (rng.random(len(u)) < params.homophily)
    for group in (False, True):
        members = by_rank[pop.minority[by_rank] == group]  # this group, in spatial order
        if len(members) < 2:
            continue
        group_rank = np.empty(n, dtype=np.int64)
        group_rank[members] = np.arange(len(members))
        pick = redraw & (pop.minority[u] == group)
        offsets = rng.integers(1, reach + 1, size=pick.sum()) * rng.choice([-1, 1], pick.sum())
        v[pick] = members[(group_rank[u[pick]] + offsets) % len(members)]

    rewire = rng.random(len(u)) < params.rewire_share
    v[rewire] = rng.integers(0, n, size=rewire.sum())
    return u, v


def _kin_pairs(pop: Population, params: Params,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Poisson-many kin ties per resident to same-group residents elsewhere."""
    n = pop.size
    counts = rng.poisson(params.kin_ties / 2, size=n)  # each tie adds to both ends
    u = np.repeat(np.arange(n, dtype=np.int64), counts)
    v = np.empty(len(u), dtype=np.int64)
    for group in (False, True):
        members = np.flatnonzero(pop.minority == group)
        pick = pop.minority[u] == group
        if len(members):
            v[pick] = members[rng.integers(0, len(members), size=pick.sum())]
    return u, v


def _drop_pairs(u: np.ndarray, v: np.ndarray, exclude: tuple[np.ndarray, np.ndarray],
                n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return unique pairs without self-ties and without pairs in ``exclude``.

    A pair that is already family (or kin) is kept as the closer kind only, so every
    pair of residents has at most one social tie kind.
    """
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keys = np.sort(lo[lo != hi] * n + hi[lo != hi])
    first = np.ones(len(keys), dtype=np.bool_)  # np.unique, by sorting
    first[1:] = keys[1:] != keys[:-1]
    keys = keys[first]
    ex_lo, ex_hi = np.minimum(*exclude), np.maximum(*exclude)
    excluded = np.sort(ex_lo * n + ex_hi)
    if len(excluded):  # np.isin, by a search of the sorted keys (a tenth of the time)
        at = np.minimum(np.searchsorted(excluded, keys), len(excluded) - 1)
        keys = keys[excluded[at] != keys]
    return keys // n, keys % n


def build_graph(pop: Population, network: Network, *,
                caseload: tuple[np.ndarray, np.ndarray] | None = None,
                peer: tuple[np.ndarray, np.ndarray] | None = None) -> nx.MultiGraph:
    """Build the networkx view: residents and professionals as nodes, ties as edges.

    Resident ``i`` is node ``i``; professional post ``p`` is node ``residents + p``. Each
    edge has key and attribute ``kind`` (one of :data:`EDGE_KINDS`); every node has
    ``pos`` (home or patch centre) and ``kind`` (``"resident"`` or ``"professional"``).

    Args:
        pop: The population (for positions).
        network: Family, kin and neighbour ties.
        caseload: ``(post, resident)`` pairs on a professional's caseload today.
        peer: ``(volunteer, patient)`` pairs of peer visits made so far (one edge per
            pair, however many visits).
    """
    import networkx as nx

    n = pop.size
    graph = nx.MultiGraph()
    graph.add_nodes_from(
        (i, {"kind": "resident", "pos": (float(x), float(y))})
        for i, (x, y) in enumerate(zip(pop.x, pop.y, strict=True)))
    graph.add_nodes_from(
        (n + p, {"kind": "professional", "pos": (float(x), float(y))})
        for p, (x, y) in enumerate(zip(pop.patch_x, pop.patch_y, strict=True)))
    for kind, ties in network.by_kind().items():
        u, v = ties.pairs()
        graph.add_edges_from(zip(u.tolist(), v.tolist(), [kind] * len(u), strict=True),
                             kind=kind)
    if caseload is not None:
        posts, residents = caseload
        graph.add_edges_from(((n + int(p), int(r), "caseload") for p, r in
                              zip(posts, residents, strict=True)), kind="caseload")
    if peer is not None:
        graph.add_edges_from(((int(a), int(b), "peer") for a, b in
                              zip(*peer, strict=True)), kind="peer")
    return graph
