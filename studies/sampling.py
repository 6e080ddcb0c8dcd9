"""Seeded, single-process logical-error counts: for tests and spot checks where sinter's unseeded pool is unwanted."""

from __future__ import annotations

import numpy as np
import sinter
import stim

from protocols.errors import StudyError


def count_logical_errors(
    circuit: stim.Circuit,
    decoder: str,
    shots: int,
    seed: int,
    custom_decoders: dict[str, sinter.Decoder] | None = None,
    batch: int = 100_000,
) -> int:
    """Number of shots (of `shots`, sampled with stim seed `seed`) whose decoded observables are wrong."""
    if shots < 1:
        raise StudyError(f"shots must be >= 1, got {shots}")
    dem = circuit.detector_error_model(decompose_errors=True, approximate_disjoint_errors=True)
    sampler = circuit.compile_detector_sampler(seed=seed)
    custom = custom_decoders or {}
    compiled = custom[decoder].compile_decoder_for_dem(dem=dem) if decoder in custom else None
    errors = 0
    for start in range(0, shots, batch):
        n = min(batch, shots - start)
        dets, obs = sampler.sample(n, separate_observables=True, bit_packed=True)
        if compiled is not None:
            pred = compiled.decode_shots_bit_packed(bit_packed_detection_event_data=dets)
        else:
            pred = sinter.predict_observables(dem=dem, dets=dets, decoder=decoder, bit_pack_result=True)
        errors += int(np.count_nonzero(np.any(pred != obs, axis=1)))
    return errors
