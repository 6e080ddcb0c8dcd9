"""Per-shot analog decoding cost of surface-GKP code capacity; prints one JSON object.

For d = 5, 9, 13 at sigma = 0.57: µs of thread CPU time per shot for (a) sampling displacements and analog
weights, (b) fusion-blossom with per-shot `dynamic_weights` on one solver (what `SurfaceGkpDecoder` does),
(c) PyMatching rebuilt from the check matrix with that shot's weights (the alternative: PyMatching has no
per-shot weight API), (d) uniform-weight PyMatching `decode_batch` (no analog information). Also the ratio
(c)/(b) and both decoders' logical error rates on the same shots. Thread CPU time: the machine is shared.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pymatching
import scipy.sparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studies.bosonic.surface_gkp import SurfaceGkpDecoder, sample_shots, surface_gkp_graph  # noqa: E402

SEED = 20260601
SIGMA = 0.57


def _cpu_us(fn, shots: int) -> float:  # noqa: ANN001
    t0 = time.thread_time()
    fn()
    return (time.thread_time() - t0) / shots * 1e6


def main() -> None:
    """Measure and print the JSON object."""
    out: dict = {"sigma": SIGMA, "unit": "us thread CPU per shot", "points": []}
    for d, shots in ((5, 4000), (9, 2000), (13, 1000)):
        g = surface_gkp_graph(d)
        dec = SurfaceGkpDecoder(g)
        holder = {}
        t_sample = _cpu_us(lambda: holder.setdefault("b", sample_shots(g, SIGMA, shots, SEED)), shots)
        b = holder["b"]
        res = {}
        t_fb = _cpu_us(lambda: res.setdefault("fb", dec.decode_weighted(b.syndromes, b.weights)), shots)
        h = scipy.sparse.csc_matrix(g.check_matrix)
        n_pm = min(shots, 500)

        def rebuild() -> None:
            pred = np.zeros(n_pm, dtype=np.uint8)
            for i in range(n_pm):
                corr = pymatching.Matching(h, weights=b.weights[i]).decode(b.syndromes[i])
                pred[i] = int(corr @ g.logical) & 1
            res["pm"] = pred

        t_pm = _cpu_us(rebuild, n_pm)
        t_uni = _cpu_us(lambda: res.setdefault("uni", dec.decode_uniform(b.syndromes)), shots)
        out["points"].append({
            "d": d, "shots": shots, "sample_us": t_sample, "fusion_dynamic_weights_us": t_fb,
            "pymatching_rebuild_us": t_pm, "uniform_pymatching_batch_us": t_uni,
            "rebuild_over_fusion": t_pm / t_fb,
            "logical_error_analog": float(np.mean(res["fb"] != b.observable)),
            "logical_error_uniform": float(np.mean(res["uni"] != b.observable)),
            "analog_decoders_agree_on": float(np.mean(res["pm"] == res["fb"][:n_pm])),
        })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
