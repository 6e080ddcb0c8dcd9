"""sinter decoders backed by this package, so sinter studies can sample with them by name.

sinter hands a custom decoder only the detector error model (`compile_decoder_for_dem(*, dem)`),
computed from the task's circuit with `decompose_errors=True, approximate_disjoint_errors=True`. That
DEM is enough: herald detectors carry their 4th coordinate -1 in the DEM too, and every error term that
contains a herald stems from that herald's channel (`controller.decode.heralds`).

Usage: `sinter.collect(..., decoders=["qc-erasure"], custom_decoders=sinter_decoders())`.
"""

from __future__ import annotations

import numpy as np
import sinter
import stim

from controller.decode.erasure import ErasureDecoder
from controller.decode.matching import MatchingDecoder

__all__ = ["ErasureSinterDecoder", "MatchingSinterDecoder", "sinter_decoders"]


class _Compiled(sinter.CompiledDecoder):
    """A configured decoder behind sinter's bit-packed call."""

    def __init__(self, decoder: MatchingDecoder | ErasureDecoder) -> None:
        self._decoder = decoder

    def decode_shots_bit_packed(self, *, bit_packed_detection_event_data: np.ndarray) -> np.ndarray:
        """uint8 (shots, ceil(num_detectors/8)) little-endian bits -> uint8 (shots, ceil(num_observables/8))."""
        return self._decoder.decode_batch(bit_packed_detection_event_data, bit_packed=True)


class MatchingSinterDecoder(sinter.Decoder):
    """"qc-matching": erasure-unaware matching; heralded channels weighted as unheralded, heralds ignored."""

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> sinter.CompiledDecoder:
        """A `MatchingDecoder` for `dem`."""
        return _Compiled(MatchingDecoder(dem))


class ErasureSinterDecoder(sinter.Decoder):
    """"qc-erasure": erasure-aware matching using each shot's heralds."""

    def compile_decoder_for_dem(self, *, dem: stim.DetectorErrorModel) -> sinter.CompiledDecoder:
        """An `ErasureDecoder` for `dem`."""
        return _Compiled(ErasureDecoder(dem))


def sinter_decoders() -> dict[str, sinter.Decoder]:
    """Custom decoders by name, for `sinter.collect(custom_decoders=...)`."""
    return {"qc-matching": MatchingSinterDecoder(), "qc-erasure": ErasureSinterDecoder()}
