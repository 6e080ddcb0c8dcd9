"""Erasure-aware decoding: per shot, the edges an erased qubit can flip are (nearly) free to match through.

Model. Given the heralds of a shot, the errors are: the herald-free part of the circuit's DEM (the
*base* model) plus, for each fired herald, its channel's Pauli conditioned on the herald. So each
shot is decoded on the graph of the twin model (`controller.decode.heralds`) with conditional
weights: every edge weighted by its base probability, and the edges of fired heralds by the base
probability combined with the herald's flip probability q (1 - 2p = (1 - 2p_base) prod(1 - 2q)).
For a full erasure q = 1/2, so those edges get weight 0 (error probability 1/2); a channel with an
identity branch (false heralds) gives q < 1/2 and a small positive weight. Edges that only an
erasure can flip get the weight of two of the rarest base errors (probability p_min**2), so an
unheralded syndrome can still be matched through them.

Herald map. Each herald's edges are read off the DEM exactly: every error term that contains the
herald detector comes from that herald's channel, and its graphlike components, herald removed, are
the edges that qubit's X, Y and Z at that place flip (checked against stim frame simulation of
injected Paulis in the tests). Building it is one pass over the DEM: d=7, rounds=7 with heralds on
every data qubit every round (679 detectors, 343 heralds) takes 27 ms for stim's DEM plus 77 ms for
the split on a quiet machine; the split is cached per DEM, so further decoders for the same circuit
(sinter compiles one per worker and task) pay only for their graphs (~35 ms at d=7).

Weights. Conditional weights decode better than the twin model's own: d=5, 5 % erasure, 10 000
shots decoded by fusion-blossom both ways, 11 against 39 failures (1 against 29 discordant shots).
With false heralds, the herald's q beats plain weight 0: rotated surface code d=5, 5 rounds,
erasure 3 %, false herald 3 %, gate depolarizing and measurement flips 2e-3, 20 000 shots: 52
against 71 failures (11 against 30 discordant shots), at 46 instead of 29 µs per shot.

Per-shot solver, chosen by measurement (`python bench/decode.py --erasure-table`; thread CPU time
on a shared 2-core machine; rotated surface code memory Z, rounds = d, circuit-level depolarizing
1e-3 plus HERALDED_ERASE on every data qubit every round; µs per heralded shot, Python call
included):

    erasure rate     d=3 fusion / pm-edit     d=5 fusion / pm-edit     d=7 fusion / pm-edit
    1 %                  6.6 / 58                 17 / 307                 49 / 958
    5 %                  7.9 / 63                 35 / 338                112 / 1078
    10 %                10.7 / 69                 58 / 376                184 / 1189

"fusion" is fusion-blossom's exact MWPM (`SolverSerial`, the opened edges' weights passed per shot
as `SyndromePattern(dynamic_weights=...)`, no rebuild); "pm-edit" is PyMatching with the erased
edges set to weight 0 and restored afterwards (`add_edge(..., merge_strategy="replace")`), which
rebuilds its search graph on the next decode.
fusion-blossom wins at every point (6x to 20x), so heralded shots go to it; shots without any herald
take the batched PyMatching path on the base graph. Most of the fusion-blossom time is its own solve
and subgraph calls, one shot per call; the Python loop around them costs ~3 µs per shot.
"""

from __future__ import annotations

import fusion_blossom
import numba
import numpy as np
import pymatching
import scipy.sparse
import stim

from controller.decode.heralds import HeraldedModel, circuit_dem, herald_mask_from_dem, split_heralded_dem
from controller.decode.matching import match_batch, matching_from_dem
from controller.decode.shots import check_shots, pack_predictions, unpack_shots
from protocols.errors import DecodeError

__all__ = ["ErasureDecoder", "ErasureGraph", "build_erasure_graph"]

#: Largest integer edge weight handed to fusion-blossom (weights must be even integers there).
_MAX_INT_WEIGHT = 2_000_000


