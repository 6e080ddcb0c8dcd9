"""Decoders: matching built from a detector error model, erasure-aware decoding."""
