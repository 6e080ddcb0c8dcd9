"""Surface-GKP code capacity: a rotated surface code of GKP qubits, matched with per-shot analog edge weights.

Model (code capacity, Vuillot, Asasi, Wang, Pryadko, Terhal, PRA 99, 032344 (2019)): each data qubit's q
quadrature is displaced by N(0, sigma^2) (vacuum variance 1/2, lattice spacing sqrt(pi)); the GKP correction
shifts it to the nearest multiple of sqrt(pi), leaving a logical X flip when that multiple is odd. The Z checks
of the surface code are then measured perfectly. The X and Z sectors are independent under square-GKP noise,
so the Z-basis memory (X flips, Z checks) is the whole story for one sector.

Decoding: minimum-weight matching on the Z-check graph, where data qubit e is edge e. With analog information
each edge's weight is log((1-p_e)/p_e), p_e the conditional error probability given that qubit's measured
displacement (`emulator.physics.bosonic.conditional_error_probability`); without it every edge has the same
weight. Per-shot weights go to fusion-blossom's `dynamic_weights` on one solver built once (no rebuild).

Per-shot cost at sigma = 0.57 (`python bench/surface_gkp.py`, thread CPU µs per shot on a shared 2-core machine):

    d     fusion-blossom dynamic weights    PyMatching rebuilt per shot    uniform PyMatching batch
    5                26                              187                           1.0
    9               135                              394                           6.4
    13              447                              585                          17

fusion-blossom wins at every size measured (7x at d=5, 1.3x at d=13), and both find equal-weight matchings (a
test checks it); its cost grows with the number of defects, which is large this close to threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import fusion_blossom
import numpy as np
import pymatching
import scipy.sparse

from emulator.physics.bosonic import analog_outcome, edge_weight, sample_displacements
from protocols.codes import CodeSpec, layout
from protocols.errors import DecodeError

__all__ = [
    "SurfaceGkpDecoder",
    "SurfaceGkpGraph",
    "SurfaceGkpShots",
    "count_failures",
    "sample_shots",
    "surface_gkp_graph",
]

#: Conditional error probabilities are clipped here before taking weights: a weight of ~27.6 is "certain".
P_FLOOR = 1e-12
#: Integer weights for fusion-blossom: log-likelihood ratio times this scale, rounded to even integers.
WEIGHT_SCALE = 1e4


@dataclass(frozen=True)
class SurfaceGkpGraph:
    """The Z-check graph of the distance-d rotated surface code, one edge per data qubit.

    `check_matrix` uint8 (num_checks, num_data): row r = Z check r, column e = data qubit e (stim index order).
    `logical` uint8 (num_data,): the support of logical Z (an X flip there flips the observable).
    `u`, `v` int64 (num_data,): edge e joins checks u[e] and v[e]; v[e] = -1 for a boundary edge.
    """

    distance: int
    check_matrix: np.ndarray
    logical: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @property
    def num_checks(self) -> int:
        """Number of Z checks (detectors)."""
        return int(self.check_matrix.shape[0])

    @property
    def num_data(self) -> int:
        """Number of data qubits (edges)."""
        return int(self.check_matrix.shape[1])


def surface_gkp_graph(distance: int) -> SurfaceGkpGraph:
    """Check matrix, logical and edge list of the rotated surface code's Z checks at `distance` (odd >= 3)."""
    lay = layout(CodeSpec("rotated_surface", distance, 1, "Z"))
    col = {q: i for i, q in enumerate(lay.data_qubits)}
    h = np.zeros((len(lay.z_ancillas), len(lay.data_qubits)), dtype=np.uint8)
    for r, a in enumerate(lay.z_ancillas):
        for q, _ in lay.check_support(a):
            h[r, col[q]] = 1
    logical = np.zeros(len(lay.data_qubits), dtype=np.uint8)
    for q, _ in lay.logical_z:
        logical[col[q]] = 1
    u = np.full(h.shape[1], -1, dtype=np.int64)
    v = np.full(h.shape[1], -1, dtype=np.int64)
    for e in range(h.shape[1]):
        rows = np.flatnonzero(h[:, e])
        u[e] = rows[0]
        if len(rows) == 2:
            v[e] = rows[1]
    return SurfaceGkpGraph(distance, h, logical, u, v)


@dataclass(frozen=True)
class SurfaceGkpShots:
    """A batch of code-capacity shots: `syndromes` uint8 (shots, num_checks), `weights` float64 (shots, num_data)
    analog matching weights log((1-p)/p), `observable` uint8 (shots,) the true logical flip."""

    syndromes: np.ndarray
    weights: np.ndarray
    observable: np.ndarray


