"""The effective dual-rail channel: closed-form read-out patterns against threshold POVMs on lossy QuTiP rails
and a seeded photon-by-photon simulation, and the single-component limits against their textbook values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import qutip
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from emulator.physics.channels import phase_flip_probability
from emulator.physics.detectors import threshold_click_probability
from emulator.physics.device import load_device
from emulator.physics.effective import compose_pauli, contributions, detection_outcomes, effective_channel
from emulator.physics.sources import quantum_dot_distribution
from protocols.noise import EffectiveChannel

DEVICES = Path(__file__).resolve().parents[2] / "configs" / "devices"


def simulate_patterns(dist, t, eta, p_dark, shots, seed):
    """Photon-by-photon Monte Carlo of the model in emulator.physics.effective (signal rail = rail 0)."""
    rng = np.random.default_rng(seed)
    n = rng.choice(len(dist), size=shots, p=dist)
    arrived = (n >= 1) & (rng.random(shots) < t)
    click = np.zeros((shots, 2), dtype=bool)
    click[:, 0] |= arrived & (rng.random(shots) < eta)
    extras = np.maximum(n - 1, 0)
    for j in range(int(extras.max(initial=0))):
        present = (extras > j) & (rng.random(shots) < t * eta)
        rail = rng.integers(0, 2, size=shots)
        click[present & (rail == 0), 0] = True
        click[present & (rail == 1), 1] = True
    click |= rng.random((shots, 2)) < p_dark
    none = ~click[:, 0] & ~click[:, 1]
    double = click[:, 0] & click[:, 1]
    correct = click[:, 0] & ~click[:, 1]
    wrong = ~click[:, 0] & click[:, 1]
    return arrived, none, double, correct, wrong


def assert_rate(count, trials, p):
    # 5 sigma of the binomial standard error (plus one count for p near 0).
    sigma = np.sqrt(max(p * (1 - p), 1.0 / trials) / trials)
    assert abs(count / trials - p) <= 5 * sigma + 1.0 / trials, (count / trials, p, sigma)


@pytest.mark.parametrize(
    "dist, t, eta, p_dark",
    [
        (np.array([0.1, 0.6, 0.3]), 0.7, 0.8, 0.05),  # exaggerated so every pattern is frequent
        (np.array([0.05, 0.5, 0.25, 0.2]), 0.5, 0.6, 0.1),  # two extra photons
        (quantum_dot_distribution(0.57, 0.021), 0.75, 0.93, 2e-3),
    ],
)
def test_detection_outcomes_match_photon_by_photon_simulation(dist, t, eta, p_dark):
    shots = 400_000
    arrived, none, double, correct, wrong = simulate_patterns(dist, t, eta, p_dark, shots, seed=20261126)
    o = detection_outcomes(dist, t, eta, p_dark)
    assert_rate(arrived.sum(), shots, o.arrived)
    lost = ~arrived
    assert_rate((lost & (none | double)).sum(), shots, o.lost_flagged)
    assert_rate((lost & (correct | wrong)).sum(), shots, o.lost_single)
    n_arr = int(arrived.sum())
    for pattern, p in [(none, o.none), (double, o.double), (correct, o.correct), (wrong, o.wrong)]:
        assert_rate((arrived & pattern).sum(), n_arr, p)
    assert o.none + o.double + o.correct + o.wrong == pytest.approx(1.0, abs=1e-12)


def test_single_component_limits():
    device = load_device(DEVICES / "dual_rail_default.yaml")
    rows = contributions(device)
    det, ch = device.detectors, device.channel
    # Inefficiency alone: no click with probability 1 - eta, a heralded erasure of the measurement, and a
    # false herald of the data presence check.
    assert rows["detector efficiency"].measurement_erasure == pytest.approx(1 - det.efficiency, abs=1e-12)
    assert rows["detector efficiency"].false_herald == pytest.approx(1 - det.efficiency, abs=1e-12)
    # Dark counts alone: the signal rail always clicks, so a dark count on the other rail is a double click.
    assert rows["detector dark counts"].measurement_erasure == pytest.approx(det.dark_probability(), abs=1e-15)
    assert rows["detector dark counts"].false_herald == pytest.approx(det.dark_probability(), abs=1e-15)
    assert rows["detector dark counts"].measurement_flip == 0.0
    # Channel alone: a data photon lost in a round is a heralded erasure with 1 - T_r; a measured photon is
    # lost on its whole way with 1 - T_m (no click); phase noise is a Z error.
    assert rows["channel"].erasure == pytest.approx(1 - ch.transmission(), abs=1e-12)
    assert rows["channel"].measurement_erasure == pytest.approx(1 - ch.measured_photon_transmission(), abs=1e-12)
    assert rows["channel"].pauli_z == pytest.approx(float(phase_flip_probability(ch.phase_noise_rad)), abs=1e-15)
    # Source alone: vacuum is no click; an extra photon on the other rail (probability 1/2) a double click.
    p = device.source.photon_number_distribution()
    assert rows["source"].erasure == 0.0
    assert rows["source"].measurement_erasure == pytest.approx(p[0] + p[2] / 2, abs=1e-12)


def test_ideal_device_has_no_noise():
    device = load_device(DEVICES / "dual_rail_default.yaml")
    ideal = device.model_copy(
        update={
            "source": device.source.model_copy(update={"efficiency": 1.0, "g2": 0.0, "indistinguishability": 1.0}),
            "channel": device.channel.model_copy(
                update={
                    "fibre_length_km": 0.0, "insertion_losses_db": [], "preparation_losses_db": [],
                    "readout_losses_db": [], "phase_noise_rad": 0.0,
                }
            ),
            "gates": device.gates.model_copy(update={"splitting_ratio_error": 0.0, "phase_error_rad": 0.0}),
            "detectors": device.detectors.model_copy(update={"efficiency": 1.0, "dark_count_rate_hz": 0.0}),
        }
    )
    assert effective_channel(ideal) == EffectiveChannel()


def test_without_detectors_only_upstream_noise_remains():
    # For the readout stage, which applies the detectors itself: the channel with ideal detectors equals the
    # total with the detector rows removed (up to the source's own double clicks, which stay).
    device = load_device(DEVICES / "dual_rail_default.yaml")
    upstream = effective_channel(device, include_detectors=False)
    total = effective_channel(device)
    p0, p1, p2 = device.source.photon_number_distribution()
    t = device.channel.measured_photon_transmission()
    # No click: vacuum, or every photon lost. Two clicks: signal and extra arrive, extra on the other rail.
    # A random single click: signal lost, extra arrives (wrong half the time).
    flagged = p0 + p1 * (1 - t) + p2 * (1 - t) ** 2 + p2 * t * t / 2
    assert upstream.measurement_erasure == pytest.approx(flagged, abs=1e-12)
    assert upstream.measurement_flip == pytest.approx(p2 * (1 - t) * t / 2 / (1 - flagged), abs=1e-12)
    assert upstream.measurement_erasure < total.measurement_erasure
    # The per-round presence check is ideal too: every loss heralded, no false heralds.
    assert upstream.erasure == pytest.approx(1 - device.channel.transmission(), abs=1e-12)
    assert upstream.false_herald == 0.0
    assert upstream.gate_depolarizing == total.gate_depolarizing


def test_data_presence_check_through_detectors():
    # Rail 0 of a data slot clicks with the threshold probability of the photons present (QuTiP-checked in
    # test_physics_detectors.py); rail 1 only by a dark count. Flags: no click, or both rails.
    device = load_device(DEVICES / "dual_rail_lossy.yaml")
    ch = effective_channel(device)
    t, eta, pd = device.channel.transmission(), device.detectors.efficiency, device.detectors.dark_probability()
    quiet0 = {n: 1 - float(threshold_click_probability(n, eta, pd)) for n in (0, 1)}
    quiet1 = 1 - pd
    flagged = {n: quiet0[n] * quiet1 + (1 - quiet0[n]) * (1 - quiet1) for n in (0, 1)}
    assert ch.erasure == pytest.approx((1 - t) * flagged[0], abs=1e-15)
    assert ch.false_herald == pytest.approx(t * flagged[1], abs=1e-15)
    # A lost photon with exactly one dark click passes the check unflagged: a uniformly random Pauli.
    u = (1 - t) * (1 - flagged[0]) / (1 - ch.erasure - ch.false_herald)
    no_phase = effective_channel(
        device.model_copy(update={"channel": device.channel.model_copy(update={"phase_noise_rad": 0.0})})
    )
    gates_only = contributions(device)["gates"]
    expected = compose_pauli([1 - 0.75 * u, u / 4, u / 4, u / 4], [
        1 - gates_only.pauli_x - gates_only.pauli_y - gates_only.pauli_z,
        gates_only.pauli_x, gates_only.pauli_y, gates_only.pauli_z,
    ])
    np.testing.assert_allclose([no_phase.pauli_x, no_phase.pauli_y, no_phase.pauli_z], expected[1:], atol=1e-15)


def test_joint_effects_appear_only_in_the_total():
    # A photon lost in the detector with a dark count on the wrong rail is an unheralded flip: (1 - eta) p_d
    # (1 - p_d) given arrival, which no single component produces.
    device = load_device(DEVICES / "dual_rail_lossy.yaml")
    total = effective_channel(device)
    assert all(row.measurement_flip == 0.0 for row in contributions(device).values())
    assert total.measurement_flip > 0.0
    for field in ("measurement_erasure", "gate_depolarizing"):
        assert getattr(total, field) >= max(getattr(r, field) for r in contributions(device).values())


def test_pauli_composition():
    z = compose_pauli([0.9, 0, 0, 0.1], [0.8, 0, 0, 0.2])
    np.testing.assert_allclose(z, [0.9 * 0.8 + 0.1 * 0.2, 0, 0, 0.1 * 0.8 + 0.9 * 0.2], atol=1e-15)
    xz = compose_pauli([0.9, 0.1, 0, 0], [0.8, 0, 0, 0.2])
    np.testing.assert_allclose(xz, [0.72, 0.08, 0.02, 0.18], atol=1e-15)


@pytest.mark.parametrize("path", sorted(DEVICES.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_devices_give_valid_channels_that_build_circuits(path):
    import stim

    ch = effective_channel(load_device(path))
    c = stim.Circuit()
    hooks = ch.hooks()
    hooks.round_start(c, [0, 1], 0)
    hooks.after_2q_layer(c, [(0, 1)], [])
    hooks.before_measure(c, [0, 1], "Z", "data")
    c.append("M", [0, 1])
    c.compile_sampler().sample(10)  # stim accepts every probability


@settings(max_examples=60, deadline=None)
@given(
    efficiency=st.floats(0.01, 1.0),
    g2=st.floats(0.0, 1.0),
    loss=st.floats(0.0, 60.0),
    eta=st.floats(0.01, 1.0),
    dark_hz=st.floats(0.0, 1e8),
    ratio_error=st.floats(-0.5, 0.5),
    phase=st.floats(0.0, np.pi),
)
def test_any_valid_device_gives_a_valid_channel(efficiency, g2, loss, eta, dark_hz, ratio_error, phase):
    base = load_device(DEVICES / "dual_rail_default.yaml")
    device = type(base).model_validate(
        base.model_dump()
        | {
            "source": base.source.model_dump() | {"efficiency": efficiency, "g2": g2},
            "channel": base.channel.model_dump() | {"insertion_losses_db": [loss]},
            "gates": base.gates.model_dump() | {"splitting_ratio_error": ratio_error, "phase_error_rad": phase},
            "detectors": base.detectors.model_dump() | {"efficiency": eta, "dark_count_rate_hz": dark_hz},
        }
    )
    for ch in [effective_channel(device), effective_channel(device, include_detectors=False)]:
        assert isinstance(ch, EffectiveChannel)  # its validator checks every range and sum
    o = detection_outcomes(device.source.photon_number_distribution(), 0.5, eta, 0.3)
    assert o.none + o.double + o.correct + o.wrong == pytest.approx(1.0, abs=1e-12)
    assert o.arrived + o.lost_flagged + o.lost_single == pytest.approx(1.0, abs=1e-12)


def _lossy_rail(n_photons: int, transmission: float, cutoff: int) -> qutip.Qobj:
    """One rail holding n photons after a beam splitter of transmission T to a vacuum port (QuTiP)."""
    a = qutip.tensor(qutip.destroy(cutoff), qutip.qeye(cutoff))
    b = qutip.tensor(qutip.qeye(cutoff), qutip.destroy(cutoff))
    u = (np.arccos(np.sqrt(transmission)) * (a * b.dag() - a.dag() * b)).expm()
    full = qutip.tensor(qutip.fock_dm(cutoff, n_photons), qutip.fock_dm(cutoff, 0))
    return (u * full * u.dag()).ptrace(0)


@pytest.mark.parametrize("n_photons", [1, 2, 3])
def test_readout_patterns_match_threshold_povms_on_lossy_rails(n_photons):
    # The signal photon sits on rail a; each extra photon on rail a or b with probability 1/2, so the rails
    # hold |n - j, j> with j ~ Binomial(n - 1, 1/2). Each rail loses photons through a beam splitter to vacuum
    # with T eta (Loudon 2000) and clicks unless it ends in vacuum and has no dark count (Hadfield 2009).
    # Exact: photon number is conserved below the cutoff n + 1.
    t, eta, p_dark = 0.6, 0.85, 0.04
    cutoff = n_photons + 1
    vacuum = qutip.fock_dm(cutoff, 0)
    pattern = {"none": 0.0, "correct": 0.0, "wrong": 0.0, "double": 0.0}
    for j in range(n_photons):
        weight = float(binom.pmf(j, n_photons - 1, 0.5))
        quiet_a = (1 - p_dark) * qutip.expect(vacuum, _lossy_rail(n_photons - j, t * eta, cutoff))
        quiet_b = (1 - p_dark) * qutip.expect(vacuum, _lossy_rail(j, t * eta, cutoff))
        pattern["none"] += weight * quiet_a * quiet_b
        pattern["correct"] += weight * (1 - quiet_a) * quiet_b
        pattern["wrong"] += weight * quiet_a * (1 - quiet_b)
        pattern["double"] += weight * (1 - quiet_a) * (1 - quiet_b)
    dist = np.eye(n_photons + 1)[n_photons]
    o = detection_outcomes(dist, t, eta, p_dark)
    tol = 1e-12
    flagged = pattern["none"] + pattern["double"]
    assert o.lost_flagged + o.arrived * (o.none + o.double) == pytest.approx(flagged, abs=tol)
    assert o.arrived * o.correct + o.lost_single / 2 == pytest.approx(pattern["correct"], abs=tol)
    assert o.arrived * o.wrong + o.lost_single / 2 == pytest.approx(pattern["wrong"], abs=tol)
