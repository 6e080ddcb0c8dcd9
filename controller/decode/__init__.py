"""Decoders: matching built from a detector error model, erasure-aware decoding."""

from controller.decode.erasure import ErasureDecoder
from controller.decode.matching import MatchingDecoder
from controller.decode.sinter_adapter import sinter_decoders

__all__ = ["ErasureDecoder", "MatchingDecoder", "sinter_decoders"]