class ErasureGraph:
    """The matching graph shared by both erasure-aware paths, with each herald's edges.

    Edge e (0 <= e < num_edges) joins compact detectors `u[e]` and `v[e]` (`v[e] == -1`: boundary);
    `probability[e]` is its base (no-herald) error probability, `observables[e]` its observable mask
    (bit k = observable k). `herald_edges` is a CSR matrix of shape (num_heralds, num_edges): row h
    lists the edges herald h opens, each with value log(1 - 2 q), q the probability that h's channel
    flips the edge given that h fired (floored at 1e-12 where q = 1/2). Independent flips combine as
    1 - 2 p = prod(1 - 2 q_i), so a shot's log factors add up: a sparse product.
    """

    def __init__(
        self,
        u: np.ndarray,
        v: np.ndarray,
        probability: np.ndarray,
        observables: list[int],
        herald_edges: scipy.sparse.csr_matrix,
        num_detectors: int,
    ) -> None:
        self.u, self.v, self.probability = u, v, probability
        self.observables = observables
        self.herald_edges = herald_edges
        self.num_detectors = num_detectors

    @property
    def num_edges(self) -> int:
        """Number of edges (boundary edges included)."""
        return len(self.u)

    def weights(self) -> np.ndarray:
        """(num_edges,) float64 matching weights log((1-p)/p)."""
        p = self.probability
        return np.log1p(-p) - np.log(p)

    def edges_of_herald(self, h: int) -> np.ndarray:
        """Edge indices herald `h` (ordinal among heralds) opens."""
        hp = self.herald_edges
        return hp.indices[hp.indptr[h] : hp.indptr[h + 1]]


def build_erasure_graph(model: HeraldedModel) -> ErasureGraph:
    """Edge list of the twin graph with base probabilities and the herald -> edges map."""
    twin = matching_from_dem(model.twin)
    base = {(a, b): attr["error_probability"] for a, b, attr in matching_from_dem(model.base).edges()}
    us, vs, ps, obs = [], [], [], []
    index: dict[tuple[int, int], int] = {}
    for a, b, attr in twin.edges():
        key = (a, -1) if b is None else (min(a, b), max(a, b))
        index[key] = len(us)
        us.append(key[0])
        vs.append(key[1])
        ps.append(base.get((a, b), base.get((b, a), 0.0)))
        obs.append(sum(1 << f for f in attr["fault_ids"]))
    prob = np.array(ps, dtype=np.float64)
    if np.any(prob > 0.5):
        bad = int(np.argmax(prob))
        raise DecodeError(
            f"edge ({us[bad]}, {vs[bad]}) has error probability {prob[bad]:.4g} > 0.5; erasure decoding needs "
            "probabilities in (0, 0.5]"
        )
    positive = prob[prob > 0]
    # An edge only erasures flip: cost of two of the rarest base errors (see module docstring).
    floor = float(positive.min()) ** 2 if positive.size else 1e-6
    prob[prob <= 0] = floor
    rows, cols, qs = [], [], []
    for h, (comps, probs) in enumerate(zip(model.herald_components, model.herald_flip_probability, strict=True)):
        for comp, q in zip(comps, probs, strict=True):
            key = (comp[0], -1) if len(comp) == 1 else (comp[0], comp[1])
            if key not in index:
                raise DecodeError(f"herald {h} flips detectors {comp}, which are not an edge of the matching graph")
            rows.append(h)
            cols.append(index[key])
            qs.append(q)
    log_factor = np.log(np.maximum(1.0 - 2.0 * np.array(qs, dtype=np.float64), 1e-12))
    herald_edges = scipy.sparse.csr_matrix((log_factor, (rows, cols)), shape=(model.num_heralds, len(us)))
    herald_edges.sum_duplicates()
    herald_edges.sort_indices()
    return ErasureGraph(
        np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64), prob, obs, herald_edges, len(model.kept_detectors)
    )


def _base_matching(model: HeraldedModel, graph: ErasureGraph) -> pymatching.Matching:
    """PyMatching graph of the base model, plus the erasure-only edges at the floor weight.

    Built from the base DEM itself so that, for a circuit without heralds, it is exactly the graph
    bare PyMatching builds from that DEM.
    """
    m = matching_from_dem(model.base)
    have = {(a, -1 if b is None else b) for a, b, _ in m.edges()}
    have |= {(b, a) for a, b in have}
    w = graph.weights()
    for e in range(graph.num_edges):
        u, v = int(graph.u[e]), int(graph.v[e])
        if (u, v) in have:
            continue
        fault_ids = {k for k in range(64) if graph.observables[e] >> k & 1}
        if v < 0:
            m.add_boundary_edge(u, fault_ids=fault_ids, weight=float(w[e]), error_probability=float(graph.probability[e]))
        else:
            m.add_edge(u, v, fault_ids=fault_ids, weight=float(w[e]), error_probability=float(graph.probability[e]))
    return m


