"""Window graphs: a memory block's detector error model sliced by detector time layer, with commit ownership.

Layers. Detector time coordinate t (protocols.codes.memory) groups a block of R rounds into R + 1 layers:
layer 0 (first round, compared with the initial state), layers 1..R-1 (generic), layer R (final data
readout). Heralds (4th coordinate -1) belong to the layer of their t.

Relevant detectors. Only the graph components that carry the logical observable matter for the
memory outcome (in a Z memory the X-type detectors form their own component, whose matching never
touches L0); a window keeps just those detectors and the heralds. Matching is per component, so the
observable prediction equals that of the full graph, at about half the matching work.

Ownership. A window covers layers [a, b) and commits [c0, c1). An edge (DEM part) is committed when
one of its detectors lies in the commit region; then its L0 counts, and if its other detector lies
outside [c0, c1) the window reports that detector as an *artificial defect* for the neighbouring
region. Edges join adjacent layers at most (checked), so the targets lie in layer c0 - 1 or c1; each
relevant detector of those two layers gets its own fault id after L0 (see `WindowGraph`), and one
`decode_batch` returns every window's commits and defects. Two kinds of window:

- "A" (open): an edge leaving [a, b) becomes a boundary edge of its inner detector (open time
  boundary, Dennis et al. 2002), so the buffer can push defects into the unknown future or past.
- "B" (closed): edges leaving [a, b) belong to the committed neighbours and are dropped; the
  neighbours' artificial defects enter through the detection events instead.

Translation invariance. A window whose layers and both outer neighbour layers are generic has the same
graph wherever it sits, so it is built once from a short reference circuit (rounds = width + 3).
Windows touching the start or end are built from references aligned with the start or the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import stim

from controller.decode.erasure import ErasureDecoder
from controller.decode.heralds import circuit_dem
from controller.decode.matching import MatchingDecoder
from protocols.codes import CodeSpec, NoiseHooks, build_memory_circuit
from protocols.codes.hooks import HERALD_COORD
from protocols.errors import DecodeError

__all__ = ["LayerSizes", "Reference", "WindowGraph", "build_window"]


@dataclass(frozen=True)
class LayerSizes:
    """Detectors per layer of a block: first (layer 0), generic (1..R-1), final (layer R)."""

    first: int
    generic: int
    final: int

    def offset(self, layer: int) -> int:
        """Index of the first detector of `layer` in the block's detector order."""
        return 0 if layer == 0 else self.first + (layer - 1) * self.generic

    def total(self, rounds: int) -> int:
        """Detectors in a block of `rounds` rounds (R + 1 layers)."""
        return self.first + (rounds - 1) * self.generic + self.final


class Reference:
    """A memory circuit of a few rounds, parsed by layer: the source every window graph is sliced from."""

    def __init__(self, spec: CodeSpec, hooks: NoiseHooks) -> None:
        """Build and parse the DEM of `spec` (its `rounds` rounds) under the belief `hooks`."""
        self.spec = spec
        dem = circuit_dem(build_memory_circuit(spec, hooks))
        n = dem.num_detectors
        coords = dem.get_detector_coordinates()
        self.layer = np.array([int(round(coords[k][2])) for k in range(n)], dtype=np.int64)
        self.herald = np.array([len(coords[k]) >= 4 and coords[k][3] == HERALD_COORD for k in range(n)])
        if np.any(np.diff(self.layer) < 0):
            raise DecodeError(f"{spec}: detectors are not ordered by their time coordinate; streaming needs that order")
        # terms: (probability, parts [(detectors, flips L0)], herald detector or -1)
        self.terms: list[tuple[float, list[tuple[tuple[int, ...], bool]], int]] = []
        pairs: list[tuple[int, int]] = []
        carries: list[int] = []
        is_herald = self.herald.tolist()
        layer_of = self.layer.tolist()
        # Parsed from the DEM's text: an order of magnitude faster than stim's target objects in Python.
        for line in str(dem.flattened()).splitlines():
            if not line.startswith("error("):
                continue
            close = line.index(")")
            parts: list[tuple[tuple[int, ...], bool]] = []
            herald = -1
            for chunk in line[close + 1 :].split("^"):
                dets: list[int] = []
                l0 = False
                for token in chunk.split():
                    if token[0] == "D":
                        k = int(token[1:])
                        if is_herald[k]:
                            herald = k
                        else:
                            dets.append(k)
                    elif token == "L0":
                        l0 = not l0
                if dets or l0:
                    parts.append((tuple(dets), l0))
            probability = float(line[6:close])
            for ds, flips in parts:
                if len(ds) > 2:
                    raise DecodeError(f"{spec}: DEM part {ds} is not graphlike (more than two detectors)")
                if len(ds) == 2:
                    span = abs(layer_of[ds[0]] - layer_of[ds[1]])
                    if span > 1:
                        raise DecodeError(
                            f"{spec}: an edge joins detectors {ds} {span} layers apart; window decoding needs "
                            "edges within adjacent layers"
                        )
                    pairs.append(ds)
                if flips and ds:
                    carries.append(ds[0])
            self.terms.append((probability, parts, herald))
        # Components of the matching graph that carry L0 (see module docstring).
        u = np.array([p[0] for p in pairs], dtype=np.int64)
        v = np.array([p[1] for p in pairs], dtype=np.int64)
        graph = scipy.sparse.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
        if not carries:
            raise DecodeError(f"{spec}: no error flips the logical observable L0; nothing to decode")
        relevant = np.isin(label, label[np.array(carries, dtype=np.int64)]) & ~self.herald
        self.keep = relevant | self.herald
        #: compact index of each kept detector (-1: dropped)
        self.compact = np.full(n, -1, dtype=np.int64)
        self.compact[self.keep] = np.arange(int(self.keep.sum()))
        self.rounds = spec.rounds

    def layer_keep(self, layer: int) -> np.ndarray:
        """Bool mask over the detectors of `layer` (in order): kept in the compact stream."""
        return self.keep[self.layer == layer]

    def compact_offset(self, layer: int) -> int:
        """Compact index of the first kept detector of `layer` (layers are contiguous and ordered)."""
        return int(np.count_nonzero(self.keep[self.layer < layer]))


