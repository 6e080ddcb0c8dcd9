"""Bosonic and hybrid codes: surface-GKP with analog decoding, XZZX under bias, repetition-cat, dual-rail erasure."""

from studies.bosonic.biased import biased_channel, biased_memory_task, xzzx_tasks
from studies.bosonic.cat_repetition import bit_part, cat_repetition_channel, cat_round_channel, combine_parts
from studies.bosonic.config import BosonicStudyConfig, load_bosonic_config
from studies.bosonic.dual_rail import dual_rail_effective_channel, dual_rail_tasks
from studies.bosonic.gkp_sampler import SurfaceGkpSampler, gkp_samplers
from studies.bosonic.resources import ResourceRow, gkp_mean_photons
from studies.bosonic.study import BosonicStudyResult, run_bosonic_study, run_study_from_args
from studies.bosonic.surface_gkp import SurfaceGkpDecoder, count_failures, sample_shots, surface_gkp_graph

__all__ = [
    "BosonicStudyConfig",
    "BosonicStudyResult",
    "ResourceRow",
    "SurfaceGkpDecoder",
    "SurfaceGkpSampler",
    "biased_channel",
    "biased_memory_task",
    "bit_part",
    "cat_repetition_channel",
    "cat_round_channel",
    "combine_parts",
    "count_failures",
    "dual_rail_effective_channel",
    "dual_rail_tasks",
    "gkp_mean_photons",
    "gkp_samplers",
    "load_bosonic_config",
    "run_bosonic_study",
    "run_study_from_args",
    "sample_shots",
    "surface_gkp_graph",
    "xzzx_tasks",
]
