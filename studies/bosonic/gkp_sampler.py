"""sinter samplers for surface-GKP tasks, so they are collected, resumed and stored like every other study task.

A task's `json_metadata` carries `d` (distance) and `p` (the displacement std sigma); the decoder name picks
analog ("gkp-analog") or uniform ("gkp-uniform") matching weights. The task's circuit is the surface code under
the analog-blind average channel at sigma: it fixes sinter's strong id and is what a stim sampler would see, but
shots come from `studies.bosonic.surface_gkp` (GKP displacements carry analog information no stim circuit holds).
Workers seed from OS entropy, as stim does inside sinter; the seeded path is `surface_gkp.count_failures`.
"""

from __future__ import annotations

import time

import numpy as np
import sinter
import stim

from emulator.physics.bosonic import gkp_channel
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import StudyError
from studies.bosonic.surface_gkp import SurfaceGkpDecoder, count_failures, surface_gkp_graph
from studies.bosonic.first_round import first_round_hooks

__all__ = ["GKP_DECODERS", "SurfaceGkpSampler", "gkp_samplers", "surface_gkp_circuit"]

#: Decoder names of surface-GKP tasks -> whether they use analog information.
GKP_DECODERS = {"gkp-analog": True, "gkp-uniform": False}


def surface_gkp_circuit(distance: int, sigma: float) -> stim.Circuit:
    """Code-capacity Z-memory circuit of the surface code under the analog-blind GKP channel at `sigma`."""
    channel = gkp_channel(sigma=sigma).to_effective_channel()
    return build_memory_circuit(CodeSpec("rotated_surface", distance, 1, "Z"), first_round_hooks(channel))


class _Compiled(sinter.CompiledSampler):
    def __init__(self, decoder: SurfaceGkpDecoder, sigma: float, analog: bool) -> None:
        self._decoder, self._sigma, self._analog = decoder, sigma, analog
        self._rng = np.random.default_rng()

    def sample(self, suggested_shots: int) -> sinter.AnonTaskStats:
        """Sample and decode about `suggested_shots` shots (at least one, at most 100 000 per call)."""
        shots = int(min(max(suggested_shots, 1), 100_000))
        t0 = time.process_time()
        errors = count_failures(self._decoder, self._sigma, shots, self._analog, self._rng)
        return sinter.AnonTaskStats(shots=shots, errors=errors, seconds=time.process_time() - t0)


class SurfaceGkpSampler(sinter.Sampler):
    """Samples surface-GKP code-capacity shots for tasks with metadata d and p (= sigma)."""

    def __init__(self, analog: bool) -> None:
        self.analog = analog

    def compiled_sampler_for_task(self, task: sinter.Task) -> sinter.CompiledSampler:
        """A sampler for this task's distance and sigma."""
        meta = task.json_metadata
        if not isinstance(meta, dict) or "d" not in meta or "p" not in meta:
            raise StudyError(f"surface-GKP task metadata needs 'd' and 'p' (sigma), got {meta!r}")
        return _Compiled(SurfaceGkpDecoder(surface_gkp_graph(int(meta["d"]))), float(meta["p"]), self.analog)


def gkp_samplers() -> dict[str, sinter.Sampler]:
    """The surface-GKP samplers by decoder name, for `sinter.collect(custom_decoders=...)`."""
    return {name: SurfaceGkpSampler(analog) for name, analog in GKP_DECODERS.items()}