@dataclass(frozen=True)
class WindowGraph:
    """A configured decoder for one window shape, with where its artificial defects go.

    The decoder takes (windows, num_detectors) uint8 compact events of layers [a, b) and predicts
    (windows, 1 + n_left + n_right): column 0 the committed L0 flip; columns 1 .. n_left the artificial
    defects on the compact detectors [left, left + n_left) of the layer before the commit region, then
    n_right columns for [right, right + n_right) in the layer after it. Offsets are relative to the
    window's first compact detector (negative when the layer lies outside the window).
    """

    decoder: MatchingDecoder | ErasureDecoder
    num_detectors: int
    left: int
    n_left: int
    right: int
    n_right: int


def _target_range(ref: Reference, layer: int, base: int) -> tuple[int, int]:
    """(first, count) of the observable-relevant detectors of `layer`, in compact offsets from `base`."""
    if not 0 <= layer <= ref.rounds:
        return 0, 0
    idx = ref.compact[(ref.layer == layer) & ref.keep & ~ref.herald]
    if idx.size == 0:
        return 0, 0
    return int(idx.min()) - base, int(idx.max() - idx.min()) + 1


def build_window(ref: Reference, a: int, b: int, c0: int, c1: int, kind: str, erasure_aware: bool) -> WindowGraph:
    """Window graph of reference layers [a, b) committing [c0, c1); `kind` "A" (open) or "B" (closed)."""
    if kind not in ("A", "B"):
        raise DecodeError(f"window kind {kind!r}: allowed 'A' (open) or 'B' (closed)")
    if not (0 <= a <= c0 <= c1 <= b <= ref.rounds + 1):
        raise DecodeError(f"window layers [{a}, {b}) commit [{c0}, {c1}) do not fit a block of {ref.rounds} rounds")
    layer, compact = ref.layer.tolist(), ref.compact.tolist()  # plain lists: indexed per term below
    base = ref.compact_offset(a)
    n_win = ref.compact_offset(b) - base
    # Crossing targets: dense fault ids over the relevant detectors of the layers next to the commit region.
    left, n_left = _target_range(ref, c0 - 1, base) if kind == "A" else (0, 0)
    right, n_right = _target_range(ref, c1, base) if kind == "A" else (0, 0)
    lines: list[str] = []

    def inside(k: int) -> bool:
        return a <= layer[k] < b

    def committed(k: int) -> bool:
        return c0 <= layer[k] < c1

    def fault_id(k: int) -> int:
        off = int(compact[k]) - base
        if layer[k] == c0 - 1 and 0 <= off - left < n_left:
            return 1 + off - left
        if layer[k] == c1 and 0 <= off - right < n_right:
            return 1 + n_left + off - right
        raise DecodeError(
            f"window [{a}, {b}) commit [{c0}, {c1}): a committed edge reaches detector {k} in layer {layer[k]}, "
            "beyond the layers next to the commit region"
        )

    for p, parts, herald in ref.terms:
        out: list[str] = []
        for dets, l0 in parts:
            if dets and compact[dets[0]] < 0:
                continue  # component without the observable
            ins = [k for k in dets if inside(k)]
            outs = [k for k in dets if not inside(k)]
            if not ins or (outs and kind == "B"):
                continue
            targets = [f"D{compact[k] - base}" for k in ins]
            if any(committed(k) for k in ins):
                if l0:
                    targets.append("L0")
                targets += [f"L{fault_id(k)}" for k in dets if not committed(k)]
            out.append(" ".join(targets))
        if herald >= 0 and inside(herald) and out:
            out[0] = f"D{compact[herald] - base} " + out[0]
        if out:
            lines.append(f"error({p!r}) " + " ^ ".join(out))
    n_obs = 1 + n_left + n_right
    header = [f"logical_observable L{k}" for k in range(n_obs)]
    if n_win:
        header.append(f"detector D{n_win - 1}")
    dem = stim.DetectorErrorModel("\n".join(header + lines))
    herald_mask = ref.herald[ref.keep & (ref.layer >= a) & (ref.layer < b)]
    if erasure_aware:
        if n_obs > 64:
            raise DecodeError(
                f"{ref.spec.family} d={ref.spec.distance}: a window needs {n_obs} fault ids (the observable and "
                f"{n_left} + {n_right} crossing detectors), erasure-aware decoding supports at most 64; "
                "decode this code with use_heralds=False"
            )
        decoder: MatchingDecoder | ErasureDecoder = ErasureDecoder(dem, herald_mask)
    else:
        decoder = MatchingDecoder(dem, herald_mask)
    return WindowGraph(decoder, n_win, left, n_left, right, n_right)
