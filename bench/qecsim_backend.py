"""Cost per shot of the two simulation backends on code-capacity noise; prints one JSON object.

Per shot = sampling + syndrome + decoding + logical check, for one (code, decoder) at d = 5 (and d = 7 for
matching), at a p near each decoder's threshold. stim backend: the project's rotated surface code circuit
with `code_capacity` noise, stim's detector sampler and PyMatching on its DEM (what sinter does per batch).
qecsim backend: `studies.qecsim_backend` decoders on qecsim codes. Times are process CPU time (the machine is
shared, so wall time would mostly measure the neighbours), per shot, in microseconds.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pymatching

from protocols.codes import CodeSpec, build_memory_circuit
from protocols.noise import CodeCapacityNoise
from studies.qecsim_backend import DecoderSpec, ErrorModelSpec, build_code, build_decoder, sample_errors
from studies.qecsim_backend import to_decoding_frame


def _stim_us(d: int, p: float, shots: int) -> float:
    circuit = build_memory_circuit(CodeSpec("rotated_surface", d, 1, "Z"), CodeCapacityNoise(p=p).hooks())
    m = pymatching.Matching.from_detector_error_model(circuit.detector_error_model(decompose_errors=True))
    sampler = circuit.compile_detector_sampler(seed=1)
    t = time.process_time()
    dets, obs = sampler.sample(shots, separate_observables=True)
    m.decode_batch(dets)
    return (time.process_time() - t) / shots * 1e6


def _qecsim_us(
    family: str, decoder: DecoderSpec, kind: str, d: int, p: float, shots: int, eta: float | None = None
) -> float:
    model = ErrorModelSpec(kind=kind, eta=eta)
    q = build_code(family, d)
    dec = build_decoder(decoder, q, model, p)
    dec(to_decoding_frame(q, sample_errors(q, model, p, 2, np.random.default_rng(0))))  # warm-up (imports)
    t = time.process_time()
    dec(to_decoding_frame(q, sample_errors(q, model, p, shots, np.random.default_rng(1))))
    return (time.process_time() - t) / shots * 1e6


def main() -> None:
    """Measure and print the table as JSON."""
    rows = []
    for d in (5, 7):
        rows.append({"backend": "stim", "code": "rotated_surface", "decoder": "pymatching", "noise": "code_capacity",
                     "d": d, "p": 0.1, "us_per_shot": _stim_us(d, 0.1, 200_000)})
        rows.append({"backend": "qecsim", "code": "rotated_planar", "decoder": "pymatching", "noise": "bit_flip",
                     "d": d, "p": 0.1, "us_per_shot": _qecsim_us("rotated_planar", DecoderSpec(name="pymatching"),
                                                                  "bit_flip", d, 0.1, 20_000)})
    cases = [
        ("planar", DecoderSpec(name="mwpm"), "depolarizing", 5, 0.15, 300, None),
        ("planar", DecoderSpec(name="cmwpm"), "depolarizing", 5, 0.15, 200, None),
        ("toric", DecoderSpec(name="mwpm"), "depolarizing", 5, 0.15, 300, None),
        ("rotated_planar", DecoderSpec(name="smwpm"), "depolarizing", 5, 0.15, 200, None),
        ("rotated_planar", DecoderSpec(name="mps", chi=6), "depolarizing", 5, 0.18, 60, None),
        ("rotated_planar", DecoderSpec(name="mps", chi=16), "depolarizing", 5, 0.18, 30, None),
        ("rotated_planar", DecoderSpec(name="mps", chi=6), "depolarizing", 7, 0.18, 30, None),
        ("xzzx", DecoderSpec(name="mps", chi=6), "biased_depolarizing", 5, 0.25, 60, 100.0),
        ("planar", DecoderSpec(name="mps", chi=6), "depolarizing", 5, 0.18, 30, None),
        ("color666", DecoderSpec(name="mps", chi=16), "depolarizing", 5, 0.15, 30, None),
    ]
    for family, dec, kind, d, p, shots, eta in cases:
        rows.append({"backend": "qecsim", "code": family, "decoder": dec.label(), "noise": kind, "d": d, "p": p,
                     "us_per_shot": _qecsim_us(family, dec, kind, d, p, shots, eta)})
    print(json.dumps({"benchmark": "qecsim_backend", "unit": "cpu_us_per_shot", "rows": rows}))


if __name__ == "__main__":
    main()
