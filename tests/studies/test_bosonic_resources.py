"""Resource counting: modes and photons per logical qubit from extrapolated logical error rates."""

from __future__ import annotations

import numpy as np
import pytest

from studies.bosonic.cat_repetition import bit_part, combine_parts
from studies.bosonic.resources import cat_resources, surface_resources
from studies.points import Points


def _exact_points(p: float, prefactor: float, lam: float, distances: tuple[int, ...], shots: int) -> Points:
    """Counts that are exactly prefactor / lam^((d+1)/2) per round with rounds = 1 (no sampling noise)."""
    rates = [prefactor / lam ** ((d + 1) / 2) for d in distances]
    return Points.from_arrays(list(distances), [p] * len(distances), [shots] * len(distances),
                              [round(r * shots) for r in rates], 1)


def test_surface_counts_follow_the_extrapolated_distance() -> None:
    # p_L(d) = 0.1 / 4^((d+1)/2): 1e-6 needs (d+1)/2 >= log(1e5)/log(4) = 8.3, so d = 17, 2 d^2 - 1 = 577 qubits.
    pts = _exact_points(0.45, 0.1, 4.0, (5, 9, 13), 10**9)
    row = surface_resources(pts, "surface-gkp-analog", "sigma", 0.45, 1e-6, photons_per_qubit=0.75)
    assert row.reachable and row.distance == 17 and row.modes == 577
    assert row.photons == pytest.approx(0.75 * 577)
    dual = surface_resources(pts, "dual-rail", "loss dB per round", 0.45, 1e-6, 1.0, modes_per_qubit=2)
    assert dual.modes == 2 * 577 and dual.photons == pytest.approx(577)


def test_points_not_below_threshold_are_out_of_reach() -> None:
    pts = _exact_points(0.45, 0.1, 4.0, (5, 9, 13), 10**9)
    row = surface_resources(pts, "x", "sigma", 0.45, 1e-6, 1.0, threshold_ci_low=0.44)
    assert not row.reachable and "not below the fitted threshold" in row.reason


def test_cat_total_adds_the_bit_part_and_stops_when_it_alone_exceeds_the_target() -> None:
    phase = Points.from_arrays([3, 5, 7] * 2, [2.0] * 3 + [4.0] * 3, [10**9] * 6,
                               [round(1e9 * 1e-2 / 10 ** ((d + 1) / 2)) for d in (3, 5, 7)] * 2, 1)
    rows = {r.value: r for r in cat_resources(phase, {2.0: 1e-6, 4.0: 1e-10}, target=1e-6)}
    # |alpha|^2 = 2: the bit part d p_b >= 3e-6 > target at every d: unreachable.
    assert not rows[2.0].reachable
    # |alpha|^2 = 4: phase 1e-2 / 10^((d+1)/2) plus bit ~ d 1e-10. d = 7 gives 1e-6 + 7e-10 > target; d = 9 meets it.
    r = rows[4.0]
    assert r.reachable and r.distance == 9 and r.modes == 17 and r.photons == pytest.approx(4.0 * 17)
    total = float(combine_parts(1e-2 / 10**5, bit_part(1e-10, 9)))
    assert np.isclose(r.predicted_logical_error_rate, total, rtol=1e-6)
