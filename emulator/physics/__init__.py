"""Component models of photonic hardware, validated against QuTiP, and the effective channel they add up to."""

from emulator.physics.channels import (
    ChannelConfig,
    linewidth_phase_variance,
    loss_db,
    phase_flip_probability,
    transmission_from_db,
)
from emulator.physics.detectors import (
    DetectorConfig,
    DetectorParams,
    coherent_click_probability,
    dark_count_probability,
    pnr_count_distribution,
    thermal_click_probability,
    threshold_click_probability,
)
from emulator.physics.device import ClockConfig, DeviceConfig, load_device
from emulator.physics.effective import DetectionOutcomes, contributions, detection_outcomes, effective_channel
from emulator.physics.gates import (
    GateConfig,
    beam_splitter_pauli_probabilities,
    beam_splitter_process_infidelity,
    distinguishability_depolarizing,
    splitting_angle_error,
)
from emulator.physics.photon_statistics import binomial_loss, poisson_distribution, thermal_distribution
from emulator.physics.sources import (
    QuantumDotSource,
    SPDCSource,
    quantum_dot_distribution,
    spdc_herald_probability,
    spdc_heralded_distribution,
    spdc_heralded_multi_photon_probability,
    spdc_heralded_single_photon_probability,
)

__all__ = [
    "ChannelConfig",
    "ClockConfig",
    "DetectionOutcomes",
    "DetectorConfig",
    "DetectorParams",
    "DeviceConfig",
    "GateConfig",
    "QuantumDotSource",
    "SPDCSource",
    "beam_splitter_pauli_probabilities",
    "beam_splitter_process_infidelity",
    "binomial_loss",
    "coherent_click_probability",
    "contributions",
    "dark_count_probability",
    "detection_outcomes",
    "distinguishability_depolarizing",
    "effective_channel",
    "linewidth_phase_variance",
    "load_device",
    "loss_db",
    "phase_flip_probability",
    "pnr_count_distribution",
    "poisson_distribution",
    "quantum_dot_distribution",
    "spdc_herald_probability",
    "spdc_heralded_distribution",
    "spdc_heralded_multi_photon_probability",
    "spdc_heralded_single_photon_probability",
    "splitting_angle_error",
    "thermal_click_probability",
    "thermal_distribution",
    "threshold_click_probability",
    "transmission_from_db",
]
