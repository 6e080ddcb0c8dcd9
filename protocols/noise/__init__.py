"""Noise models as validated data: each reduces to stim noise inserted through `protocols.codes.hooks`."""

from protocols.noise.channel import ChannelHooks, EffectiveChannel, flip_instruction
from protocols.noise.circuit_depolarizing import CircuitDepolarizingHooks, CircuitDepolarizingNoise
from protocols.noise.code_capacity import CodeCapacityNoise
from protocols.noise.erasure import ErasureNoise
from protocols.noise.heralds import HeraldWriter
from protocols.noise.loading import NOISE_MODELS, NoiseConfig, load_noise, parse_noise, with_parameter
from protocols.noise.mixture import MixtureFractions, MixtureNoise
from protocols.noise.model import NoiseModel
from protocols.noise.phenomenological import PhenomenologicalNoise
from protocols.noise.photonic import (
    PhotonicNoise,
    dark_count_probability,
    dephasing_probability,
    dual_rail_readout,
    transmission,
)

__all__ = [
    "NOISE_MODELS",
    "ChannelHooks",
    "CircuitDepolarizingHooks",
    "CircuitDepolarizingNoise",
    "CodeCapacityNoise",
    "EffectiveChannel",
    "ErasureNoise",
    "HeraldWriter",
    "MixtureFractions",
    "MixtureNoise",
    "NoiseConfig",
    "NoiseModel",
    "PhenomenologicalNoise",
    "PhotonicNoise",
    "dark_count_probability",
    "dephasing_probability",
    "dual_rail_readout",
    "flip_instruction",
    "load_noise",
    "parse_noise",
    "with_parameter",
]