def _fusion_solver(graph: ErasureGraph) -> tuple[fusion_blossom.SolverSerial, float]:
    """fusion-blossom solver of `graph` and its weight scale (integer weight = 2 round(w scale / 2))."""
    w = graph.weights()
    scale = _MAX_INT_WEIGHT / max(float(w.max()), 1e-12)
    iw = (2 * np.rint(w * scale / 2)).astype(np.int64)
    n = graph.num_detectors
    boundary = np.flatnonzero(graph.v < 0)
    v = graph.v.copy()
    # One virtual vertex per boundary edge: fusion-blossom's boundary.
    v[boundary] = n + np.arange(len(boundary))
    init = fusion_blossom.SolverInitializer(
        n + len(boundary),
        list(zip(graph.u.tolist(), v.tolist(), iw.tolist())),
        list(range(n, n + len(boundary))),
    )
    return fusion_blossom.SolverSerial(init), scale


@numba.njit(cache=True, nogil=True)
def _opened_edges(heralds, hp, hi, hd, acc, touched):  # pragma: no cover - compiled
    """Edges opened by a shot's fired heralds (ascending) and their summed log factors: the rows of the
    CSR herald map (hp, hi, hd) of every fired herald, added in herald order. acc/touched: zeroed scratch
    of one entry per edge, left zeroed."""
    n = 0
    for h in range(len(heralds)):
        if heralds[h]:
            n += hp[h + 1] - hp[h]
    idx = np.empty(n, np.int64)
    k = 0
    for h in range(len(heralds)):
        if heralds[h]:
            for j in range(hp[h], hp[h + 1]):
                e = hi[j]
                if not touched[e]:
                    touched[e] = True
                    idx[k] = e
                    k += 1
                acc[e] += hd[j]
    idx = np.sort(idx[:k])
    dat = np.empty(k, np.float64)
    for j in range(k):
        dat[j] = acc[idx[j]]
        acc[idx[j]] = 0.0
        touched[idx[j]] = False
    return idx, dat


@numba.njit(cache=True, nogil=True)
def shot_inputs(dets, keep, herald_cols, isolated, hp, hi, hd, acc, touched):  # pragma: no cover - compiled
    """One shot's defects (compact indices) and opened edges with their log factors, in one pass; fired = -1
    when an isolated detector fired (the general path then raises), else the number of fired heralds."""
    for j in range(len(isolated)):
        if dets[keep[isolated[j]]]:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), -1
    n = 0
    for j in range(len(keep)):
        n += dets[keep[j]] != 0
    defects = np.empty(n, np.int64)
    n = 0
    for j in range(len(keep)):
        if dets[keep[j]]:
            defects[n] = j
            n += 1
    fired = np.zeros(len(herald_cols), np.uint8)
    nf = 0
    for h in range(len(herald_cols)):
        if dets[herald_cols[h]]:
            fired[h] = 1
            nf += 1
    idx, dat = _opened_edges(fired, hp, hi, hd, acc, touched)
    return defects, idx, dat, nf


@numba.njit(cache=True, nogil=True)
def conditional_weights(e_idx, e_log, one_minus_2p, half_scale):  # pragma: no cover - compiled
    """Even integer weights of opened edges given a shot's heralds: each edge's probability with base and
    herald flips combined, q = (1 - exp(log factor) (1 - 2 p_base)) / 2, weight log((1 - q) / q) scaled."""
    out = np.empty(len(e_idx), np.int64)
    for j in range(len(e_idx)):
        q = 0.5 * (1.0 - np.exp(e_log[j]) * one_minus_2p[e_idx[j]])
        w = np.log1p(-q) - np.log(q)
        out[j] = max(2 * np.rint(w * half_scale), 0)
    return out