def sample_shots(graph: SurfaceGkpGraph, sigma: float, shots: int, seed: int | np.random.Generator) -> SurfaceGkpShots:
    """Sample displacements of std `sigma` on every data qubit and return syndromes, analog weights and truth."""
    disp = sample_displacements(sigma, (shots, graph.num_data), seed)
    flips, p_err = analog_outcome(disp, sigma)
    syndromes = (flips @ graph.check_matrix.T.astype(np.int64) % 2).astype(np.uint8)
    observable = (flips @ graph.logical.astype(np.int64) % 2).astype(np.uint8)
    return SurfaceGkpShots(syndromes, edge_weight(np.clip(p_err, P_FLOOR, 0.5)), observable)


class SurfaceGkpDecoder:
    """Predicts the logical flip of each shot by matching; configure once per distance, call many."""

    def __init__(self, graph: SurfaceGkpGraph) -> None:
        """Build the uniform-weight PyMatching graph and the fusion-blossom solver for per-shot weights."""
        self.graph = graph
        self._uniform = pymatching.Matching(scipy.sparse.csc_matrix(graph.check_matrix))
        n = graph.num_checks
        boundary = np.flatnonzero(graph.v < 0)
        v = graph.v.copy()
        v[boundary] = n + np.arange(len(boundary))  # one virtual (boundary) vertex per boundary edge
        init = fusion_blossom.SolverInitializer(
            n + len(boundary),
            [(int(a), int(b), 2) for a, b in zip(graph.u, v)],
            list(range(n, n + len(boundary))),
        )
        self._solver = fusion_blossom.SolverSerial(init)
        self._edge_ids = list(range(graph.num_data))

    def decode_uniform(self, syndromes: np.ndarray) -> np.ndarray:
        """Logical predictions uint8 (shots,) with every edge weighted alike (no analog information)."""
        s = self._check(syndromes)
        corr = self._uniform.decode_batch(s)
        return (corr.astype(np.int64) @ self.graph.logical.astype(np.int64) % 2).astype(np.uint8)

    def decode_weighted(self, syndromes: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Logical predictions uint8 (shots,) matching with per-shot edge weights float64 (shots, num_data)."""
        s = self._check(syndromes)
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (s.shape[0], self.graph.num_data):
            raise DecodeError(f"weights: expected shape ({s.shape[0]}, {self.graph.num_data}), got {w.shape}")
        # fusion-blossom needs even non-negative integers; weight 0 (p = 1/2) is legal and means "free".
        iw = (2 * np.rint(np.clip(w, 0.0, None) * (WEIGHT_SCALE / 2))).astype(np.int64)
        logical = self.graph.logical
        solver, pattern, ids = self._solver, fusion_blossom.SyndromePattern, self._edge_ids
        defects = scipy.sparse.csr_matrix(s)
        ptr, ind = defects.indptr.tolist(), defects.indices.tolist()
        out = np.zeros(s.shape[0], dtype=np.uint8)
        # One fusion-blossom call per shot with a non-trivial syndrome (its API takes one syndrome per call).
        for i in range(s.shape[0]):
            a, b = ptr[i], ptr[i + 1]
            if a == b:
                continue
            solver.solve(pattern(defect_vertices=ind[a:b], dynamic_weights=list(zip(ids, iw[i].tolist()))))
            out[i] = int(logical[solver.subgraph()].sum()) & 1
            solver.clear()
        return out

    def _check(self, syndromes: np.ndarray) -> np.ndarray:
        s = np.asarray(syndromes)
        if s.ndim != 2 or s.shape[1] != self.graph.num_checks or s.dtype not in (np.uint8, np.bool_):
            raise DecodeError(
                f"syndromes: expected uint8 or bool array of shape (shots, {self.graph.num_checks}), "
                f"got dtype {s.dtype} and shape {s.shape}"
            )
        return np.ascontiguousarray(s, dtype=np.uint8)


def count_failures(
    decoder: SurfaceGkpDecoder, sigma: float, shots: int, analog: bool, seed: int | np.random.Generator
) -> int:
    """Logical failures among `shots` code-capacity shots at displacement std `sigma`, with or without analog info."""
    batch = sample_shots(decoder.graph, sigma, shots, seed)
    if analog:
        pred = decoder.decode_weighted(batch.syndromes, batch.weights)
    else:
        pred = decoder.decode_uniform(batch.syndromes)
    return int(np.count_nonzero(pred != batch.observable))
