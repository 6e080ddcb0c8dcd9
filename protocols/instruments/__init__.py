"""Readers of time-tagger files into the protocol's time-tag batches, so recorded data can be replayed."""

from protocols.instruments.picoquant import (
    FORMATS,
    MARKER_CHANNEL_BASE,
    SYNC_CHANNEL,
    RecordCounts,
    Recording,
    RecordFormat,
    iter_picoquant,
    read_picoquant,
)
from protocols.instruments.ptu_header import FileHeader
from protocols.instruments.raw16 import iter_raw16, read_raw16, validate_tags, write_raw16

__all__ = [
    "FORMATS",
    "MARKER_CHANNEL_BASE",
    "SYNC_CHANNEL",
    "FileHeader",
    "RecordCounts",
    "Recording",
    "RecordFormat",
    "iter_picoquant",
    "iter_raw16",
    "read_picoquant",
    "read_raw16",
    "validate_tags",
    "write_raw16",
]
