"""Decoder orderings the literature predicts, on paired samples (CI) and as fitted thresholds (slow).

Paired tests decode the very same error samples with two decoders (or two codes) and count the discordant
shots: b = only the first fails, c = only the second fails. Under "no difference" b ~ Binomial(b + c, 1/2);
the claim "the second fails less" needs the one-sided sign-test p-value below 1e-4 (3.7 sigma).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pymatching
import pytest
from scipy.stats import binomtest

from studies.qecsim_backend import DecoderSpec, ErrorModelSpec, QecsimCode, build_code, build_decoder, sample_errors
from studies.qecsim_backend import to_decoding_frame
from studies.thresholds import run_threshold_study

ALPHA = 1e-4


def _sign_test(first_fails: np.ndarray, second_fails: np.ndarray) -> tuple[int, int, float]:
    b = int(np.sum(first_fails & ~second_fails))
    c = int(np.sum(second_fails & ~first_fails))
    return b, c, binomtest(b, b + c, 0.5, alternative="greater").pvalue


def test_mps_beats_mwpm_between_their_depolarizing_thresholds() -> None:
    # p = 0.18 lies between MWPM decoding X and Z separately (about 15%; Criger and Ashraf, Quantum 2, 102
    # (2018): 14.88%) and the MPS decoder (about 18.7%; Bravyi, Suchara, Vargo, PRA 90, 032326 (2014)).
    model, p = ErrorModelSpec(kind="depolarizing"), 0.18
    q = build_code("rotated_planar", 7)
    errors = sample_errors(q, model, p, 450, np.random.default_rng(11))
    mwpm = build_decoder(DecoderSpec(name="pymatching"), q, model, p)(errors)
    mps = build_decoder(DecoderSpec(name="mps", chi=6), q, model, p)(errors)
    b, c, pval = _sign_test(mwpm, mps)
    assert pval < ALPHA, f"MWPM-only failures {b}, MPS-only failures {c}, p-value {pval:.2g}"


def _class_weight_gap(qcode: QecsimCode, errors: np.ndarray) -> np.ndarray:
    """Per shot, |w0 - w1|: weights of the lightest X corrections in each of the two logical classes, int (shots,).

    PyMatching on the Z checks with the logical Z as one more check: setting that check's bit to 0 or 1 fixes the
    parity of the correction on the logical Z, i.e. its class. PyMatching refuses (column weight 3) unless the
    logical Z lies on boundary qubits, as on qecsim's planar codes.
    """
    n = qcode.n
    stab = np.asarray(qcode.code.stabilizers, dtype=np.uint8)
    z_checks = stab[~np.any(stab[:, :n], axis=1)][:, n:]
    z_logical = np.asarray(qcode.code.logical_zs, dtype=np.uint8)[:, n:]
    matching = pymatching.Matching.from_check_matrix(np.vstack([z_checks, z_logical]))
    syndromes = errors[:, :n].astype(np.int64) @ z_checks.T.astype(np.int64) % 2
    w0, w1 = (matching.decode_batch(np.hstack([syndromes, np.full((len(errors), 1), k)]).astype(np.uint8),
                                    return_weights=True)[1] for k in (0, 1))
    return np.rint(np.abs(w0 - w1)).astype(np.int64)


def test_mps_beats_mwpm_on_bitflip_ties_between_their_thresholds() -> None:
    # Bit flips: MWPM about 10.3 %, optimal (MPS) about 10.9 % (Wang, Harrington, Preskill 2003); p = 0.106 lies
    # between. ML gains by degeneracy: it weighs how many corrections each logical class holds, MWPM only the
    # lightest one. At small d that gain sits on ties, shots whose lightest corrections in the two classes weigh
    # the same: MWPM's pick is then blind (it fails on 46 % of them here), MPS takes the class with more of them.
    # Ties need odd-weight stabilizers. On the rotated code (X stabilizers of weight 2 and 4, logical of odd weight
    # d) the two weights differ by an odd number, and MPS overrules MWPM only where degeneracy beats a factor
    # (1 - p) / p ~ 8: exact MPS against PyMatching at d = 5 is a wash (MWPM-only / MPS-only failures in 15 000
    # shots: 75 / 66 at p = 0.106, 215 / 195 at p = 0.15), and d = 7 (chi 8, 30 ms per shot) gave 63 / 51 in
    # 1 500 shots at p = 0.15: out of CI reach. The planar code's weight-3 boundary stabilizers give ties on 17 %
    # of d = 5 shots at p = 0.106, and only those are decoded (MPS: 8 ms per shot); the choice reads the syndrome
    # alone, not the error's class, so it favours neither decoder. Off-line, whole 6 000-shot samples (seeds 7,
    # 1, 2, 3) disagreed 239 / 151, 283 / 172, 244 / 152 and 232 / 160 times, untied shots 25 / 25 in all; chi 8
    # took exact contraction's decision on all 619 shots compared. Here 16 000 shots give about 2 700 ties (about
    # 22 s): 587 / 389 for seed 7 (p-value 1e-10); seeds 1, 2, 3 gave 1e-12, 2e-12, 2e-8.
    model, p = ErrorModelSpec(kind="bit_flip"), 0.106
    q = build_code("planar", 5)
    errors = sample_errors(q, model, p, 16_000, np.random.default_rng(7))
    ties = errors[_class_weight_gap(q, errors) == 0]
    mwpm = build_decoder(DecoderSpec(name="pymatching"), q, model, p)(ties)
    mps = build_decoder(DecoderSpec(name="mps", chi=8), q, model, p)(ties)
    b, c, pval = _sign_test(mwpm, mps)
    assert pval < ALPHA, f"{len(ties)} tied shots: MWPM-only failures {b}, MPS-only failures {c}, p-value {pval:.2g}"


@pytest.mark.parametrize(("eta", "shots"), [(10.0, 240), (100.0, 120), (1000.0, 120)])
def test_xzzx_beats_css_under_strong_z_bias(eta: float, shots: int) -> None:
    # Bonilla Ataides et al., Nat. Commun. 12, 2172 (2021): under Z-biased noise the XZZX threshold (about
    # 25-45% for eta = 10-1000 with an MPS decoder) exceeds the CSS surface code's (below 18.9%, falling
    # towards about 11% at infinite bias). p = 0.2 lies between them at every eta here; both codes decode
    # the same physical errors with the same MPS decoder.
    model, p = ErrorModelSpec(kind="biased_depolarizing", eta=eta, axis="Z"), 0.2
    css, xzzx = build_code("rotated_planar", 5), build_code("xzzx", 5)
    physical = sample_errors(css, model, p, shots, np.random.default_rng(int(eta)))
    mps = DecoderSpec(name="mps", chi=6)
    css_fails = build_decoder(mps, css, model, p)(to_decoding_frame(css, physical))
    xzzx_fails = build_decoder(mps, xzzx, model, p)(to_decoding_frame(xzzx, physical))
    b, c, pval = _sign_test(css_fails, xzzx_fails)
    assert pval < ALPHA, f"eta={eta}: CSS-only failures {b}, XZZX-only failures {c}, p-value {pval:.2g}"


def _fit(config: str, tmp_path: Path) -> dict:
    root = Path(__file__).resolve().parents[2]
    result = run_threshold_study(root / "configs" / "studies" / config, tmp_path, print_progress=False)
    return json.loads(result.files["thresholds"].read_text())["noise"]


@pytest.mark.slow
def test_bitflip_thresholds_near_published_values(tmp_path: Path) -> None:
    # Wang, Harrington, Preskill, Ann. Phys. 303, 31 (2003): MWPM about 10.3%, optimal (MPS) about 10.9%.
    # Distances 3-7 cross below the asymptotic values: the stim backend's own code-capacity study finds 9.36%
    # for MWPM there, 0.9 points low, so each fit must lie within 0.015 of its reference. The 0.6-point gap
    # between the two is NOT resolved at this size: measured 9.2% [8.0, 10.4] vs 9.5% [8.8, 10.8], and on
    # 1 350 paired d = 9 shots at p = 0.106 the decoders disagreed 31 / 22 times, no significant difference (the
    # ordering itself is shown on the planar code's ties, test_mps_beats_mwpm_on_bitflip_ties_between_their_thresholds).
    # On the planar code (the code family of Wang, Harrington and Preskill) the pair sits where the paper puts
    # it: measured MWPM 9.9 % [9.5, 10.3], MPS (chi 8) 11.0 % [10.4, 11.5].
    th = _fit("qecsim_bitflip.yaml", tmp_path)
    refs = (("bitflip_mwpm", 0.103), ("bitflip_mps", 0.109), ("bitflip_planar_mwpm", 0.103), ("bitflip_planar_mps", 0.109))
    for name, ref in refs:
        assert th[name]["status"] == "ok", th
        assert abs(th[name]["threshold"] - ref) < 0.015, (name, th[name])
    assert th["bitflip_planar_mps"]["threshold"] > th["bitflip_planar_mwpm"]["threshold"], th


@pytest.mark.slow
def test_depolarizing_thresholds_mwpm_below_mps(tmp_path: Path) -> None:
    # Criger and Ashraf (2018): MWPM (X and Z separately) 14.88%; Bombin et al., PRX 2, 021004 (2012): optimal
    # 18.9%; MPS decoders about 18.7% (Bravyi, Suchara, Vargo 2014).
    th = _fit("qecsim_depolarizing.yaml", tmp_path)
    mwpm, mps = th["depolarizing_mwpm"], th["depolarizing_mps"]
    assert mwpm["status"] == "ok" and mps["status"] == "ok", th
    assert abs(mwpm["threshold"] - 0.149) < 0.015 and abs(mps["threshold"] - 0.187) < 0.015, th
    assert mps["ci"][0] > mwpm["ci"][1], th


@pytest.mark.slow
def test_biased_thresholds_xzzx_above_css(tmp_path: Path) -> None:
    # Bonilla Ataides et al. (2021): XZZX above CSS at every strong Z bias; CSS at or below its unbiased 18.9%.
    th = _fit("qecsim_biased.yaml", tmp_path)
    for eta in (10, 100, 1000):
        css, xzzx = th[f"css_eta{eta}"], th[f"xzzx_eta{eta}"]
        assert css["status"] == "ok" and xzzx["status"] == "ok", (eta, th)
        assert xzzx["ci"][0] > css["ci"][1], (eta, th)
        assert css["threshold"] < 0.189 < xzzx["threshold"], (eta, th)