class ErasureDecoder:
    """Predicts observable flips using the erasure heralds of each shot; configure once, call many."""

    def __init__(self, dem: stim.DetectorErrorModel, herald_mask: np.ndarray | None = None) -> None:
        """Build graphs and herald map from `dem`; heralds default to detectors with 4th coordinate -1."""
        if herald_mask is None:
            herald_mask = herald_mask_from_dem(dem)
        if dem.num_observables > 64:
            raise DecodeError(f"erasure decoding supports at most 64 observables, got {dem.num_observables}")
        self.num_detectors: int = dem.num_detectors
        self.num_observables: int = dem.num_observables
        self.model = split_heralded_dem(dem, herald_mask)
        self.num_heralds: int = self.model.num_heralds
        self.graph = build_erasure_graph(self.model)
        self._keep = self.model.kept_detectors
        self._herald_cols = self.model.herald_detectors
        self._base = _base_matching(self.model, self.graph)
        self._solver, self._scale = _fusion_solver(self.graph)
        self._one_minus_2p = 1.0 - 2.0 * self.graph.probability
        degree = np.bincount(self.graph.u, minlength=self.graph.num_detectors)
        degree += np.bincount(self.graph.v[self.graph.v >= 0], minlength=self.graph.num_detectors)
        self._isolated = np.flatnonzero(degree == 0)
        self._shifts = np.arange(self.num_observables, dtype=np.uint64)
        he = scipy.sparse.csr_matrix(self.graph.herald_edges)
        self._he = (he.indptr.astype(np.int64), he.indices.astype(np.int64), he.data.astype(np.float64))
        self._acc = np.zeros(he.shape[1], dtype=np.float64)  # scratch of _opened_edges, left zeroed
        self._touched = np.zeros(he.shape[1], dtype=np.bool_)

    @classmethod
    def from_circuit(cls, circuit: stim.Circuit) -> ErasureDecoder:
        """Decoder for `circuit` (its decomposed DEM; heralds found from detector coordinates)."""
        return cls(circuit_dem(circuit))

    def decode_batch(self, dets: np.ndarray, *, bit_packed: bool = False) -> np.ndarray:
        """Predicted observable flips for a batch of shots, using each shot's heralds.

        Args:
            dets: detection events including the herald detectors. Unpacked (`bit_packed=False`):
                uint8 or bool, shape (shots, num_detectors). Bit-packed (`bit_packed=True`): uint8,
                shape (shots, ceil(num_detectors / 8)), detector k in bit k % 8 of byte k // 8
                (little-endian bit order, as sinter).

        Returns:
            uint8 predictions in the same layout: (shots, num_observables) of 0/1 when unpacked,
            (shots, ceil(num_observables / 8)) little-endian bit-packed otherwise.
        """
        dets = check_shots(dets, self.num_detectors, bit_packed)
        if not self.num_heralds and self._base.num_fault_ids == self.num_observables:
            return match_batch(self._base, dets, bit_packed)
        if len(dets) == 1 and not bit_packed:  # the real-time loop: one block at a time
            pred = self._decode_one(dets[0])
            if pred is not None:
                return pred
        full = unpack_shots(dets, self.num_detectors, bit_packed)
        compact = full[:, self._keep]
        if self._isolated.size and compact[:, self._isolated].any():
            raise DecodeError(
                f"a detection event fell on detectors {self._isolated.tolist()} (compact indices), which no "
                "error in the model flips"
            )
        heralds = full[:, self._herald_cols]
        erased = heralds.any(axis=1)
        pred = np.zeros((full.shape[0], self.num_observables), dtype=np.uint8)
        if not erased.any():
            pred = match_batch(self._base, compact, False)
            return pack_predictions(self._pad(pred), bit_packed)
        quiet = ~erased
        if quiet.any():
            pred[quiet] = self._pad(match_batch(self._base, compact[quiet], False))
        rows = np.flatnonzero(erased)
        pred[rows] = self._decode_erased(compact[rows], heralds[rows])
        return pack_predictions(pred, bit_packed)

    def _decode_one(self, row: np.ndarray) -> np.ndarray | None:
        """(1, num_observables) prediction of one heralded shot, without the batch path's array work; None
        for a shot without heralds or with an event the model cannot explain (the batch path handles both)."""
        hp, hi, hd = self._he
        defects, e_idx, e_log, fired = shot_inputs(row, self._keep, self._herald_cols, self._isolated, hp, hi, hd,
                                                 self._acc, self._touched)
        if fired <= 0:
            return None
        iw = conditional_weights(e_idx, e_log, self._one_minus_2p, self._scale / 2)
        return self._bits([self.solve_shot(defects, e_idx, iw)])

    def shot_tables(self) -> tuple:
        """The arrays `shot_inputs` takes after a shot's detectors (keep, herald columns, isolated detectors,
        the CSR herald map, its two zeroed scratch arrays), then `conditional_weights`' 1 - 2 p and half
        weight scale: for a caller that compiles the step from its own data to a shot (BlockDecoder)."""
        return (self._keep, self._herald_cols, self._isolated, *self._he, self._acc, self._touched,
                self._one_minus_2p, self._scale / 2)

    def solve_shot(self, defects: np.ndarray, edges: np.ndarray, weights: np.ndarray) -> int:
        """Observable bits (bit k = observable k) of one heralded shot from `shot_inputs`' defects and opened
        edges and `conditional_weights`' integer weights."""
        if not len(defects):
            return 0
        return self._solve(defects.tolist(), list(zip(edges.tolist(), weights.tolist(), strict=True)), 0)

    def match_plain(self, compact: np.ndarray) -> int:
        """Observable bits of one shot without heralds from its compact (non-herald) detectors, uint8."""
        pred = self._base.decode(compact)
        return sum(int(b) << k for k, b in enumerate(pred))

    def _solve(self, defects: list, dynamic: list, shot: int) -> int:
        """Observable bits of the minimum-weight matching of `defects` under `dynamic` edge weights."""
        solver = self._solver
        try:
            solver.solve(fusion_blossom.SyndromePattern(defect_vertices=defects, dynamic_weights=dynamic))
            x = 0
            obs = self.graph.observables
            for e in solver.subgraph():
                x ^= obs[e]
            solver.clear()
            return x
        except BaseException as e:
            # A Rust panic (pyo3 PanicException, a BaseException) or an interrupt leaves the solver
            # mid-solve: replace it so the decoder stays usable.
            self._solver, self._scale = _fusion_solver(self.graph)
            if isinstance(e, Exception) or type(e).__name__ == "PanicException":
                raise DecodeError(
                    f"fusion-blossom failed on heralded shot {shot} of the batch (defects {defects}, compact "
                    f"indices): {e}; an odd number of defects in a part of the graph without boundary has no matching"
                ) from e
            raise

    def _pad(self, pred: np.ndarray) -> np.ndarray:
        if pred.shape[1] == self.num_observables:
            return pred
        out = np.zeros((pred.shape[0], self.num_observables), dtype=np.uint8)
        out[:, : pred.shape[1]] = pred
        return out

    def _opened_few(self, compact: np.ndarray, heralds: np.ndarray) -> tuple[list, list, list, list]:
        """Defects and opened edges of a few shots from plain CSR arrays (no sparse-matrix construction,
        which costs ~100 us per call: the real-time loop decodes one block at a time)."""
        hp, hi, hd = self._he
        dptr, dind, eptr, edges, logs = [0], [], [0], [], []
        for k in range(compact.shape[0]):
            dind.extend(np.flatnonzero(compact[k]).tolist())
            dptr.append(len(dind))
            idx, dat = _opened_edges(heralds[k].view(np.uint8), hp, hi, hd, self._acc, self._touched)
            edges.append(idx)
            logs.append(dat)
            eptr.append(eptr[-1] + len(idx))
        return dptr, dind, eptr, [np.concatenate(edges), np.concatenate(logs)]

    def _decode_erased(self, compact: np.ndarray, heralds: np.ndarray) -> np.ndarray:
        """(m, num_observables) uint8 predictions of shots with at least one herald (fusion-blossom)."""
        m = compact.shape[0]
        if m <= 16:
            dptr, dind, eptr, (e_idx, e_log) = self._opened_few(compact, heralds)
        else:
            defects = scipy.sparse.csr_matrix(compact)
            opened = scipy.sparse.csr_matrix(heralds, dtype=np.float64) @ self.graph.herald_edges
            dptr, dind = defects.indptr.tolist(), defects.indices.tolist()
            eptr = opened.indptr.tolist()
            e_idx, e_log = opened.indices, opened.data
        iw = conditional_weights(np.asarray(e_idx, np.int64), np.asarray(e_log, np.float64), self._one_minus_2p,
                                  self._scale / 2)
        dynamic = list(zip(e_idx.tolist(), iw.tolist(), strict=True))
        res = [0] * m
        for i in range(m):  # one shot per call: fusion-blossom takes one syndrome at a time (~µs each)
            a, b = dptr[i], dptr[i + 1]
            if a != b:
                res[i] = self._solve(dind[a:b], dynamic[eptr[i] : eptr[i + 1]], i)
        return self._bits(res)

    def _bits(self, res: list[int]) -> np.ndarray:
        """(shots, num_observables) uint8 from each shot's observable bits (bit k = observable k)."""
        bits = np.array(res, dtype=np.uint64)[:, None] >> self._shifts
        return (bits & np.uint64(1)).astype(np.uint8)

