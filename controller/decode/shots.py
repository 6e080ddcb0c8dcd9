"""The array contract of detection-event batches handed to a decoder, checked at the decoder's edge.

Two layouts, as in sinter and stim:

- unpacked: dtype uint8 or bool, shape (shots, num_detectors), one detection event per element (0/1);
- bit-packed: dtype uint8, shape (shots, ceil(num_detectors / 8)), detector k of a shot in bit k % 8
  (little-endian bit order, `np.packbits(..., bitorder="little")`) of byte k // 8.

Predictions come back in the same layout with num_observables in place of num_detectors.
"""

from __future__ import annotations

import numpy as np

from protocols.errors import DecodeError

__all__ = ["check_shots", "pack_predictions", "unpack_shots"]


def check_shots(dets: object, num_detectors: int, bit_packed: bool) -> np.ndarray:
    """Return `dets` as a C-contiguous uint8 (shots, width) array, or raise DecodeError naming expected and got."""
    if not isinstance(dets, np.ndarray):
        raise DecodeError(f"detection events must be a numpy array, got {type(dets).__name__}")
    width = (num_detectors + 7) // 8 if bit_packed else num_detectors
    layout = "bit-packed uint8" if bit_packed else "uint8 or bool"
    allowed = (np.uint8,) if bit_packed else (np.uint8, np.bool_)
    if dets.dtype.type not in allowed or dets.ndim != 2 or dets.shape[1] != width:
        raise DecodeError(
            f"detection events: expected {layout} array of shape (shots, {width}) "
            f"({'ceil(num_detectors/8)' if bit_packed else 'num_detectors'} with num_detectors={num_detectors}), "
            f"got dtype {dets.dtype} and shape {dets.shape}"
        )
    if dets.dtype == np.bool_:
        dets = dets.view(np.uint8)
    if not dets.flags.c_contiguous:
        dets = np.ascontiguousarray(dets)
    return dets


def unpack_shots(dets: np.ndarray, num_detectors: int, bit_packed: bool) -> np.ndarray:
    """(shots, num_detectors) uint8 0/1 view or copy of a checked batch."""
    if bit_packed:
        return np.unpackbits(dets, axis=1, count=num_detectors, bitorder="little")
    return dets


def pack_predictions(pred: np.ndarray, bit_packed: bool) -> np.ndarray:
    """Unpacked (shots, num_observables) uint8 predictions in the requested layout."""
    if bit_packed:
        return np.packbits(pred, axis=1, bitorder="little")
    return pred
