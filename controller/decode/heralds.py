"""Splitting a detector error model with erasure heralds into the models the decoders match on.

A heralded channel (`HERALDED_ERASE`, `HERALDED_PAULI_CHANNEL_1`) makes stim emit error terms that
each contain that channel's herald detector plus the detectors its Pauli flips; no other mechanism
flips a herald (protocols/codes/hooks.py). So every term containing herald h stems from h's channel,
and removing h from it gives the term of the *twin* channel without herald (HERALDED_ERASE(p) ->
PAULI_CHANNEL_1(p/4, p/4, p/4); HERALDED_PAULI_CHANNEL_1(pI, pX, pY, pZ) -> PAULI_CHANNEL_1(pX, pY,
pZ)), with the branch probabilities exactly as the channel has them. (The DEM of a twin circuit
differs by stim's disjoint-to-independent conversion only: at most p**2/8 per erasure on an edge,
see tests/controller/test_decode_heralds.py.) This works on the DEM alone, which is all sinter
hands a decoder.

Three models come out, all on the *compact* detector index (herald detectors removed, the others
renumbered in order):

- `twin`: every term, heralds stripped; what an erasure-unaware decoder believes.
- `base`: only terms free of heralds; the error model given that no herald fired.
- `herald_components`: per herald (in detector order), the graphlike components (1 or 2 compact
  detectors) its channel's Paulis flip; these are the edges an erasure of that qubit opens, and
  `herald_flip_probability` the probability that each flips given that the herald fired (the
  channel's branches are disjoint and stim lists each, so this is exact: 1/2 for the edges of a full
  erasure, less when the channel has an identity branch, e.g. false heralds).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import stim

from protocols.codes.hooks import HERALD_COORD
from protocols.errors import DecodeError

__all__ = ["HeraldedModel", "circuit_dem", "herald_mask_from_dem", "split_heralded_dem"]


def circuit_dem(circuit: stim.Circuit) -> stim.DetectorErrorModel:
    """The decomposed detector error model of `circuit`, as sinter computes it."""
    try:
        return circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    except ValueError as e:
        raise DecodeError(
            f"stim could not decompose the errors of the circuit ({circuit.num_detectors} detectors) into "
            f"graphlike parts: {e}; matching needs every error to flip at most two detectors per part"
        ) from e


def herald_mask_from_dem(dem: stim.DetectorErrorModel) -> np.ndarray:
    """Boolean array of shape (num_detectors,): True where the detector's 4th coordinate marks a herald."""
    mask = np.zeros(dem.num_detectors, dtype=np.bool_)
    for k, c in dem.get_detector_coordinates().items():
        if len(c) >= 4 and c[3] == HERALD_COORD:
            mask[k] = True
    return mask


@dataclass(frozen=True)
class HeraldedModel:
    """A DEM split by its heralds; detector indices in the DEMs are compact (heralds removed)."""

    twin: stim.DetectorErrorModel
    base: stim.DetectorErrorModel
    #: (num_detectors,) int64: original detector index -> compact index, -1 for heralds.
    compact_index: np.ndarray
    #: (num_heralds,) int64: original detector index of each herald, ascending.
    herald_detectors: np.ndarray
    #: Per herald: tuple of graphlike components, each a tuple of 1 or 2 compact detector indices.
    herald_components: tuple[tuple[tuple[int, ...], ...], ...]
    #: Per herald, parallel to `herald_components`: probability that the channel flips that component
    #: given that its herald fired (1/2 for both X- and Z-type edges of a full erasure).
    herald_flip_probability: tuple[tuple[float, ...], ...]

    @property
    def num_heralds(self) -> int:
        """Number of herald detectors."""
        return len(self.herald_detectors)

    @property
    def kept_detectors(self) -> np.ndarray:
        """(num_compact,) int64: original detector index of each compact detector."""
        return np.flatnonzero(self.compact_index >= 0)


def _term(p: float, parts: list[tuple[list[int], list[int]]]) -> str:
    pieces = [" ".join([f"D{d}" for d in dets] + [f"L{o}" for o in obs]) for dets, obs in parts]
    return f"error({p!r}) " + " ^ ".join(pieces)


