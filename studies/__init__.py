"""Offline QEC baseline studies: thresholds, overhead, plots."""

from studies.config import StudyConfig, load_study_config
from studies.fit import ThresholdEstimate, estimate_threshold, fit_scaling, pairwise_crossings
from studies.overhead import LambdaFit, TargetDistance, distance_for_target, fit_lambda
from studies.points import Points, points_by_noise
from studies.rates import logical_rates, per_round_rate
from studies.thresholds import StudyResult, run_threshold_study

__all__ = [
    "LambdaFit",
    "Points",
    "StudyConfig",
    "StudyResult",
    "TargetDistance",
    "ThresholdEstimate",
    "distance_for_target",
    "estimate_threshold",
    "fit_lambda",
    "fit_scaling",
    "load_study_config",
    "logical_rates",
    "pairwise_crossings",
    "per_round_rate",
    "points_by_noise",
    "run_threshold_study",
]
