"""From component models to the effective per-qubit, per-round channel of a dual-rail qubit.

Photon-level model (one round = one pass of the qubit's photon through source, channel, gates, detectors):

- The source delivers n photons with P(n) (`photon_number_distribution`). n = 0 is a lost qubit. For n >= 2
  one photon carries the qubit (the signal) and the k = n - 1 extra photons are modelled as incoherent
  photons, each on a uniformly random rail: they bear no fixed phase to the encoded superposition, so after
  the gates their rail is uncorrelated with the logical value.
- Each photon survives the channel with T = 10^(-dB/10) and is detected with efficiency eta; each rail has an
  independent dark count with p_d per gate window. Threshold detectors: a rail clicks or not.
- The controller reads one click as the outcome and flags no click and two clicks (heralds).

For one rail pair let s be the probability that the signal is detected on its rail (eta if it arrived, 0 if it
was lost upstream) and q = T eta / 2 the probability that one extra photon clicks a given rail. Then
  P(no click on the signal rail R) = (1 - s)(1 - p_d)(1 - q)^k,  P(no click on the other rail W) = (1 - p_d)(1 - q)^k,
  P(neither) = (1 - s)(1 - p_d)^2 (1 - 2q)^k,
and by inclusion-exclusion: none = P(neither); correct = P(W=0) - none; wrong = P(R=0) - none;
double = 1 - P(R=0) - P(W=0) + none.

Mapping onto `EffectiveChannel` (stim applies each mechanism independently, in circuit order):

- `erasure` = P(signal lost in source or channel, outcome flagged (none or double)): heralded loss.
- A lost signal whose outcome is a single click (a dark count or an extra photon) is an unheralded erasure:
  a uniformly random Pauli, u/4 each of X, Y, Z with u = P(lost, single click) / (1 - erasure).
- `pauli_z` += phase noise (1 - exp(-sigma^2/2))/2; single-qubit beam-splitter gate errors add their twirled
  Pauli rates (`emulator.physics.gates`). Pauli channels compose exactly (group convolution).
- `gate_depolarizing` from the beam-splitter errors of the entangling gate and the source's distinguishability.
- Given the signal arrived: `measurement_erasure` = P(none or double | arrived) (detector inefficiency, and a
  dark count or extra photon on the other rail: a double click leaves the outcome unknown, so it is an erasure
  of the measurement, not a herald on an intact qubit), and `measurement_flip` = P(wrong | arrived) /
  (1 - measurement_erasure) (signal missed, a dark count or extra photon on the wrong rail only).
- `false_herald` (flag on an intact qubit) and `reset_flip` stay 0 in this model: with threshold detectors every
  flagged event leaves the outcome unknown, and a reset injects a photon into one rail without a beam splitter.
  PNR detectors are read with the same rule (a rail clicks if it counts at least one photon).
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
    transmission: float,
    phase_variance: float,
    gates: GateConfig,
    indistinguishability: float,
    efficiency: float,
    p_dark: float,
) -> EffectiveChannel:
    o = detection_outcomes(photon_distribution, transmission, efficiency, p_dark)
    erasure = o.lost_flagged
    u = o.lost_single / (1.0 - erasure) if erasure < 1.0 else 0.0
    pauli = np.array([1.0 - 0.75 * u, u / 4, u / 4, u / 4])
    pz = float(phase_flip_probability(np.sqrt(phase_variance)))
    pauli = compose_pauli(pauli, [1.0 - pz, 0.0, 0.0, pz])
    one_gate = gates.single_qubit_pauli()
    for _ in range(gates.single_qubit_gates_per_round):
        pauli = compose_pauli(pauli, one_gate)
    m_erasure = o.none + o.double
    m_flip = o.wrong / (1.0 - m_erasure) if m_erasure < 1.0 else 0.0
    return EffectiveChannel(
        erasure=_clip(erasure),
        pauli_x=_clip(pauli[1]),
        pauli_y=_clip(pauli[2]),
        pauli_z=_clip(pauli[3]),
        gate_depolarizing=_clip(gates.two_qubit_depolarizing(indistinguishability)),
        measurement_flip=_clip(m_flip),
        measurement_erasure=_clip(m_erasure),
    )


_IDEAL_SOURCE = np.array([0.0, 1.0])
_IDEAL_GATES = GateConfig()


def effective_channel(device: DeviceConfig, *, include_detectors: bool = True) -> EffectiveChannel:
    """The effective channel per qubit and round of `device`, all components acting together.

    With `include_detectors=False` the detectors are ideal (efficiency 1, no dark counts): the channel for a
    circuit whose outcomes go through `emulator.readout`, which applies the detectors itself.
    """
    det = device.detectors
    return _channel(
        device.source.photon_number_distribution(),
        device.channel.transmission(),
        device.channel.phase_variance(),
        device.gates,
        device.source.indistinguishability,
        det.efficiency if include_detectors else 1.0,
        det.dark_probability() if include_detectors else 0.0,
    )


def contributions(device: DeviceConfig) -> dict[str, EffectiveChannel]:
    """The effective channel each component causes on its own (all others ideal), keyed by component name.

    Joint effects (a photon lost upstream and a dark count on the wrong rail) appear only in
    `effective_channel`, so the total is not the composition of these rows.
    """
    src, ch, det = device.source, device.channel, device.detectors
    return {
        "source": _channel(
            src.photon_number_distribution(), 1.0, 0.0, _IDEAL_GATES, src.indistinguishability, 1.0, 0.0
        ),
        "channel": _channel(_IDEAL_SOURCE, ch.transmission(), ch.phase_variance(), _IDEAL_GATES, 1.0, 1.0, 0.0),
        "gates": _channel(_IDEAL_SOURCE, 1.0, 0.0, device.gates, 1.0, 1.0, 0.0),
        "detector efficiency": _channel(_IDEAL_SOURCE, 1.0, 0.0, _IDEAL_GATES, 1.0, det.efficiency, 0.0),
        "detector dark counts": _channel(_IDEAL_SOURCE, 1.0, 0.0, _IDEAL_GATES, 1.0, 1.0, det.dark_probability()),
    }
