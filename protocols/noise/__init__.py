"""Noise models as validated data: each reduces to stim noise inserted through `protocols.codes.hooks`."""

from protocols.noise.channel import ChannelHooks, EffectiveChannel, flip_instruction
from protocols.noise.heralds import HeraldWriter

__all__ = ["ChannelHooks", "EffectiveChannel", "HeraldWriter", "flip_instruction"]
