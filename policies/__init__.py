"""Code-switching policies: features in, action out. Runtime inference only: imports neither side of the loop."""

from policies.interface import Action, ActionKind, Features, Policy
from policies.registry import build_policy
from policies.rule import DensityRule, DensityRuleConfig

__all__ = ["Action", "ActionKind", "DensityRule", "DensityRuleConfig", "Features", "Policy", "build_policy"]
