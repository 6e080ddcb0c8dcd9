"""From component models to the effective per-qubit, per-round channel of a dual-rail qubit.

Where photons go. A data qubit's photon is kept (delay line and chip) and crosses the per-round path once per
round, with transmission T_r. A measured qubit (an ancilla every round) is a fresh photon: the source delivers
n photons with P(n), which cross the preparation losses, one round's path and the readout losses
(T_m = T_prep T_r T_read) and reach detectors of efficiency eta, each rail with an independent dark count p_d
per gate window (threshold detection: a rail clicks or not). The controller reads a single click as the
outcome and flags no click and two clicks.

Multi-photon events. For n >= 2 one photon carries the qubit (the signal); the k = n - 1 extra photons are
modelled as incoherent photons each on a uniformly random rail: they bear no fixed phase to the encoded
superposition, so after the gates their rail is uncorrelated with the logical value.

Read-out patterns. Let s be the probability that the signal clicks its rail (eta if it arrived, 0 if lost) and
q = T_m eta / 2 the probability that one extra photon clicks a given rail. Then
  P(no click on the signal rail R) = (1 - s)(1 - p_d)(1 - q)^k,  P(no click on the other rail W) = (1 - p_d)(1 - q)^k,
  P(neither) = (1 - s)(1 - p_d)^2 (1 - 2q)^k,
and by inclusion-exclusion: none = P(neither); correct = P(W=0) - none; wrong = P(R=0) - none;
double = 1 - P(R=0) - P(W=0) + none. A lost signal makes a single click a random outcome (wrong half the time).

Mapping onto `EffectiveChannel` (stim applies each mechanism independently, in circuit order):

- Data qubits: each round the presence of every data photon is checked on its slot's detectors (rail 0 clicks
  if the photon is there; the controller flags no click and two clicks, as for outcomes). With p_d per rail:
  `erasure` = (1 - T_r)((1 - p_d)^2 + p_d^2): lost and flagged;
  `false_herald` = T_r [(1 - eta)(1 - p_d)^2 + (1 - (1 - eta)(1 - p_d)) p_d]: present but missed (no click) or
  with a dark count on rail 1 (two clicks), a flag on an intact qubit;
  lost with one dark click, u = (1 - T_r) 2 p_d (1 - p_d), is an unheralded erasure: a uniformly random Pauli,
  u'/4 each of X, Y, Z with u' = u / (1 - erasure - false_herald) (given no herald).
- `pauli_z` = (1 - exp(-sigma^2/2))/2 from the rail phase noise; the single-qubit beam-splitter gates add their
  twirled Pauli rates (`emulator.physics.gates`). Pauli channels compose exactly (group convolution).
- `gate_depolarizing` from the beam-splitter errors of the entangling gate and the source's distinguishability.
- `measurement_erasure` = P(no click or two clicks) of a measured photon: source vacuum, every loss on its way,
  detector inefficiency, and a dark count or extra photon on the other rail (a double click leaves the outcome
  unknown, so it is an erasure of the measurement, not a herald on an intact qubit).
- `measurement_flip` = P(single wrong click) / (1 - measurement_erasure): the signal missed and a dark count or
  an extra photon on the wrong rail only, or the signal lost upstream and a random single click.
- `reset_flip` stays 0: a reset injects a photon into one rail without a beam splitter. PNR detectors are read
  with the threshold rule (a rail clicks if it counts at least one photon).

Not represented: the one-time source loss of data photons at preparation (the channel has no per-qubit
preparation erasure); the final data measurement is charged the same measurement rates as an ancilla.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike

from emulator.physics.channels import phase_flip_probability
from emulator.physics.device import DeviceConfig
from emulator.physics.gates import GateConfig
from protocols.noise import EffectiveChannel

#: Pauli index -> (x, z) bits; I, X, Y, Z. Composition of Paulis is XOR of the bits (up to phase).
_PAULI_BITS = np.array([[0, 0], [1, 0], [1, 1], [0, 1]])
_PAULI_INDEX = {tuple(bits): i for i, bits in enumerate(_PAULI_BITS)}
_PAULI_PRODUCT = np.array(
    [[_PAULI_INDEX[tuple(_PAULI_BITS[a] ^ _PAULI_BITS[b])] for b in range(4)] for a in range(4)]
)


def compose_pauli(p: ArrayLike, q: ArrayLike) -> np.ndarray:
    """[p_I, p_X, p_Y, p_Z] of Pauli channel p followed by independent Pauli channel q."""
    out = np.zeros(4)
    np.add.at(out, _PAULI_PRODUCT.ravel(), np.outer(np.asarray(p), np.asarray(q)).ravel())
    return out


@dataclasses.dataclass(frozen=True)
class DetectionOutcomes:
    """Probabilities of the read-out patterns of one dual-rail qubit per round (threshold detection)."""

    arrived: float  # P(signal photon reaches the detectors)
    lost_flagged: float  # P(signal lost upstream and outcome flagged: no click or two clicks)
    lost_single: float  # P(signal lost upstream and exactly one rail clicks)
    none: float  # P(no click | arrived)
    correct: float  # P(only the signal rail clicks | arrived)
    wrong: float  # P(only the other rail clicks | arrived)
    double: float  # P(both rails click | arrived)


def detection_outcomes(
    photon_distribution: ArrayLike, transmission: float, efficiency: float, p_dark: float
) -> DetectionOutcomes:
    """Read-out pattern probabilities for source P(n) (shape (n_max + 1,)), channel T, detector eta and p_dark."""
    p = np.asarray(photon_distribution, dtype=np.float64)
    n = np.arange(p.shape[0])
    has_signal = n >= 1
    k = np.maximum(n - 1, 0)
    q = transmission * efficiency / 2.0
    e_one = (1.0 - q) ** k
    e_both = (1.0 - 2.0 * q) ** k

    def patterns(s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        none = (1.0 - s) * (1.0 - p_dark) ** 2 * e_both
        r0 = (1.0 - s) * (1.0 - p_dark) * e_one
        w0 = (1.0 - p_dark) * e_one
        return none, w0 - none, r0 - none, 1.0 - r0 - w0 + none

    w_arrived = p * np.where(has_signal, transmission, 0.0)
    w_lost = p - w_arrived
    none_l, correct_l, wrong_l, double_l = patterns(0.0)
    none_a, correct_a, wrong_a, double_a = patterns(efficiency)
    arrived = float(w_arrived.sum())
    norm = arrived if arrived > 0 else 1.0
    return DetectionOutcomes(
        arrived=arrived,
        lost_flagged=float(w_lost @ (none_l + double_l)),
        lost_single=float(w_lost @ (correct_l + wrong_l)),
        none=float(w_arrived @ none_a) / norm,
        correct=float(w_arrived @ correct_a) / norm,
        wrong=float(w_arrived @ wrong_a) / norm,
        double=float(w_arrived @ double_a) / norm,
    )


def _clip(x: float) -> float:
    return float(min(max(x, 0.0), 1.0))


def _channel(
    photon_distribution: ArrayLike,
    round_transmission: float,
    measured_transmission: float,
    phase_variance: float,
    gates: GateConfig,
    indistinguishability: float,
    efficiency: float,
    p_dark: float,
) -> EffectiveChannel:
    o = detection_outcomes(photon_distribution, measured_transmission, efficiency, p_dark)
    flagged = o.lost_flagged + o.arrived * (o.none + o.double)
    wrong = o.arrived * o.wrong + o.lost_single / 2.0
    # Per-round presence check of a data photon on its slot (rail 0 clicks if present).
    quiet0_present = (1.0 - efficiency) * (1.0 - p_dark)
    erasure = (1.0 - round_transmission) * ((1.0 - p_dark) ** 2 + p_dark**2)
    false_herald = round_transmission * (quiet0_present * (1.0 - p_dark) + (1.0 - quiet0_present) * p_dark)
    missed = (1.0 - round_transmission) * 2.0 * p_dark * (1.0 - p_dark)
    not_flagged = 1.0 - erasure - false_herald
    u = missed / not_flagged if not_flagged > 0.0 else 0.0
    pz = float(phase_flip_probability(np.sqrt(phase_variance)))
    pauli = compose_pauli([1.0 - 0.75 * u, u / 4, u / 4, u / 4], [1.0 - pz, 0.0, 0.0, pz])
    one_gate = gates.single_qubit_pauli()
    for _ in range(gates.single_qubit_gates_per_round):
        pauli = compose_pauli(pauli, one_gate)
    return EffectiveChannel(
        erasure=_clip(erasure),
        false_herald=_clip(false_herald),
        pauli_x=_clip(pauli[1]),
        pauli_y=_clip(pauli[2]),
        pauli_z=_clip(pauli[3]),
        gate_depolarizing=_clip(gates.two_qubit_depolarizing(indistinguishability)),
        measurement_flip=_clip(wrong / (1.0 - flagged) if flagged < 1.0 else 0.0),
        measurement_erasure=_clip(flagged),
    )


_IDEAL_SOURCE = np.array([0.0, 1.0])
_IDEAL_GATES = GateConfig()


def effective_channel(device: DeviceConfig, *, include_detectors: bool = True) -> EffectiveChannel:
    """The effective channel per qubit and round of `device`, all components acting together.

    With `include_detectors=False` the detectors are ideal (efficiency 1, no dark counts): the channel for a
    circuit whose outcomes go through `emulator.readout`, which applies the detectors itself.
    """
    src, ch, det = device.source, device.channel, device.detectors
    return _channel(
        src.photon_number_distribution(),
        ch.transmission(),
        ch.measured_photon_transmission(),
        ch.phase_variance(),
        device.gates,
        src.indistinguishability,
        det.efficiency if include_detectors else 1.0,
        det.dark_probability() if include_detectors else 0.0,
    )


def contributions(device: DeviceConfig) -> dict[str, EffectiveChannel]:
    """The effective channel each component causes on its own (all others ideal), keyed by component name.

    Joint effects (a photon lost upstream and a dark count on the wrong rail) appear only in
    `effective_channel`, so the total is not the composition of these rows.
    """
    src, ch, det = device.source, device.channel, device.detectors
    p_src = src.photon_number_distribution()
    return {
        "source": _channel(p_src, 1.0, 1.0, 0.0, _IDEAL_GATES, src.indistinguishability, 1.0, 0.0),
        "channel": _channel(
            _IDEAL_SOURCE, ch.transmission(), ch.measured_photon_transmission(), ch.phase_variance(),
            _IDEAL_GATES, 1.0, 1.0, 0.0,
        ),
        "gates": _channel(_IDEAL_SOURCE, 1.0, 1.0, 0.0, device.gates, 1.0, 1.0, 0.0),
        "detector efficiency": _channel(_IDEAL_SOURCE, 1.0, 1.0, 0.0, _IDEAL_GATES, 1.0, det.efficiency, 0.0),
        "detector dark counts": _channel(
            _IDEAL_SOURCE, 1.0, 1.0, 0.0, _IDEAL_GATES, 1.0, 1.0, det.dark_probability()
        ),
    }
