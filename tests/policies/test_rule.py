"""The default density rule raises the distance past its bound, with hysteresis and a hold-off."""

import pytest

from policies import ActionKind, Features, build_policy
from protocols.errors import ConfigError


def _f(rho, d, r=0):
    return Features(r, d, rho, 0.0, float("nan"), 0.1)


def test_raises_one_step_then_holds_off_then_lowers():
    p = build_policy({"distances": [3, 5, 7], "raise_above": 0.05, "lower_below": 0.01, "min_windows_between_switches": 1})
    assert p.decide(_f(0.02, 3)).kind is ActionKind.KEEP
    a = p.decide(_f(0.06, 3))
    assert a.kind is ActionKind.SWITCH_DISTANCE and a.distance == 5 and "0.06" in a.reason
    assert p.decide(_f(0.09, 5)).kind is ActionKind.KEEP  # hold-off window
    assert p.decide(_f(0.09, 5)).distance == 7
    assert p.decide(_f(0.09, 7)).kind is ActionKind.KEEP
    assert p.decide(_f(0.09, 7)).kind is ActionKind.KEEP  # nothing larger to go to
    assert p.decide(_f(0.005, 7)).distance == 5


def test_bad_policy_configs_are_rejected():
    with pytest.raises(ConfigError, match="unknown policy"):
        build_policy({"kind": "magic"})
    with pytest.raises(ConfigError, match="odd integers"):
        build_policy({"distances": [3, 4]})
    with pytest.raises(ConfigError, match="lower_below"):
        build_policy({"raise_above": 0.01, "lower_below": 0.02})
