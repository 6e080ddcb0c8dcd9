"""The qecsim backend's pieces: error translation, configs, sampling, the XZZX frame, resumable collection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sinter

from protocols.errors import BackendError, ConfigError
from studies.qecsim_backend import (
    DECODER_CODES,
    DecoderSpec,
    ErrorModelSpec,
    QecsimTask,
    backend_of,
    build_code,
    build_decoder,
    collect_qecsim,
    load_qecsim_config,
    sample_errors,
    site_priors,
    to_decoding_frame,
)
from studies.qecsim_backend.runner import chunk_seed, run_chunk
from studies.thresholds import run_threshold_study

TINY = """\
name: tiny
backend: qecsim
code: {family: rotated_planar, distances: [3, 5]}
decoder: {name: pymatching}
max_shots: 400
max_errors: 100000
chunk_shots: 200
noise:
  - name: bitflip
    error_model: {kind: bit_flip}
    sweep: [0.05, 0.15]
"""


def test_qecsim_failure_becomes_backend_error_naming_the_call() -> None:
    # qecsim's symmetry MWPM derives the bias p_Y / (p_X + p_Z) from the error model: 0 for bit flips, rejected.
    q = build_code("rotated_planar", 3)
    model = ErrorModelSpec(kind="bit_flip")
    dec = build_decoder(DecoderSpec(name="smwpm"), q, model, 0.1)
    errors = sample_errors(q, model, 0.3, 20, np.random.default_rng(0))
    with pytest.raises(BackendError, match=r"smwpm decoding on rotated_planar d=3 at p=0.1 failed: ValueError"):
        dec(errors)


def test_decoder_code_mismatch_is_config_error(tmp_path: Path) -> None:
    bad = TINY.replace("decoder: {name: pymatching}", "decoder: {name: mwpm}")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(ConfigError, match=r"bad.yaml.*decoder 'mwpm' does not decode the rotated_planar code"):
        load_qecsim_config(path)
    with pytest.raises(ConfigError, match="does not decode the color666 code"):
        build_decoder(DecoderSpec(name="pymatching"), build_code("color666", 3), ErrorModelSpec(kind="bit_flip"), 0.1)


def test_error_model_fields_and_unknown_backend(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs 'eta'"):
        ErrorModelSpec(kind="biased_depolarizing")
    with pytest.raises(ValueError, match="applies to biased_depolarizing only"):
        ErrorModelSpec(kind="bit_flip", eta=3.0)
    path = tmp_path / "s.yaml"
    path.write_text(TINY.replace("backend: qecsim", "backend: quirk"))
    with pytest.raises(ConfigError, match=r"backend: 'quirk' is unknown; allowed: \['stim', 'qecsim'\]"):
        backend_of(path)
    path.write_text(TINY)
    assert backend_of(path) == "qecsim"


def test_biased_distribution_matches_definition() -> None:
    # Tuckett et al., PRL 120, 050505 (2018): p_Z / (p_X + p_Y) = eta, p_X = p_Y.
    dist = ErrorModelSpec(kind="biased_depolarizing", eta=10.0, axis="Z").distribution(0.2)
    assert dist == pytest.approx([0.8, 0.2 / 22, 0.2 / 22, 0.2 * 10 / 11])


def test_sampled_errors_follow_the_distribution() -> None:
    q = build_code("planar", 5)
    model = ErrorModelSpec(kind="depolarizing")
    e = sample_errors(q, model, 0.3, 4000, np.random.default_rng(1))
    assert e.shape == (4000, 2 * q.n) and e.dtype == np.uint8
    x, z = e[:, : q.n].astype(bool), e[:, q.n :].astype(bool)
    n = x.size
    for observed, expected in ((np.mean(x & ~z), 0.1), (np.mean(x & z), 0.1), (np.mean(~x & z), 0.1)):
        assert abs(observed - expected) < 5 * np.sqrt(expected * (1 - expected) / n)


def test_xzzx_frame_swaps_x_and_z_on_a_checkerboard() -> None:
    q = build_code("xzzx", 5)
    assert q.deformed.sum() == 12  # sites with x + y odd on a 5 x 5 lattice
    e = np.zeros((1, 2 * q.n), dtype=np.uint8)
    e[0, : q.n] = 1  # X everywhere
    f = to_decoding_frame(q, e)
    assert np.array_equal(f[0, : q.n], (~q.deformed).astype(np.uint8))
    assert np.array_equal(f[0, q.n :], q.deformed.astype(np.uint8))
    pri = site_priors(q, ErrorModelSpec(kind="biased_depolarizing", eta=100.0), 0.1)
    assert np.all(pri[q.deformed, 1] > pri[q.deformed, 3]) and np.all(pri[~q.deformed, 3] > pri[~q.deformed, 1])


def test_xzzx_mps_equals_css_mps_under_symmetric_noise() -> None:
    # Depolarizing noise is invariant under Hadamard, so the XZZX priors equal the CSS ones and the deformed
    # decoder must take the very same decision as qecsim's own decoder on every sample.
    model = ErrorModelSpec(kind="depolarizing")
    css, xzzx = build_code("rotated_planar", 3), build_code("xzzx", 3)
    e = sample_errors(css, model, 0.15, 60, np.random.default_rng(2))
    a = build_decoder(DecoderSpec(name="mps", chi=4), css, model, 0.15)(e)
    b = build_decoder(DecoderSpec(name="mps", chi=4), xzzx, model, 0.15)(e)
    assert np.array_equal(a, b) and 0 < a.sum() < len(a)


def _task(study: str = "t") -> QecsimTask:
    return QecsimTask(study, "bitflip", "rotated_planar", 3, 0.1, ErrorModelSpec(kind="bit_flip"),
                      DecoderSpec(name="pymatching"))


def _rows(path: Path) -> list[sinter.TaskStats]:
    """Every row of a stats.csv as written (sinter's reader merges rows of one task)."""
    header, *lines = path.read_text().splitlines()
    out = []
    for i, line in enumerate(lines):
        one = path.parent / f"row{i}.csv"
        one.write_text(header + "\n" + line + "\n")
        out.extend(sinter.read_stats_from_csv_files(one))
        one.unlink()
    return out


def test_collection_resumes_and_tops_up(tmp_path: Path) -> None:
    task = _task()
    kw = dict(max_errors=10**6, chunk_shots=300, seed=5, num_workers=1, print_progress=False)
    first = collect_qecsim([task], tmp_path, max_shots=600, **kw)
    assert [s.shots for s in first] == [600] and len(_rows(tmp_path / "stats.csv")) == 2
    again = collect_qecsim([task], tmp_path, max_shots=600, **kw)
    assert len(_rows(tmp_path / "stats.csv")) == 2 and again == first
    more = collect_qecsim([task], tmp_path, max_shots=900, **kw)
    rows = _rows(tmp_path / "stats.csv")
    assert more[0].shots == 900 and [r.shots for r in rows] == [300, 300, 300]
    # chunks are seeded by the shots before them: recomputing each chunk reproduces it
    again = [run_chunk(task, 300, chunk_seed(5, task, before)).errors for before in (0, 300, 600)]
    assert sorted(again) == sorted(r.errors for r in rows)  # rows are in completion order
    assert len({r.errors for r in rows}) > 1 or rows[0].errors == 0  # chunks are not copies of one sample
    assert rows[0].json_metadata["backend"] == "qecsim" and rows[0].decoder == "qecsim:pymatching"


def test_study_command_dispatches_to_qecsim_and_writes_shared_outputs(tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    result = run_threshold_study(cfg, tmp_path / "out", num_workers=2, print_progress=False)  # a process pool
    assert {"stats", "thresholds", "overhead", "plot:bitflip"} <= set(result.files)
    for f in result.files.values():
        assert f.exists()
    stats = sinter.read_stats_from_csv_files(result.files["stats"])
    assert {(s.json_metadata["d"], s.json_metadata["p"]) for s in stats} == {(3, .05), (5, .05), (3, .15), (5, .15)}
    assert sum(s.shots for s in stats) == 4 * 400


# qecsim 1.0b9's symmetry MWPM (built for Y-biased noise) misdecodes a Y on one corner qubit of the d = 3
# rotated planar code at every eta (qecsim's own run loop shows the same): a limitation of that decoder,
# documented in the README, so it is left out here rather than hidden.
@pytest.mark.parametrize(("family", "decoder"),
                         [(f, dec) for dec, fams in DECODER_CODES.items() for f in fams if dec != "smwpm"])
def test_every_decoder_corrects_every_single_qubit_error(family: str, decoder: str) -> None:
    # Distance 3 corrects any one-qubit Pauli: a failure here means a wrong frame, check or logical.
    q = build_code(family, 3)
    n = q.n
    errors = np.zeros((3 * n, 2 * n), dtype=np.uint8)
    for i in range(n):
        errors[3 * i, i] = 1  # X
        errors[3 * i + 1, [i, n + i]] = 1  # Y
        errors[3 * i + 2, n + i] = 1  # Z
    fails = build_decoder(DecoderSpec(name=decoder, chi=4), q, ErrorModelSpec(kind="depolarizing"), 0.05)(errors)
    assert not fails.any(), np.flatnonzero(fails)
