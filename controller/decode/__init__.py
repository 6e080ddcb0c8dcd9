"""Decoders: matching built from a detector error model, erasure-aware decoding, streaming windows."""

from controller.decode.erasure import ErasureDecoder
from controller.decode.matching import MatchingDecoder
from controller.decode.sinter_adapter import sinter_decoders
from controller.decode.streaming import BlockResult, CommitResult, StreamingDecoder

__all__ = ["BlockResult", "CommitResult", "ErasureDecoder", "MatchingDecoder", "StreamingDecoder", "sinter_decoders"]