def split_heralded_dem(dem: stim.DetectorErrorModel, herald_mask: np.ndarray | None = None) -> HeraldedModel:
    """Split `dem` into twin, base and herald-component models (see the module docstring); cached per DEM."""
    n = dem.num_detectors
    if herald_mask is None:
        herald_mask = herald_mask_from_dem(dem)
    herald_mask = np.asarray(herald_mask, dtype=np.bool_)
    if herald_mask.shape != (n,):
        raise DecodeError(f"herald mask has shape {herald_mask.shape}, expected ({n},) = (dem.num_detectors,)")
    if not herald_mask.any():
        # Nothing to split: hand back the model itself, so graphs built from it equal bare PyMatching's.
        return HeraldedModel(dem, dem, np.arange(n, dtype=np.int64), np.zeros(0, dtype=np.int64), (), ())
    # Keyed by the DEM's text: stim prints probabilities exactly, so equal text means an equal model,
    # and printing costs ~5 % of a split (d=7: 9 ms against ~190 ms).
    return _split_cached(str(dem), np.packbits(herald_mask).tobytes())


@lru_cache(maxsize=16)
def _split_cached(dem_text: str, packed_mask: bytes) -> HeraldedModel:
    dem = stim.DetectorErrorModel(dem_text)
    n = dem.num_detectors
    herald_mask = np.unpackbits(np.frombuffer(packed_mask, dtype=np.uint8), count=n).astype(np.bool_)
    compact = np.full(n, -1, dtype=np.int64)
    keep = np.flatnonzero(~herald_mask)
    compact[keep] = np.arange(len(keep))
    herald_dets = np.flatnonzero(herald_mask)
    herald_ordinal = {int(d): i for i, d in enumerate(herald_dets)}
    comps: list[dict[tuple[int, ...], float]] = [{} for _ in herald_dets]
    # Probability that each herald fires: the sum of its channel's disjoint branches, identity included.
    fired = np.zeros(len(herald_dets))
    compact_list = compact.tolist()

    header = [f"logical_observable L{k}" for k in range(dem.num_observables)]
    coords = dem.get_detector_coordinates()
    header += [
        f"detector({', '.join(repr(float(x)) for x in coords[int(d)])}) D{i}" if coords.get(int(d)) else f"detector D{i}"
        for i, d in enumerate(keep)
    ]
    twin_lines: list[str] = []
    base_lines: list[str] = []
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        p = inst.args_copy()[0]
        parts: list[tuple[list[int], list[int]]] = []
        dets: list[int] = []
        obs: list[int] = []
        heralds: list[int] = []
        for t in inst.targets_copy():
            if t.is_separator():
                parts.append((dets, obs))
                dets, obs = [], []
            elif t.is_relative_detector_id():
                c = compact_list[t.val]
                if c < 0:
                    heralds.append(t.val)
                else:
                    dets.append(c)
            else:
                obs.append(t.val)
        parts.append((dets, obs))
        parts = [(d, o) for d, o in parts if d or o]
        if not heralds:
            line = _term(p, parts)
            twin_lines.append(line)
            base_lines.append(line)
            continue
        if len(heralds) > 1:
            raise DecodeError(
                f"error term {inst} flips {len(heralds)} herald detectors {heralds}; a herald is flipped only by "
                "its own channel, so each term may contain at most one (check the herald convention)"
            )
        h = herald_ordinal[heralds[0]]
        fired[h] += p
        if parts:
            twin_lines.append(_term(p, parts))
            for d, _ in parts:
                if d:
                    key = tuple(sorted(d))
                    comps[h][key] = comps[h].get(key, 0.0) + p
    twin = stim.DetectorErrorModel("\n".join(header + twin_lines))
    base = stim.DetectorErrorModel("\n".join(header + base_lines))
    # The model is shared through the cache: freeze its arrays.
    compact.flags.writeable = False
    herald_dets = herald_dets.astype(np.int64)
    herald_dets.flags.writeable = False
    return HeraldedModel(
        twin=twin,
        base=base,
        compact_index=compact,
        herald_detectors=herald_dets,
        herald_components=tuple(tuple(sorted(c)) for c in comps),
        herald_flip_probability=tuple(
            tuple(c[k] / fired[h] for k in sorted(c)) for h, c in enumerate(comps)
        ),
    )
