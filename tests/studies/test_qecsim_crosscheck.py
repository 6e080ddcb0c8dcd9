"""Cross-check: one code-capacity model through stim + PyMatching and through the qecsim backend.

Like with like: bit flips with probability p on every data qubit and perfect syndromes. The project's
`code_capacity` model flips X and, independently, Z with probability p each; a Z-basis memory only sees the X
part, whose marginal is exactly p, and fails exactly when the residual X error is a logical X. qecsim's
bit-flip model on the same code, decoded by matching the Z checks, fails on the same event. (Depolarizing
noise is not compared: qecsim counts a failure of either logical, a Z-basis memory only one.)

Two comparisons:
- rotated planar (the statistical cross-check): the project's own circuit (stim sampling, PyMatching on its
  detector error model) against qecsim's RotatedPlanarCode with independent sampling, PyMatching on qecsim's
  check matrix and qecsim's logicals deciding failure. The two rates are independent binomial estimates and
  must agree within 4.5 combined standard errors (two-sided, about 1 in 150 000 false alarms per point).
  qecsim's only matching decoder for this code, the symmetry MWPM of Tuckett et al. (arXiv:1907.02554),
  assumes Y-biased noise and is not plain MWPM on bit flips, so it is not the one compared.
- planar (qecsim's own MWPM, networkx blossom): on the same samples its correction must weigh exactly what
  PyMatching's does on every shot (both are minimum weight). Their failure rates are NOT compared: MWPM is
  not unique, and tie-breaking alone moves the rate (d = 3, p = 0.06, 20 000 samples: qecsim 5.74 %,
  PyMatching 6.48 %, every one of the 1 080 discordant shots an equal-weight tie).
"""

from __future__ import annotations

import numpy as np
import pymatching
import pytest
import stim

from protocols.codes import CodeSpec, build_memory_circuit
from protocols.noise import CodeCapacityNoise
from studies.qecsim_backend import DecoderSpec, ErrorModelSpec, build_code, build_decoder, sample_errors


def _stim_rate(circuit: stim.Circuit, shots: int, seed: int) -> tuple[int, int]:
    """Logical failures of PyMatching on `shots` samples of `circuit`."""
    dets, obs = circuit.compile_detector_sampler(seed=seed).sample(shots, separate_observables=True)
    m = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True))
    pred = m.decode_batch(dets)
    return int(np.sum(np.any(pred != obs, axis=1))), shots


def _qecsim_rate(family: str, decoder: str, d: int, p: float, shots: int, seed: int) -> tuple[int, int]:
    model = ErrorModelSpec(kind="bit_flip")
    q = build_code(family, d)
    fail = build_decoder(DecoderSpec(name=decoder), q, model, p)(sample_errors(q, model, p, shots,
                                                                               np.random.default_rng(seed)))
    return int(fail.sum()), shots


def _agree(a: tuple[int, int], b: tuple[int, int]) -> None:
    (ka, na), (kb, nb) = a, b
    pooled = (ka + kb) / (na + nb)
    sigma = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    assert 0 < pooled < 1
    assert abs(ka / na - kb / nb) <= 4.5 * sigma, f"stim {ka}/{na} vs qecsim {kb}/{nb} (sigma {sigma:.4f})"


@pytest.mark.parametrize(("d", "p"), [(3, 0.06), (5, 0.09), (7, 0.10)])
def test_rotated_planar_project_circuit_agrees_with_qecsim(d: int, p: float) -> None:
    circuit = build_memory_circuit(CodeSpec("rotated_surface", d, 1, "Z"), CodeCapacityNoise(p=p).hooks())
    _agree(_stim_rate(circuit, 40_000, seed=d), _qecsim_rate("rotated_planar", "pymatching", d, p, 40_000, seed=d))


@pytest.mark.parametrize(("d", "p", "shots"), [(3, 0.06, 1500), (5, 0.09, 800), (7, 0.10, 300)])
def test_planar_qecsim_mwpm_is_minimum_weight(d: int, p: float, shots: int) -> None:
    from qecsim.models.planar import PlanarMWPMDecoder

    q = build_code("planar", d)
    n = q.n
    stab = np.asarray(q.code.stabilizers, dtype=np.uint8)
    z_checks = stab[~np.any(stab[:, :n], axis=1)][:, n:]
    errors = sample_errors(q, ErrorModelSpec(kind="bit_flip"), p, shots, np.random.default_rng(d))
    syndromes = (errors[:, :n].astype(np.int64) @ z_checks.T.astype(np.int64)) % 2
    full = (errors.astype(np.int64) @ np.concatenate([stab[:, n:], stab[:, :n]], axis=1).T.astype(np.int64)) % 2
    pm = pymatching.Matching.from_check_matrix(z_checks).decode_batch(syndromes.astype(np.uint8))
    decoder = PlanarMWPMDecoder()
    for i in range(shots):
        recovery = np.asarray(decoder.decode(q.code, full[i]), dtype=np.int64)
        assert not recovery[n:].any()  # bit flips only: an X recovery
        assert np.array_equal((z_checks.astype(np.int64) @ recovery[:n]) % 2, syndromes[i])
        assert recovery[:n].sum() == pm[i].sum(), f"shot {i}: weights {recovery[:n].sum()} vs {pm[i].sum()}"
